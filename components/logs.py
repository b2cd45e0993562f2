"""Log groups: every one encrypted with a customer-managed key and given a retention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components import aws
from policies.log_retention import ALLOWED_RETENTION_DAYS, LOG_CLASS_TAG, NEVER_EXPIRE, LogClass

__all__ = ["ALLOWED_RETENTION_DAYS", "LogClass", "LogSettings", "awslogs", "encrypted_log_group"]


@dataclass(frozen=True)
class LogSettings:
    """Where a component's logs go: every group encrypted with this key, kept as long as its class requires
    (application logs `retention_days`, security and audit logs `security_retention_days`, 0 = never expire),
    and (production) protected, since audit trails are data too."""

    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed key every log group is encrypted with (its policy must grant CloudWatch Logs
    of this account and Region); required."""
    retention_days: int
    """Days application logs are kept; one of the values CloudWatch Logs accepts (0 = never expire); required."""
    security_retention_days: int
    """Days security and audit logs (flow logs, WAF, ECS Exec, database) are kept; one of CloudWatch's values;
    required, usually a year or more for audits."""
    protect: bool = False
    """Pulumi `protect` on the log groups; default False (staging); production protects them: audit trails are
    data too."""

    def __post_init__(self) -> None:
        for days in (self.retention_days, self.security_retention_days):
            if days != NEVER_EXPIRE and days not in ALLOWED_RETENTION_DAYS:
                raise ValueError(f"retention {days} days is not one CloudWatch Logs accepts")

    def days_for(self, log_class: LogClass) -> int:
        return self.security_retention_days if log_class == LogClass.SECURITY else self.retention_days


def encrypted_log_group(
    name: str,
    *,
    logs: LogSettings,
    log_class: LogClass,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    log_group_name: pulumi.Input[str] | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group that cannot be created unencrypted or kept forever by accident. `log_class` is required: it
    picks the retention and becomes the `LogClass` tag the policy `logs-retention` judges."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=logs.days_for(log_class),
        kms_key_id=logs.kms_key_arn,
        log_group_class="STANDARD",
        tags={**tags, LOG_CLASS_TAG: log_class.value},
        opts=pulumi.ResourceOptions(parent=parent, protect=logs.protect),
    )


def awslogs(group: pulumi.Input[str], region: str, stream_prefix: str, *, non_blocking: bool = False) -> dict[str, Any]:
    """A container's `logConfiguration` for the awslogs driver. `non_blocking`: a long-running service buffers up
    to 25 MB instead of blocking its writes while CloudWatch Logs is slow; a one-off task keeps the default."""
    options: dict[str, Any] = {"awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": stream_prefix}
    if non_blocking:
        options |= {"mode": "non-blocking", "max-buffer-size": "25m"}
    return {"logDriver": "awslogs", "options": options}
