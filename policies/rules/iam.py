"""IAM roles and policies: no admin, no wildcards, no escalation, no AWS managed or inline policies."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    action_matches,
    actions,
    document,
    get,
    has_restricting_condition,
    items,
    known,
    label,
    policy_documents,
    principals,
    resources_of,
    statements,
)
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
    strings,
)
from .stack import StackView

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_TYPES = (POLICY, ROLE_POLICY, ROLE)
DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide"
AWS_MANAGED = "arn:aws:iam::aws:policy/"


# Actions that let a principal widen its own rights, mint credentials or rewrite permissions (Checkov
# CKV_AWS_286/287/289). ecr:GetAuthorizationToken is left out on purpose: it only works with Resource "*".
SENSITIVE_ACTIONS = [
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:Attach*Policy",
    "iam:Put*Policy",
    "iam:Detach*Policy",
    "iam:Delete*Policy",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateRole",
    "iam:CreateUser",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "lambda:UpdateFunctionCode",
    "lambda:CreateFunction",
    "s3:PutBucketPolicy",
    "s3:PutBucketAcl",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "secretsmanager:PutResourcePolicy",
]
# Actions AWS only authorizes on Resource "*" (no resource-level permissions).
STAR_ONLY = [
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "logs:DescribeLogGroups",
]


def _allows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in statements(doc) if s.get("Effect", "Allow") == "Allow"]


@ResourceRule(
    name="iam-no-admin-statements",
    control=Control(
        id="C104",
        title="No Action * on Resource *",
        severity=Severity.HIGH,
        fsbp="IAM.1",
        cdk_nag=("R5:IAMPolicyNoStatementsWithAdminAccess",),
        checkov=("CKV_AWS_62",),
    ),
    types=POLICY_TYPES,
    description="No IAM policy grants full administrative access (Action * on Resource *).",
    remediation="List the actions and resources the principal needs.",
    enforcement=MANDATORY,
)
def no_admin(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, doc in policy_documents(args):
        for statement in _allows(doc):
            if "*" in actions(statement) and "*" in resources_of(statement):
                report(f"{where}: statement {statement.get('Sid', '(no Sid)')} allows Action * on Resource *.")


@ResourceRule(
    name="iam-no-wildcards",
    control=Control(
        id="C105",
        title="No service-wide wildcard actions or unjustified * resources",
        severity=Severity.LOW,
        fsbp="IAM.21",
        cdk_nag=("AwsSolutions-IAM5",),
        checkov=("CKV_AWS_63", "CKV_AWS_355", "CKV2_AWS_40"),
    ),
    types=POLICY_TYPES,
    description="IAM policies name actions and resources instead of wildcards.",
    remediation="Replace service:* with the needed actions and Resource * with ARNs, except for actions that only "
    "support Resource * (listed in the policy config).",
    enforcement=ADVISORY,
    config={"actionsAllowedOnAnyResource": strings(STAR_ONLY, "Actions that only work with Resource *.")},
)
def no_wildcards(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    star_ok = [str(a) for a in settings["actionsAllowedOnAnyResource"]]
    for where, doc in policy_documents(args):
        for statement in _allows(doc):
            sid = statement.get("Sid", "(no Sid)")
            wide = [a for a in actions(statement) if a == "*" or a.endswith(":*")]
            if wide:
                report(f"{where}: statement {sid} grants service-wide actions {', '.join(wide)}.")
            unjustified = [a for a in actions(statement) if not any(a.lower() == s.lower() for s in star_ok)]
            if "*" in resources_of(statement) and unjustified:
                report(f"{where}: statement {sid} applies {', '.join(unjustified)} to Resource *.")


@ResourceRule(
    name="iam-no-kms-decrypt-on-all-keys",
    control=Control(
        id="C106", title="No kms:Decrypt / kms:ReEncryptFrom on all keys", severity=Severity.MEDIUM, fsbp="KMS.1, KMS.2"
    ),
    types=POLICY_TYPES,
    description="IAM policies do not allow decrypting with every KMS key.",
    remediation="Limit kms:Decrypt and kms:ReEncryptFrom to the key ARNs the principal uses.",
    enforcement=MANDATORY,
)
def no_decrypt_all(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, doc in policy_documents(args):
        for statement in _allows(doc):
            granted = [a for a in actions(statement) if action_matches(a, ["kms:Decrypt", "kms:ReEncryptFrom"])]
            if granted and any(r == "*" or r.endswith(":key/*") for r in resources_of(statement)):
                report(
                    f"{where}: statement {statement.get('Sid', '(no Sid)')} allows {', '.join(granted)} on all keys."
                )


@ResourceRule(
    name="iam-no-privilege-escalation",
    control=Control(
        id="C107",
        title="No privilege escalation, credential exposure or permissions management on *",
        severity=Severity.HIGH,
        checkov=("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_289"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=POLICY_TYPES,
    description="IAM policies grant no privilege-escalation, credential or permission-management action on Resource *.",
    remediation="Scope iam:PassRole and similar actions to specific ARNs (with iam:PassedToService), or remove them.",
    enforcement=MANDATORY,
    url=f"{DOCS}/best-practices.html",
)
def no_escalation(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, doc in policy_documents(args):
        for statement in _allows(doc):
            if "*" not in resources_of(statement):
                continue
            risky = [a for a in actions(statement) if action_matches(a, SENSITIVE_ACTIONS)]
            if risky:
                report(
                    f"{where}: statement {statement.get('Sid', '(no Sid)')} allows {', '.join(risky)} on Resource * "
                    "(privilege escalation / credential exposure / permissions management)."
                )


@ResourceRule(
    name="iam-no-aws-managed-policies",
    control=Control(
        id="C108",
        title="No AWS managed policies",
        severity=Severity.MEDIUM,
        cdk_nag=("AwsSolutions-IAM4",),
        checkov=("CKV_AWS_274", "CKV2_AWS_56"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=(ROLE, ATTACHMENT),
    description="Roles use customer managed policies only.",
    remediation="Write a least-privilege customer managed policy (components/iam.py) instead of the AWS managed one.",
    enforcement=MANDATORY,
    url=f"{DOCS}/access_policies_managed-vs-inline.html",
)
def no_aws_managed(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    # AWS managed policy ARNs are literals, always known at preview; an unknown ARN is one created in the stack.
    if args.resource_type == ATTACHMENT:
        arns = [known(args.props, "policyArn")]
    else:
        arns = [
            known(args.props, "managedPolicyArns", i) for i in range(len(items(known(args.props, "managedPolicyArns"))))
        ]
    for arn in arns:
        if isinstance(arn, str) and arn.startswith(AWS_MANAGED):
            report(f"AWS managed policy {arn.removeprefix(AWS_MANAGED)} is attached; use a customer managed policy.")


@ResourceRule(
    name="iam-role-trust-specific-principals",
    control=Control(
        id="C109",
        title="Trust policy names specific principals",
        severity=Severity.HIGH,
        checkov=("CKV_AWS_60", "CKV_AWS_61"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[ROLE],
    description="Role trust policies name the services or accounts that may assume the role.",
    remediation="Name the service principal or account, and add aws:SourceAccount / aws:SourceArn conditions.",
    enforcement=MANDATORY,
    url=f"{DOCS}/id_roles_terms-and-concepts.html",
)
def trust_specific(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in _allows(document(get(args.props, "assumeRolePolicy"))):
        for principal in principals(statement):
            if principal in ("*", "AWS:*", "Service:*") and not has_restricting_condition(statement):
                report(f"The trust policy lets {principal} assume the role without a condition.")


@ResourceRule(
    name="iam-no-inline-policies",
    control=Control(
        id="C110",
        title="No inline policies",
        severity=Severity.LOW,
        cdk_nag=("R5:IAMNoInlinePolicy",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=(ROLE, ROLE_POLICY),
    description="Roles carry no inline policies.",
    remediation="Move the statements to an aws.iam.Policy and attach it with aws.iam.RolePolicyAttachment.",
    enforcement=MANDATORY,
    url=f"{DOCS}/access_policies_managed-vs-inline.html",
)
def no_inline(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if args.resource_type == ROLE_POLICY:
        report("An inline role policy (aws.iam.RolePolicy); use a customer managed policy and an attachment.")
    elif items(get(args.props, "inlinePolicies")):
        report("The role declares inlinePolicies; use customer managed policies and attachments.")


@StackRule(
    name="iam-role-no-policy-management-conflicts",
    control=Control(
        id="C111",
        title="Role policies managed in one place",
        severity=Severity.MEDIUM,
        awsguard=("iam-role-no-policy-management-conflicts",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[ROLE],
    description="A role's policies are managed either on the role or by attachment resources, never both.",
    remediation="Use RolePolicyAttachment resources only, and leave managed_policy_arns/inline_policies unset.",
    enforcement=ADVISORY,
    url="https://www.pulumi.com/registry/packages/aws/api-docs/iam/role/",
)
def no_conflicts(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for role in stack.of_type(ROLE):
        managed = items(known(role.props, "managedPolicyArns"))
        inline = items(known(role.props, "inlinePolicies"))
        attachments = stack.referencing(role, [ATTACHMENT], "role") if managed else []
        role_policies = stack.referencing(role, [ROLE_POLICY], "role") if inline else []
        if attachments:
            report(f"{label(role)} sets managedPolicyArns and also has RolePolicyAttachment resources.", role.urn)
        if role_policies:
            report(f"{label(role)} sets inlinePolicies and also has RolePolicy resources.", role.urn)


POLICIES: list[Policy] = declared(__name__)
