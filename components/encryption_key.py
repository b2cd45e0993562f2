"""A customer-managed KMS key with rotation, an explicit key policy and an alias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent

# What a service needs to encrypt and decrypt data keys on our behalf; never kms:* for a service.
DATA_KEY_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)


@dataclass(frozen=True)
class ServiceGrant:
    """Lets one AWS service principal use the key, optionally only under conditions."""

    service: str
    actions: Sequence[str] = DATA_KEY_ACTIONS
    conditions: Mapping[str, Any] | None = None
    # Statement id; by default derived from the service's first label (give one when two services share it).
    sid: str | None = None


@dataclass(frozen=True)
class EncryptionKeyArgs:
    purpose: str
    alias: str
    context: AwsContext
    tags: Mapping[str, str]
    service_grants: Sequence[ServiceGrant] = field(default_factory=tuple)
    deletion_window_days: int = 30
    protect: bool = False


class EncryptionKey(PlatformComponent):
    """One key per purpose keeps blast radius and audit trails small; the alias gives it a stable name.

    The key policy names the account root (so IAM policies can grant use; no wildcard principal) and
    each service that encrypts with it, under the conditions given.
    """

    key: aws.kms.Key
    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kms", name, args.tags, opts)
        ctx = args.context
        statements: list[dict[str, Any]] = [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": pulumi.Output.concat("arn:", ctx.partition, ":iam::", ctx.account_id, ":root")},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        for grant in args.service_grants:
            statement: dict[str, Any] = {
                "Sid": grant.sid
                or "Service" + "".join(part.capitalize() for part in grant.service.split(".")[0].split("-")),
                "Effect": "Allow",
                "Principal": {"Service": grant.service},
                "Action": list(grant.actions),
                "Resource": "*",
            }
            if grant.conditions:
                statement["Condition"] = dict(grant.conditions)
            statements.append(statement)

        self.key = aws.kms.Key(
            name,
            description=f"{args.purpose} ({args.alias})",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            is_enabled=True,
            policy=iam.document(statements),
            tags=self.tags_for(),
            opts=self.child(protect=args.protect),
        )
        alias = aws.kms.Alias(name, name=args.alias, target_key_id=self.key.key_id, opts=self.child())
        self.key_arn = self.key.arn
        self.key_id = self.key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": self.key_arn, "alias_name": self.alias_name})


def logs_grant(context: AwsContext) -> ServiceGrant:
    """CloudWatch Logs may use the key only for log groups of this account and region."""
    return ServiceGrant(
        service=f"logs.{context.region}.amazonaws.com",
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                    "arn:",
                    context.partition,
                    ":logs:",
                    context.region,
                    ":",
                    context.account_id,
                    ":log-group:*",
                )
            }
        },
    )
