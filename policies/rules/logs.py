"""CloudWatch Logs log groups: retention and encryption."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import get, text
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    FsbpStatus,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    declared,
    integer,
)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@ResourceRule(
    name="logs-retention",
    control=Control(
        id="C096",
        title="Log retention set and at least the minimum",
        severity=Severity.MEDIUM,
        fsbp="CloudWatch.16",
        fsbp_status=FsbpStatus.NOT_FSBP,
        cdk_nag=("R5:CloudWatchLogGroupRetentionPeriod",),
        checkov=("CKV_AWS_338", "CKV_AWS_66"),
    ),
    types=[LOG_GROUP],
    description="Log groups keep events at least the configured number of days.",
    remediation="Set retention_in_days to at least the configured minimum (one of the values CloudWatch accepts).",
    enforcement=ADVISORY,
    config={"minimumRetentionDays": integer(365, "Minimum log retention in days (CloudWatch.16 default).", 1)},
)
def retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    minimum = int(settings["minimumRetentionDays"])
    days = get(args.props, "retentionInDays")
    if days is None:
        report("retentionInDays is not set: events are kept forever, with no decision recorded.")
    elif float(days) != 0 and float(days) < minimum:
        report(f"retentionInDays is {text(days)}; at least {minimum} days are required.")


@ResourceRule(
    name="logs-kms-encrypted",
    control=Control(
        id="C097",
        title="Log group encrypted with KMS",
        severity=Severity.MEDIUM,
        cdk_nag=("R5:CloudWatchLogGroupEncrypted",),
        checkov=("CKV_AWS_158",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[LOG_GROUP],
    description="Log groups are encrypted with a customer managed KMS key.",
    remediation="Set kms_key_id to the logs key ARN (its policy must grant logs.<region>.amazonaws.com).",
    enforcement=MANDATORY,
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
)
def encrypted(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyId"):
        report("kmsKeyId is not set: the log group uses CloudWatch's default encryption, not a customer managed key.")


POLICIES: list[Policy] = declared(__name__)
