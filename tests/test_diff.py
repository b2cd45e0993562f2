"""The plan diff: every replacement with its cause, cascades through dependencies, protected resources refused,
JSON strings compared as JSON, and the replacement data behind it (provenance, SDK names, full coverage)."""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import json
import keyword
import re
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline import cli
from offline.diff import PlanDiff, diff_plans, to_json, to_markdown
from offline.plan import Plan, ResourceRecord
from offline.project import ROOT
from offline.render import render
from offline.stateful import DATA, RULES, RUNBOOK, STATEFUL_TYPES, TYPES, meta, region_forces

VPC, SUBNET = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"
SG, TG = "aws:ec2/securityGroup:SecurityGroup", "aws:lb/targetGroup:TargetGroup"
SG_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)
NEW_CIDR = {"staging": "10.21.0.0/16", "production": "10.31.0.0/16"}


# -- the data: coverage, provenance, names ---------------------------------------------------------------------


def test_every_type_in_the_plan_has_replacement_data_with_provenance(plan: Plan) -> None:
    custom = {r.type for r in plan.resources if r.custom}
    assert sorted(custom - set(TYPES)) == [], "add these types to offline/data/replacements.json"
    for type_ in custom:
        source = TYPES[type_].source
        assert source["repo"] and source["kind"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["read"]), type_
        if source["repo"] == "hashicorp/terraform-provider-aws":
            assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]) and source["path"].endswith(".go"), type_
            assert isinstance(source["forceNew"], list), type_
        else:
            assert source.get("commit") or source.get("ref"), type_
    assert diff_plans(plan, plan).types_without_data == []


def test_the_data_names_the_sdk_and_provider_versions_it_was_read_for() -> None:
    info = meta()
    assert info["pulumiAws"] == version("pulumi_aws")
    assert info["pulumiDocker"] == version("pulumi_docker")
    assert "terraformProviderAws" in info and info["read"]


def test_a_type_without_data_is_reported(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    stray = copy.deepcopy(head.of_type(VPC)[0])
    stray.type, stray.urn = (
        "random:index/randomPet:RandomPet",
        stray.urn.replace(VPC, "random:index/randomPet:RandomPet"),
    )
    head.resources.append(stray)
    result = diff_plans(staging_plan, head)
    assert result.types_without_data == ["random:index/randomPet:RandomPet"]
    assert "No replacement data for `random:index/randomPet:RandomPet`" in to_markdown(result)


def _args_class(type_: str) -> Any:
    """The SDK's Args class of a resource type (`...InitArgs` where a nested type took the plain name)."""
    if type_ == "pulumi:providers:aws":
        return importlib.import_module("pulumi_aws").ProviderArgs
    if type_.startswith("docker:"):
        return importlib.import_module("pulumi_docker").ImageArgs
    # Through the package's attributes, as programs do: pulumi_aws loads its modules lazily, and importing a
    # resource module directly first breaks that loading for later renders in the same process.
    module_name = type_.split(":")[1].split("/", maxsplit=1)[0]
    module_name += "_" if keyword.iskeyword(module_name) else ""  # aws:lambda/... lives in pulumi_aws.lambda_
    package = getattr(importlib.import_module("pulumi_aws"), module_name)
    name = type_.split(":")[2]
    module = sys.modules[getattr(package, name).__module__]
    return getattr(module, f"{name}InitArgs", None) or getattr(module, f"{name}Args")


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _sdk_has(cls: Any, path: str) -> bool:
    """Does the SDK's Args class (and its nested Args types) take this camelCase input path?"""
    for part in path.split("."):
        params = inspect.signature(cls).parameters
        snake = _snake(part)
        if snake not in params:
            return False
        nested = re.search(r"'(\w+Args)'", str(params[snake].annotation))
        if nested:
            cls = getattr(sys.modules[cls.__module__.rsplit(".", 1)[0]], nested.group(1))
    return True


def test_every_replace_forcing_path_is_an_sdk_input_name() -> None:
    wrong = []
    for type_, data in TYPES.items():
        cls = _args_class(type_)
        paths = [*data.replace_on, *(p for c in data.conditional for p in c.paths)]
        wrong += [f"{type_} {p}" for p in paths if not _sdk_has(cls, p)]
    assert wrong == []
    assert set(RULES) >= {c.rule for d in TYPES.values() for c in d.conditional}


def test_stateful_types_come_from_the_data() -> None:
    raw = json.loads(DATA.read_text())["types"]
    assert {t for t, e in raw.items() if e.get("stateful")} == STATEFUL_TYPES
    assert "aws:rds/instance:Instance" in STATEFUL_TYPES and "aws:ec2/vpc:Vpc" not in STATEFUL_TYPES


# -- acceptance: a network CIDR change, rendered from a modified stack file -------------------------------------


@functools.cache
def cidr_changed(stack: str) -> Plan:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    document["config"]["app-platform:network"] = {"cidr": NEW_CIDR[stack]}
    path = Path(tempfile.mkdtemp(prefix="diff-")) / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return render(stack, stack_file=path)


@pytest.fixture(scope="module", params=["staging", "production"])
def cidr_diff(request: pytest.FixtureRequest, staging_plan: Plan, production_plan: Plan) -> PlanDiff:
    base = staging_plan if request.param == "staging" else production_plan
    head = cidr_changed(request.param)
    assert head.one(VPC).inputs["cidrBlock"] == NEW_CIDR[request.param]
    return diff_plans(base, head)


def _replaced(diff: PlanDiff, type_: str) -> list[Any]:
    changes = [c for c in diff.changes if c.type == type_]
    assert changes, type_
    assert all(c.action == "replace" and c.reasons for c in changes), [(c.name, c.action) for c in changes]
    return changes


def test_a_cidr_change_replaces_the_network_and_says_why(cidr_diff: PlanDiff) -> None:
    (vpc,) = _replaced(cidr_diff, VPC)
    assert vpc.replace_reasons == ["cidrBlock"] and "ipv4_netmask_length" in vpc.reasons[0].detail
    for subnet in _replaced(cidr_diff, SUBNET):
        assert subnet.replace_reasons == ["cidrBlock", "vpcId depends on replaced Vpc network"]
    for group in [*_replaced(cidr_diff, SG), *_replaced(cidr_diff, TG)]:
        assert group.replace_reasons == ["vpcId depends on replaced Vpc network"], group.name
        assert next(p for p in group.changes if p.path == "vpcId").unknown
    for rule in [c for c in cidr_diff.changes if c.type in SG_RULES]:  # transitively, through their group
        assert rule.action == "replace" and rule.replace_reasons[0].startswith("securityGroupId depends on replaced")
    # Dependents whose inputs from the replaced resources change in place are updates, with the value unknown.
    service = next(c for c in cidr_diff.changes if c.type == "aws:ecs/service:Service")
    assert service.action == "update" and any(p.unknown for p in service.changes)
    assert not cidr_diff.destructive and not cidr_diff.refused  # no stateful resource is replaced
    markdown = to_markdown(cidr_diff)
    assert "#### Replacements" in markdown
    line = "`aws:lb/targetGroup:TargetGroup` `api` (create, then delete)"
    assert f"{line} (because of `vpcId` depends on replaced `Vpc network`)" in markdown
    assert "more resources: the JSON diff (`--json`) lists them all" in to_markdown(cidr_diff, max_details_chars=500)
    data = to_json(cidr_diff)
    vpc_json = next(c for c in data["changes"] if c["type"] == VPC)
    assert vpc_json["action"] == "replace" and vpc_json["reasons"][0]["kind"] == "conditional"


# -- cascades, delete-before-replace, providers, rules ---------------------------------------------------------


def _one(plan: Plan, type_: str, name: str | None = None) -> ResourceRecord:
    return plan.one(type_, name) if name else plan.of_type(type_)[0]


def test_cascades_are_transitive_and_honour_delete_before_replace(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    _one(head, VPC).inputs["cidrBlock"] = "10.99.0.0/16"  # nothing else changes: every replacement is a cascade
    _one(head, SG, "db").delete_before_replace = True
    result = diff_plans(staging_plan, head)
    route = next(c for c in result.changes if c.type == "aws:ec2/route:Route")
    assert route.action == "replace" and route.replace_reasons[0].startswith(
        "routeTableId depends on replaced RouteTable"
    )
    db_group = result.get(SG, "db")
    assert db_group.delete_before_replace
    assert "`aws:ec2/securityGroup:SecurityGroup` `db` (delete, then create: gone in between)" in to_markdown(result)
    assert result.get("aws:ec2/internetGateway:InternetGateway", "network").action == "update"  # vpcId in place


def test_a_provider_region_change_replaces_everything_it_manages(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    provider = _one(head, "pulumi:providers:aws")
    provider.inputs["region"] = "eu-central-1"
    result = diff_plans(staging_plan, head)
    assert result.get(provider.type, provider.name).replace_reasons == ["region"]
    managed = {r.urn for r in head.resources if r.provider == provider.urn}
    others = {r.urn for r in head.resources if r.provider and r.provider != provider.urn}  # DR, us-east-1
    assert managed and others
    assert {c.urn for c in result.changes if c.action == "replace"} == managed | {provider.urn}
    assert "depends on replaced provider aws" in result.get(VPC, "network").replace_reasons


def test_region_and_conditional_rules() -> None:
    assert not region_forces(None, "eu-west-1", "eu-west-1") and region_forces("eu-west-1", "us-east-1", "eu-west-1")
    tenancy = RULES["tenancyUnlessDedicatedToDefault"]
    assert not tenancy({"instanceTenancy": "dedicated"}, {"instanceTenancy": "default"}, "instanceTenancy")
    assert tenancy({"instanceTenancy": "default"}, {"instanceTenancy": "dedicated"}, "instanceTenancy")
    arn = RULES["arnServiceChanges"]
    path = "deliveryDestinationConfiguration.destinationResourceArn"
    logs = {"deliveryDestinationConfiguration": {"destinationResourceArn": "arn:aws:logs:eu-west-1:1:log-group:a"}}
    s3 = {"deliveryDestinationConfiguration": {"destinationResourceArn": "arn:aws:s3:::bucket"}}
    assert arn(logs, s3, path) and not arn(logs, logs, path)
    decreased = RULES["whenDecreased"]
    key = "secondaryIpsAutoAssignedPerSubnet"
    assert decreased({key: 3}, {key: 1}, key) and not decreased({key: 1}, {key: 3}, key)


def test_a_security_group_rule_replaces_only_when_its_source_kind_changes(staging_plan: Plan) -> None:
    rule_type = SG_RULES[0]
    head = copy.deepcopy(staging_plan)
    _one(head, rule_type, "db-from-api").inputs["referencedSecurityGroupId"] = "sg-0123456789abcdef0"
    assert diff_plans(staging_plan, head).get(rule_type, "db-from-api").action == "update"
    rule = _one(head, rule_type, "db-from-api")
    del rule.inputs["referencedSecurityGroupId"]
    rule.inputs["cidrIpv4"] = "10.20.0.0/16"
    change = diff_plans(staging_plan, head).get(rule_type, "db-from-api")
    assert change.action == "replace" and {"cidrIpv4", "referencedSecurityGroupId"} <= set(change.replace_reasons)


def test_a_docker_image_rebuilds_in_place(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    image = _one(head, "docker:index/image:Image")
    image.inputs["build"]["platform"] = "linux/amd64"
    assert diff_plans(staging_plan, head).get(image.type, image.name).action == "update"


# -- protected resources ----------------------------------------------------------------------------------------


def test_replacing_or_deleting_a_protected_resource_is_refused(production_plan: Plan) -> None:
    head = copy.deepcopy(production_plan)
    db = head.one("aws:rds/instance:Instance", "db")
    assert db.protect
    db.inputs["username"] = "app_owner"
    gone = next(r for r in head.resources if r.type == "aws:cloudwatch/logGroup:LogGroup" and r.protect)
    head.resources.remove(gone)
    result = diff_plans(production_plan, head)
    refused = {(c.type.rsplit(":", 1)[-1], c.name, c.action): c.replace_reasons for c in result.refused}
    assert refused == {
        ("Instance", "db", "replace"): ["username"],
        # the cross-region backup replication is protected too and is replaced with the instance it copies
        ("InstanceAutomatedBackupsReplication", "db-dr", "replace"): [
            "sourceDbInstanceArn depends on replaced Instance db"
        ],
        ("LogGroup", gone.name, "delete"): [],
    }
    markdown = to_markdown(result)
    assert markdown.index("[!WARNING]") < markdown.index("[!CAUTION]")
    assert "**REPLACE REFUSED** `aws:rds/instance:Instance` `db` (because of `username`)" in markdown
    assert RUNBOOK in markdown and (ROOT / RUNBOOK).is_file()
    data = to_json(result)
    assert data["runbook"] == RUNBOOK and db.urn in data["refused"]


def test_unprotecting_in_the_same_change_is_not_refused(production_plan: Plan) -> None:
    """The engine refuses a replacement only while the state and the program both protect the resource."""
    head = copy.deepcopy(production_plan)
    db = head.one("aws:rds/instance:Instance", "db")
    db.inputs["username"], db.protect = "app_owner", False
    result = diff_plans(production_plan, head)
    change = result.get(db.type, "db")
    assert change.action == "replace" and not change.refused
    assert [c.name for c in result.refused] == ["db-dr"]  # its protected dependent still stops `pulumi up`


# -- JSON strings -----------------------------------------------------------------------------------------------


def test_a_json_string_change_lists_the_changed_keys(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    dashboard = _one(head, "aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    body["widgets"][0]["properties"]["markdown"] = "## Overview (new)"
    width = body["widgets"][1]["width"]
    body["widgets"][1]["width"] = width + 1
    dashboard.inputs["dashboardBody"] = json.dumps(body)
    task = _one(head, "aws:ecs/taskDefinition:TaskDefinition", "api")
    containers = json.loads(task.inputs["containerDefinitions"])
    containers[0]["stopTimeout"] = 60
    task.inputs["containerDefinitions"] = json.dumps(containers)
    role = next(r for r in head.resources if r.type == "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    trust["Statement"][0]["Effect"] = "Deny"
    role.inputs["assumeRolePolicy"] = json.dumps(trust)
    result = diff_plans(staging_plan, head)
    (policy_change,) = result.get(role.type, role.name).changes
    assert [(j.path, j.after) for j in policy_change.json_changes] == [("Statement[0].Effect", "Deny")]
    (body_change,) = result.get(dashboard.type, dashboard.name).changes
    assert [j.path for j in body_change.json_changes] == ["widgets[0].properties.markdown", "widgets[1].width"]
    task_change = result.get(task.type, "api")
    assert task_change.action == "replace" and task_change.replace_reasons == ["containerDefinitions"]
    assert [j.path for j in task_change.changes[0].json_changes] == ["[name=api].stopTimeout"]
    markdown = to_markdown(result)
    assert "    - `widgets[0].properties.markdown`: `## Overview` → `## Overview (new)`" in markdown
    assert "    - `[name=api].stopTimeout`: `30` → `60`" in markdown
    assert "JSON reformatted, no key or value changed" not in markdown
    as_json = next(c for c in to_json(result)["changes"] if c["type"] == dashboard.type)
    assert as_json["properties"][0]["json"][1] == {"path": "widgets[1].width", "before": width, "after": width + 1}


# -- the CLI ----------------------------------------------------------------------------------------------------


def test_cli_diff_writes_json(staging_plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = copy.deepcopy(staging_plan)
    _one(head, VPC).inputs["cidrBlock"] = "10.99.0.0/16"
    staging_plan.write(tmp_path / "base.json")
    head.write(tmp_path / "head.json")
    args = ["diff", str(tmp_path / "base.json"), str(tmp_path / "head.json"), "--markdown", str(tmp_path / "d.md")]
    assert cli.main([*args, "--json", str(tmp_path / "d.json")]) == cli.EXIT_OK
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["counts"]["replace"] > 10 and data["refused"] == []
    assert any(r["text"] == "vpcId depends on replaced Vpc network" for c in data["changes"] for r in c["reasons"])
    assert "diff JSON written to" in capsys.readouterr().out


# -- property details -------------------------------------------------------------------------------------------


def test_ignored_changes_and_aliases_are_honoured(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    vpc = _one(head, VPC)
    vpc.inputs["cidrBlock"], vpc.ignore_changes = "10.99.0.0/16", ["cidrBlock"]
    group = next(r for r in head.resources if r.type == "aws:cloudwatch/logGroup:LogGroup")
    old_urn = group.urn
    group.urn, group.aliases = old_urn.replace(group.name, f"{group.name}-renamed"), [old_urn]
    group.inputs["retentionInDays"] = 400
    result = diff_plans(staging_plan, head)
    assert [(c.type, c.action, [p.path for p in c.changes]) for c in result.changes] == [
        (group.type, "update", ["retentionInDays"])
    ]


def test_lists_of_named_objects_are_compared_by_name() -> None:
    from offline.diff import _walk

    old = [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]
    new = [{"name": "b", "value": "3"}, {"name": "a", "value": "1"}, {"name": "c", "value": "4"}]
    assert [(p.path, p.before, p.after) for p in _walk("env", old, new)] == [
        ("env[name=b].value", "2", "3"),
        ("env[name=c]", None, {"name": "c", "value": "4"}),
        ("env(order)", ["name=a", "name=b"], ["name=b", "name=a"]),
    ]


_FORCES = re.compile(
    r"forces? (a )?new resource|cannot be changed after|forces? (a )?replacement|will force a recreation", re.I
)


def test_inputs_the_sdk_documents_as_replacing_are_in_the_data() -> None:
    """The installed SDK's docstrings (the bridged provider's docs) against the data, for every type."""
    missing = []
    for type_, data in TYPES.items():
        if not type_.startswith("aws:"):
            continue
        source = inspect.getsource(sys.modules[_args_class(type_).__module__])
        documented = {
            m.group(1) for m in re.finditer(r":param [^\n]*?\]+ (\w+): ([^\n]*)", source) if _FORCES.search(m.group(2))
        }
        listed = {_snake(p.split(".")[0]) for p in data.replace_on} | {
            _snake(p) for c in data.conditional for p in c.paths
        }
        missing += [f"{type_} {name}" for name in sorted(documented - listed)]
    assert missing == []


def test_a_reformatted_json_string_is_not_a_key_change(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    dashboard = _one(head, "aws:cloudwatch/dashboard:Dashboard")
    dashboard.inputs["dashboardBody"] = json.dumps(json.loads(dashboard.inputs["dashboardBody"]), indent=2)
    result = diff_plans(staging_plan, head)
    (change,) = result.get(dashboard.type, dashboard.name).changes
    assert change.json_equal and change.json_changes == ()
    assert "  - `dashboardBody`: JSON reformatted, no key or value changed" in to_markdown(result)


def test_a_create_before_replace_keeping_a_fixed_name_is_flagged(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    db = head.one("aws:rds/instance:Instance", "db")
    db.inputs["username"] = "app_owner"
    result = diff_plans(staging_plan, head)
    assert result.get(db.type, "db").name_collision == "identifier"
    assert "keeps its `identifier` while the new one is created first" in to_markdown(result)
    db.delete_before_replace = True
    assert diff_plans(staging_plan, head).get(db.type, "db").name_collision is None


def test_a_change_the_provider_rejects_is_reported(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    service = head.one("aws:ecs/service:Service", "api")
    service.inputs["capacityProviderStrategies"] = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    result = diff_plans(staging_plan, head)
    change = result.get(service.type, "api")
    assert change.action == "update" and change.plan_errors and result.rejected == [change]
    assert "**The provider would reject these changes**" in to_markdown(result)
    service.inputs["forceNewDeployment"] = True
    assert not diff_plans(staging_plan, head).rejected
