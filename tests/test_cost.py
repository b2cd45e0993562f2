"""The cost estimate: every billable type priced or classified, lines computed from the table, deltas of real
config changes, the JSON contract, and the CLI's budget exit code."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offline import cli
from offline.cost.command import estimate_plan
from offline.cost.estimate import Estimate, Line, ResourceCost, compare, estimate
from offline.cost.prices import PriceTable, load_table
from offline.cost.refresh import SELECTORS, parse_offer
from offline.cost.report import SCHEMA, to_json, to_markdown
from offline.cost.rules import FREE, HOURS, NOT_MODELLED, PRICERS, rotations_billed, split_tasks
from offline.cost.usage import Usage, default_usage_path, load_usage
from offline.plan import Plan, ResourceRecord
from offline.render import render
from tests.helpers import stack_config

FIXTURES = Path(__file__).parent / "fixtures" / "cost"
REGION = "eu-west-1"


@functools.cache
def table() -> PriceTable:
    return load_table()


def usage(stack: str) -> Usage:
    return load_usage(default_usage_path(stack))[0]


def lines_of(est: Estimate, type_: str, key_prefix: str = "") -> list[tuple[ResourceCost, Line]]:
    return [(r, line) for r, line in est.lines if r.type == type_ and line.key.startswith(key_prefix)]


def price(key: str, region: str = REGION, source: PriceTable | None = None) -> float:
    line = (source or table()).get(key, region)
    assert line is not None and line.usd is not None, f"{key} in {region} has no sourced price"
    return line.usd


@functools.cache
def fixture_table() -> PriceTable:
    """The shipped table with the lines the refresh parser reads from the offer-file fixtures (synthetic prices)."""
    units = {key: p.unit for (key, _), p in table().prices.items()}
    result = parse_offer(json.loads((FIXTURES / "AmazonRDS_eu-west-1.json").read_text()), REGION, SELECTORS, units)
    return table().with_prices(result.prices, result.sources)


@functools.cache
def variant(stack: str, section: str, change: str) -> Plan:
    """The stack rendered with one config section merged with `change` (JSON)."""
    raw, secrets = stack_config(stack, **{section: json.loads(change)})
    return render(stack, overrides=raw, secret_keys=secrets)


# -- every billable resource is priced, and every charge has a table line ------------------------------------
def test_rules_and_table_agree_on_the_month() -> None:
    assert table().hours_per_month == HOURS == 730


def test_type_lists_are_disjoint() -> None:
    assert not set(PRICERS) & set(FREE)
    assert not set(PRICERS) & set(NOT_MODELLED)
    assert not set(FREE) & set(NOT_MODELLED)


def test_no_resource_type_of_either_stack_is_unclassified(plan: Plan) -> None:
    est = estimate(plan, table(), usage(plan.stack))
    assert [r.type for r in est.unclassified] == [], (
        "classify these types in offline/cost/rules.py: PRICERS (billable), FREE or NOT_MODELLED (with the reason)"
    )


def test_every_charge_of_either_stack_has_a_price_table_line(plan: Plan) -> None:
    """A gap in the table (not a missing source, which is a null price) fails here."""
    est = estimate(plan, table(), Usage(services={"api": {"averageTasks": 3}}))  # also the Spot lines
    missing = [(r.name, line.key, line.region) for r, line in est.lines if table().get(line.key, line.region) is None]
    assert missing == [], "add these keys (for every stack region) to offline/cost/prices.json, usd null if unsourced"


def test_a_new_billable_type_is_reported_unclassified_not_free(staging_plan: Plan) -> None:
    plan = copy.deepcopy(staging_plan)
    stranger = ResourceRecord(
        "urn:pulumi:staging::app-platform::aws:neptune/cluster:Cluster::graph",
        "aws:neptune/cluster:Cluster",
        "graph",
        True,
        None,
        {},
    )
    plan.resources.append(stranger)
    est = estimate(plan, table(), Usage())
    assert [r.type for r in est.unclassified] == ["aws:neptune/cluster:Cluster"]
    assert not est.complete
    assert to_json(est)["unclassifiedTypes"] == ["aws:neptune/cluster:Cluster"]
    assert "Unclassified resource types" in to_markdown(est)


def test_a_charge_without_a_table_line_is_unpriced_and_named(staging_plan: Plan) -> None:
    plan = copy.deepcopy(staging_plan)
    plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["loadBalancerType"] = "network"
    est = estimate(plan, table(), Usage())
    problems = [line.problem for r, line in est.unpriced if r.type == "aws:lb/loadBalancer:LoadBalancer"]
    assert problems and all(p and p.startswith("no line for elb.nlb_") for p in problems)


# -- lines computed from the plan and the table ------------------------------------------------------------
def test_fargate_vcpu_and_memory_hours_by_architecture(plan: Plan) -> None:
    est = estimate(plan, table(), Usage())
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    service = plan.one("aws:ecs/service:Service", "api")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    tasks = float(service.inputs["desiredCount"])
    vcpu, gb = float(task.inputs["cpu"]) / 1024, float(task.inputs["memory"]) / 1024
    got = {line.key: line.monthly_usd for _, line in lines_of(est, "aws:ecs/service:Service")}
    assert got == pytest.approx(
        {
            "fargate.vcpu_hour.arm64": tasks * vcpu * 730 * price("fargate.vcpu_hour.arm64"),
            "fargate.gb_hour.arm64": tasks * gb * 730 * price("fargate.gb_hour.arm64"),
        }
    )


@pytest.mark.parametrize(
    ("tasks", "strategies", "expected"),
    [
        (
            1,
            [
                {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1},
            ],
            {"FARGATE": 1, "FARGATE_SPOT": 0},
        ),
        (
            3,
            [
                {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1},
            ],
            {"FARGATE": 2, "FARGATE_SPOT": 1},
        ),
        (
            5,
            [
                {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3},
            ],
            {"FARGATE": 2, "FARGATE_SPOT": 3},
        ),
        (2, [{"capacityProvider": "FARGATE", "base": 2, "weight": 1}], {"FARGATE": 2}),
        (4, [], {"FARGATE": 4}),
    ],
)
def test_tasks_split_by_capacity_provider_base_then_weight(
    tasks: float, strategies: list[dict[str, object]], expected: dict[str, float]
) -> None:
    assert split_tasks(tasks, strategies) == expected


def test_spot_share_of_staging_comes_from_the_service_strategy(staging_plan: Plan) -> None:
    est = estimate(staging_plan, table(), Usage(services={"api": {"averageTasks": 3}}))
    spot = lines_of(est, "aws:ecs/service:Service", "fargate_spot.")
    assert [line.quantity for _, line in spot] == pytest.approx([1 * 0.25 * 730, 1 * 0.5 * 730])
    assert all(line.usage_keys == ("services.api.averageTasks",) for _, line in spot)
    assert all(not line.priced and "no sourced price" in (line.problem or "") for _, line in spot)


def test_fargate_spot_is_priced_by_architecture_from_the_table(staging_plan: Plan) -> None:
    """Staging's spot share runs ARM64 (no sourced Spot price: unpriced, never $0); on X86_64 it is priced."""
    busy = Usage(services={"api": {"averageTasks": 3}})
    arm = lines_of(estimate(staging_plan, table(), busy), "aws:ecs/service:Service", "fargate_spot.")
    assert {line.key for _, line in arm} == {"fargate_spot.vcpu_hour.arm64", "fargate_spot.gb_hour.arm64"}
    assert all(not line.priced and line.monthly_usd is None for _, line in arm)
    plan = copy.deepcopy(staging_plan)
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    task.inputs["runtimePlatform"]["cpuArchitecture"] = "X86_64"
    vcpu, gb = float(task.inputs["cpu"]) / 1024, float(task.inputs["memory"]) / 1024
    x86 = lines_of(estimate(plan, table(), busy), "aws:ecs/service:Service", "fargate_spot.")
    assert {line.key: line.monthly_usd for _, line in x86} == pytest.approx(
        {
            "fargate_spot.vcpu_hour.x86_64": 1 * vcpu * 730 * price("fargate_spot.vcpu_hour.x86_64"),
            "fargate_spot.gb_hour.x86_64": 1 * gb * 730 * price("fargate_spot.gb_hour.x86_64"),
        }
    )


def test_nat_gateways_and_their_addresses(plan: Plan) -> None:
    est = estimate(plan, table(), usage(plan.stack))
    gateways = plan.of_type("aws:ec2/natGateway:NatGateway")
    hours = lines_of(est, "aws:ec2/natGateway:NatGateway", "ec2.nat_gateway_hour")
    data = lines_of(est, "aws:ec2/natGateway:NatGateway", "ec2.nat_gateway_gb")
    assert len(hours) == len(gateways) == (1 if plan.stack == "staging" else 3)
    assert sum(line.monthly_usd or 0 for _, line in hours) == pytest.approx(len(gateways) * 730 * 0.048)
    assert sum(line.quantity for _, line in data) == pytest.approx(usage(plan.stack).nat_gb_per_month)
    assert all(line.usage_dependent for _, line in data) and not any(line.usage_dependent for _, line in hours)
    addresses = lines_of(est, "aws:ec2/eip:Eip")
    assert sum(line.monthly_usd or 0 for _, line in addresses) == pytest.approx(
        len(gateways) * 730 * price("vpc.public_ipv4_hour")
    )


def test_interface_endpoints_bill_per_zone_and_gateway_endpoints_nothing(production_plan: Plan) -> None:
    est = estimate(production_plan, table(), Usage())
    endpoints = production_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    interface = [e for e in endpoints if e.inputs["vpcEndpointType"] == "Interface"]
    hours = lines_of(est, "aws:ec2/vpcEndpoint:VpcEndpoint", "vpc.interface_endpoint_hour")
    assert sum(line.quantity for _, line in hours) == 730 * sum(len(e.inputs["subnetIds"]) for e in interface)
    assert {r.name for r, _ in lines_of(est, "aws:ec2/vpcEndpoint:VpcEndpoint")} == {e.name for e in interface}


def test_database_lines_follow_class_deployment_and_storage(plan: Plan) -> None:
    db = plan.one("aws:rds/instance:Instance")
    est = estimate(plan, table(), Usage())
    keys = {line.key: line for _, line in lines_of(est, "aws:rds/instance:Instance")}
    deployment = "multi_az" if db.inputs["multiAz"] else "single_az"
    assert (plan.stack == "production") == (deployment == "multi_az")
    assert keys[f"rds.postgres.{db.inputs['instanceClass']}.{deployment}_hour"].quantity == 730
    assert keys[f"rds.storage.gp3.{deployment}_gb_month"].quantity == db.inputs["allocatedStorage"]
    assert keys["secretsmanager.secret_month"].monthly_usd == pytest.approx(price("secretsmanager.secret_month"))
    assert ("rds.performance_insights_long_term_vcpu_month" in keys) == (plan.stack == "production")


def test_cross_region_copies_are_priced_in_both_regions(production_plan: Plan, staging_plan: Plan) -> None:
    est = estimate(production_plan, table(), Usage())
    backup = [(line.key, line.region) for _, line in lines_of(est, "aws:backup/plan:Plan")]
    assert backup == [
        ("backup.rds_snapshot_gb_month", "eu-west-1"),
        ("data_transfer.inter_region_gb", "eu-west-1"),
        ("backup.rds_snapshot_gb_month", "eu-central-1"),
    ]
    replication = lines_of(est, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert [(line.key, line.region) for _, line in replication] == [
        ("data_transfer.inter_region_gb", "eu-west-1"),
        ("rds.backup_storage_gb_month", "eu-central-1"),
    ]
    staging = estimate(staging_plan, table(), Usage())
    assert [line.region for _, line in lines_of(staging, "aws:backup/plan:Plan")] == ["eu-west-1"]


def test_alarms_bill_each_metric_they_read(plan: Plan) -> None:
    est = estimate(plan, table(), Usage())
    alarms = {r.name: line for r, line in lines_of(est, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    for record in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        queries = record.inputs.get("metricQueries") or []
        expected = sum(1 for q in queries if q.get("metric")) or 1
        assert alarms[record.name].quantity == expected, record.name
    assert alarms[f"app-platform-{plan.stack}-alb-5xx-rate"].quantity == 3
    edge = [line for r, line in lines_of(est, "aws:cloudwatch/metricAlarm:MetricAlarm") if line.region == "us-east-1"]
    assert edge and all(
        line.monthly_usd == pytest.approx(price("cloudwatch.alarm_metric_month", "us-east-1")) for line in edge
    )


def test_health_check_options_are_priced_as_features(plan: Plan) -> None:
    est = estimate(plan, table(), Usage())
    check = plan.one("aws:route53/healthCheck:HealthCheck")
    features = lines_of(est, "aws:route53/healthCheck:HealthCheck", "route53.health_check_feature_non_aws")
    expected = 2 + (1 if check.inputs["requestInterval"] == 10 else 0)  # HTTPS, latency (+ fast interval)
    assert [line.quantity for _, line in features] == [expected]
    assert features[0][1].monthly_usd == pytest.approx(expected * price("route53.health_check_feature_non_aws_month"))
    aws_endpoint = estimate(plan, table(), Usage(health_check_endpoint="aws"))
    assert lines_of(aws_endpoint, "aws:route53/healthCheck:HealthCheck", "route53.health_check_feature_aws")


def test_waf_rules_count_each_rule_group_once(plan: Plan) -> None:
    acl = plan.one("aws:wafv2/webAcl:WebAcl")
    est = estimate(plan, table(), Usage())
    rules = lines_of(est, "aws:wafv2/webAcl:WebAcl", "wafv2.rule_month")
    assert [line.quantity for _, line in rules] == [len(acl.inputs["rules"])]
    assert all(line.region == "global" for _, line in lines_of(est, "aws:wafv2/webAcl:WebAcl"))


def test_log_storage_follows_retention(plan: Plan) -> None:
    assumptions = usage(plan.stack)
    est = estimate(plan, table(), assumptions)
    for resource, line in lines_of(est, "aws:cloudwatch/logGroup:LogGroup", "cloudwatch.logs_storage"):
        record = plan.by_urn(resource.urn)
        assert line.quantity == pytest.approx(
            assumptions.log_gb(record.name) * record.inputs["retentionInDays"] / (365 / 12)
        )


@pytest.mark.parametrize(
    ("age", "period", "rotations"),
    [
        (0, 365, 0),
        (364, 365, 0),
        (365, 365, 1),
        (729, 365, 1),
        (730, 365, 2),
        (3650, 365, 2),
        (100, 90, 1),
        (200, 90, 2),
        (10, 0, 0),
    ],
)
def test_rotations_billed_stop_at_the_second(age: float, period: float, rotations: int) -> None:
    assert rotations_billed(age, period) == rotations


def test_each_rotating_key_bills_its_rotated_material_from_the_table(plan: Plan) -> None:
    keys = plan.of_type("aws:kms/key:Key")
    assert keys and all(k.inputs["enableKeyRotation"] and k.inputs["rotationPeriodInDays"] == 365 for k in keys)
    new = lines_of(estimate(plan, table(), Usage()), "aws:kms/key:Key", "kms.rotated_key_material_month")
    assert len(new) == len(keys) and all(line.quantity == 0 and line.priced for _, line in new)
    old = lines_of(
        estimate(plan, table(), Usage(kms_key_age_days=800)), "aws:kms/key:Key", "kms.rotated_key_material_month"
    )
    assert all(line.usage_keys == ("kmsKeyAgeDays",) and line.verified for _, line in old)
    assert sum(line.monthly_usd or 0 for _, line in old) == pytest.approx(
        sum(2 * price("kms.rotated_key_material_month", line.region) for _, line in old)
    )
    unrotated = copy.deepcopy(plan)
    unrotated.of_type("aws:kms/key:Key")[0].inputs["enableKeyRotation"] = False
    fewer = lines_of(estimate(unrotated, table(), Usage()), "aws:kms/key:Key", "kms.rotated_key_material_month")
    assert len(fewer) == len(keys) - 1


def test_total_is_the_sum_of_priced_lines_and_of_top_level_components(plan: Plan) -> None:
    est = estimate(plan, table(), usage(plan.stack))
    assert est.total_usd == pytest.approx(sum(line.monthly_usd or 0 for _, line in est.lines))
    top = sum(c.monthly_usd for c in est.components if c.depth == 0)
    loose = sum(r.monthly_usd for r in est.resources if r.component is None)
    assert top + loose == pytest.approx(est.total_usd)
    assert est.total_usd > 0 and est.unpriced, "the shipped table leaves some lines unpriced; they must show"


def test_usage_dependent_lines_name_the_keys_they_read(plan: Plan) -> None:
    est = estimate(plan, table(), usage(plan.stack))
    dependent = {line.key for _, line in est.lines if line.usage_dependent}
    assert {"ec2.nat_gateway_gb", "elb.alb_lcu_hour", "cloudwatch.logs_ingest_gb"} <= dependent
    assert not {"ec2.nat_gateway_hour", "kms.key_month", "elb.alb_hour"} & dependent


def test_production_costs_more_than_staging(staging_plan: Plan, production_plan: Plan) -> None:
    staging = estimate(staging_plan, table(), usage("staging"))
    production = estimate(production_plan, table(), usage("production"))
    assert production.total_usd > staging.total_usd


# -- deltas of real configuration changes, computed from the table -------------------------------------------
def test_nat_count_change_delta(staging_plan: Plan) -> None:
    per_az = variant("staging", "network", '{"natGateways": "perAz"}')
    base, head = estimate(staging_plan, table(), Usage()), estimate(per_az, table(), Usage())
    delta = compare(base, head)
    nat = "aws:ec2/natGateway:NatGateway"
    added = len(per_az.of_type(nat)) - len(staging_plan.of_type(nat))
    assert added == 1
    expected = added * 730 * (price("ec2.nat_gateway_hour") + price("vpc.public_ipv4_hour"))
    assert delta.delta_usd == pytest.approx(expected)
    changes = {(r.type, r.change) for r in delta.resources}
    assert ("aws:ec2/natGateway:NatGateway", "added") in changes and ("aws:ec2/eip:Eip", "added") in changes
    assert delta.complete


def test_instance_class_change_delta_from_the_table(staging_plan: Plan) -> None:
    """Priced from the offer-file fixture (synthetic prices): the delta is exactly the rate difference x 730."""
    prices = fixture_table()
    bigger = variant("staging", "database", '{"instanceClass": "db.m7g.large"}')
    base = estimate(staging_plan, prices, Usage())
    head = estimate(bigger, prices, Usage())
    delta = compare(base, head)
    expected = 730 * (
        price("rds.postgres.db.m7g.large.single_az_hour", source=prices)
        - price("rds.postgres.db.t4g.small.single_az_hour", source=prices)
    )
    assert delta.delta_usd == pytest.approx(expected)
    assert [(r.name, r.change) for r in delta.resources] == [("db", "changed")]
    assert delta.resources[0].delta_usd == pytest.approx(expected)


def test_instance_class_change_delta_uses_the_shipped_table_prices(staging_plan: Plan) -> None:
    """A real class change priced from the shipped table: both rates are sourced, so the delta is complete."""
    smaller = variant("staging", "database", '{"instanceClass": "db.t4g.micro"}')
    delta = compare(estimate(staging_plan, table(), Usage()), estimate(smaller, table(), Usage()))
    keys = ("rds.postgres.db.t4g.micro.single_az_hour", "rds.postgres.db.t4g.small.single_az_hour")
    for key in keys:
        line = table().get(key, REGION)
        assert line is not None and table().sources[line.source].kind in ("aws", "secondary")
    expected = 730 * (price(keys[0]) - price(keys[1]))
    assert expected < 0
    assert delta.complete and delta.delta_usd == pytest.approx(expected)
    assert [(r.name, r.change, r.unpriced_keys) for r in delta.resources] == [("db", "changed", ())]


def test_multi_az_change_delta_prices_instance_and_storage_from_the_shipped_table(staging_plan: Plan) -> None:
    """Multi-AZ changes the instance rate and the storage rate (the standby's copy), both from the table."""
    ha = variant("staging", "database", '{"instanceClass": "db.t4g.medium", "multiAz": true}')
    delta = compare(estimate(staging_plan, table(), Usage()), estimate(ha, table(), Usage()))
    gb = staging_plan.one("aws:rds/instance:Instance").inputs["allocatedStorage"]
    expected = 730 * (
        price("rds.postgres.db.t4g.medium.multi_az_hour") - price("rds.postgres.db.t4g.small.single_az_hour")
    ) + gb * (price("rds.storage.gp3.multi_az_gb_month") - price("rds.storage.gp3.single_az_gb_month"))
    db = [r for r in delta.resources if r.type == "aws:rds/instance:Instance"]
    assert len(db) == 1 and db[0].delta_usd == pytest.approx(expected) and not db[0].unpriced_keys


def test_instance_class_change_with_unsourced_prices_is_flagged_not_zero(staging_plan: Plan) -> None:
    """db.m7g.large has no sourced eu-west-1 rate: the change is reported as unpriced, never as $0."""
    bigger = variant("staging", "database", '{"instanceClass": "db.m7g.large"}')
    delta = compare(estimate(staging_plan, table(), Usage()), estimate(bigger, table(), Usage()))
    db = [r for r in delta.resources if r.type == "aws:rds/instance:Instance"]
    assert len(db) == 1 and set(db[0].unpriced_keys) == {"rds.postgres.db.m7g.large.single_az_hour"}
    assert not delta.complete
    data = to_json(delta.head, delta)["delta"]
    assert data["complete"] is False and data["resources"][0]["unpricedKeys"] == sorted(db[0].unpriced_keys)
    assert "(unpriced: rds.postgres." in to_markdown(delta.head, delta)


# -- the JSON contract and the CLI ---------------------------------------------------------------------------
def test_json_contract(staging_plan: Plan) -> None:
    est = estimate(staging_plan, table(), usage("staging"))
    data = json.loads(json.dumps(to_json(est, compare(est, est))))
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema",
        "project",
        "stack",
        "currency",
        "hoursPerMonth",
        "priceTable",
        "usage",
        "total",
        "topContributors",
        "components",
        "resources",
        "unpriced",
        "unclassifiedTypes",
        "notModelled",
        "sources",
        "delta",
    }
    assert set(data["total"]) == {"monthlyUsd", "usageDependentUsd", "pricedLines", "unpricedLines", "complete"}
    assert data["total"]["monthlyUsd"] == round(est.total_usd, 2)
    tops = [c["monthlyUsd"] for c in data["topContributors"]]
    assert tops == sorted(tops, reverse=True) and len(tops) == 5
    assert set(data["delta"]) == {"baseStack", "baseTotal", "monthlyUsd", "complete", "resources", "topContributors"}
    assert data["delta"]["monthlyUsd"] == 0 and data["delta"]["resources"] == []
    line = data["resources"][0]["lines"][0]
    assert set(line) == {
        "description",
        "quantity",
        "unit",
        "priceKey",
        "region",
        "unitUsd",
        "monthlyUsd",
        "usageDependent",
        "usageKeys",
        "source",
        "verified",
        "note",
        "unpricedReason",
    }
    assert all(s in data["sources"] for r in data["resources"] for s in (x["source"] for x in r["lines"]))


def test_cli_cost_writes_reports_and_exits_5_over_budget(
    staging_plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = tmp_path / "staging.plan.json"
    staging_plan.write(plan_path)
    total = estimate_plan(staging_plan).total_usd
    args = ["cost", str(plan_path), "--json", str(tmp_path / "c.json"), "--markdown", str(tmp_path / "c.md")]
    assert cli.main([*args, "--budget", str(round(total + 1, 2))]) == 0
    assert cli.main([*args, "--budget", str(round(total - 1, 2))]) == 5
    assert "exceeds the budget" in capsys.readouterr().err
    assert json.loads((tmp_path / "c.json").read_text())["total"]["monthlyUsd"] == round(total, 2)
    assert (tmp_path / "c.md").read_text().startswith("## Monthly cost estimate: app-platform/staging")
    assert cli.main([*args, "--base", str(plan_path)]) == 0
    assert "change against" in capsys.readouterr().out


def test_cli_cost_bad_inputs_exit_2(staging_plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_path = tmp_path / "plan.json"
    staging_plan.write(plan_path)
    assert cli.main(["cost", str(tmp_path / "missing.json")]) == 2
    bad = tmp_path / "usage.yaml"
    bad.write_text("requestsPerMonth: 10\nnatGb: 5\n")
    assert cli.main(["cost", str(plan_path), "--usage", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: natGb" in err and "allowed keys" in err
    assert cli.main(["cost", str(plan_path), "--usage", str(tmp_path / "nope.yaml")]) == 2


def test_preview_prints_one_cost_line(staging_plan: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    cli._cost_line(staging_plan)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("estimated monthly cost of app-platform/staging: $")
    assert f"${estimate_plan(staging_plan).total_usd:,.2f}" in out[0]


def test_base_of_another_stack_is_refused(
    staging_plan: Plan, production_plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staging_plan.write(tmp_path / "staging.json")
    production_plan.write(tmp_path / "production.json")
    assert cli.main(["cost", str(tmp_path / "staging.json"), "--base", str(tmp_path / "production.json")]) == 2
    assert "is stack 'production'" in capsys.readouterr().err


# -- properties ----------------------------------------------------------------------------------------------
providers = st.sampled_from(["FARGATE", "FARGATE_SPOT"])
strategy_lists = st.lists(
    st.fixed_dictionaries({"capacityProvider": providers, "base": st.integers(0, 3), "weight": st.integers(0, 4)}),
    max_size=2,
    unique_by=lambda s: s["capacityProvider"],
)


@given(tasks=st.floats(0, 50, allow_nan=False), strategies=strategy_lists)
def test_task_split_places_every_task_once_bases_first(tasks: float, strategies: list[dict[str, object]]) -> None:
    placed = split_tasks(tasks, strategies)
    assert sum(placed.values()) == pytest.approx(tasks)
    assert all(count >= 0 for count in placed.values())
    if strategies and strategies[0]["base"] and tasks >= float(str(strategies[0]["base"])):
        assert placed[str(strategies[0]["capacityProvider"])] >= float(str(strategies[0]["base"]))


@settings(max_examples=25, deadline=None)
@given(
    nat=st.floats(0, 10_000, allow_nan=False),
    lcu=st.floats(0, 50, allow_nan=False),
    logs=st.floats(0, 100, allow_nan=False),
)
def test_a_plan_against_itself_has_no_delta_and_usage_only_moves_usage_lines(
    staging_plan: Plan, nat: float, lcu: float, logs: float
) -> None:
    assumptions = Usage(nat_gb_per_month=nat, alb_lcu_average=lcu, log_gb_per_month={"default": logs})
    est = estimate(staging_plan, table(), assumptions)
    assert compare(est, est).delta_usd == 0 and compare(est, est).resources == []
    fixed = sum(line.monthly_usd or 0 for _, line in est.lines if not line.usage_dependent)
    baseline = estimate(staging_plan, table(), Usage())
    assert fixed == pytest.approx(sum(line.monthly_usd or 0 for _, line in baseline.lines if not line.usage_dependent))


def test_the_stack_budget_in_the_usage_file_applies_unless_overridden(
    staging_plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = tmp_path / "staging.plan.json"
    staging_plan.write(plan_path)
    total = estimate_plan(staging_plan).total_usd
    tight = tmp_path / "usage.yaml"
    tight.write_text(f"{default_usage_path('staging').read_text()}\nmonthlyBudgetUsd: {round(total / 2, 2)}\n")
    assert cli.main(["cost", str(plan_path), "--usage", str(tight), "--markdown", str(tmp_path / "c.md")]) == 5
    assert f"(monthlyBudgetUsd in {tight})" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "cost",
                str(plan_path),
                "--usage",
                str(tight),
                "--markdown",
                str(tmp_path / "c.md"),
                "--budget",
                str(round(total * 2, 2)),
            ]
        )
        == 0
    )


def test_per_vcpu_lines_of_an_unknown_class_are_unpriced_not_guessed(production_plan: Plan) -> None:
    plan = copy.deepcopy(production_plan)
    plan.one("aws:rds/instance:Instance").inputs["instanceClass"] = "db.r7g.large"
    est = estimate(plan, table(), Usage())
    rds = lines_of(est, "aws:rds/instance:Instance")
    insights = [line for _, line in rds if "Performance Insights" in line.description]
    assert [(line.key, line.priced) for line in insights] == [("rds.vcpus_unknown.db.r7g.large", False)]
    assert insights[0].problem and insights[0].problem.startswith("no line for rds.vcpus_unknown.db.r7g.large")


def test_a_lambda_function_is_priced_from_its_invocations_not_from_viewer_traffic() -> None:
    """The smoke-test hook runs once per release: viewer requests must not move its cost, its memory must."""
    from offline.cost.rules import Context, lambda_function
    from offline.cost.usage import Usage
    from offline.plan import Plan, ResourceRecord

    record = ResourceRecord(
        "urn:pulumi:production::app-platform::aws:lambda/function:Function::smoke-test",
        "aws:lambda/function:Function",
        "smoke-test",
        True,
        None,
        {"architectures": ["arm64"], "memorySize": 256},
    )

    def charges(**usage: object) -> dict[str, tuple[float, str]]:
        ctx = Context(Plan("app-platform", "production", [record], {}), Usage.model_validate(usage), {}, "eu-west-1")
        return {c.description: (c.quantity, c.key) for c in lambda_function(record, ctx)}

    quiet = charges(
        requestsPerMonth=1, lambdaInvocationsPerMonth={"smoke-test": 50}, lambdaDurationMs={"default": 4000}
    )
    busy = charges(
        requestsPerMonth=10**9, lambdaInvocationsPerMonth={"smoke-test": 50}, lambdaDurationMs={"default": 4000}
    )
    assert quiet == busy
    assert quiet["requests"] == (50 / 1e6, "lambda.requests_million")
    assert quiet["compute (256 MB)"] == (50 * 4.0 * 0.25, "lambda.gb_second.arm64")
