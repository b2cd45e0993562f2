"""Log groups: every one encrypted with a customer-managed key and given a retention."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components import aws

# The values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy).
ALLOWED_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def encrypted_log_group(
    name: str,
    *,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    log_group_name: str | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group that cannot be created unencrypted or kept forever by accident."""
    if retention_days not in ALLOWED_RETENTION_DAYS:
        raise ValueError(f"retention {retention_days} days is not one CloudWatch Logs accepts")
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        log_group_class="STANDARD",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
