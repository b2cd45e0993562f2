"""CloudWatch Logs log groups: retention and encryption."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import Control, Report, Settings, get, integer, resource_policy, text

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

C096 = Control(
    "C096",
    "Log retention set and at least the minimum",
    Severity.MEDIUM,
    "CloudWatch.16",
    "not-fsbp",
    cdk_nag=("R5:CloudWatchLogGroupRetentionPeriod",),
    checkov=("CKV_AWS_338", "CKV_AWS_66"),
)
C097 = Control(
    "C097",
    "Log group encrypted with KMS",
    Severity.MEDIUM,
    cdk_nag=("R5:CloudWatchLogGroupEncrypted",),
    checkov=("CKV_AWS_158",),
    severity_source="suggested",
)


def retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    minimum = int(settings["minimumRetentionDays"])
    days = get(args.props, "retentionInDays")
    if days is None:
        report("retentionInDays is not set: events are kept forever, with no decision recorded.")
    elif float(days) != 0 and float(days) < minimum:
        report(f"retentionInDays is {text(days)}; at least {minimum} days are required.")


def encrypted(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyId"):
        report("kmsKeyId is not set: the log group uses CloudWatch's default encryption, not a customer managed key.")


POLICIES: list[Policy] = [
    resource_policy(
        "logs-retention",
        C096,
        [LOG_GROUP],
        "Log groups keep events at least the configured number of days.",
        "Set retention_in_days to at least the configured minimum (one of the values CloudWatch accepts).",
        retention,
        config={"minimumRetentionDays": integer(365, "Minimum log retention in days (CloudWatch.16 default).", 1)},
    ),
    resource_policy(
        "logs-kms-encrypted",
        C097,
        [LOG_GROUP],
        "Log groups are encrypted with a customer managed KMS key.",
        "Set kms_key_id to the logs key ARN (its policy must grant logs.<region>.amazonaws.com).",
        encrypted,
        promoted=True,
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    ),
]
