"""Lambda: supported runtimes, VPC attachment across zones, a declared log group, no public invocation (FSBP
Lambda.1, .2, .3, .5). The smoke-test hook of a blue/green release is such a function (issue #22)."""

from __future__ import annotations

from datetime import UTC, datetime

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import get, items, known, label, text
from .declare import (
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

if __name__.startswith("policies."):
    from policies.lambda_runtimes import READ_ON, SOURCE, lookup, supported
else:  # under the Pulumi CLI: policies/ is on sys.path and the rules are the top-level package `rules`
    from lambda_runtimes import READ_ON, SOURCE, lookup, supported  # type: ignore[import-not-found,no-redef]

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SUBNET = "aws:ec2/subnet:Subnet"
DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"
# Conditions that keep a Principal "*" statement to one account, source or organisation (AWS Control Tower
# CT.LAMBDA.PR.2: "When setting Principal to *, provide one of SourceAccount, SourceArn, or PrincipalOrgID").
RESTRICTING = ("sourceAccount", "sourceArn", "principalOrgId")


def today() -> datetime:
    """The day the rule judges on: a runtime deprecated since the list was read fails without a code change."""
    return datetime.now(UTC)


@ResourceRule(
    name="lambda-runtime-supported",
    control=Control(
        id="C118",
        title="Lambda functions use supported runtimes",
        severity=Severity.MEDIUM,
        fsbp="Lambda.2",
        cdk_nag=("AwsSolutions-L1",),
    ),
    types=[FUNCTION],
    inputs=("runtime", "packageType"),
    description="Lambda functions run a runtime AWS still supports (not deprecated on the day of the check); an "
    f"identifier missing from policies/lambda_runtimes.py (source: {SOURCE}) fails as unknown.",
    remediation="Set runtime to a supported identifier (for Python: python3.13 or python3.14); keep "
    "policies/lambda_runtimes.py current with AWS's runtimes page.",
    enforcement=MANDATORY,
    url=f"{DOCS}/lambda-runtimes.html",
)
def runtime_supported(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "packageType", default="Zip")).lower() == "image":
        args.not_applicable(
            "Container image function: the runtime is the image's (Lambda.2 ignores package type Image)."
        )
    runtime = get(args.props, "runtime")
    if runtime in (None, ""):
        report("runtime is not set: a .zip function needs a runtime identifier.")
        return
    found = lookup(str(runtime))
    day = today().date()
    if found is None:
        close = lookup(str(runtime).strip().lower())
        hint = f" (Lambda spells it {close.identifier!r})" if close else ""
        report(
            f"runtime {text(runtime)!r} is not a runtime identifier known to policies/lambda_runtimes.py (read "
            f"{READ_ON.isoformat()}){hint}: it cannot be shown to be supported."
        )
    elif not found.supported_on(day):
        newer = ", ".join(supported(day)[:4])
        note = f" ({found.note})" if found.note else ""
        report(f"runtime {found.identifier} is deprecated since {found.deprecated_on.isoformat()}{note}; use {newer}.")


@ResourceRule(
    name="lambda-in-vpc",
    control=Control(
        id="C119",
        title="Lambda functions are in a VPC",
        severity=Severity.LOW,
        fsbp="Lambda.3",
        fsbp_status=FsbpStatus.NOT_FSBP,
        checkov=("CKV_AWS_117",),
    ),
    types=[FUNCTION],
    inputs=("vpcConfig.subnetIds", "vpcConfig.securityGroupIds"),
    description="Lambda functions are attached to the VPC (subnets and a security group of their own), so their "
    "traffic is subject to the VPC's security groups, routes and flow logs.",
    remediation="Set vpc_config with private subnet_ids and security_group_ids.",
    enforcement=MANDATORY,
)
def in_vpc(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    config = get(args.props, "vpcConfig")
    if not items(get(config, "subnetIds")):
        report("vpcConfig.subnetIds is empty: the function is not attached to the VPC.")
    if not items(get(config, "securityGroupIds")):
        report("vpcConfig.securityGroupIds is empty: the function has no security group of its own.")


@StackRule(
    name="lambda-vpc-multi-az",
    control=Control(
        id="C120",
        title="VPC Lambda functions use more than one Availability Zone",
        severity=Severity.MEDIUM,
        fsbp="Lambda.5",
    ),
    types=[FUNCTION],
    description="A VPC-attached function's subnets lie in at least two distinct Availability Zones (subnets are "
    "joined to the stack's aws:ec2/subnet resources; a subnet the stack does not declare cannot show its zone).",
    remediation="Pass private subnets of at least two Availability Zones in vpc_config.subnet_ids.",
    enforcement=MANDATORY,
)
def vpc_multi_az(stack: StackView, report: ReportViolation, _: Settings) -> None:
    subnets = stack.of_type(SUBNET)
    for function in stack.of_type(FUNCTION):
        listed = items(known(function.props, "vpcConfig", "subnetIds"))
        if not listed and not function.property_dependencies.get("vpcConfig"):
            continue  # not VPC-attached: lambda-in-vpc reports it
        placed = [s for s in subnets if stack.references(function, "vpcConfig.subnetIds", s)]
        zones = {str(known(s.props, "availabilityZone") or known(s.props, "availabilityZoneId") or "") for s in placed}
        zones.discard("")
        if len(placed) < len(listed):
            report(
                f"{label(function)}: {len(listed) - len(placed)} subnet(s) are not declared in the stack, so "
                "their Availability Zones are unknown.",
                function.urn,
            )
        elif len(zones) < 2:
            report(
                f"{label(function)} runs in {len(zones)} Availability Zone(s) ({', '.join(sorted(zones)) or '-'}).",
                function.urn,
            )


def log_group_of(stack: StackView, function: PolicyResource) -> tuple[PolicyResource | None, str]:
    """The log group the function writes to, and how it was found: `loggingConfig.logGroup` when set (a reference
    to a declared group, or its name), else Lambda's default group `/aws/lambda/<function name>`."""
    groups = stack.of_type(LOG_GROUP)
    named = known(function.props, "loggingConfig", "logGroup")
    if named or function.property_dependencies.get("loggingConfig"):
        found = [g for g in groups if stack.references(function, "loggingConfig.logGroup", g)]
        return (found[0] if len(found) == 1 else None), f"loggingConfig.logGroup {text(named or '(unknown)')}"
    name = known(function.props, "name")
    default = f"/aws/lambda/{name}" if name else "/aws/lambda/<function name>"
    found = [
        g
        for g in groups
        if (name and known(g.props, "name") == default)
        or any(d.urn == function.urn for d in g.property_dependencies.get("name", []))
    ]
    return (found[0] if len(found) == 1 else None), f"default log group {default}"


@StackRule(
    name="lambda-log-group-retention-kms",
    control=Control(
        id="P005",
        title="Lambda logs go to a declared log group with retention and a KMS key",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[FUNCTION],
    description="Each function's log group (loggingConfig.logGroup, or Lambda's default /aws/lambda/<name>) is "
    "declared in the stack with a retention and a customer managed KMS key. Undeclared, Lambda creates the default "
    "group on first invocation with no retention and no customer managed key, outside every other log rule.",
    remediation="Declare the log group (components/logs.py encrypted_log_group) and pass its name as "
    "logging_config.log_group (log_format JSON).",
    enforcement=MANDATORY,
    url=f"{DOCS}/monitoring-cloudwatchlogs-loggroups.html",
)
def log_group(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for function in stack.of_type(FUNCTION):
        group, how = log_group_of(stack, function)
        if group is None:
            report(
                f"{label(function)}: its {how} is not declared in the stack; Lambda would create it with no "
                "retention and no customer managed key.",
                function.urn,
            )
            continue
        if known(group.props, "retentionInDays") is None:
            report(f"{label(function)}: {label(group)} ({how}) has no retentionInDays.", function.urn)
        if not known(group.props, "kmsKeyId"):
            report(f"{label(function)}: {label(group)} ({how}) has no kmsKeyId.", function.urn)


@ResourceRule(
    name="lambda-not-public",
    control=Control(
        id="C117",
        title="Lambda function policies prohibit public access",
        severity=Severity.CRITICAL,
        fsbp="Lambda.1",
        checkov=("CKV_AWS_258",),
    ),
    types=[PERMISSION, FUNCTION_URL],
    inputs=("principal", "functionUrlAuthType", "authorizationType"),
    description="No resource-based permission lets everyone invoke a function (Principal * without SourceAccount, "
    "SourceArn or PrincipalOrgID; S3 without SourceAccount), and no function URL is unauthenticated (AuthType NONE "
    "requires such a public permission).",
    remediation="Name the invoking service or account with source_arn/source_account, or principal_org_id; give "
    "function URLs authorization_type='AWS_IAM'.",
    enforcement=MANDATORY,
)
def not_public(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    props = args.props
    if args.resource_type == FUNCTION_URL:
        auth = str(get(props, "authorizationType", default="(unset)"))
        if auth != "AWS_IAM":
            report(f"authorizationType is {auth}: the function URL is not protected by IAM (only AWS_IAM is).")
        return
    principal = str(get(props, "principal", default="")).strip()
    restricted = [k for k in RESTRICTING if get(props, k) not in (None, "")]
    if str(get(props, "functionUrlAuthType", default="")).upper() == "NONE":
        report("functionUrlAuthType is NONE: anyone can call the function's URL.")
    if principal in ("*", "AWS:*") and not restricted:
        report(f"principal {principal} without {', '.join(RESTRICTING)}: anyone can invoke the function.")
    elif principal.lower() == "s3.amazonaws.com" and "sourceAccount" not in restricted:
        report("principal s3.amazonaws.com without sourceAccount: a bucket in any account can invoke the function.")


POLICIES: list[Policy] = declared(__name__)
