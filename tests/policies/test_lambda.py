"""Lambda rules (FSBP Lambda.1, .2, .3, .5 and the function's log group) on a smoke-test hook as the engine records
it with pulumi-aws 7.51 input names: the wiring of issue #22 is not on main yet, so the function is synthetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import botocore.session
import pytest
from pulumi_aws.lambda_ import Runtime as PulumiRuntime

from offline.plan import Plan, ResourceRecord
from policies import lambda_runtimes
from policies.rules import lambdas
from tests.policies.support import Case, drop, outcome, plan_of, put, record

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
URL = "aws:lambda/functionUrl:FunctionUrl"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def linked(rec: ResourceRecord, **links: list[ResourceRecord]) -> ResourceRecord:
    """`rec` whose inputs named in `links` came from those resources (the engine's property dependencies)."""
    rec.property_dependencies = {k: [r.urn for r in v] for k, v in links.items()}
    rec.dependencies = sorted({r.urn for v in links.values() for r in v})
    return rec


def hook_plan(
    *,
    zones: tuple[str, ...] = ("eu-west-1a", "eu-west-1b"),
    log_group: dict[str, Any] | None = None,
    explicit: bool = True,
    group_name: str = "/aws/lambda/smoke-test",
) -> Plan:
    subnets = [record(SUBNET, f"private-{i}", {"vpcId": "vpc-1", "availabilityZone": z}) for i, z in enumerate(zones)]
    group = record(SG, "smoke-test", {"vpcId": "vpc-1", "description": "smoke test hook"})
    logs = record(
        LOG_GROUP,
        "smoke-test-logs",
        {"name": group_name, "retentionInDays": 90, "kmsKeyId": KEY_ARN, **(log_group or {})},
    )
    inputs: dict[str, Any] = {
        "name": "smoke-test",
        "runtime": "python3.13",
        "packageType": "Zip",
        "handler": "handler.handle",
        "vpcConfig": {"subnetIds": [f"subnet-{i}" for i in range(len(zones))], "securityGroupIds": ["sg-smoke"]},
    }
    links = {"vpcConfig": [*subnets, group]}
    if explicit:
        inputs["loggingConfig"] = {"logFormat": "JSON", "logGroup": group_name}
        links["loggingConfig"] = [logs]
    function = linked(record(FUNCTION, "smoke-test", inputs), **links)
    return plan_of(*subnets, group, logs, function)


def with_permission(inputs: dict[str, Any], type_: str = PERMISSION) -> Plan:
    plan = hook_plan()
    plan.resources.append(record(type_, "hook-invoke", {"function": "smoke-test", **inputs}))
    return plan


def no_log_group() -> Plan:
    plan = hook_plan(explicit=False)
    plan.resources = [r for r in plan.resources if r.type != LOG_GROUP]
    return plan


def default_group_from_output() -> Plan:
    """The default /aws/lambda/<name> group, its name built from the function's (auto-named) name output."""
    plan = hook_plan(explicit=False, group_name="[unknown]")
    function, group = plan.one(FUNCTION), plan.one(LOG_GROUP)
    function.inputs.pop("name")
    group.property_dependencies = {"name": [function.urn]}
    return plan


def undeclared_subnet() -> Plan:
    plan = hook_plan()
    plan.one(FUNCTION).inputs["vpcConfig"]["subnetIds"].append("subnet-imported")
    return plan


RUNTIME, VPC, AZ = "lambda-runtime-supported", "lambda-in-vpc", "lambda-vpc-multi-az"
LOGS, PUBLIC = "lambda-log-group-retention-kms", "lambda-not-public"
CASES = [
    Case(RUNTIME, FUNCTION, None, None, "pass", build=hook_plan),
    Case(RUNTIME, FUNCTION, None, put("runtime", "python3.9"), "violation", build=hook_plan, contains="2025-12-15"),
    Case(RUNTIME, FUNCTION, None, put("runtime", "nodejs20.x"), "violation", build=hook_plan),
    Case(RUNTIME, FUNCTION, None, put("runtime", "Python3.13"), "violation", build=hook_plan, contains="python3.13"),
    Case(RUNTIME, FUNCTION, None, put("runtime", "python3.99"), "violation", build=hook_plan, contains="not a runtime"),
    Case(RUNTIME, FUNCTION, None, drop("runtime"), "violation", build=hook_plan),
    Case(RUNTIME, FUNCTION, None, put("packageType", "Image"), "not-applicable", build=hook_plan),
    Case(VPC, FUNCTION, None, None, "pass", build=hook_plan),
    Case(VPC, FUNCTION, None, drop("vpcConfig"), "violation", build=hook_plan),
    Case(VPC, FUNCTION, None, put("vpcConfig.securityGroupIds", []), "violation", build=hook_plan),
    Case(AZ, FUNCTION, None, None, "pass", build=hook_plan),
    Case(AZ, FUNCTION, None, None, "violation", build=lambda: hook_plan(zones=("eu-west-1a", "eu-west-1a"))),
    Case(AZ, FUNCTION, None, None, "violation", build=undeclared_subnet, contains="not declared"),
    Case(LOGS, FUNCTION, None, None, "pass", build=hook_plan),
    Case(LOGS, FUNCTION, None, None, "pass", build=lambda: hook_plan(explicit=False)),
    Case(LOGS, FUNCTION, None, None, "pass", build=default_group_from_output),
    Case(LOGS, FUNCTION, None, None, "violation", build=no_log_group, contains="/aws/lambda/smoke-test"),
    Case(LOGS, FUNCTION, None, None, "violation", build=lambda: hook_plan(log_group={"kmsKeyId": None})),
    Case(LOGS, FUNCTION, None, None, "violation", build=lambda: hook_plan(log_group={"retentionInDays": None})),
    # The default group's name must be the function's: another group proves nothing.
    Case(LOGS, FUNCTION, None, None, "violation", build=lambda: hook_plan(explicit=False, group_name="/aws/lambda/x")),
    Case(
        PUBLIC,
        PERMISSION,
        None,
        None,
        "pass",
        build=lambda: with_permission(
            {"action": "lambda:InvokeFunction", "principal": "ecs.amazonaws.com", "sourceAccount": "123456789012"}
        ),
    ),
    Case(
        PUBLIC,
        PERMISSION,
        None,
        None,
        "violation",
        build=lambda: with_permission({"action": "lambda:InvokeFunction", "principal": "*"}),
    ),
    Case(
        PUBLIC,
        PERMISSION,
        None,
        None,
        "pass",
        build=lambda: with_permission(
            {"action": "lambda:InvokeFunction", "principal": "*", "principalOrgId": "o-abc123"}
        ),
    ),
    Case(
        PUBLIC,
        PERMISSION,
        None,
        None,
        "violation",
        build=lambda: with_permission(
            {"action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::b"}
        ),
    ),
    Case(
        PUBLIC,
        PERMISSION,
        None,
        None,
        "violation",
        build=lambda: with_permission(
            {
                "action": "lambda:InvokeFunctionUrl",
                "principal": "*",
                "sourceAccount": "1",
                "functionUrlAuthType": "none",
            }
        ),
    ),
    Case(PUBLIC, URL, None, None, "violation", build=lambda: with_permission({"authorizationType": "NONE"}, URL)),
    Case(PUBLIC, URL, None, None, "violation", build=lambda: with_permission({"authorizationType": "aws_iam"}, URL)),
    Case(PUBLIC, URL, None, None, "pass", build=lambda: with_permission({"authorizationType": "AWS_IAM"}, URL)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def test_runtime_rule_judges_the_day_of_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """python3.13 passes today and fails once its deprecation date has passed, without a code change."""
    assert outcome(RUNTIME, hook_plan(), FUNCTION)[0] == "pass"
    monkeypatch.setattr(lambdas, "today", lambda: datetime(2029, 7, 1, tzinfo=UTC))
    got, messages = outcome(RUNTIME, hook_plan(), FUNCTION)
    assert got == "violation" and "2029-06-30" in messages[0], messages


def test_every_listed_runtime_is_an_identifier_the_lambda_api_accepts() -> None:
    """Spelled as the API's Runtime enum (botocore's model); the two container-only .NET runtimes say so."""
    accepted = set(botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum)
    outside = {r.identifier for r in lambda_runtimes.RUNTIMES} - accepted
    assert outside == {r.identifier for r in lambda_runtimes.RUNTIMES if r.note == lambda_runtimes.CONTAINER_ONLY}


def test_every_runtime_pulumi_aws_offers_has_a_sourced_date() -> None:
    """A runtime the provider offers is never "unknown" to the rule: it is supported or deprecated by date."""
    assert {r.value for r in PulumiRuntime} <= set(lambda_runtimes.BY_IDENTIFIER)


def test_supported_on_the_day_the_list_was_read() -> None:
    supported = lambda_runtimes.supported(date(2026, 12, 3))
    assert {"python3.13", "python3.14", "nodejs24.x", "nodejs22.x"} <= set(supported)
    assert not {"python3.11", "python3.9", "nodejs20.x", "dotnet8"} & set(supported)
