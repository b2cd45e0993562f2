"""ECR repositories: scanning, immutability, lifecycle, access, encryption."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    document,
    get,
    has_restricting_condition,
    is_public_principal,
    items,
    label,
    require_true,
    statements,
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
    StackRule,
    declared,
)
from .stack import StackView

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
DOCS = "https://docs.aws.amazon.com/AmazonECR/latest/userguide"


@ResourceRule(
    name="ecr-scan-on-push",
    control=Control(id="C112", title="Scan on push", severity=Severity.HIGH, fsbp="ECR.1", checkov=("CKV_AWS_163",)),
    types=[REPOSITORY],
    inputs=("imageScanningConfiguration.scanOnPush",),
    description="Repositories scan images when they are pushed.",
    remediation="Set image_scanning_configuration={'scan_on_push': True} (or enable enhanced scanning for the "
    "registry).",
    enforcement=MANDATORY,
)
def scan_on_push(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    require_true(args, report, "imageScanningConfiguration.scanOnPush")


@ResourceRule(
    name="ecr-tag-immutability",
    control=Control(
        id="C113", title="Tag immutability", severity=Severity.MEDIUM, fsbp="ECR.2", checkov=("CKV_AWS_51",)
    ),
    types=[REPOSITORY],
    inputs=("imageTagMutability",),
    description="Image tags cannot be overwritten.",
    remediation="Set image_tag_mutability='IMMUTABLE'.",
    enforcement=ADVISORY,
)
def immutable(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    mutability = str(get(args.props, "imageTagMutability", default="MUTABLE"))
    if not mutability.startswith("IMMUTABLE"):
        report(f"imageTagMutability is {mutability}: tags can be moved to other images.")


@StackRule(
    name="ecr-lifecycle-policy",
    control=Control(id="C114", title="Lifecycle policy exists", severity=Severity.MEDIUM, fsbp="ECR.3"),
    types=[REPOSITORY],
    description="Every repository has a lifecycle policy.",
    remediation="Add aws.ecr.LifecyclePolicy expiring untagged and old images.",
    enforcement=ADVISORY,
)
def lifecycle(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for repository in stack.of_type(REPOSITORY):
        if not stack.referencing(repository, [LIFECYCLE], "repository"):
            report(f"{label(repository)} has no lifecycle policy.", repository.urn)


@ResourceRule(
    name="ecr-repository-policy-not-open",
    control=Control(
        id="C115",
        title="Repository policy not open",
        severity=Severity.HIGH,
        cdk_nag=("AwsSolutions-ECR1",),
        checkov=("CKV_AWS_32",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[REPOSITORY_POLICY],
    inputs=("policy",),
    description="Repository policies do not grant any principal access.",
    remediation="Name the accounts or roles that may pull; never Principal '*' without conditions.",
    enforcement=MANDATORY,
    url=f"{DOCS}/repository-policies.html",
)
def not_open(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in statements(document(get(args.props, "policy"))):
        if (
            statement.get("Effect") == "Allow"
            and is_public_principal(statement)
            and not has_restricting_condition(statement)
        ):
            report(f"Statement {statement.get('Sid', '(no Sid)')} opens the repository to any principal.")


@ResourceRule(
    name="ecr-kms-encryption",
    control=Control(
        id="C116",
        title="Encrypted with a KMS CMK",
        severity=Severity.MEDIUM,
        fsbp="ECR.5",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_136",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[REPOSITORY],
    inputs=("encryptionConfigurations",),
    description="Repositories encrypt images with a KMS key.",
    remediation="Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <key ARN>}].",
    enforcement=ADVISORY,
    url=f"{DOCS}/encryption-at-rest.html",
)
def cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    configs = list(items(get(args.props, "encryptionConfigurations")))
    kind = str(get(configs[0], "encryptionType", default="AES256")) if configs else "AES256"
    if not kind.startswith("KMS"):
        report(f"encryptionType is {kind}: images are not encrypted with a KMS key.")


POLICIES: list[Policy] = declared(__name__)
