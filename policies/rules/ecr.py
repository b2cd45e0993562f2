"""ECR repositories: scanning, immutability, lifecycle, access, encryption."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    document,
    get,
    has_restricting_condition,
    is_public_principal,
    is_true,
    items,
    label,
    resource_policy,
    stack_policy,
    statements,
)

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
DOCS = "https://docs.aws.amazon.com/AmazonECR/latest/userguide"

C112 = Control("C112", "Scan on push", Severity.HIGH, "ECR.1", checkov=("CKV_AWS_163",))
C113 = Control("C113", "Tag immutability", Severity.MEDIUM, "ECR.2", checkov=("CKV_AWS_51",))
C114 = Control("C114", "Lifecycle policy exists", Severity.MEDIUM, "ECR.3")
C115 = Control(
    "C115",
    "Repository policy not open",
    Severity.HIGH,
    cdk_nag=("AwsSolutions-ECR1",),
    checkov=("CKV_AWS_32",),
    severity_source="suggested",
)
C116 = Control(
    "C116",
    "Encrypted with a KMS CMK",
    Severity.MEDIUM,
    "ECR.5",
    "unverified",
    checkov=("CKV_AWS_136",),
    severity_source="suggested",
)


def scan_on_push(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "imageScanningConfiguration", "scanOnPush")):
        report("imageScanningConfiguration.scanOnPush is not true.")


def immutable(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    mutability = str(get(args.props, "imageTagMutability", default="MUTABLE"))
    if not mutability.startswith("IMMUTABLE"):
        report(f"imageTagMutability is {mutability}: tags can be moved to other images.")


def lifecycle(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for repository in stack.of_type(REPOSITORY):
        if not stack.referencing(repository, [LIFECYCLE], "repository"):
            report(f"{label(repository)} has no lifecycle policy.", repository.urn)


def not_open(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in statements(document(get(args.props, "policy"))):
        if (
            statement.get("Effect") == "Allow"
            and is_public_principal(statement)
            and not has_restricting_condition(statement)
        ):
            report(f"Statement {statement.get('Sid', '(no Sid)')} opens the repository to any principal.")


def cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    configs = list(items(get(args.props, "encryptionConfigurations")))
    kind = str(get(configs[0], "encryptionType", default="AES256")) if configs else "AES256"
    if not kind.startswith("KMS"):
        report(f"encryptionType is {kind}: images are not encrypted with a KMS key.")


POLICIES: list[Policy] = [
    resource_policy(
        "ecr-scan-on-push",
        C112,
        [REPOSITORY],
        "Repositories scan images when they are pushed.",
        "Set image_scanning_configuration={'scan_on_push': True} (or enable enhanced scanning for the registry).",
        scan_on_push,
    ),
    resource_policy(
        "ecr-tag-immutability",
        C113,
        [REPOSITORY],
        "Image tags cannot be overwritten.",
        "Set image_tag_mutability='IMMUTABLE'.",
        immutable,
    ),
    stack_policy(
        "ecr-lifecycle-policy",
        C114,
        [REPOSITORY],
        "Every repository has a lifecycle policy.",
        "Add aws.ecr.LifecyclePolicy expiring untagged and old images.",
        lifecycle,
    ),
    resource_policy(
        "ecr-repository-policy-not-open",
        C115,
        [REPOSITORY_POLICY],
        "Repository policies do not grant any principal access.",
        "Name the accounts or roles that may pull; never Principal '*' without conditions.",
        not_open,
        url=f"{DOCS}/repository-policies.html",
    ),
    resource_policy(
        "ecr-kms-encryption",
        C116,
        [REPOSITORY],
        "Repositories encrypt images with a KMS key.",
        "Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <key ARN>}].",
        cmk,
        url=f"{DOCS}/encryption-at-rest.html",
    ),
]
