"""The smoke-test hook component, read from what the mock engine recorded: function settings, VPC attachment,
security-group rules, roles, log group, package, hookDetails; and the policy pack over a render that holds it."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import aws
from components.logs import LogSettings
from components.smoke_test_hook import (
    FUNCTION_TIMEOUT_SECONDS,
    HANDLER_FILE,
    SmokeTestHook,
    SmokeTestHookArgs,
    details_document,
    hook_details,
)
from hooks.smoke_test import handler
from infra.config import StackConfig
from offline.diff import diff_plans
from offline.mocks import ACCOUNT_ID
from offline.plan import Plan, ResourceRecord
from offline.policy_runner import config_path, run_pack
from offline.project import ROOT
from offline.stateful import RULES
from tests.helpers import policy
from tests.test_database import render_program

COMPONENT = "app-platform:smoke_test_hook:SmokeTestHook"
FUNCTION = "aws:lambda/function:Function"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROLE = "aws:iam/role:Role"
TEST_PORT = 8443
ALB_DNS = "internal-app-alb-123456.eu-west-1.elb.amazonaws.com"


def build(config: StackConfig) -> dict[str, Any]:
    """The stack's foundation (logs key, network), a stand-in for the load balancer's group, and the hook."""
    from infra.stack import StackContext
    from infra.tiers import foundation

    stack = StackContext.create(config)
    base = foundation.compose(stack)
    alb = aws.ec2.SecurityGroup(
        "alb",
        vpc_id=base.network.vpc_id,
        description="Stand-in for the load balancer",
        tags=stack.tags,
        opts=stack.opts(),
    )
    hook = SmokeTestHook(
        "smoke-test",
        SmokeTestHookArgs(
            context=stack.context,
            tags=stack.tags,
            vpc_id=base.network.vpc_id,
            subnet_ids=base.network.private_subnet_ids,
            logs=stack.log_settings(base.logs_key.key_arn),
            load_balancer_security_group_id=alb.id,
            test_listener_port=TEST_PORT,
        ),
        stack.opts(),
    )
    details = hook_details(
        base_url=pulumi.Output.concat("https://", ALB_DNS, ":", str(TEST_PORT)),
        host_header="api.example.com",
        paths=["/health", "/api/items?limit=1"],
        timeout_seconds=5,
        max_latency_ms=1500,
    )
    return {
        "function_arn": hook.function_arn,
        "function_name": hook.function_name,
        "security_group_id": hook.security_group_id,
        "invoke_role_arn": hook.invoke_role_arn,
        "log_group_name": hook.log_group_name,
        "alb_security_group_id": alb.id,
        "private_subnet_ids": base.network.private_subnet_ids,
        "logs_key_arn": base.logs_key.key_arn,
        "hook_details": details,
    }


@pytest.fixture(scope="module")
def rendered() -> tuple[Plan, dict[str, Any]]:
    return render_program("staging", build)


@pytest.fixture(scope="module")
def plan(rendered: tuple[Plan, dict[str, Any]]) -> Plan:
    return rendered[0]


@pytest.fixture(scope="module")
def out(rendered: tuple[Plan, dict[str, Any]]) -> dict[str, Any]:
    return rendered[1]


def component(plan: Plan) -> ResourceRecord:
    return plan.one(COMPONENT, "smoke-test")


def children(plan: Plan, type_: str) -> list[ResourceRecord]:
    parent = component(plan).urn
    return [r for r in plan.of_type(type_) if r.parent == parent]


def function(plan: Plan) -> dict[str, Any]:
    [record] = children(plan, FUNCTION)
    return dict(record.inputs)


# -- the function ------------------------------------------------------------------------------------------------
def test_function_runs_a_supported_python_on_graviton_with_sized_limits(plan: Plan) -> None:
    inputs = function(plan)
    assert inputs["runtime"] == "python3.14"  # Lambda's newest Python (lambda-runtimes.html, read 2026-12-03)
    assert inputs["architectures"] == ["arm64"]
    assert inputs["handler"] == "handler.handler"
    assert inputs["timeout"] == 120 == FUNCTION_TIMEOUT_SECONDS
    assert inputs["memorySize"] == 256
    assert inputs["tracingConfig"] == {"mode": "PassThrough"}
    # No environment (so no key to decrypt it), no reservation by default (new accounts cannot reserve any).
    assert "environment" not in inputs and "kmsKeyArn" not in inputs
    assert "reservedConcurrentExecutions" not in inputs
    assert inputs["tags"]["Environment"] == "staging" and inputs["tags"]["Name"] == "smoke-test"


def test_function_is_attached_to_the_private_subnets_with_its_own_group_only(plan: Plan, out: dict[str, Any]) -> None:
    vpc = function(plan)["vpcConfig"]
    assert vpc["subnetIds"] == out["private_subnet_ids"] and len(vpc["subnetIds"]) == 2
    public = {r.inputs.get("cidrBlock") for r in plan.of_type("aws:ec2/subnet:Subnet") if "public" in r.name}
    assert public and len(public) == 2  # there are public subnets the function does not use
    assert vpc["securityGroupIds"] == [out["security_group_id"]] != [out["alb_security_group_id"]]
    assert vpc["ipv6AllowedForDualStack"] is False


def test_function_logs_to_its_encrypted_log_group_with_the_stack_retention(plan: Plan, out: dict[str, Any]) -> None:
    [group] = children(plan, "aws:cloudwatch/logGroup:LogGroup")
    assert function(plan)["loggingConfig"] == {"logGroup": out["log_group_name"], "logFormat": "Text"}
    assert group.inputs["kmsKeyId"] == out["logs_key_arn"]
    staging_application_days = 30  # Pulumi.staging.yaml logRetentionDays, through the preset
    assert group.inputs["retentionInDays"] == staging_application_days
    assert group.inputs["tags"]["LogClass"] == "application"


def test_package_is_the_handler_file_alone_with_its_content_hash(plan: Plan) -> None:
    code = function(plan)["code"]
    assert code == {
        "archive": {
            "handler.py": {
                "file": "hooks/smoke_test/handler.py",
                "sha256": hashlib.sha256((ROOT / "hooks/smoke_test/handler.py").read_bytes()).hexdigest(),
            }
        }
    }
    assert HANDLER_FILE == ROOT / "hooks" / "smoke_test" / "handler.py"
    source = HANDLER_FILE.read_text()
    assert "def handler(event" in source
    # stdlib only: the package holds no dependencies, so the handler imports nothing else.
    imports = {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "http", "ipaddress", "json", "ssl", "sys", "time", "collections", "dataclasses",
                       "typing", "urllib"}, imports  # fmt: skip


# -- network: out to the test port of the load balancer's group, nothing else -------------------------------------
def test_security_group_has_one_egress_rule_to_the_load_balancer_test_port(plan: Plan, out: dict[str, Any]) -> None:
    [sg] = children(plan, SG)
    assert not sg.inputs.get("ingress") and not sg.inputs.get("egress")  # standalone rules only
    assert sg.inputs["vpcId"] and sg.inputs["revokeRulesOnDelete"] is True
    egress = [r for r in plan.of_type(EGRESS) if r.inputs["securityGroupId"] == out["security_group_id"]]
    assert [(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in egress] == [
        ("tcp", TEST_PORT, TEST_PORT)
    ]
    assert egress[0].inputs["referencedSecurityGroupId"] == out["alb_security_group_id"]
    assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(egress[0].inputs)
    # Nothing may connect to the function.
    assert not [r for r in plan.of_type(INGRESS) if r.inputs["securityGroupId"] == out["security_group_id"]]


def test_load_balancer_admits_the_hook_on_the_test_port_only(plan: Plan, out: dict[str, Any]) -> None:
    rules = [r for r in plan.of_type(INGRESS) if r.inputs["securityGroupId"] == out["alb_security_group_id"]]
    assert [(r.name, r.inputs["fromPort"], r.inputs["toPort"], r.inputs["ipProtocol"]) for r in rules] == [
        ("smoke-test-alb-test-in", TEST_PORT, TEST_PORT, "tcp")
    ]
    assert rules[0].inputs["referencedSecurityGroupId"] == out["security_group_id"]
    assert rules[0].parent == component(plan).urn


def test_no_rule_of_the_component_opens_an_address_range(plan: Plan) -> None:
    """DNS needs no rule (security groups do not filter the Route 53 Resolver), logs go through Lambda: so no
    0.0.0.0/0, ::/0 or any CIDR, in either direction, in any spelling."""
    for rule in children(plan, EGRESS) + children(plan, INGRESS):
        assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.inputs), rule.name
        assert rule.inputs["ipProtocol"] == "tcp" and rule.inputs["fromPort"] == rule.inputs["toPort"] == TEST_PORT


# -- roles ----------------------------------------------------------------------------------------------------------
def role(plan: Plan, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trust policy, attached policy) of a role of the component."""
    [record] = [r for r in children(plan, ROLE) if r.name == name]
    [attached] = [r for r in children(plan, "aws:iam/policy:Policy") if r.name == f"{name}-policy"]
    return policy(record, "assumeRolePolicy"), policy(attached)


@pytest.mark.parametrize(("name", "service"), [("smoke-test-exec", "lambda"), ("smoke-test-invoke", "ecs")])
def test_roles_trust_one_service_in_this_account_only(plan: Plan, name: str, service: str) -> None:
    trust, _ = role(plan, name)
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": f"{service}.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
        }
    ]


# AWSLambdaVPCAccessExecutionRole v3 (AWS managed policy reference, edited 2024-01-05): what a VPC function needs.
MANAGED_VPC_ACTIONS = {
    "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}  # fmt: skip
# configuration-vpc.html: DescribeNetworkInterfaces "only works if it's allowed on all resources"; Describe* in EC2
# has no resource-level permissions.
STAR_ONLY = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}


def test_execution_role_writes_only_its_log_group_and_manages_only_regional_interfaces(plan: Plan) -> None:
    _, granted = role(plan, "smoke-test-exec")
    statements = granted["Statement"]
    assert all(s["Effect"] == "Allow" and set(s) == {"Sid", "Effect", "Action", "Resource"} for s in statements)
    actions = [a for s in statements for a in s["Action"]]
    # The managed policy's actions, each once, except CreateLogGroup: the program owns the function's log group.
    assert sorted(actions) == sorted(MANAGED_VPC_ACTIONS - {"logs:CreateLogGroup"})
    group_arn = f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:{function(plan)['loggingConfig']['logGroup']}"
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        kinds = {a.split(":")[0] for a in statement["Action"]}
        if set(statement["Action"]) <= STAR_ONLY:
            assert resources == ["*"]
        elif kinds == {"logs"}:
            assert resources == [group_arn, f"{group_arn}:*"]  # its own group and its streams, nothing else
        else:
            assert kinds == {"ec2"} and not set(statement["Action"]) & STAR_ONLY
            assert resources == [f"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:*/*"]  # this account and region only


def test_invoke_role_lets_ecs_invoke_this_function_and_nothing_else(plan: Plan, out: dict[str, Any]) -> None:
    _, granted = role(plan, "smoke-test-invoke")
    assert granted["Statement"] == [
        {"Sid": "InvokeHook", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": out["function_arn"]}
    ]
    assert out["function_arn"] == f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:{out['function_name']}"
    assert function(plan)["role"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/smoke-test-exec-")
    assert out["invoke_role_arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/smoke-test-invoke-")


def test_invoke_role_arn_waits_for_its_policy(plan: Plan) -> None:
    """ECS must not be handed the role before it may invoke: the exported ARN resolves after the attachment."""
    [attachment] = [
        r for r in children(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "invoke" in r.name
    ]
    assert attachment.inputs["policyArn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:policy/smoke-test-invoke-policy-")


def test_every_child_is_parented_and_tagged(plan: Plan) -> None:
    parent = component(plan).urn
    mine = [r for r in plan.resources if r.parent == parent]
    assert sorted(r.type for r in mine) == sorted(
        [FUNCTION, SG, EGRESS, INGRESS, "aws:cloudwatch/logGroup:LogGroup", ROLE, ROLE, "aws:iam/policy:Policy",
         "aws:iam/policy:Policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
         "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]
    )  # fmt: skip
    for record in mine:
        if record.type != "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            assert {"Project", "Environment", "ManagedBy", "Owner", "CostCenter", "Name"} <= set(record.inputs["tags"])


# -- hookDetails --------------------------------------------------------------------------------------------------
def test_hook_details_is_the_json_the_handler_reads(out: dict[str, Any]) -> None:
    text = out["hook_details"]
    assert json.loads(text) == {
        "version": 1,
        "baseUrl": f"https://{ALB_DNS}:{TEST_PORT}",
        "hostHeader": "api.example.com",
        "paths": ["/health", "/api/items?limit=1"],
        "timeoutSeconds": 5,
        "maxLatencyMs": 1500,
    }
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))  # stable: no spurious diffs
    parsed = handler.parse_details(text)
    assert parsed.endpoint == handler.Endpoint("https", ALB_DNS, TEST_PORT, "api.example.com")


def _details(**overrides: Any) -> Callable[[], pulumi.Output[str]]:
    args: dict[str, Any] = {
        "base_url": "https://internal-a.eu-west-1.elb.amazonaws.com:8443",
        "host_header": "api.example.com",
        "paths": ["/health"],
        "timeout_seconds": 5,
        "max_latency_ms": 1000,
    }
    return lambda: hook_details(**(args | overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"paths": []}, "hookDetails.paths must be a list of 1 to 10"),
        ({"paths": ["health"]}, r"hookDetails.paths\[0\] must be an absolute path"),
        ({"paths": ["/a", "/a"]}, "lists a path twice"),
        ({"timeout_seconds": 0}, "timeoutSeconds must be an integer from 1 to 30"),
        ({"max_latency_ms": 6000}, r"maxLatencyMs \(6000\) exceeds timeoutSeconds \(5 s\)"),
        ({"paths": [f"/p{i}" for i in range(10)], "timeout_seconds": 12}, "exceeds the hook's 120 s timeout"),
    ],
)
def test_hook_details_refuses_static_values_before_any_resource(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(handler.DetailsError, match=message):
        _details(**overrides)()


def test_hook_details_budget_boundary_is_exact() -> None:
    """10 paths x 11 s + 2 s = 112 s fits in 120 s; 10 x 12 s + 2 s = 122 s does not."""
    assert isinstance(_details(paths=[f"/p{i}" for i in range(10)], timeout_seconds=11)(), pulumi.Output)
    with pytest.raises(handler.DetailsError):
        _details(paths=[f"/p{i}" for i in range(10)], timeout_seconds=12)()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"base_url": "http://internal-a.eu-west-1.elb.amazonaws.com:8443"}, "must use https"),
        ({"base_url": "http://127.0.0.1:8443"}, "must use https, got"),  # the handler's test exception is not ours
        ({"base_url": "https://internal-a.elb.amazonaws.com:8443/prefix"}, "nothing more"),
        ({"host_header": "api"}, "hostHeader must be a DNS name"),
    ],
)
def test_hook_details_refuses_a_bad_endpoint_when_it_resolves(overrides: dict[str, Any], message: str) -> None:
    def program() -> dict[str, Any]:
        return {"details": _details(**overrides)()}

    with pytest.raises(Exception, match=message):
        render_program("staging", lambda _: program())


# -- arguments -------------------------------------------------------------------------------------------------------
def _args(**overrides: Any) -> SmokeTestHookArgs:
    values: dict[str, Any] = {
        "context": None,
        "tags": {},
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "logs": LogSettings("arn:aws:kms:eu-west-1:1:key/k", 30, 365),
        "load_balancer_security_group_id": "sg-1",
        "test_listener_port": TEST_PORT,
    }
    return SmokeTestHookArgs(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"test_listener_port": 0}, "test_listener_port 0 is not a TCP port"),
        ({"test_listener_port": 65536}, "test_listener_port 65536 is not a TCP port"),
        ({"subnet_ids": []}, "subnet_ids: Lambda takes 1 to 16 subnets, got 0"),
        ({"subnet_ids": [f"subnet-{i}" for i in range(17)]}, "got 17"),
        ({"reserved_concurrency": 0}, "reserved_concurrency must be None or at least 1"),
        ({"reserved_concurrency": -1}, "reserved_concurrency must be None or at least 1"),
    ],
)
def test_arguments_aws_would_refuse_fail_at_once(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_a_reservation_reaches_the_function() -> None:
    from infra.stack import StackContext

    def program(config: StackConfig) -> dict[str, Any]:
        stack = StackContext.create(config)
        hook = SmokeTestHook("smoke", _args(context=stack.context, reserved_concurrency=2), stack.opts())
        return {"arn": hook.function_arn}

    plan, _ = render_program("staging", program)
    assert plan.one(FUNCTION).inputs["reservedConcurrentExecutions"] == 2


# -- the policy pack over a render that holds the hook --------------------------------------------------------------
def findings(plan: Plan, stack: str) -> list[Any]:
    """What the existing pack (over the Analyzer protocol, as `pulumi preview --policy-pack`, with the stack's policy
    config) says about the hook's resources, passes and non-applicable rules left out."""
    run = run_pack(plan, config_path(stack))
    mine = {r.urn for r in plan.resources if r.parent == component(plan).urn} | {component(plan).urn}
    return [r for r in run.results if r.urn in mine and r.outcome not in ("pass", "not-applicable")]


def test_policy_pack_passes_a_staging_render_with_the_hook(plan: Plan) -> None:
    """No mandatory violation and no control left unevaluated (an unknown would show here) for the hook."""
    found = findings(plan, "staging")
    assert not [f for f in found if f.enforcement == "mandatory"], found
    # The one accepted advisory: staging keeps application logs 30 days by the configured exception, like every
    # service's log group. (The Describe actions ENIs need work only on Resource "*" and are on the pack's list.)
    assert [(f.policy, f.name, f.message) for f in found if f.policy != "logs-retention"] == []
    [retention] = [f for f in found if f.policy == "logs-retention"]
    assert (retention.name, retention.outcome) == ("smoke-test-logs", "violation")
    assert retention.message.startswith("retentionInDays is 30; application logs, by the configured exception")


def test_policy_pack_passes_a_production_render_with_the_hook() -> None:
    plan, _ = render_program("production", build)
    found = findings(plan, "production")
    assert not [f for f in found if f.enforcement == "mandatory"], found
    assert found == []  # nothing at all, not even an advisory
    [group] = children(plan, "aws:cloudwatch/logGroup:LogGroup")
    assert group.protect and group.inputs["retentionInDays"] >= 90  # production: protected, kept longer


# -- the plan diff: a new handler is an in-place update, never a new function ------------------------------------
def test_a_handler_change_updates_the_function_in_place(plan: Plan) -> None:
    head = copy.deepcopy(plan)
    [record] = [r for r in head.of_type(FUNCTION) if r.parent == component(plan).urn]
    record.inputs["code"]["archive"]["handler.py"]["sha256"] = "0" * 64
    change = diff_plans(plan, head).get(FUNCTION, "smoke-test")
    assert change.action == "update"
    assert [c.path for c in change.changes] == ["code.archive.handler.py.sha256"]
    record.inputs["name"] = "renamed-hook"
    assert diff_plans(plan, head).get(FUNCTION, "smoke-test").action == "replace"


def test_durable_config_replaces_only_when_added_or_removed() -> None:
    rule = RULES["addedOrRemoved"]
    durable = {"durableConfig": {"executionTimeout": 60}}
    assert rule({}, durable, "durableConfig") and rule(durable, {}, "durableConfig")
    assert not rule(durable, {"durableConfig": {"executionTimeout": 90}}, "durableConfig")
    assert not rule({}, {}, "durableConfig")


PATH_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@given(
    st.lists(st.text(PATH_CHARS, max_size=12).map(lambda p: "/" + p), min_size=0, max_size=12),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=40_000),
)
def test_what_the_program_writes_the_handler_reads_back(paths: list[str], timeout: int, latency: int) -> None:
    """Whatever hook_details accepts, the function parses to the same values; whatever it refuses, it refuses with
    an error naming the hookDetails key."""
    try:
        text = details_document(f"https://{ALB_DNS}:{TEST_PORT}", "api.example.com", paths, timeout, latency)
    except handler.DetailsError as error:
        assert str(error).startswith("hookDetails")
        return
    parsed = handler.parse_details(text)
    assert (list(parsed.paths), parsed.timeout_seconds, parsed.max_latency_ms) == (paths, timeout, latency)
    assert len(paths) * timeout * 1000 + handler.ANSWER_MARGIN_MS <= FUNCTION_TIMEOUT_SECONDS * 1000
    assert parsed.endpoint.scheme == "https" and parsed.endpoint.port == TEST_PORT
