"""ContainerService: task definition, roles, service, autoscaling, routing, security groups and outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from components.container_service import Capacity, Deployment, EcsExec, Routing
from infra.config import ConfigError, StackConfig, load_config
from infra.config.model import FARGATE_SIZES
from offline.plan import Plan, ResourceRecord
from offline.render import render
from tests.helpers import container, env, policy, stack_config, stack_services


# -- task definition --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("stack", "cpu", "memory"), [("staging", 256, 512), ("production", 1024, 2048)])
def test_task_size_and_platform(stack: str, cpu: int, memory: int, staging_plan: Plan, production_plan: Plan) -> None:
    plan = staging_plan if stack == "staging" else production_plan
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api").inputs
    assert (int(task["cpu"]), int(task["memory"])) == (cpu, memory)
    assert memory in FARGATE_SIZES[cpu]
    assert task["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    assert task["family"] == f"app-platform-{stack}-api"
    assert task["skipDestroy"] is True  # earlier revisions stay registered for rollbacks


def test_container_hardening(plan: Plan) -> None:
    c = container(plan, "api")
    assert c["user"] not in ("", "0", "root") and int(c["user"]) >= 1000
    assert c["readonlyRootFilesystem"] is True and c["privileged"] is False
    assert {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False} in c["mountPoints"]
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api").inputs
    assert {"name": "tmp"} in task["volumes"]
    assert c["healthCheck"]["command"][0] == "CMD" and c["healthCheck"]["retries"] >= 2
    assert 2 <= c["stopTimeout"] <= 120
    assert c["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "name": "http"}]


def test_exec_keeps_the_root_read_only_and_gives_the_agent_writable_volumes(
    staging_plan: Plan, production_plan: Plan
) -> None:
    """The SSM agent needs writable paths; AWS does not support Exec with a read-only root. Staging (Exec on)
    keeps the read-only root and mounts task volumes at the agent's paths (aws/containers-roadmap#1359)."""
    agent_paths = {"/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}
    for plan, exec_on in ((staging_plan, True), (production_plan, False)):
        service = plan.one("aws:ecs/service:Service", "api").inputs
        assert service["enableExecuteCommand"] is exec_on
        c = container(plan, "api")
        assert c["readonlyRootFilesystem"] is True
        mounts = {m["containerPath"]: m for m in c["mountPoints"]}
        assert set(mounts) == ({"/tmp"} | agent_paths if exec_on else {"/tmp"})
        assert all(m["readOnly"] is False for m in mounts.values())
        volumes = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api").inputs["volumes"]
        # Task-scoped volumes (no host path, no EFS): created empty with the task, gone with it.
        assert sorted(v["name"] for v in volumes) == sorted(m["sourceVolume"] for m in mounts.values())
        assert all(set(v) == {"name"} for v in volumes)
        assert c["linuxParameters"]["initProcessEnabled"] is True  # reaps the agent's zombie children


def test_logs_go_to_the_service_log_group_encrypted(plan: Plan, staging_plan: Plan) -> None:
    options = container(plan, "api")["logConfiguration"]
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "api-logs")
    assert options["logDriver"] == "awslogs"
    assert options["options"]["awslogs-group"].startswith("api-logs-")
    assert options["options"]["awslogs-region"] == "eu-west-1"
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert group.inputs["retentionInDays"] == (30 if plan is staging_plan else 90)


def test_plain_environment_has_no_secrets(plan: Plan) -> None:
    environment = env(plan, "api")
    assert environment["APP_ENVIRONMENT"] == plan.stack and environment["PORT"] == "8080"
    assert not any(word in k for k in environment for word in ("PASSWORD", "SECRET", "TOKEN", "AWS_ACCESS"))


def test_separate_execution_and_task_roles(plan: Plan) -> None:
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api").inputs
    assert task["executionRoleArn"] != task["taskRoleArn"]
    for role in ("api-execution", "api-task"):
        trust = policy(plan.one("aws:iam/role:Role", role), "assumeRolePolicy")["Statement"][0]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


# Actions AWS offers no resource-level permissions for: the only places "*" is allowed as a resource.
# The ELB Describe actions: Service Authorization Reference, Elastic Load Balancing V2 (no resource types).
NO_RESOURCE_LEVEL = {
    "ecr:GetAuthorizationToken", "logs:DescribeLogGroups", "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",  # the smoke-test Lambda's VPC attachment
}  # fmt: skip


def test_iam_policies_are_least_privilege(multi_plan: Plan) -> None:
    for record in multi_plan.of_type("aws:iam/policy:Policy"):
        for statement in policy(record)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (record.name, actions)
            if "*" in resources:
                assert set(actions) <= NO_RESOURCE_LEVEL, (record.name, actions)


def test_execution_role_pulls_only_its_own_image(plan: Plan) -> None:
    grants = policy(plan.one("aws:iam/policy:Policy", "api-execution-policy"))["Statement"]
    pull = next(g for g in grants if "ecr:BatchGetImage" in g["Action"])
    assert pull["Resource"].startswith("arn:aws:ecr:eu-west-1:123456789012:repository/api-image")
    logs = next(g for g in grants if "logs:PutLogEvents" in g["Action"])
    assert logs["Resource"].startswith("arn:aws:logs:eu-west-1:123456789012:log-group:api-logs-")


def test_exec_switch_per_environment(staging_plan: Plan, production_plan: Plan) -> None:
    assert staging_plan.one("aws:ecs/service:Service", "api").inputs["enableExecuteCommand"] is True
    assert production_plan.one("aws:ecs/service:Service", "api").inputs["enableExecuteCommand"] is False
    staging_task = policy(staging_plan.one("aws:iam/policy:Policy", "api-task-policy"))["Statement"]
    assert any("ssmmessages:OpenDataChannel" in s["Action"] for s in staging_task)
    # Production's task role gets nothing it does not need: without exec, only its database connect grant.
    production_task = policy(production_plan.one("aws:iam/policy:Policy", "api-task-policy"))["Statement"]
    assert [s["Sid"] for s in production_task] == ["ConnectAsAppUser"]


# -- service ----------------------------------------------------------------------------------------------
def test_service_runs_private_without_public_ip(plan: Plan) -> None:
    service = plan.one("aws:ecs/service:Service", "api").inputs
    network = service["networkConfiguration"]
    assert network["assignPublicIp"] is False
    assert sorted(network["subnets"]) == sorted(plan.outputs["privateSubnetIds"])
    api_sg_id = plan.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "api-https-out-0").inputs
    assert network["securityGroups"] == [api_sg_id["securityGroupId"]]
    assert service["platformVersion"] == "LATEST"


@pytest.mark.parametrize(("stack", "floor"), [("staging", 50), ("production", 100)])
def test_safe_deployments(stack: str, floor: int, staging_plan: Plan, production_plan: Plan) -> None:
    plan = staging_plan if stack == "staging" else production_plan
    service = plan.one("aws:ecs/service:Service", "api").inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["deploymentMinimumHealthyPercent"] == floor
    assert service["deploymentMaximumPercent"] == 200
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["availabilityZoneRebalancing"] == "ENABLED"
    assert service["propagateTags"] == "SERVICE" and service["enableEcsManagedTags"] is True


# -- autoscaling ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("stack", "bounds"), [("staging", (1, 3)), ("production", (2, 10))])
def test_autoscaling_bounds(stack: str, bounds: tuple[int, int], staging_plan: Plan, production_plan: Plan) -> None:
    plan = staging_plan if stack == "staging" else production_plan
    target = plan.one("aws:appautoscaling/target:Target", "api").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == bounds
    assert target["scalableDimension"] == "ecs:service:DesiredCount" and target["serviceNamespace"] == "ecs"
    assert target["resourceId"].startswith("service/cluster-")


def test_autoscaling_owns_the_count_after_the_first_deploy(plan: Plan) -> None:
    """desiredCount sizes the first deployment only: an update must not reset what autoscaling chose, and the
    daily refresh-preview must not see drift when it moved."""
    service = plan.one("aws:ecs/service:Service", "api")
    target = plan.one("aws:appautoscaling/target:Target", "api").inputs
    assert "desiredCount" in service.ignore_changes
    assert target["minCapacity"] <= service.inputs["desiredCount"] <= target["maxCapacity"]
    assert service.inputs["desiredCount"] == stack_config_of(plan).services["api"].desired_count


def test_target_tracking_policies(plan: Plan) -> None:
    policies = {
        p.name: p.inputs["targetTrackingScalingPolicyConfiguration"]
        for p in plan.of_type("aws:appautoscaling/policy:Policy")
    }
    cpu = policies["api-cpu"]
    assert cpu["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert cpu["targetValue"] == 70
    assert (
        policies["api-memory"]["predefinedMetricSpecification"]["predefinedMetricType"]
        == "ECSServiceAverageMemoryUtilization"
    )
    requests = policies["api-requests"]["predefinedMetricSpecification"]
    assert requests["predefinedMetricType"] == "ALBRequestCountPerTarget"
    label = requests["resourceLabel"]
    target_group_arn = plan.one("aws:ecs/service:Service", "api").inputs["loadBalancers"][0]["targetGroupArn"]
    assert label.startswith("app/alb-") and label.endswith("/" + target_group_arn.split(":", 5)[5])
    assert all(p["scaleInCooldown"] == 300 and p["scaleOutCooldown"] == 60 for p in policies.values())


def test_scheduled_actions(multi_plan: Plan) -> None:
    action = multi_plan.one("aws:appautoscaling/scheduledAction:ScheduledAction", "admin-night").inputs
    assert action["schedule"] == "cron(0 22 * * ? *)"
    assert action["scalableTargetAction"] == {"minCapacity": 2, "maxCapacity": 4}


# -- routing (target group and listener rule, created per service) ----------------------------------------
def test_target_group_and_health_check(plan: Plan) -> None:
    tg = plan.one("aws:lb/targetGroup:TargetGroup", "api").inputs
    assert tg["targetType"] == "ip" and tg["port"] == 8080
    assert tg["healthCheck"]["path"] == "/health" and tg["healthCheck"]["matcher"] == "200"
    assert tg["deregistrationDelay"] == 30


def test_multiple_services_route_by_path_and_workers_get_no_load_balancer(multi_plan: Plan) -> None:
    rules = {r.name: r.inputs for r in multi_plan.of_type("aws:lb/listenerRule:ListenerRule")}
    assert sorted(rules) == ["admin", "admin-test", "api", "api-test"]  # production blue/green: a test rule each
    assert rules["admin"]["priority"] == 5
    assert rules["admin"]["conditions"] == [{"pathPattern": {"values": ["/admin/*"]}}]
    assert rules["api"]["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert rules["admin"]["priority"] < rules["api"]["priority"]  # the specific path wins
    worker = multi_plan.one("aws:ecs/service:Service", "worker").inputs
    assert worker.get("loadBalancers", []) == [] and "healthCheckGracePeriodSeconds" not in worker
    assert "portMappings" not in container(multi_plan, "worker")
    assert not [t for t in multi_plan.of_type("aws:lb/targetGroup:TargetGroup") if t.name == "worker"]
    names = [p.name for p in multi_plan.of_type("aws:appautoscaling/policy:Policy") if p.name.startswith("worker")]
    assert sorted(names) == ["worker-cpu", "worker-memory"]


# -- network security -------------------------------------------------------------------------------------
def rules_of(plan: Plan, type_: str, sg_name: str) -> list[ResourceRecord]:
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup", sg_name)
    return [r for r in plan.of_type(type_) if sg.urn in r.dependencies and r.inputs.get("securityGroupId")]


def test_service_accepts_only_the_alb_on_its_port(plan: Plan) -> None:
    alb_sg = plan.one("aws:ec2/securityGroup:SecurityGroup", "alb")
    ingress = [
        r for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.name == "api-from-alb"
    ]
    (rule,) = ingress
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (8080, 8080, "tcp")
    assert alb_sg.urn in rule.dependencies and "cidrIpv4" not in rule.inputs
    all_ingress_to_api = [
        r for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.startswith("api-")
    ]  # fmt: skip
    assert all_ingress_to_api == ingress


def test_egress_is_limited(plan: Plan) -> None:
    egress = {r.name: r.inputs for r in plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")}
    https = egress["api-https-out-0"]
    assert (https["fromPort"], https["toPort"]) == (443, 443)
    alb_out = egress["alb-to-tasks" if "alb-to-tasks" in egress else "api-alb-to-tasks"]
    assert (alb_out["fromPort"], alb_out["toPort"]) == (8080, 8080) and "cidrIpv4" not in alb_out
    assert all(rule.get("ipProtocol") != "-1" for rule in egress.values())
    assert all(rule.get("description") for rule in egress.values())


# -- composition ------------------------------------------------------------------------------------------
def test_outputs_per_service(multi_plan: Plan) -> None:
    services = multi_plan.outputs["services"]
    assert sorted(services) == ["admin", "api", "worker"]
    assert services["api"]["url"] == "https://app.example.com/"
    assert services["admin"]["url"] == "https://app.example.com/admin/"
    assert "url" not in services["worker"] and "targetGroupArn" not in services["worker"]
    assert services["api"]["taskRoleArn"].startswith("arn:aws:iam::123456789012:role/api-task")
    assert services["api"]["clusterName"] == multi_plan.outputs["clusterName"]


def test_unknown_secret_name_is_a_config_error() -> None:
    services = stack_services("staging")
    services["api"]["secrets"] = ["doesNotExist"]
    with pytest.raises(ConfigError, match=r"app-platform:services\.api\.secrets .*doesNotExist.*sessionSigningKey"):
        render("staging", overrides={"app-platform:services": json.dumps(services)})


def test_declared_secrets_reach_the_container_and_only_their_arns_are_readable() -> None:
    services = stack_services("staging")
    services["api"]["secrets"] = ["sessionSigningKey"]
    plan = render("staging", overrides={"app-platform:services": json.dumps(services)})
    refs = {s["name"]: s["valueFrom"] for s in container(plan, "api")["secrets"]}
    secret_arn = refs["SESSION_SIGNING_KEY"]
    assert secret_arn.startswith("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-platform/staging/")
    grants = policy(plan.one("aws:iam/policy:Policy", "api-execution-policy"))["Statement"]
    read = next(g for g in grants if g["Action"] == "secretsmanager:GetSecretValue")
    # The database needs no secret (IAM authentication): the service reads exactly what it declared.
    assert read["Resource"] == [secret_arn] and sorted(refs) == ["SESSION_SIGNING_KEY"]


# -- the execution role's policy document is a function of the values, not of object identity ------------------
def test_secret_grants_are_sorted_and_unique_by_value() -> None:
    """Secret ARNs used to be ordered by id() (a memory address): the same secrets could give another document on
    the next run (false drift). Secrets created in reverse order, and one key behind all of them: each ARN once,
    in value order (the database needs no secret: IAM authentication)."""
    names = ["zuluKey", "yankeeKey", "mikeKey", "deltaKey", "alphaKey"]
    services = stack_services("staging")
    services["api"]["secrets"] = names
    plan = render(
        "staging",
        overrides={"app-platform:services": json.dumps(services), "app-platform:appSecrets": json.dumps(names)},
    )
    grants = policy(plan.one("aws:iam/policy:Policy", "api-execution-policy"))["Statement"]
    read = next(g for g in grants if g["Action"] == "secretsmanager:GetSecretValue")["Resource"]
    refs = {s["valueFrom"] for s in container(plan, "api")["secrets"]}
    assert read == sorted(refs) and len(read) == len(names)
    keys = next(g for g in grants if g["Action"] == "kms:Decrypt")["Resource"]
    assert keys == sorted(set(keys)) and len(keys) == 1  # the database tier's secrets key encrypts them all


def stack_config_of(plan: Plan) -> StackConfig:
    return load_config(*stack_config(plan.stack))


# -- argument groups (issue #25) -----------------------------------------------------------------------------
@given(base=st.integers(-10, 100_010), weight=st.integers(-10, 1_010))
@example(base=100_000, weight=1_000)
@example(base=100_001, weight=0)
@example(base=0, weight=1_001)
@example(base=-1, weight=0)
def test_capacity_accepts_exactly_the_ranges_ecs_accepts(base: int, weight: int) -> None:
    """ECS API CapacityProviderStrategyItem: base 0..100000, weight 0..1000; anything else is refused by name."""
    valid = 0 <= base <= 100_000 and 0 <= weight <= 1_000
    if valid:
        assert Capacity(on_demand_base=base, spot_weight=weight).spot_weight == weight
    else:
        with pytest.raises(ValueError, match=r"on_demand_base|spot_weight"):
            Capacity(on_demand_base=base, spot_weight=weight)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"on_demand_base": 100_001}, "on_demand_base 100001: ECS allows 0..100000"),
        ({"on_demand_base": -1}, "on_demand_base -1"),
        ({"spot_weight": 1_001}, "spot_weight 1001: ECS allows 0..1000"),
        ({"spot_weight": -1}, "spot_weight -1"),
    ],
)
def test_capacity_errors_name_the_field_and_the_range(fields: dict[str, int], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Capacity(**fields)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"stop_timeout_seconds": 121}, "stop_timeout_seconds 121: Fargate allows at most 120"),
        ({"stop_timeout_seconds": -1}, "stop_timeout_seconds -1"),
        ({"health_check_grace_seconds": 2_147_483_648}, "health_check_grace_seconds 2147483648: ECS allows"),
        ({"health_check_grace_seconds": -1}, "health_check_grace_seconds -1"),
    ],
)
def test_deployment_refuses_what_fargate_refuses(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Deployment(**fields)


def test_deployment_bounds_themselves_are_accepted() -> None:
    edge = Deployment(stop_timeout_seconds=120, health_check_grace_seconds=2_147_483_647)
    assert (edge.stop_timeout_seconds, edge.health_check_grace_seconds) == (120, 2_147_483_647)
    assert Deployment(stop_timeout_seconds=0, health_check_grace_seconds=0).stop_timeout_seconds == 0


def test_the_defaults_are_ecs_own_and_on_demand_only() -> None:
    """The documented defaults: ECS's rolling floor and ceiling, Fargate's stop timeout, no Spot, no Exec."""
    deployment, capacity, ecs_exec = Deployment(), Capacity(), EcsExec()
    assert (deployment.minimum_healthy_percent, deployment.maximum_percent) == (100, 200)
    assert (deployment.stop_timeout_seconds, deployment.health_check_grace_seconds) == (30, 60)
    assert tuple(deployment.alarm_names) == ()
    assert (capacity.on_demand_base, capacity.spot_weight) == (0, 0)
    assert (ecs_exec.enabled, ecs_exec.kms_key_arn, ecs_exec.log_group_name) == (False, None, None)


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_the_groups_reach_the_service_and_the_container(stack: str, staging_plan: Plan, production_plan: Plan) -> None:
    """Deployment, Capacity and EcsExec as the services tier fills them from config and presets, read back from
    what the engine received."""
    plan = staging_plan if stack == "staging" else production_plan
    config = stack_config_of(plan).services["api"]
    service = plan.one("aws:ecs/service:Service", "api").inputs
    deployment = config.deployment
    assert service["deploymentMinimumHealthyPercent"] == deployment.minimum_healthy_percent
    assert service["deploymentMaximumPercent"] == deployment.maximum_percent
    assert service["healthCheckGracePeriodSeconds"] == deployment.health_check_grace_seconds
    assert container(plan, "api")["stopTimeout"] == deployment.stop_timeout_seconds
    assert service["enableExecuteCommand"] is config.exec_enabled
    strategies = {s["capacityProvider"]: s for s in service["capacityProviderStrategies"]}
    assert strategies["FARGATE"]["base"] == config.min_count and strategies["FARGATE"]["weight"] == 1
    if config.spot_weight:
        assert strategies["FARGATE_SPOT"] == {
            "capacityProvider": "FARGATE_SPOT",
            "base": 0,
            "weight": config.spot_weight,
        }
    else:
        assert "FARGATE_SPOT" not in strategies
    assert service["alarms"]["alarmNames"] and service["alarms"]["rollback"] is True


def _routing(**fields: Any) -> Routing:
    base: dict[str, Any] = {
        "listener_arn": "arn:listener",
        "load_balancer_security_group_id": "sg-alb",
        "load_balancer_arn_suffix": "app/alb/1",
        "priority": 10,
        "path_patterns": ["/*"],
    }
    return Routing(**(base | fields))


@given(seconds=st.integers(-5, 1_000))
@example(seconds=0)
@example(seconds=29)
@example(seconds=30)
@example(seconds=900)
@example(seconds=901)
def test_slow_start_is_off_or_30_to_900_seconds(seconds: int) -> None:
    """ELB TargetGroupAttribute slow_start.duration_seconds: 30..900, or 0 to disable; nothing between 1 and 29."""
    if seconds == 0 or 30 <= seconds <= 900:
        assert _routing(slow_start_seconds=seconds).slow_start_seconds == seconds
    else:
        with pytest.raises(ValueError, match=rf"slow_start_seconds {seconds}: ELB allows 0 \(off\) or 30\.\.900"):
            _routing(slow_start_seconds=seconds)


@pytest.mark.parametrize("seconds", [-1, 3_601])
def test_deregistration_delay_beyond_elb_range_is_refused(seconds: int) -> None:
    with pytest.raises(ValueError, match=rf"deregistration_delay_seconds {seconds}: ELB allows 0\.\.3600"):
        _routing(deregistration_delay_seconds=seconds)
    assert _routing(deregistration_delay_seconds=3_600).deregistration_delay_seconds == 3_600
    assert _routing(deregistration_delay_seconds=0).deregistration_delay_seconds == 0


@pytest.mark.parametrize("patterns", [[], ()])
def test_a_rule_without_a_path_pattern_is_refused(patterns: list[str]) -> None:
    with pytest.raises(ValueError, match="at least one path pattern"):
        _routing(path_patterns=patterns)


def test_slow_start_routes_round_robin_because_elb_refuses_it_with_least_outstanding(production_plan: Plan) -> None:
    """ELB: "You cannot enable both slow start mode and least outstanding requests" (target groups guide). Both of
    a blue/green service's groups carry the pair AWS accepts; without slow start, least outstanding requests."""
    groups = production_plan.of_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) >= 2 and {(g.inputs["slowStart"], g.inputs["loadBalancingAlgorithmType"]) for g in groups} == {
        (0, "least_outstanding_requests")
    }
    services = stack_services("production")
    services["api"]["slowStartSeconds"] = 60
    plan = render("production", overrides={"app-platform:services": json.dumps(services)})
    slow = {
        g.name: (g.inputs["slowStart"], g.inputs["loadBalancingAlgorithmType"])
        for g in plan.of_type("aws:lb/targetGroup:TargetGroup")
    }
    assert slow == {"api": (60, "round_robin"), "api-alt": (60, "round_robin")}
