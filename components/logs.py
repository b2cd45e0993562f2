"""Log groups: every one encrypted with a customer-managed key and given a retention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import aws

# The values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy).
ALLOWED_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


@dataclass(frozen=True)
class LogSettings:
    """Where a component's logs go: every group encrypted with this key, kept this long, and (production)
    protected, since audit trails are data too."""

    kms_key_arn: pulumi.Input[str]
    retention_days: int
    protect: bool = False

    def __post_init__(self) -> None:
        if self.retention_days not in ALLOWED_RETENTION_DAYS:
            raise ValueError(f"retention {self.retention_days} days is not one CloudWatch Logs accepts")


def encrypted_log_group(
    name: str,
    *,
    logs: LogSettings,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    log_group_name: pulumi.Input[str] | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group that cannot be created unencrypted or kept forever by accident."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=logs.retention_days,
        kms_key_id=logs.kms_key_arn,
        log_group_class="STANDARD",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=logs.protect),
    )
