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
    """The service principal (e.g. `logs.eu-central-1.amazonaws.com`); required."""
    actions: Sequence[str] = DATA_KEY_ACTIONS
    """KMS actions granted; default the data-key actions (encrypt, decrypt, re-encrypt, generate data key,
    describe), what a service needs to encrypt on our behalf, never `kms:*`."""
    conditions: Mapping[str, Any] | None = None
    """The statement's IAM `Condition` block (e.g. an encryption-context ARN pattern); default None, but give one
    wherever the service supports it, against confused deputies."""
    sid: str | None = None
    """The statement ID; default None: derived from the service's first label (`ServiceLogs`). Give one when two
    grants name the same service."""


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Arguments of `EncryptionKey`."""

    purpose: str
    """What the key encrypts, in words; becomes the key's description; required, so nobody has to guess
    before disabling it."""
    alias: str
    """The alias (`alias/<name>`), a stable name for humans and policies; required."""
    context: AwsContext
    """Account and partition the key policy names as administrator; required."""
    tags: Mapping[str, str]
    """Tags on the key; required, the platform's mandatory tag set."""
    service_grants: Sequence[ServiceGrant] = field(default_factory=tuple)
    """Service principals allowed to use the key directly; default none: services that go through grants
    (RDS, Secrets Manager via kms:ViaService) need no statement."""
    deletion_window_days: int = 30
    """Days between scheduling the key's deletion and its deletion, 7 to 30 (KMS's range); default 30, the
    longest: data encrypted with a deleted key is gone for good."""
    protect: bool = False
    """Pulumi `protect` on the key; default False (staging); production protects every key."""


class EncryptionKey(PlatformComponent):
    """One key per purpose keeps blast radius and audit trails small; the alias gives it a stable name.

    The key policy names the account root (so IAM policies can grant use; no wildcard principal) and
    each service that encrypts with it, under the conditions given.
    """

    key: aws.kms.Key
    """The KMS key (escape hatch)."""
    alias: aws.kms.Alias
    """The key's alias (escape hatch)."""
    key_arn: pulumi.Output[str]
    """The key's ARN: what encryption settings and IAM grants name."""
    key_id: pulumi.Output[str]
    """The key's ID (a UUID)."""
    alias_name: pulumi.Output[str]
    """The alias name (`alias/<name>`)."""

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
            },
            *(_grant_statement(grant) for grant in args.service_grants),
        ]
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
        self.alias = aws.kms.Alias(name, name=args.alias, target_key_id=self.key.key_id, opts=self.child())
        self.key_arn = self.key.arn
        self.key_id = self.key.key_id
        self.alias_name = self.alias.name
        self.register_declared_outputs()


def _grant_statement(grant: ServiceGrant) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": grant.sid or "Service" + "".join(part.capitalize() for part in grant.service.split(".")[0].split("-")),
        "Effect": "Allow",
        "Principal": {"Service": grant.service},
        "Action": list(grant.actions),
        "Resource": "*",
    }
    if grant.conditions:
        statement["Condition"] = dict(grant.conditions)
    return statement


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
