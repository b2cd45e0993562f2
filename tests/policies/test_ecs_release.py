"""Blue/green, canary and linear rules on the recorded api service, turned into a traffic-shifting service the way
pulumi-aws 7.51 records one (`deploymentConfiguration.strategy`, `loadBalancers[].advancedConfiguration`,
lifecycle hooks; bake times are strings), with the two roles ECS assumes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.plan import Plan
from tests.policies.support import Case, both, drop, put, record, reference

SERVICE, ROLE = "aws:ecs/service:Service", "aws:iam/role:Role"
ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012"
HOOK = "arn:aws:lambda:eu-west-1:123456789012:function:smoke-test"
TRUST = {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}


def blue_green(inputs: dict[str, Any], strategy: str = "BLUE_GREEN") -> None:
    """The api service as a traffic-shifting service with its hook on test traffic."""
    inputs["deploymentConfiguration"] = {
        "strategy": strategy,
        "bakeTimeInMinutes": "15",
        "lifecycleHooks": [
            {
                "hookTargetArn": HOOK,
                "roleArn": "arn:aws:iam::123456789012:role/smoke-test-invoke",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                "hookDetails": json.dumps({"paths": ["/health"]}),
            }
        ],
    }
    inputs["loadBalancers"][0]["advancedConfiguration"] = {
        "alternateTargetGroupArn": f"{ARN}:targetgroup/api-green/1",
        "productionListenerRule": f"{ARN}:listener-rule/app/alb/1/2/3",
        "testListenerRule": f"{ARN}:listener-rule/app/alb/1/4/5",
        "roleArn": "arn:aws:iam::123456789012:role/ecs-infrastructure",
    }


def canary(inputs: dict[str, Any]) -> None:
    blue_green(inputs, "CANARY")
    inputs["deploymentConfiguration"]["canaryConfiguration"] = {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"}


def linear(inputs: dict[str, Any]) -> None:
    blue_green(inputs, "LINEAR")
    inputs["deploymentConfiguration"]["linearConfiguration"] = {"stepPercent": 20.0, "stepBakeTimeInMinutes": "5"}


def with_roles(**trust: dict[str, Any]) -> Plan:
    """The blue/green api service joined to its infrastructure and hook roles (trusts default to ECS only)."""
    plan = reference()
    service = plan.one(SERVICE)
    blue_green(service.inputs)
    roles = {}
    for name, key in (("ecs-infrastructure", "loadBalancers"), ("smoke-test-invoke", "deploymentConfiguration")):
        statement = trust.get(name.replace("-", "_"), TRUST)
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        roles[name] = record(ROLE, name, {"assumeRolePolicy": policy})
        service.property_dependencies.setdefault(key, []).append(roles[name].urn)
    # The production render now holds the real hook's invoke role: the stand-ins replace it.
    plan.resources = [r for r in plan.resources if not (r.type == ROLE and r.name in roles)]
    plan.resources.extend(roles.values())
    return plan


STRATEGY, ALARMS, BAKE = "ecs-service-release-strategy-wiring", "ecs-service-deployment-alarms", "ecs-service-bake-time"
TRUSTS = "ecs-role-trusts-only-ecs"
ADVANCED = "loadBalancers.0.advancedConfiguration"
# Rolling spelled out: the recorded api service's own strategy is whatever the production preset says.
ROLLING = put("deploymentConfiguration", {"strategy": "ROLLING"})
CASES = [
    Case(STRATEGY, SERVICE, None, ROLLING, "not-applicable"),
    Case(STRATEGY, SERVICE, None, blue_green, "pass"),
    Case(STRATEGY, SERVICE, None, canary, "pass"),
    Case(STRATEGY, SERVICE, None, linear, "pass"),
    Case(STRATEGY, SERVICE, None, both(blue_green, drop(ADVANCED)), "violation", contains="advancedConfiguration"),
    Case(STRATEGY, SERVICE, None, both(blue_green, drop(f"{ADVANCED}.roleArn")), "violation", contains="roleArn"),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(blue_green, drop(f"{ADVANCED}.testListenerRule")),
        "violation",
        contains="testListenerRule",
    ),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(
            blue_green,
            lambda i: i["loadBalancers"][0]["advancedConfiguration"].update(
                alternateTargetGroupArn=i["loadBalancers"][0]["targetGroupArn"]
            ),
        ),
        "violation",
        contains="primary target group",
    ),
    # Spelled another way, the strategy is still judged (and the spelling reported); an unknown one fails.
    Case(STRATEGY, SERVICE, None, lambda i: blue_green(i, "blue_green"), "violation", contains="not spelled"),
    Case(STRATEGY, SERVICE, None, both(lambda i: blue_green(i, "blue-green"), drop(ADVANCED)), "violation"),
    Case(STRATEGY, SERVICE, None, lambda i: blue_green(i, "BLUEGREEN"), "violation", contains="not one of"),
    Case(STRATEGY, SERVICE, None, lambda i: blue_green(i, "CANARY"), "violation", contains="canaryConfiguration"),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(linear, put("deploymentConfiguration.linearConfiguration.stepPercent", 2.0)),
        "violation",
        contains="3-100",
    ),
    Case(STRATEGY, SERVICE, None, both(blue_green, put("loadBalancers", [])), "violation", contains="web service"),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(canary, put("deploymentConfiguration.canaryConfiguration.canaryPercent", 2.55)),
        "violation",
        contains="multiple of 0.1",
    ),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(linear, put("deploymentConfiguration.linearConfiguration.stepPercent", 12.25)),
        "violation",
        contains="multiple of 0.1",
    ),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(blue_green, put("deploymentController", {"type": "CODE_DEPLOY"})),
        "violation",
        contains="ECS controller",
    ),
    Case(
        STRATEGY,
        SERVICE,
        None,
        both(blue_green, drop("deploymentConfiguration.lifecycleHooks.0.roleArn")),
        "violation",
    ),
    Case(ALARMS, SERVICE, None, ROLLING, "not-applicable"),
    Case(ALARMS, SERVICE, None, blue_green, "pass"),
    Case(ALARMS, SERVICE, None, both(canary, put("alarms.rollback", False)), "violation"),
    Case(ALARMS, SERVICE, None, both(linear, drop("alarms")), "violation"),
    Case(ALARMS, SERVICE, None, both(lambda i: blue_green(i, "Blue_Green"), drop("alarms")), "violation"),
    Case(BAKE, SERVICE, None, ROLLING, "not-applicable"),
    Case(BAKE, SERVICE, None, blue_green, "pass"),
    Case(BAKE, SERVICE, None, both(blue_green, drop("deploymentConfiguration.bakeTimeInMinutes")), "violation"),
    Case(BAKE, SERVICE, None, both(canary, put("deploymentConfiguration.bakeTimeInMinutes", "0")), "violation"),
    Case(BAKE, SERVICE, None, both(linear, put("deploymentConfiguration.bakeTimeInMinutes", "soon")), "violation"),
    Case(
        BAKE,
        SERVICE,
        None,
        both(blue_green, put("deploymentConfiguration.bakeTimeInMinutes", "5")),
        "pass",
        config={"minimumBakeMinutes": 5},
    ),
    Case(TRUSTS, ROLE, "ecs-infrastructure", None, "pass", build=with_roles),
    Case(TRUSTS, ROLE, "smoke-test-invoke", None, "pass", build=with_roles),
    Case(
        TRUSTS,
        ROLE,
        "ecs-infrastructure",
        None,
        "violation",
        build=lambda: with_roles(ecs_infrastructure={**TRUST, "Principal": {"Service": "ecs-tasks.amazonaws.com"}}),
        contains="ecs-tasks.amazonaws.com",
    ),
    Case(
        TRUSTS,
        ROLE,
        "smoke-test-invoke",
        None,
        "violation",
        build=lambda: with_roles(
            smoke_test_invoke={**TRUST, "Principal": {"Service": ["ecs.amazonaws.com", "lambda.amazonaws.com"]}}
        ),
        contains="lambda.amazonaws.com",
    ),
    Case(
        TRUSTS,
        ROLE,
        "ecs-infrastructure",
        None,
        "violation",
        build=lambda: with_roles(ecs_infrastructure={**TRUST, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}),
    ),
    Case(
        TRUSTS,
        ROLE,
        "smoke-test-invoke",
        None,
        "violation",
        build=lambda: with_roles(smoke_test_invoke={**TRUST, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def test_a_role_that_trusts_ecs_is_judged_even_when_no_service_names_it() -> None:
    """Another resource shape: the role is declared but joined to nothing; its trust still names ECS."""
    plan = reference()
    statement = {**TRUST, "Principal": {"Service": ["ecs.amazonaws.com", "ec2.amazonaws.com"]}}
    plan.resources.append(record(ROLE, "stray", {"assumeRolePolicy": json.dumps({"Statement": [statement]})}))
    case = Case(TRUSTS, ROLE, "stray", None, "violation", build=lambda: plan, contains="ec2.amazonaws.com")
    case.run()
