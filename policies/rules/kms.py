"""KMS keys: rotation, key policy, deletion safety."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    document,
    get,
    has_restricting_condition,
    integer,
    is_false,
    is_public_principal,
    is_true,
    resource_policy,
    statements,
    text,
)

KEY = "aws:kms/key:Key"
DOCS = "https://docs.aws.amazon.com/kms/latest/developerguide"

C080 = Control(
    "C080",
    "Key rotation enabled",
    Severity.MEDIUM,
    "KMS.4",
    "not-fsbp",
    cdk_nag=("AwsSolutions-KMS5",),
    checkov=("CKV_AWS_7",),
    awsguard=("cmk-backing-key-rotation-enabled",),
)
C081 = Control(
    "C081",
    "Key policy has no public principal",
    Severity.CRITICAL,
    "KMS.5",
    "unverified",
    checkov=("CKV_AWS_33",),
    severity_source="third-party",
)
C082 = Control(
    "C082",
    "Key policy explicit; key enabled",
    Severity.LOW,
    checkov=("CKV2_AWS_64", "CKV_AWS_227"),
    severity_source="suggested",
)
C083 = Control("C083", "Key protected from deletion", Severity.CRITICAL, "KMS.3")


def _symmetric(args: ResourceValidationArgs) -> bool:
    spec = get(args.props, "customerMasterKeySpec", default=get(args.props, "keySpec", default="SYMMETRIC_DEFAULT"))
    return str(spec) == "SYMMETRIC_DEFAULT"


def rotation(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not _symmetric(args):
        args.not_applicable("Asymmetric and HMAC keys cannot rotate automatically.")
    if not is_true(get(args.props, "enableKeyRotation")):
        report("enableKeyRotation is not true.")


def not_public(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in statements(document(get(args.props, "policy"))):
        if (
            statement.get("Effect") == "Allow"
            and is_public_principal(statement)
            and not has_restricting_condition(statement)
        ):
            report(f"Statement {statement.get('Sid', '(no Sid)')} allows any principal without an account condition.")


def explicit_policy(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "policy"):
        report("No key policy: the default policy delegates everything to IAM.")
    if is_false(get(args.props, "isEnabled")):
        report("isEnabled is false.")


def deletion_protection(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not args.opts.protect:
        report("The key is not protected (opts.protect): deleting the stack would schedule it for deletion.")
    minimum = int(settings["minimumDeletionWindowDays"])
    window = get(args.props, "deletionWindowInDays", default=30)
    if float(window) < minimum:
        report(f"deletionWindowInDays is {text(window)}; at least {minimum} days are required.")


POLICIES: list[Policy] = [
    resource_policy(
        "kms-key-rotation",
        C080,
        [KEY],
        "Symmetric customer managed keys rotate their key material yearly.",
        "Set enable_key_rotation=True.",
        rotation,
        promoted=True,
    ),
    resource_policy(
        "kms-key-policy-not-public",
        C081,
        [KEY],
        "Key policies do not grant any principal ('*') access without an account condition.",
        "Name the account root or specific roles as principals, or add an aws:SourceAccount / kms:CallerAccount "
        "condition.",
        not_public,
    ),
    resource_policy(
        "kms-key-policy-explicit",
        C082,
        [KEY],
        "Keys have an explicit key policy and are enabled.",
        "Pass policy= with the key administrators and the grants the key's users need.",
        explicit_policy,
        url=f"{DOCS}/key-policies.html",
    ),
    resource_policy(
        "kms-key-deletion-protection",
        C083,
        [KEY],
        "Keys cannot be deleted by accident: protected in Pulumi, with the longest deletion window.",
        "Pass opts protect=True and set deletion_window_in_days=30.",
        deletion_protection,
        config={"minimumDeletionWindowDays": integer(30, "Minimum key deletion waiting period in days.", 7)},
    ),
]
