"""Log retention facts shared by the program and the pack: the values CloudWatch Logs accepts and the tag that
classifies a log group.

Standard library only: the pack imports this module as `log_retention` under the Pulumi CLI (policies/ on
`sys.path`), the program as `policies.log_retention` (as with `credential_patterns`).
"""

from __future__ import annotations

from enum import StrEnum

# The values PutRetentionPolicy accepts for retentionInDays. Source: CloudWatch Logs API reference, as carried by
# aws-sdk-cloudwatchlogs 1.135.0 (docs.rs, PutRetentionPolicyInput.retention_in_days), read 2026-12-03. Omitting
# the retention (DeleteRetentionPolicy; `retention_in_days=0` in pulumi-aws) keeps events forever.
ALLOWED_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
NEVER_EXPIRE = 0

LOG_CLASS_TAG = "LogClass"
"""The tag the policy rule reads (rules judge resource properties, never our Python classes)."""


class LogClass(StrEnum):
    """Why a log group exists. Security and audit logs (flow, WAF, CloudFront, ECS Exec, database exports,
    delivery status) answer CloudWatch.16 (365 days); application logs are the configured exception."""

    SECURITY = "security"
    APPLICATION = "application"
