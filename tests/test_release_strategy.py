"""Issue #22, AWS wiring: ReleaseStrategy and the deployment configuration it becomes; in rendered plans the
alternate target group, the weighted production rule, the test listener and its rule, the advanced
configuration, the least-privilege ECS infrastructure role, what ECS owns (ignoreChanges), the circuit breaker and
alarms kept, and staging still rolling."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.base import AwsContext
from components.container_service import (
    ContainerServiceArgs,
    Scaling,
    alternate_target_group_name,
    release_of,
)
from components.logs import LogSettings
from components.release_strategy import LifecycleHook, ReleaseStrategy, deployment_configuration
from offline.plan import Plan, ResourceRecord
from offline.render import render
from tests.helpers import policy, rendered, stack_services

TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER = "aws:lb/listener:Listener"
SERVICE = "aws:ecs/service:Service"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@functools.cache
def linear_plan() -> Plan:
    """Staging with its api released linearly by CI behind a public ALB (the origin-header mode)."""
    services = stack_services("staging")
    services["api"] |= {
        "deployOwner": "ci",
        "deployment": {"minimumHealthyPercent": 100},
        "release": {
            "strategy": "linear",
            "bakeMinutes": 7,
            "linear": {"stepPercent": 12.5, "intervalMinutes": 4},
            "smokeTest": {"paths": ["/", "/version"]},
        },
    }
    edge = {"originMode": "publicAlb", "wafEnabled": False}
    return render(
        "staging", overrides={"app-platform:services": json.dumps(services), "app-platform:edge": json.dumps(edge)}
    )


def service_inputs(plan: Plan, name: str) -> dict[str, Any]:
    return plan.one(SERVICE, name).inputs


def strategy_block(plan: Plan, name: str) -> dict[str, Any]:
    """The service's deploymentConfiguration without its lifecycle hooks (checked on their own below)."""
    block = dict(service_inputs(plan, name)["deploymentConfiguration"])
    assert len(block.pop("lifecycleHooks")) == 1
    return block


def without_names(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if k != "tags"}


# -- the strategy as data --------------------------------------------------------------------------------------
def test_deployment_configuration_per_strategy() -> None:
    hook = LifecycleHook("arn:aws:lambda:eu-west-1:1:function:smoke", "arn:aws:iam::1:role/invoke", '{"paths": ["/"]}')
    assert deployment_configuration(ReleaseStrategy()) is None  # rolling: ECS's default, nothing declared
    assert deployment_configuration(ReleaseStrategy("blue_green", bake_minutes=15, hooks=[hook])) == {
        "strategy": "BLUE_GREEN",
        "bake_time_in_minutes": "15",
        "lifecycle_hooks": [
            {
                "hook_target_arn": "arn:aws:lambda:eu-west-1:1:function:smoke",
                "role_arn": "arn:aws:iam::1:role/invoke",
                "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
                "target_type": "AWS_LAMBDA",
                "hook_details": '{"paths": ["/"]}',
            }
        ],
    }
    canary = ReleaseStrategy("canary", bake_minutes=0, canary_percent=0.1, canary_interval_minutes=1440)
    assert deployment_configuration(canary) == {
        "strategy": "CANARY",
        "bake_time_in_minutes": "0",
        "canary_configuration": {"canary_percent": 0.1, "canary_bake_time_in_minutes": "1440"},
    }
    linear = ReleaseStrategy("linear", bake_minutes=1440, linear_step_percent=100.0, linear_interval_minutes=0)
    assert deployment_configuration(linear) == {
        "strategy": "LINEAR",
        "bake_time_in_minutes": "1440",
        "linear_configuration": {"step_percent": 100.0, "step_bake_time_in_minutes": "0"},
    }


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"strategy": "blue_green"}, "needs bake_minutes"),
        ({"strategy": "blue_green", "bake_minutes": 1441}, "bake_minutes 1441 outside 0..1440"),
        ({"strategy": "blue_green", "bake_minutes": -1}, "outside 0..1440"),
        ({"strategy": "rolling", "bake_minutes": 5}, "apply to blue_green, canary and linear only"),
        ({"strategy": "canary", "bake_minutes": 5, "canary_percent": 10.0}, "needs both canary settings"),
        (
            {"strategy": "canary", "bake_minutes": 5, "canary_percent": 0.05, "canary_interval_minutes": 5},
            "canary_percent 0.05",
        ),
        (
            {"strategy": "linear", "bake_minutes": 5, "linear_step_percent": 2.9, "linear_interval_minutes": 5},
            "linear_step_percent 2.9",
        ),
        (
            {"strategy": "linear", "bake_minutes": 5, "linear_step_percent": 10.0, "linear_interval_minutes": 1441},
            "linear_interval_minutes 1441",
        ),
        (
            {"strategy": "blue_green", "bake_minutes": 5, "linear_step_percent": 10.0},
            "linear settings apply to strategy linear only",
        ),
    ],
)
def test_release_strategy_refuses_what_ecs_refuses(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says.replace(".", r"\.")):
        ReleaseStrategy(**fields)


@settings(max_examples=60)
@given(percent=st.integers(-10, 1010).map(lambda tenths: tenths / 10), minutes=st.integers(-5, 1500))
def test_canary_values_are_accepted_exactly_within_aws_ranges(percent: float, minutes: int) -> None:
    fields = {"canary_percent": percent, "canary_interval_minutes": minutes}
    if 0.1 <= percent <= 100 and 0 <= minutes <= 1440:
        block = deployment_configuration(ReleaseStrategy("canary", bake_minutes=1, **fields))
        assert block is not None
        assert block["canary_configuration"] == {"canary_percent": percent, "canary_bake_time_in_minutes": str(minutes)}
    else:
        with pytest.raises(ValueError, match="release strategy canary"):
            ReleaseStrategy("canary", bake_minutes=1, **fields)


def test_a_lifecycle_hook_needs_a_stage() -> None:
    with pytest.raises(ValueError, match="at least one stage"):
        LifecycleHook("arn:fn", "arn:role", stages=())


def test_alternate_target_group_names_fit_the_32_character_limit() -> None:
    longest = "s" * 20  # infra/config/model.py: service names have at most 20 characters
    assert alternate_target_group_name(longest) == f"{longest}-alt"
    assert len(alternate_target_group_name(longest)) + len("-0123456") == 32
    with pytest.raises(ValueError, match="AWS allows 32"):
        alternate_target_group_name("s" * 21)


def test_a_worker_cannot_release_blue_green() -> None:
    args = ContainerServiceArgs(
        context=AwsContext("123456789012", "eu-west-1"),
        tags={},
        cluster_arn="arn:cluster",
        cluster_name="cluster",
        vpc_id="vpc-1",
        subnet_ids=["subnet-1"],
        image_ref="image@sha256:0",
        family="worker",
        cpu=256,
        memory=512,
        desired_count=1,
        scaling=Scaling(1, 2),
        logs=LogSettings("arn:key", 30, 365),
        release=ReleaseStrategy("blue_green", bake_minutes=5),
    )
    with pytest.raises(ValueError, match="a worker only rolls"):
        release_of(args)


# -- production: blue/green ------------------------------------------------------------------------------------
def test_the_alternate_target_group_copies_the_primary(production_plan: Plan) -> None:
    primary, alternate = production_plan.one(TG, "api"), production_plan.one(TG, "api-alt")
    assert without_names(primary.inputs) == without_names(alternate.inputs)
    assert alternate.inputs["healthCheck"]["path"] == "/health" and alternate.inputs["targetType"] == "ip"
    assert alternate.inputs["tags"]["Name"] == "api-alt" and alternate.inputs["tags"]["Environment"] == "production"


def test_the_test_listener_mirrors_https_on_8443(production_plan: Plan) -> None:
    listeners = {r.name: r.inputs for r in production_plan.of_type(LISTENER)}
    test, https = listeners["alb-test"], listeners["alb-https"]
    assert (test["port"], test["protocol"]) == (8443, "HTTPS")
    assert test["certificateArn"] == https["certificateArn"] and test["sslPolicy"] == https["sslPolicy"]
    assert test["loadBalancerArn"] == https["loadBalancerArn"]
    assert test["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"


@pytest.mark.parametrize("plan_name", ["production", "linear"])
def test_nothing_outside_the_vpc_can_reach_the_test_port(plan_name: str, production_plan: Plan) -> None:
    plan = production_plan if plan_name == "production" else linear_plan()
    alb_sg = plan.one("aws:ec2/securityGroup:SecurityGroup", "alb")
    to_alb = [r for r in plan.of_type(INGRESS) if alb_sg.urn in r.dependencies]
    assert to_alb, "the ALB admits the edge on 443"
    for rule in to_alb:
        if rule.inputs["fromPort"] <= 8443 <= rule.inputs["toPort"]:
            # Only a security group may ever be admitted on the test port (the smoke-test hook's), never a range.
            assert "cidrIpv4" not in rule.inputs and "prefixListId" not in rule.inputs, rule.name
            assert rule.inputs.get("referencedSecurityGroupId"), rule.name


def rules(plan: Plan, service: str) -> tuple[ResourceRecord, ResourceRecord]:
    return plan.one(RULE, service), plan.one(RULE, f"{service}-test")


def forward(rule: ResourceRecord) -> dict[str, int]:
    (action,) = rule.inputs["actions"]
    assert action["type"] == "forward" and "targetGroupArn" not in action
    return {group["arn"]: group["weight"] for group in action["forward"]["targetGroups"]}


def test_production_rule_weights_both_groups_and_the_test_rule_the_alternate(production_plan: Plan) -> None:
    primary, alternate = production_plan.one(TG, "api"), production_plan.one(TG, "api-alt")
    production, test = rules(production_plan, "api")
    primary_arn = service_inputs(production_plan, "api")["loadBalancers"][0]["targetGroupArn"]
    alternate_arn = service_inputs(production_plan, "api")["loadBalancers"][0]["advancedConfiguration"][
        "alternateTargetGroupArn"
    ]
    assert "/api-alt-" in alternate_arn and "/api-alt-" not in primary_arn
    assert forward(production) == {primary_arn: 100, alternate_arn: 0}
    assert forward(test) == {primary_arn: 0, alternate_arn: 100}
    assert {primary.urn, alternate.urn} <= set(production.dependencies) & set(test.dependencies)
    assert test.inputs["conditions"] == production.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert test.inputs["priority"] == production.inputs["priority"]
    assert "listener/app/alb-test-" in test.inputs["listenerArn"]
    assert "listener/app/alb-https-" in production.inputs["listenerArn"]
    # ECS owns the forward action once it exists (it moves the weights on every release).
    assert production.ignore_changes == ["actions"] and test.ignore_changes == ["actions"]


def test_service_advanced_configuration_and_blue_green_settings(production_plan: Plan) -> None:
    service = production_plan.one(SERVICE, "api")
    inputs = service.inputs
    (balancer,) = inputs["loadBalancers"]
    advanced = balancer["advancedConfiguration"]
    assert "listener-rule/app/api-" in advanced["productionListenerRule"]
    assert "listener-rule/app/api-test-" in advanced["testListenerRule"]
    assert "api-test" not in advanced["productionListenerRule"]
    assert advanced["roleArn"].startswith("arn:aws:iam::123456789012:role/api-lb-infra-")
    assert balancer["containerName"] == "api" and balancer["containerPort"] == 8080
    assert strategy_block(production_plan, "api") == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}
    assert (inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"]) == (100, 200)
    # Still in force with blue/green (AWS: deployment-failure-detection.html).
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["alarms"]["enable"] is True and inputs["alarms"]["rollback"] is True
    assert inputs["alarms"]["alarmNames"]
    assert inputs["deploymentController"] == {"type": "ECS"}
    assert service.ignore_changes == [
        "desiredCount",
        "loadBalancers[0].targetGroupArn",
        "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn",
    ]
    # The service waits for both rules, and for the role's policy (GrantedRole: ARN after the attachment).
    for name in ("api", "api-test"):
        assert production_plan.one(RULE, name).urn in service.dependencies
    attachment = production_plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "api-lb-infra-policy")
    assert attachment.urn in service.property_dependencies["loadBalancers"]


def test_infrastructure_role_is_this_service_only(production_plan: Plan) -> None:
    role = production_plan.one("aws:iam/role:Role", "api-lb-infra")
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    statements = {
        s["Sid"]: s for s in policy(production_plan.one("aws:iam/policy:Policy", "api-lb-infra-policy"))["Statement"]
    }
    balancer = service_inputs(production_plan, "api")["loadBalancers"][0]
    advanced = balancer["advancedConfiguration"]
    register = statements["RegisterTasksInOwnTargetGroups"]
    assert set(register["Action"]) == {"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}
    assert register["Resource"] == [balancer["targetGroupArn"], advanced["alternateTargetGroupArn"]]
    shift = statements["ShiftOwnListenerRules"]
    assert shift["Action"] == "elasticloadbalancing:ModifyRule"
    assert shift["Resource"] == [advanced["productionListenerRule"], advanced["testListenerRule"]]
    read = statements["ReadLoadBalancing"]
    assert read["Resource"] == "*" and all(a.startswith("elasticloadbalancing:Describe") for a in read["Action"])
    every_action = [
        a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert "elasticloadbalancing:ModifyListener" not in every_action
    assert not any(a.endswith("*") for a in every_action)


# -- canary and linear, as configured --------------------------------------------------------------------------
def test_canary_values_reach_ecs(multi_plan: Plan) -> None:
    assert strategy_block(multi_plan, "admin") == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": "10",
        "canaryConfiguration": {"canaryPercent": 12.5, "canaryBakeTimeInMinutes": "20"},
    }
    production, test = rules(multi_plan, "admin")
    assert test.inputs["conditions"] == production.inputs["conditions"] == [{"pathPattern": {"values": ["/admin/*"]}}]
    assert multi_plan.one(TG, "admin-alt").inputs["port"] == 8081
    # The worker rolls: no alternate group, no infrastructure role, no strategy block.
    worker = service_inputs(multi_plan, "worker")
    assert "deploymentConfiguration" not in worker and worker.get("loadBalancers", []) == []
    assert not [r for r in multi_plan.of_type("aws:iam/role:Role") if r.name.startswith("worker-lb")]


def test_linear_values_and_origin_header_mode() -> None:
    plan = linear_plan()
    assert strategy_block(plan, "api") == {
        "strategy": "LINEAR",
        "bakeTimeInMinutes": "7",
        "linearConfiguration": {"stepPercent": 12.5, "stepBakeTimeInMinutes": "4"},
    }
    production, test = rules(plan, "api")
    # The production rule still requires the edge's secret header (so the plan masks its conditions); the test
    # rule keeps the path and host conditions without the secret: only the hook's security group reaches it.
    assert production.inputs["conditions"] == "[secret]" and "conditions" in production.secret_paths
    assert test.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}]


def test_release_targets_still_cover_a_blue_green_release() -> None:
    plan = linear_plan()
    assert plan.outputs["services"]["api"]["release"]["targets"] == [
        plan.one("aws:ecs/taskDefinition:TaskDefinition", "api").urn,
        plan.one(SERVICE, "api").urn,
    ]


# -- staging: unchanged, rolling ---------------------------------------------------------------------------
def test_staging_rolls_as_before(staging_plan: Plan) -> None:
    inputs = service_inputs(staging_plan, "api")
    assert "deploymentConfiguration" not in inputs
    assert "advancedConfiguration" not in inputs["loadBalancers"][0]
    assert staging_plan.one(SERVICE, "api").ignore_changes == ["desiredCount"]
    assert sorted(r.name for r in staging_plan.of_type(LISTENER)) == ["alb-http", "alb-https"]
    assert [r.name for r in staging_plan.of_type(TG)] == ["api"]
    (rule,) = staging_plan.of_type(RULE)
    assert rule.ignore_changes == [] and rule.inputs["actions"][0]["targetGroupArn"].startswith("arn:aws:elastic")


# -- alarms and dashboard: both target groups ----------------------------------------------------------------
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def group_suffixes(plan: Plan, service: str) -> tuple[str, str]:
    """The two groups' CloudWatch dimension values (`targetgroup/<name>/<id>`), from the service's own inputs."""
    balancer = service_inputs(plan, service)["loadBalancers"][0]
    primary, alternate = balancer["targetGroupArn"], balancer["advancedConfiguration"]["alternateTargetGroupArn"]
    return primary.rsplit(":", 1)[1], alternate.rsplit(":", 1)[1]


def alarm(plan: Plan, anchor: str) -> dict[str, Any]:
    (found,) = [a.inputs for a in plan.of_type(ALARM) if a.name == f"app-platform-{plan.stack}-api-{anchor}"]
    return found


def queried_groups(inputs: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {
        q["id"]: (q["metric"]["metricName"], q["metric"]["stat"], q["metric"]["dimensions"]["TargetGroup"])
        for q in inputs["metricQueries"]
        if "metric" in q
    }


def test_target_alarms_judge_both_groups(production_plan: Plan) -> None:
    primary, alternate = group_suffixes(production_plan, "api")
    unhealthy = alarm(production_plan, "unhealthy-hosts")
    assert queried_groups(unhealthy) == {
        "primary": ("UnHealthyHostCount", "Maximum", primary),
        "alternate": ("UnHealthyHostCount", "Maximum", alternate),
    }
    (result,) = [q for q in unhealthy["metricQueries"] if q.get("returnData")]
    assert result["expression"] == "FILL(primary, 0) + FILL(alternate, 0)"
    assert unhealthy["threshold"] == 0 and unhealthy["comparisonOperator"] == "GreaterThanThreshold"
    for percentile in ("p95", "p99"):
        latency = alarm(production_plan, f"target-latency-{percentile}")
        assert queried_groups(latency) == {
            "primary": ("TargetResponseTime", percentile, primary),
            "alternate": ("TargetResponseTime", percentile, alternate),
        }
        (result,) = [q for q in latency["metricQueries"] if q.get("returnData")]
        assert result["expression"] == "MAX([FILL(primary, 0), FILL(alternate, 0)])"
    # The rollback alarms ECS watches during a release keep their names.
    names = service_inputs(production_plan, "api")["alarms"]["alarmNames"]
    assert "app-platform-production-api-unhealthy-hosts" in names


def test_a_rolling_service_keeps_its_single_group_alarms(staging_plan: Plan) -> None:
    unhealthy = alarm(staging_plan, "unhealthy-hosts")
    assert unhealthy["metricName"] == "UnHealthyHostCount" and "metricQueries" not in unhealthy
    assert alarm(staging_plan, "target-latency-p95")["extendedStatistic"] == "p95"


def graphed(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """Dashboard graph title -> (metric name, target group) of each row that has a TargetGroup dimension."""
    body = json.loads(plan.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    graphs: dict[str, list[tuple[str, str]]] = {}
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        for row in widget["properties"]["metrics"]:
            strings = [part for part in row if isinstance(part, str)]
            if "TargetGroup" in strings:
                group = strings[strings.index("TargetGroup") + 1]
                graphs.setdefault(widget["properties"]["title"], []).append((strings[1], group))
    return graphs


def test_the_dashboard_shows_both_groups_side_by_side(production_plan: Plan) -> None:
    primary, alternate = group_suffixes(production_plan, "api")
    graphs = graphed(production_plan)
    every_row = {row for rows in graphs.values() for row in rows}
    for metric in ("HealthyHostCount", "UnHealthyHostCount", "TargetResponseTime", "HTTPCode_Target_5XX_Count"):
        assert {(metric, primary), (metric, alternate)} <= every_row, metric
    errors = next(rows for title, rows in graphs.items() if title.endswith("Target 5xx (both groups)"))
    # (The graph appears in the overview and in the service's section: same title, same rows.)
    assert set(errors) == {("HTTPCode_Target_5XX_Count", primary), ("HTTPCode_Target_5XX_Count", alternate)}
    # Staging rolls: one group, no per-group graphs.
    assert not [title for title in graphed(rendered("staging")) if "both groups" in title]


# -- the smoke-test hook, wired --------------------------------------------------------------------------------
def lifecycle_hook(plan: Plan, service: str) -> dict[str, Any]:
    (hook,) = service_inputs(plan, service)["deploymentConfiguration"]["lifecycleHooks"]
    return dict(hook)


def test_production_smoke_tests_after_test_traffic_shifts(production_plan: Plan) -> None:
    hook = lifecycle_hook(production_plan, "api")
    assert hook["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"] and hook["targetType"] == "AWS_LAMBDA"
    invoke = policy(production_plan.one("aws:iam/policy:Policy", "smoke-test-invoke-policy"))["Statement"]
    assert [s["Resource"] for s in invoke if s["Action"] == "lambda:InvokeFunction"] == [hook["hookTargetArn"]]
    assert hook["roleArn"].startswith("arn:aws:iam::123456789012:role/smoke-test-invoke-")
    details = json.loads(hook["hookDetails"])
    assert details["baseUrl"].startswith("https://internal-alb-") and details["baseUrl"].endswith(
        ".elb.amazonaws.com:8443"
    )
    assert details["hostHeader"] == "app.example.com"  # the domain the listener's certificate covers
    assert details["paths"] == ["/health"]
    assert (details["timeoutSeconds"], details["maxLatencyMs"]) == (5, 1000)
    # One hook Lambda per stack, and the only way onto the test port is from its security group.
    assert [r.name for r in production_plan.of_type("aws:lambda/function:Function")] == ["smoke-test"]
    on_test_port = [r for r in production_plan.of_type(INGRESS) if r.inputs["fromPort"] == 8443]
    assert [r.name for r in on_test_port] == ["smoke-test-alb-test-in"]
    hook_sg = production_plan.one("aws:ec2/securityGroup:SecurityGroup", "smoke-test")
    assert hook_sg.urn in on_test_port[0].dependencies


def test_each_service_gets_its_own_hook_details(multi_plan: Plan) -> None:
    details = json.loads(lifecycle_hook(multi_plan, "admin")["hookDetails"])
    assert details["paths"] == ["/admin/login"]  # /health is outside /admin/*, so not called
    assert (details["timeoutSeconds"], details["maxLatencyMs"]) == (3, 800)
    assert lifecycle_hook(multi_plan, "admin")["hookTargetArn"] == lifecycle_hook(multi_plan, "api")["hookTargetArn"]
    linear = json.loads(lifecycle_hook(linear_plan(), "api")["hookDetails"])
    assert linear["paths"] == ["/health", "/", "/version"]


def test_a_rolling_stack_has_no_hook(staging_plan: Plan) -> None:
    assert not staging_plan.of_type("aws:lambda/function:Function")
    assert not [r for r in staging_plan.of_type(INGRESS) if r.inputs["fromPort"] == 8443]


# -- adopting an existing rolling service --------------------------------------------------------------------
def test_adopting_writes_what_ecs_will_own_and_only_then() -> None:
    """Pulumi's ignoreChanges keeps the old state's value and drops a path the old state lacks (pulumi/pulumi
    sdk/go/common/resource/properties_path.go, Reset): on the update that switches a deployed rolling service,
    the alternate group's leaf would vanish. `release.adopt` writes it (and the weighted rules) for that run."""
    services = stack_services("production")
    services["api"]["release"] = {"strategy": "blue_green", "bakeMinutes": 15, "adopt": True}
    plan = render("production", overrides={"app-platform:services": json.dumps(services)})
    assert plan.one(SERVICE, "api").ignore_changes == ["desiredCount"]
    production, test = rules(plan, "api")
    assert production.ignore_changes == [] and test.ignore_changes == []
    assert forward(production)[service_inputs(plan, "api")["loadBalancers"][0]["targetGroupArn"]] == 100
    with pytest.raises(ValueError, match="adopting apply to blue_green"):
        ReleaseStrategy("rolling", adopting=True)
