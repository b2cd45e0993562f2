"""CloudWatch Logs log groups: retention and encryption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import get, number, text
from .declare import (
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

if __name__.startswith("policies."):
    from policies.log_retention import ALLOWED_RETENTION_DAYS, LOG_CLASS_TAG, NEVER_EXPIRE, LogClass
else:  # under the Pulumi CLI: policies/ is on sys.path and the rules are the top-level package `rules`
    from log_retention import (  # type: ignore[import-not-found,no-redef]
        ALLOWED_RETENTION_DAYS,
        LOG_CLASS_TAG,
        NEVER_EXPIRE,
        LogClass,
    )

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
NATIVE_LOG_GROUP = "aws-native:logs:LogGroup"  # Pulumi AWS Native (CloudFormation shape): tags are a key/value list


APPLICATION_EXCEPTION = "applicationLogs"
APPLICATION_EXCEPTION_SCHEMA = {
    "type": "object",
    "properties": {
        "minimumRetentionDays": {"type": "integer", "minimum": 1},
        "reason": {"type": "string", "minLength": 10},
    },
    "required": ["minimumRetentionDays", "reason"],
    "additionalProperties": False,
    "description": f"The documented exception for log groups tagged {LOG_CLASS_TAG}=application: their minimum and "
    "why. Without it, application logs are judged like security logs.",
}


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
    types=[LOG_GROUP, NATIVE_LOG_GROUP],
    inputs=("retentionInDays", f"tags.{LOG_CLASS_TAG}"),
    description="Security and audit log groups keep events at least the configured minimum (365 days, "
    f"CloudWatch.16); log groups tagged {LOG_CLASS_TAG}=application at the configured exception's minimum. A log "
    "group without that exact tag is judged as security logs.",
    remediation="Create log groups through components/logs.py with their log_class; set retention_in_days to a "
    "value CloudWatch accepts, at least the minimum of the group's class (0 keeps events forever).",
    enforcement=MANDATORY,
    config={
        "minimumRetentionDays": integer(365, "Minimum retention of security, audit and unclassified logs.", 1),
        APPLICATION_EXCEPTION: APPLICATION_EXCEPTION_SCHEMA,
    },
)
def retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    minimum, what = _minimum_for(_log_class(get(args.props, "tags")), settings)
    days = get(args.props, "retentionInDays")
    if days is None:
        report(f"retentionInDays is not set: events are kept forever, with no decision recorded ({what}).")
        return
    value = number(days)
    if value == NEVER_EXPIRE:
        return  # kept forever: more than any minimum
    if value is None or not value.is_integer() or int(value) not in ALLOWED_RETENTION_DAYS:
        report(f"retentionInDays is {text(days)}, not a value CloudWatch Logs accepts ({what}).")
    elif value < minimum:
        report(f"retentionInDays is {text(days)}; {what} need at least {minimum} days.")


def _log_class(tags: Any) -> Any:
    """The LogClass tag from a tag map (pulumi-aws) or a key/value list (AWS Native, CloudFormation)."""
    if isinstance(tags, Mapping):
        return tags.get(LOG_CLASS_TAG)
    if isinstance(tags, Sequence) and not isinstance(tags, str):
        return next((get(t, "value") for t in tags if get(t, "key") == LOG_CLASS_TAG), None)
    return None


def _minimum_for(log_class: Any, settings: Settings) -> tuple[int, str]:
    """The minimum for a log group's class. Only the exact tag `LogClass=application` with a configured exception
    earns the application minimum; every other spelling, value or absence is judged as security logs."""
    exception = settings.get(APPLICATION_EXCEPTION)
    if log_class == LogClass.APPLICATION and isinstance(exception, Mapping):
        days = int(exception["minimumRetentionDays"])
        return days, f"application logs, by the configured exception: {exception['reason']}"
    minimum = int(settings["minimumRetentionDays"])
    if log_class == LogClass.SECURITY:
        return minimum, "security and audit logs"
    if log_class == LogClass.APPLICATION:
        return minimum, "application logs with no exception configured"
    found = "no" if log_class is None else f"an unrecognised {text(log_class)!r}"
    return minimum, f"{found} {LOG_CLASS_TAG} tag, so judged as security logs"


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
    inputs=("kmsKeyId",),
    description="Log groups are encrypted with a customer managed KMS key.",
    remediation="Set kms_key_id to the logs key ARN (its policy must grant logs.<region>.amazonaws.com).",
    enforcement=MANDATORY,
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
)
def encrypted(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyId"):
        report("kmsKeyId is not set: the log group uses CloudWatch's default encryption, not a customer managed key.")


POLICIES: list[Policy] = declared(__name__)
