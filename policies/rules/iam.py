"""IAM roles and policies: no admin, no wildcards, no escalation, no AWS managed or inline policies."""

from __future__ import annotations

from collections.abc import Iterator
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
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
# Every way to attach a managed policy: to a role, a user, a group, or to any of them at once.
ATTACHMENTS = (
    ATTACHMENT,
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
INLINE_TYPES = (ROLE_POLICY, USER_POLICY, GROUP_POLICY)
# Every resource that carries an identity policy document: managed policies, inline policies of roles, users and
# groups (as resources) and a role's inlinePolicies blocks.
POLICY_TYPES = (POLICY, *INLINE_TYPES, ROLE)
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
    # The ECS infrastructure role of a blue/green service reads its listeners, rules and groups: ELB's Describe
    # actions list no resource types (Service Authorization Reference, Elastic Load Balancing V2, read 2026-12-03:
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_elasticloadbalancingv2.html).
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    # A VPC-attached Lambda's execution role (AWSLambdaVPCAccessExecutionRole): EC2's Describe actions support no
    # resource-level permissions (Lambda developer guide, "Execution role permissions" for VPC access, read
    # 2026-12-03: https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
]


# Reading secrets wholesale: Checkov CKV_AWS_288 (data exfiltration) lists these on Resource "*".
EXFILTRATION_ACTIONS = [
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "s3:GetObject",
]


C105 = Control(
    id="C105",
    title="No service-wide wildcard actions or unjustified * resources",
    severity=Severity.LOW,
    fsbp="IAM.21",
    cdk_nag=("AwsSolutions-IAM5",),
    checkov=("CKV_AWS_63", "CKV_AWS_355", "CKV2_AWS_40"),
)
C107 = Control(
    id="C107",
    title="No privilege escalation, credential exposure or permissions management on *",
    severity=Severity.HIGH,
    checkov=("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_289"),
    severity_source=SeveritySource.SUGGESTED,
)


def _allows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in statements(doc) if str(s.get("Effect", "Allow")).lower() == "allow"]


def _allowed(args: ResourceValidationArgs) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, statement) for every Allow statement of every identity policy document the resource carries."""
    for where, doc in policy_documents(args):
        for statement in _allows(doc):
            yield where, statement


def _everything(resource: str) -> bool:
    """`*`, `arn:*`, `arn:aws:*:*:*:*`: a resource pattern whose service is a wildcard matches every resource."""
    if resource.strip() == "*":
        return True
    parts = resource.split(":")
    return parts[0] == "arn" and (len(parts) < 3 or parts[2] in ("*", "")) and resource.endswith("*")


def any_resource(statement: dict[str, Any]) -> bool:
    """The statement applies to every resource: Resource "*" in any spelling, or NotResource (all but some)."""
    return "NotResource" in statement or any(_everything(r) for r in resources_of(statement))


def granted(statement: dict[str, Any], wanted: list[str]) -> list[str]:
    """The actions of `wanted` the statement allows: through Action (wildcards included), or through NotAction,
    which allows everything it does not exclude."""
    if "NotAction" in statement:
        excluded = [str(a) for a in items(statement["NotAction"])]
        return [w for w in wanted if not action_matches(w, excluded)]
    return [a for a in actions(statement) if action_matches(a, wanted)]


def _sid(statement: dict[str, Any]) -> str:
    return str(statement.get("Sid", "(no Sid)"))


def _service_wide(statement: dict[str, Any]) -> list[str]:
    if "NotAction" in statement:
        return ["NotAction (every action but " + ", ".join(str(a) for a in items(statement["NotAction"])) + ")"]
    return [a for a in actions(statement) if a.strip() == "*" or a.split(":", 1)[-1].strip() == "*"]


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
    for where, statement in _allowed(args):
        if not any_resource(statement):
            continue
        if "*" in [a.strip() for a in actions(statement)]:
            report(f"{where}: statement {_sid(statement)} allows Action * on Resource *.")
        elif "NotAction" in statement:
            report(f"{where}: statement {_sid(statement)} allows NotAction on Resource * (every other action).")


@ResourceRule(
    name="iam-no-wildcards",
    control=C105,
    types=POLICY_TYPES,
    description="IAM policies name actions and resources instead of wildcards.",
    remediation="Replace service:* with the needed actions and Resource * with ARNs, except for actions that only "
    "support Resource * (listed in the policy config).",
    enforcement=ADVISORY,
    config={"actionsAllowedOnAnyResource": strings(STAR_ONLY, "Actions that only work with Resource *.")},
)
def no_wildcards(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    star_ok = [str(a) for a in settings["actionsAllowedOnAnyResource"]]
    for where, statement in _allowed(args):
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
    # Identity policies only: in a key policy, Resource "*" means the key itself (the KMS rules judge those).
    for where, statement in _allowed(args):
        found = granted(statement, ["kms:Decrypt", "kms:ReEncryptFrom"])
        if found and (any_resource(statement) or any(r.endswith(":key/*") for r in resources_of(statement))):
            report(f"{where}: statement {_sid(statement)} allows {', '.join(found)} on all keys.")


@ResourceRule(
    name="iam-no-privilege-escalation",
    control=C107,
    types=POLICY_TYPES,
    description="IAM policies grant no privilege-escalation, credential or permission-management action on Resource *.",
    remediation="Scope iam:PassRole and similar actions to specific ARNs (with iam:PassedToService), or remove them.",
    enforcement=MANDATORY,
    url=f"{DOCS}/best-practices.html",
)
def no_escalation(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, statement in _allowed(args):
        if not any_resource(statement):
            continue
        risky = granted(statement, SENSITIVE_ACTIONS)
        if risky:
            report(
                f"{where}: statement {statement.get('Sid', '(no Sid)')} allows {', '.join(risky)} on Resource * "
                "(privilege escalation / credential exposure / permissions management)."
            )


@ResourceRule(
    name="iam-no-service-wide-actions-on-any-resource",
    control=C105,
    types=POLICY_TYPES,
    description="No IAM policy grants a whole service (ec2:*, or Allow with NotAction) on every resource: that is "
    "administrator access to the service.",
    remediation="List the actions the principal needs and the ARNs it needs them on.",
    enforcement=MANDATORY,
    url=f"{DOCS}/best-practices.html#grant-least-privilege",
)
def no_service_wide(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, statement in _allowed(args):
        wide = _service_wide(statement)
        if wide and any_resource(statement):
            report(f"{where}: statement {_sid(statement)} grants {', '.join(wide)} on every resource.")


@ResourceRule(
    name="iam-no-data-exfiltration-on-any-resource",
    control=C107,
    types=POLICY_TYPES,
    description="No IAM policy reads every secret, parameter or object (secretsmanager:GetSecretValue, "
    "ssm:GetParameter*, s3:GetObject on Resource *; Checkov's data-exfiltration set).",
    remediation="Scope the read to the ARNs of the secrets, parameters or buckets the principal uses.",
    enforcement=MANDATORY,
    config={"exfiltrationActions": strings(EXFILTRATION_ACTIONS, "Actions never allowed on every resource.")},
    url=f"{DOCS}/best-practices.html#grant-least-privilege",
)
def no_exfiltration(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    wanted = [str(a) for a in settings["exfiltrationActions"]]
    for where, statement in _allowed(args):
        found = granted(statement, wanted)
        if found and any_resource(statement):
            report(f"{where}: statement {_sid(statement)} allows {', '.join(found)} on every resource.")


# Actions that accept resource ARNs (Service Authorization Reference, Elastic Load Balancing V2 and Lambda: a
# resource type in the "Resource types" column), which ECS blue/green needs: its infrastructure role moves listener
# rules and registers targets, its hook role invokes the smoke test. AWS's own
# AmazonECSInfrastructureRolePolicyForLoadBalancers (v6, read 2026-12-03) scopes each to listener, listener-rule
# and target-group ARNs; only the Describe* reads need Resource "*".
RESOURCE_SCOPED_ACTIONS = [
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "lambda:InvokeFunction",
]


def _service_wide_resource(resource: str) -> bool:
    """`arn:aws:elasticloadbalancing:*:*:*`: every resource of one service, in any Region and account."""
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[3] in ("*", "") and parts[4] in ("*", "") and parts[5] == "*"


@ResourceRule(
    name="iam-resource-scoped-actions-not-on-any-resource",
    control=Control(
        id="P011",
        title="Actions with resource-level permissions name their resources",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=POLICY_TYPES,
    description="No identity policy grants an action that supports resource-level permissions (the ECS "
    "infrastructure role's elasticloadbalancing:ModifyListener, ModifyRule, RegisterTargets, DeregisterTargets; a "
    'hook role\'s lambda:InvokeFunction) on Resource "*", NotResource or every resource of the service.',
    remediation="List the ARNs: the production and test listener rules, both target groups, the hook function.",
    enforcement=MANDATORY,
    config={"resourceScopedActions": strings(RESOURCE_SCOPED_ACTIONS, "Actions never granted on every resource.")},
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html",
)
def resource_scoped_actions(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    wanted = [str(a) for a in settings["resourceScopedActions"]]
    for where, statement in _allowed(args):
        found = granted(statement, wanted)
        wide = any_resource(statement) or any(_service_wide_resource(r) for r in resources_of(statement))
        if found and wide:
            report(f"{where}: statement {_sid(statement)} allows {', '.join(found)} on every resource.")


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
    types=(ROLE, *ATTACHMENTS),
    inputs=("policyArn", "managedPolicyArns"),
    description="Roles, users and groups use customer managed policies only.",
    remediation="Write a least-privilege customer managed policy (components/iam.py) instead of the AWS managed one.",
    enforcement=MANDATORY,
    url=f"{DOCS}/access_policies_managed-vs-inline.html",
)
def no_aws_managed(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    # AWS managed policy ARNs are literals, always known at preview; an unknown ARN is one created in the stack.
    if args.resource_type in ATTACHMENTS:
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
    inputs=("assumeRolePolicy",),
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
    types=(ROLE, *INLINE_TYPES),
    inputs=("inlinePolicies",),
    description="Roles, users and groups carry no inline policies.",
    remediation="Move the statements to an aws.iam.Policy and attach it with aws.iam.RolePolicyAttachment.",
    enforcement=MANDATORY,
    url=f"{DOCS}/access_policies_managed-vs-inline.html",
)
def no_inline(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if args.resource_type in INLINE_TYPES:
        kind = args.resource_type.rsplit(":", 1)[-1]
        report(f"An inline policy (aws.iam.{kind}); use a customer managed policy and an attachment.")
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
