"""ECS native blue/green, canary and linear deployments (issue #22): the wiring AWS requires, failure detection
still in force, a bake time, and the roles ECS assumes to shift traffic and run lifecycle hooks.

Sources (read 2026-12-03):
- Required resources: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-implementation.html
  (deployment controller ECS; an alternate target group, a production listener rule and, for test traffic, a test
  listener rule through `loadBalancers[].advancedConfiguration`, with the infrastructure role).
- Failure detection: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html
  ("Both methods [circuit breaker, CloudWatch alarms] only support rolling update deployment and blue/green
  deployment types").
- Value ranges: pulumi-aws 7.51 `ServiceDeploymentConfiguration*Args` (from the ECS API): bake times 0-1440 minutes,
  canary percent 0.1-100, linear step percent 3-100; `canary_configuration`/`linear_configuration` required with
  their strategy. The ECS API reference (CanaryConfiguration, LinearConfiguration) adds: both percentages in
  multiples of 0.1.
- Infrastructure role trust: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
  (Principal Service ecs.amazonaws.com, Action sts:AssumeRole).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import document, get, is_true, items, known, label, number, principals, statements, text
from .declare import (
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

SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide"
STRATEGIES = ("ROLLING", "BLUE_GREEN", "LINEAR", "CANARY")
SHIFTING = ("BLUE_GREEN", "LINEAR", "CANARY")
TEST_STAGES = ("TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT")
ECS_PRINCIPAL = "Service:ecs.amazonaws.com"
# (input path under deploymentConfiguration, low, high): the ranges ECS accepts.
RANGES = (
    (("bakeTimeInMinutes",), 0, 1440),
    (("canaryConfiguration", "canaryBakeTimeInMinutes"), 0, 1440),
    (("canaryConfiguration", "canaryPercent"), 0.1, 100),
    (("linearConfiguration", "stepBakeTimeInMinutes"), 0, 1440),
    (("linearConfiguration", "stepPercent"), 3, 100),
)


def strategy_of(props: Any) -> tuple[str, str]:
    """(strategy as ECS names it, as written). Case and `-`/`_` are normalised so `blue_green` is still judged as
    BLUE_GREEN (the spelling itself is reported by the wiring rule); unset is ROLLING, ECS's default."""
    raw = get(props, "deploymentConfiguration", "strategy", default="ROLLING")
    return str(raw).strip().upper().replace("-", "_"), str(raw)


def shifting(args: ResourceValidationArgs) -> str:
    """The traffic-shifting strategy of an ECS-controlled service; not applicable otherwise."""
    controller = str(get(args.props, "deploymentController", "type", default="ECS")).upper()
    strategy, _ = strategy_of(args.props)
    if controller != "ECS":
        args.not_applicable(f"Deployment controller {controller}: ECS deployment strategies need the ECS controller.")
    if strategy == "ROLLING":
        args.not_applicable("Rolling update: no traffic shifting (the circuit breaker rule judges it).")
    return strategy


def _strategy_findings(props: Any) -> list[str]:
    strategy, written = strategy_of(props)
    controller = str(get(props, "deploymentController", "type", default="ECS")).upper()
    found = []
    if strategy not in STRATEGIES:
        found.append(f"deploymentConfiguration.strategy {written!r} is not one of {', '.join(STRATEGIES)}.")
    elif written != strategy:
        found.append(f"deploymentConfiguration.strategy {written!r} is not spelled as ECS accepts ({strategy}).")
    if controller != "ECS":
        found.append(f"deploymentController.type is {controller}: {strategy} deployments need the ECS controller.")
    if strategy in ("CANARY", "LINEAR"):
        block = f"{strategy.lower()}Configuration"
        if get(props, "deploymentConfiguration", block) is None:
            found.append(f"deploymentConfiguration.{block} is not set: ECS requires it with strategy {strategy}.")
    config = get(props, "deploymentConfiguration")
    for path, low, high in RANGES:
        value = get(config, *path)
        if value is not None and not (isinstance(n := number(value), float) and low <= n <= high):
            found.append(f"deploymentConfiguration.{'.'.join(path)} is {text(value)}; ECS accepts {low}-{high}.")
    for block, key in (("canaryConfiguration", "canaryPercent"), ("linearConfiguration", "stepPercent")):
        percent = number(get(config, block, key))
        if percent is not None and abs(percent * 10 - round(percent * 10)) > 1e-6:
            found.append(f"{block}.{key} {text(percent)} is not a multiple of 0.1, as ECS requires.")
    return found


def _load_balancer_findings(props: Any, test_traffic: bool) -> list[str]:
    balancers = [b for b in items(get(props, "loadBalancers")) if isinstance(b, Mapping)]
    if not balancers:
        return ["no loadBalancers: traffic cannot shift (a non-rolling strategy needs a web service)."]
    found = []
    for i, balancer in enumerate(balancers):
        advanced = get(balancer, "advancedConfiguration")
        where = f"loadBalancers[{i}].advancedConfiguration"
        if advanced is None:
            found.append(f"{where} is not set: ECS has no alternate target group, listener rule or role.")
            continue
        for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
            if get(advanced, key) in (None, ""):
                found.append(f"{where}.{key} is not set.")
        if test_traffic and get(advanced, "testListenerRule") in (None, ""):
            found.append(f"{where}.testListenerRule is not set, yet a lifecycle hook runs on test traffic.")
        primary, alternate = get(balancer, "targetGroupArn"), get(advanced, "alternateTargetGroupArn")
        if primary and primary == alternate:
            found.append(f"{where}.alternateTargetGroupArn is the primary target group.")
    return found


def _hook_findings(hooks: list[Any]) -> list[str]:
    found = []
    for i, hook in enumerate(hooks):
        if str(get(hook, "targetType", default="AWS_LAMBDA")).upper() != "AWS_LAMBDA":
            continue
        for key in ("hookTargetArn", "roleArn"):
            if get(hook, key) in (None, ""):
                found.append(f"deploymentConfiguration.lifecycleHooks[{i}].{key} is not set.")
        if not items(get(hook, "lifecycleStages")):
            found.append(f"deploymentConfiguration.lifecycleHooks[{i}].lifecycleStages is empty.")
    return found


@ResourceRule(
    name="ecs-service-release-strategy-wiring",
    control=Control(
        id="P006",
        title="Blue/green, canary and linear services carry the wiring ECS requires",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SERVICE],
    inputs=("deploymentConfiguration.strategy", "deploymentController.type", "loadBalancers"),
    description="A service whose deploymentConfiguration.strategy is BLUE_GREEN, CANARY or LINEAR uses the ECS "
    "controller and, on every load balancer, advancedConfiguration with an alternate target group (not the primary), "
    "the production listener rule and the infrastructure role, plus the test listener rule when a lifecycle hook "
    "runs on test traffic; canary and linear carry their configuration; every value lies in ECS's range; an "
    "unknown strategy fails.",
    remediation="Declare the alternate target group and listener rules, and set "
    "load_balancers[].advanced_configuration (alternate_target_group_arn, production_listener_rule, "
    "test_listener_rule, role_arn).",
    enforcement=MANDATORY,
    url=f"{DOCS}/blue-green-deployment-implementation.html",
)
def strategy_wiring(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    strategy, written = strategy_of(args.props)
    if strategy == "ROLLING" and written == "ROLLING":
        args.not_applicable("Rolling update: no alternate target group or listener rules are needed.")
    hooks = items(get(args.props, "deploymentConfiguration", "lifecycleHooks"))
    test_traffic = any(str(s).upper() in TEST_STAGES for h in hooks for s in items(get(h, "lifecycleStages")))
    findings = _strategy_findings(args.props)
    if strategy in SHIFTING:
        findings += _load_balancer_findings(args.props, test_traffic) + _hook_findings(hooks)
    for finding in findings:
        report(finding)


@ResourceRule(
    name="ecs-service-deployment-alarms",
    control=Control(
        id="P007",
        title="Traffic-shifting deployments stop and roll back on alarms",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SERVICE],
    inputs=("alarms.enable", "alarms.rollback", "alarms.alarmNames", "deploymentConfiguration.strategy"),
    description="A blue/green, canary or linear service keeps deployment alarms on with rollback (ECS watches them "
    "through the bake time and rolls back when one fires); the circuit breaker rule judges the breaker.",
    remediation="Set alarms={'alarm_names': [...], 'enable': True, 'rollback': True}.",
    enforcement=MANDATORY,
    url=f"{DOCS}/deployment-alarm-failure.html",
)
def deployment_alarms(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    strategy = shifting(args)
    alarms = get(args.props, "alarms")
    if not is_true(get(alarms, "enable")):
        report(f"{strategy}: alarms.enable is not true, so no alarm can fail the deployment.")
    if not is_true(get(alarms, "rollback")):
        report(f"{strategy}: alarms.rollback is not true, so a failed deployment is not undone.")
    if not items(get(alarms, "alarmNames")):
        report(f"{strategy}: alarms.alarmNames is empty.")


@ResourceRule(
    name="ecs-service-bake-time",
    control=Control(
        id="P008",
        title="Traffic-shifting deployments keep a bake time",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SERVICE],
    inputs=("deploymentConfiguration.bakeTimeInMinutes", "deploymentConfiguration.strategy"),
    description="A blue/green, canary or linear service keeps the old revision for a bake time after production "
    "traffic has moved, so an alarm can still roll back to it without a new deployment.",
    remediation="Set deployment_configuration.bake_time_in_minutes (the release section's bakeMinutes) to at least "
    "the configured minimum.",
    enforcement=MANDATORY,
    config={"minimumBakeMinutes": integer(10, "Minimum bake time of a traffic-shifting deployment, in minutes.", 1)},
    url=f"{DOCS}/deployment-type-blue-green.html",
)
def bake_time(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    strategy = shifting(args)
    minimum = int(settings["minimumBakeMinutes"])
    value = get(args.props, "deploymentConfiguration", "bakeTimeInMinutes")
    minutes = number(value)
    if value is None:
        report(f"{strategy}: deploymentConfiguration.bakeTimeInMinutes is not set; at least {minimum} is required.")
    elif minutes is None or minutes < minimum:
        report(f"{strategy}: bakeTimeInMinutes is {text(value)}; at least {minimum} is required.")


def ecs_assumed_roles(stack: StackView) -> dict[str, tuple[PolicyResource, str]]:
    """Roles ECS itself assumes, by URN: the infrastructure role of a service's load balancers, a lifecycle hook's
    role (joined through the service's inputs), and any role whose trust policy names ecs.amazonaws.com."""
    found: dict[str, tuple[PolicyResource, str]] = {}
    for role in stack.of_type(ROLE):
        trust = document(known(role.props, "assumeRolePolicy"))
        if any(ECS_PRINCIPAL in principals(s) for s in statements(trust)):
            found[role.urn] = (role, "its trust policy names ecs.amazonaws.com")
    for service in stack.of_type(SERVICE):
        for prop, why in (
            ("loadBalancers", "load balancer infrastructure role"),
            ("deploymentConfiguration", "lifecycle hook role"),
        ):
            for dep in service.property_dependencies.get(prop, []):
                if dep.resource_type == ROLE:
                    found[dep.urn] = (dep, f"the {why} of {label(service)}")
    return found


def trust_findings(role: PolicyResource) -> list[str]:
    """What in a trust policy lets anyone but ECS assume the role."""
    doc = document(known(role.props, "assumeRolePolicy"))
    allows = [s for s in statements(doc) if str(s.get("Effect", "Allow")).lower() == "allow"]
    if not allows:
        return ["its trust policy has no Allow statement for ecs.amazonaws.com."]
    found = []
    for statement in allows:
        sid = statement.get("Sid", "(no Sid)")
        others = [p for p in principals(statement) if p != ECS_PRINCIPAL]
        if "NotPrincipal" in statement or not principals(statement):
            found.append(f"statement {sid} trusts every principal but some (NotPrincipal) or none named.")
        if others:
            found.append(f"statement {sid} also trusts {', '.join(others)}.")
        unexpected = [str(a) for a in items(statement.get("Action")) if str(a) != "sts:AssumeRole"]
        if unexpected or "NotAction" in statement:
            found.append(f"statement {sid} allows {', '.join(unexpected) or 'NotAction'} besides sts:AssumeRole.")
    return found


@StackRule(
    name="ecs-role-trusts-only-ecs",
    control=Control(
        id="P009",
        title="Roles ECS assumes trust only ecs.amazonaws.com",
        severity=Severity.HIGH,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[ROLE],
    description="The infrastructure role ECS uses to move listener rules and register targets, and the role it "
    "uses to invoke lifecycle hooks, trust exactly the service principal ecs.amazonaws.com with sts:AssumeRole "
    "(not ecs-tasks.amazonaws.com, no other service or account): whoever else assumes them can move production "
    "traffic.",
    remediation="Give the role the trust policy Principal {'Service': 'ecs.amazonaws.com'}, Action sts:AssumeRole "
    "(with an aws:SourceAccount condition), and nothing else.",
    enforcement=MANDATORY,
    url=f"{DOCS}/AmazonECSInfrastructureRolePolicyForLoadBalancers.html",
)
def role_trust(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for role, why in ecs_assumed_roles(stack).values():
        for finding in trust_findings(role):
            report(f"{label(role)} ({why}): {finding}", role.urn)


POLICIES: list[Policy] = declared(__name__)
