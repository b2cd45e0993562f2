"""Secrets Manager: rotation and customer managed keys."""

from __future__ import annotations

import re

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import get, label, text
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    StackRule,
    declared,
    integer,
)
from .stack import StackView

SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


RATE = re.compile(r"^rate\((\d+)\s+(day|days|hour|hours)\)$")


@StackRule(
    name="secrets-rotation-enabled",
    control=Control(
        id="C076",
        title="Automatic rotation enabled",
        severity=Severity.MEDIUM,
        fsbp="SecretsManager.1",
        cdk_nag=("AwsSolutions-SMG4",),
        checkov=("CKV2_AWS_57",),
    ),
    types=[SECRET],
    description="Every secret rotates automatically.",
    remediation="Add aws.secretsmanager.SecretRotation with a rotation Lambda, or let the owning service manage the "
    "secret (RDS manage_master_user_password rotates its own secret).",
    enforcement=ADVISORY,
)
def rotation_enabled(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for secret in stack.of_type(SECRET):
        if not stack.referencing(secret, [ROTATION], "secretId"):
            report(
                f"{label(secret)} has no automatic rotation (no aws:secretsmanager/secretRotation references it).",
                secret.urn,
            )


@ResourceRule(
    name="secrets-rotation-interval",
    control=Control(
        id="C077",
        title="Rotation interval within the maximum",
        severity=Severity.MEDIUM,
        fsbp="SecretsManager.4",
        checkov=("CKV_AWS_304",),
    ),
    types=[ROTATION],
    inputs=("rotationRules",),
    description="Secrets rotate at least every configured number of days.",
    remediation="Set rotation_rules.automatically_after_days to at most the configured maximum.",
    enforcement=ADVISORY,
    config={"maximumRotationDays": integer(90, "Longest accepted rotation interval in days.", 1)},
)
def rotation_interval(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    maximum = int(settings["maximumRotationDays"])
    rules = get(args.props, "rotationRules")
    days = get(rules, "automaticallyAfterDays")
    if days is not None:
        if float(days) > maximum:
            report(f"The secret rotates every {text(days)} days; at most {maximum} are allowed.")
        return
    schedule = str(get(rules, "scheduleExpression", default=""))
    match = RATE.match(schedule.strip())
    if not match:
        args.not_applicable(f"Schedule {schedule or '(none)'} is not a rate() expression; its interval is not derived.")
    assert match is not None
    count = int(match.group(1)) / (24 if match.group(2).startswith("hour") else 1)
    if count > maximum:
        report(f"The secret rotates every {text(count)} days ({schedule}); at most {maximum} are allowed.")


@ResourceRule(
    name="secrets-customer-managed-key",
    control=Control(
        id="C078",
        title="Secret encrypted with a customer managed key",
        severity=Severity.MEDIUM,
        cdk_nag=("R5:SecretsManagerUsingKMSKey",),
        checkov=("CKV_AWS_149",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SECRET],
    inputs=("kmsKeyId",),
    description="Secrets are encrypted with a customer managed KMS key.",
    remediation="Set kms_key_id to the secrets key's ARN.",
    enforcement=MANDATORY,
    url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
)
def secret_cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    key = str(get(args.props, "kmsKeyId", default=""))
    if not key or key == "alias/aws/secretsmanager":
        report("The secret is encrypted with the AWS managed key; set kmsKeyId to a customer managed key.")


POLICIES: list[Policy] = declared(__name__)
