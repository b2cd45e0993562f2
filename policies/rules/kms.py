"""KMS keys: rotation, key policy, deletion safety."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import (
    document,
    forbid_false,
    forbid_true,
    get,
    has_restricting_condition,
    is_public_principal,
    require_true,
    statements,
    text,
)
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

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
KEY_POLICY_TYPES = (KEY, KEY_POLICY)  # a key's policy is set on the key or by a separate KeyPolicy resource
DOCS = "https://docs.aws.amazon.com/kms/latest/developerguide"


def _symmetric(args: ResourceValidationArgs) -> bool:
    spec = get(args.props, "customerMasterKeySpec", default=get(args.props, "keySpec", default="SYMMETRIC_DEFAULT"))
    return str(spec) == "SYMMETRIC_DEFAULT"


C081 = Control(
    id="C081",
    title="Key policy has no public principal",
    severity=Severity.CRITICAL,
    fsbp="KMS.5",
    fsbp_status=FsbpStatus.UNVERIFIED,
    checkov=("CKV_AWS_33",),
    severity_source=SeveritySource.THIRD_PARTY,
)


@ResourceRule(
    name="kms-key-rotation",
    control=Control(
        id="C080",
        title="Key rotation enabled",
        severity=Severity.MEDIUM,
        fsbp="KMS.4",
        fsbp_status=FsbpStatus.NOT_FSBP,
        cdk_nag=("AwsSolutions-KMS5",),
        checkov=("CKV_AWS_7",),
        awsguard=("cmk-backing-key-rotation-enabled",),
    ),
    types=[KEY],
    inputs=("enableKeyRotation",),
    description="Symmetric customer managed keys rotate their key material yearly.",
    remediation="Set enable_key_rotation=True.",
    enforcement=MANDATORY,
)
def rotation(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not _symmetric(args):
        args.not_applicable("Asymmetric and HMAC keys cannot rotate automatically.")
    require_true(args, report, "enableKeyRotation")


@ResourceRule(
    name="kms-key-policy-not-public",
    control=C081,
    types=KEY_POLICY_TYPES,
    inputs=("policy",),
    description="Key policies do not grant any principal ('*') access without an account condition.",
    remediation="Name the account root or specific roles as principals, or add an aws:SourceAccount / "
    "kms:CallerAccount "
    "condition.",
    enforcement=MANDATORY,
)
def not_public(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in statements(document(get(args.props, "policy"))):
        if (
            str(statement.get("Effect", "")).lower() == "allow"
            and is_public_principal(statement)
            and not has_restricting_condition(statement)
        ):
            report(f"Statement {statement.get('Sid', '(no Sid)')} allows any principal without an account condition.")


@ResourceRule(
    name="kms-key-policy-lockout-safety-check",
    control=C081,
    types=KEY_POLICY_TYPES,
    inputs=("bypassPolicyLockoutSafetyCheck",),
    description="Key policies keep the policy lockout safety check: KMS refuses a policy that would leave the key "
    "unmanageable.",
    remediation="Leave bypass_policy_lockout_safety_check unset (false).",
    enforcement=MANDATORY,
    url=f"{DOCS}/key-policy-default.html#prevent-unmanageable-key",
)
def lockout_check(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    forbid_true(args, report, "bypassPolicyLockoutSafetyCheck", ": the key can be made unmanageable by its own policy")


@ResourceRule(
    name="kms-key-policy-explicit",
    control=Control(
        id="C082",
        title="Key policy explicit; key enabled",
        severity=Severity.LOW,
        checkov=("CKV2_AWS_64", "CKV_AWS_227"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[KEY],
    inputs=("isEnabled", "policy"),
    description="Keys have an explicit key policy and are enabled.",
    remediation="Pass policy= with the key administrators and the grants the key's users need.",
    enforcement=ADVISORY,
    url=f"{DOCS}/key-policies.html",
)
def explicit_policy(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "policy"):
        report("No key policy: the default policy delegates everything to IAM.")
    forbid_false(args, report, "isEnabled")


@ResourceRule(
    name="kms-key-deletion-protection",
    control=Control(id="C083", title="Key protected from deletion", severity=Severity.CRITICAL, fsbp="KMS.3"),
    types=[KEY],
    inputs=("deletionWindowInDays",),
    description="Keys cannot be deleted by accident: protected in Pulumi, with the longest deletion window.",
    remediation="Pass opts protect=True and set deletion_window_in_days=30.",
    enforcement=MANDATORY,
    config={"minimumDeletionWindowDays": integer(30, "Minimum key deletion waiting period in days.", 7)},
)
def deletion_protection(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not args.opts.protect:
        report("The key is not protected (opts.protect): deleting the stack would schedule it for deletion.")
    minimum = int(settings["minimumDeletionWindowDays"])
    window = get(args.props, "deletionWindowInDays", default=30)
    if float(window) < minimum:
        report(f"deletionWindowInDays is {text(window)}; at least {minimum} days are required.")


POLICIES: list[Policy] = declared(__name__)
