"""The PostgreSQL instance per environment, read from the inputs the engine received."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from components.database import _snapshot_name
from infra.config import StackConfig, load_config
from infra.config.windows import overlap_day
from offline import render as render_module
from offline.mocks import AwsMocks
from offline.monitor import RecordingMonitor
from offline.plan import Plan
from offline.project import ROOT, StackSettings
from offline.render import render
from tests.helpers import policy, stack_config

INSTANCE = "aws:rds/instance:Instance"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# The CAs RDS offers today; all three support automatic server-certificate rotation (rds-ca-2019 expired 2024).
CURRENT_CAS = {"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}
# Performance Insights retention AWS accepts: 7, month * 31 for 1..23 months, or 731.
PI_RETENTION = {7, 731, *(31 * month for month in range(1, 24))}
# Names scanners try first and PostgreSQL/RDS defaults (FSBP RDS.25).
DEFAULT_USERNAMES = {"postgres", "admin", "root", "rdsadmin", "master"}


def config_of(plan: Plan) -> StackConfig:
    return load_config(*stack_config(plan.stack))


def instance(plan: Plan) -> dict[str, Any]:
    return plan.one(INSTANCE, "db").inputs


def key_id(plan: Plan, name: str) -> str:
    """The id of key `name`, read from its alias (which targets it)."""
    return str(plan.one(ALIAS, name).inputs["targetKeyId"])


def is_key(arn: str, plan: Plan, name: str) -> bool:
    region = plan.one("pulumi:providers:aws", "aws").inputs["region"]
    return arn.startswith(f"arn:aws:kms:{region}:") and arn.endswith(f":key/{key_id(plan, name)}")


# -- per environment: the acceptance criteria ---------------------------------------------------------------


# The acceptance: production Multi-AZ, protected, 30-day backups; staging single-AZ with 7-day backups.
ACCEPTANCE = {"staging": (False, 7, False), "production": (True, 30, True)}


@pytest.mark.parametrize("stack", sorted(ACCEPTANCE))
def test_acceptance_multi_az_backups_and_protection_per_environment(
    stack: str, staging_plan: Plan, production_plan: Plan
) -> None:
    multi_az, retention, protected = ACCEPTANCE[stack]
    plan = staging_plan if stack == "staging" else production_plan
    db = instance(plan)
    assert db["multiAz"] is multi_az
    assert db["backupRetentionPeriod"] == retention
    assert db["storageEncrypted"] is True
    assert db["deletionProtection"] is protected
    assert plan.one(INSTANCE, "db").protect is protected
    # Nothing is lost on deletion: a final snapshot, and automated backups kept for their retention.
    assert db["skipFinalSnapshot"] is False and db["finalSnapshotIdentifier"].startswith(f"{db['identifier']}-final-")
    assert db["deleteAutomatedBackups"] is False


def test_staging_is_cheaper_than_production(staging_plan: Plan, production_plan: Plan) -> None:
    staging, production = instance(staging_plan), instance(production_plan)
    assert staging["instanceClass"].startswith("db.t") and not production["instanceClass"].startswith("db.t")
    assert staging["allocatedStorage"] < production["allocatedStorage"]


def test_settings_follow_the_stack_config(plan: Plan) -> None:
    config = config_of(plan).database
    db = instance(plan)
    assert db["instanceClass"] == config.instance_class
    assert (db["allocatedStorage"], db["maxAllocatedStorage"]) == (
        config.allocated_storage,
        config.max_allocated_storage,
    )
    assert db["maxAllocatedStorage"] > db["allocatedStorage"]  # storage autoscaling is on
    assert db["port"] == config.port != 5432  # not the engine default (FSBP RDS.23)
    assert db["applyImmediately"] is config.apply_immediately


def test_windows_never_overlap(plan: Plan) -> None:
    db = instance(plan)
    assert overlap_day(db["backupWindow"], db["maintenanceWindow"]) is None


def test_engine_pinned_to_a_major_with_minor_upgrades(plan: Plan) -> None:
    db = instance(plan)
    assert db["engine"] == "postgres"
    assert re.fullmatch(r"1\d", db["engineVersion"])  # a major only: minors come from auto upgrades
    assert db["autoMinorVersionUpgrade"] is True and db["allowMajorVersionUpgrade"] is False
    assert db["caCertIdentifier"] in CURRENT_CAS


def test_private_and_in_the_isolated_subnets(plan: Plan) -> None:
    db = instance(plan)
    assert db["publiclyAccessible"] is False
    group = plan.one("aws:rds/subnetGroup:SubnetGroup", "db").inputs
    assert sorted(group["subnetIds"]) == sorted(plan.outputs["isolatedSubnetIds"])
    assert db["dbSubnetGroupName"] == plan.outputs["database"]["subnetGroupName"]


def test_credentials_are_managed_by_rds_in_secrets_manager(plan: Plan) -> None:
    db = instance(plan)
    assert db["username"] not in DEFAULT_USERNAMES
    assert db["manageMasterUserPassword"] is True and "password" not in db
    assert is_key(db["masterUserSecretKmsKeyId"], plan, "db-secrets")
    assert db["iamDatabaseAuthenticationEnabled"] is True


def test_one_customer_managed_key_per_purpose(plan: Plan) -> None:
    db = instance(plan)
    keys = {name: key_id(plan, f"db-{name}") for name in ("storage", "secrets", "insights")}
    assert len(set(keys.values())) == 3
    assert is_key(db["kmsKeyId"], plan, "db-storage") and db["kmsKeyId"] == plan.outputs["database"]["kmsKeyArn"]
    assert is_key(db["performanceInsightsKmsKeyId"], plan, "db-insights")
    for name in keys:
        record = plan.one(KEY, f"db-{name}")
        assert record.inputs["enableKeyRotation"] is True
        assert record.protect is (plan.stack == "production")
        principals = [s["Principal"] for s in policy(record)["Statement"]]
        assert all("*" not in str(p.get("AWS", "")) and p != "*" for p in principals)
        assert plan.one(ALIAS, f"db-{name}").inputs["name"].startswith("alias/")


def test_parameter_group_forces_tls_and_logs_slow_statements(plan: Plan) -> None:
    db = instance(plan)
    group = plan.one("aws:rds/parameterGroup:ParameterGroup", f"db-postgres{instance(plan)['engineVersion']}")
    assert group.inputs["family"] == f"postgres{db['engineVersion']}"
    params = {p["name"]: p for p in group.inputs["parameters"]}
    assert params["rds.force_ssl"]["value"] == "1"
    assert params["log_min_duration_statement"]["value"] == "100"  # milliseconds
    assert params["log_connections"]["value"] == params["log_disconnections"]["value"] == "1"
    assert "pg_stat_statements" in params["shared_preload_libraries"]["value"].split(",")
    # shared_preload_libraries is static (postmaster context): RDS only accepts pending-reboot for it.
    assert params["shared_preload_libraries"]["applyMethod"] == "pending-reboot"
    assert group.urn in plan.one(INSTANCE, "db").dependencies


def test_performance_insights_and_enhanced_monitoring(plan: Plan) -> None:
    db = instance(plan)
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsRetentionPeriod"] in PI_RETENTION
    assert db["performanceInsightsRetentionPeriod"] == config_of(plan).database.performance_insights_retention_days
    assert db["monitoringInterval"] == 60
    role = plan.one("aws:iam/role:Role", "db-monitoring")
    trust = policy(role, "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "monitoring.rds.amazonaws.com"}]
    assert db["monitoringRoleArn"].split(":role/")[1].startswith(role.name)
    statements = policy(plan.one("aws:iam/policy:Policy", "db-monitoring-policy"))["Statement"]
    region = plan.one("pulumi:providers:aws", "aws").inputs["region"]
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all(r.startswith(f"arn:aws:logs:{region}:123456789012:log-group:RDSOSMetrics") for r in resources)
        assert all(a.startswith("logs:") and "*" not in a for a in statement["Action"])
    assert not plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") or all(
        "arn:aws:iam::aws:policy" not in str(r.inputs["policyArn"])
        for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )


def test_log_exports_go_to_precreated_encrypted_groups(plan: Plan) -> None:
    db = plan.one(INSTANCE, "db")
    exports = db.inputs["enabledCloudwatchLogsExports"]
    assert sorted(exports) == ["postgresql", "upgrade"]
    logs_key = plan.outputs["logsKeyArn"]
    for log_type in exports:
        group = plan.one(LOG_GROUP, f"db-{log_type}")
        # RDS writes to exactly this name; a group created by RDS would be unencrypted and kept forever.
        assert group.inputs["name"] == f"/aws/rds/instance/{db.inputs['identifier']}/{log_type}"
        assert group.inputs["kmsKeyId"] == logs_key
        assert group.inputs["retentionInDays"] == config_of(plan).security_log_retention_days  # audit logs
        assert group.inputs["tags"]["LogClass"] == "security"
        assert group.urn in db.dependencies  # created before the instance can


def test_copy_tags_to_snapshots(plan: Plan) -> None:
    assert instance(plan)["copyTagsToSnapshot"] is True


def test_security_group_has_no_inline_rules_and_admits_only_security_groups(plan: Plan) -> None:
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup", "db")
    assert not sg.inputs.get("ingress") and not sg.inputs.get("egress")
    sg_id = plan.outputs["database"]["securityGroupId"]
    assert instance(plan)["vpcSecurityGroupIds"] == [sg_id]
    for rule in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if rule.inputs["securityGroupId"] == sg_id:  # clients the program admits (the service tier's)
            assert rule.inputs["referencedSecurityGroupId"] != sg_id
            assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.inputs)
            assert rule.inputs["fromPort"] == rule.inputs["toPort"] == instance(plan)["port"]
    egress = plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert not [r for r in egress if r.inputs["securityGroupId"] == sg_id]


# -- a dedicated render of the data tier with service clients ------------------------------------------------

CLIENTS = {"api": "sg-0service00000001", "worker": "sg-0worker000000002"}


def render_program(stack: str, build: Callable[[StackConfig], dict[str, Any]]) -> tuple[Plan, dict[str, Any]]:
    """Run `build` (which declares resources and returns Outputs) under the same mocks as the real renders."""
    raw, secrets = stack_config(stack)
    config = load_config(raw, secrets)
    mocks = AwsMocks(default_region=config.region)
    monitor = RecordingMonitor(mocks)
    render_module._reset(StackSettings("app-platform", stack, ROOT / "infra", raw, frozenset(secrets)))
    pulumi.runtime.set_mocks(mocks, project="app-platform", stack=stack, preview=True, monitor=monitor)
    results: dict[str, Any] = {}

    async def resolve(outputs: dict[str, Any]) -> None:
        await wait_for_rpcs()
        for name, value in outputs.items():
            results[name] = await pulumi.Output.from_input(value).future()

    try:
        holder: dict[str, Any] = {}
        _sync_await(run_pulumi_func(lambda: holder.update(build(config))))
        _sync_await(resolve(holder))
    finally:
        settings.ROOT.set(None)
    return Plan("app-platform", stack, monitor.records, {}), results


@pytest.fixture(scope="module")
def tier_render() -> tuple[Plan, dict[str, Any]]:
    from infra.stack import StackContext
    from infra.tiers import data, foundation

    def build(config: StackConfig) -> dict[str, Any]:
        stack = StackContext.create(config)
        tier = data.compose(stack, foundation.compose(stack), clients=CLIENTS)
        return {
            "host": tier.host,
            "port": tier.port,
            "name": tier.database_name,
            "master_secret_arn": tier.master_secret_arn,
            "secrets_key_arn": tier.secrets_key_arn,
            "app_secret_arns": tier.app_secret_arns,
            "security_group_id": tier.security_group_id,
            "bootstrap_security_group_id": tier.bootstrap.security_group_id,
        }

    return render_program("production", build)


def test_database_admits_exactly_the_given_clients_on_its_port(tier_render: tuple[Plan, dict[str, Any]]) -> None:
    plan, outputs = tier_render
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    db_rules = [r for r in rules if r.inputs["securityGroupId"] == outputs["security_group_id"]]
    # The given clients, plus the tier's own one-off bootstrap task (it creates the application user).
    admitted = sorted(r.inputs["referencedSecurityGroupId"] for r in db_rules)
    assert admitted == sorted([*CLIENTS.values(), outputs["bootstrap_security_group_id"]])
    for rule in db_rules:
        assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
            outputs["port"],
            outputs["port"],
            "tcp",
        )
        assert rule.inputs["description"] and "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs


def test_tier_exposes_what_the_service_wires(tier_render: tuple[Plan, dict[str, Any]]) -> None:
    plan, outputs = tier_render
    region = load_config(*stack_config("production")).region
    assert outputs["host"].endswith(f".{region}.rds.amazonaws.com")
    assert outputs["port"] == instance(plan)["port"] and outputs["name"] == instance(plan)["dbName"]
    secret_arn = rf"^arn:aws:secretsmanager:{region}:\d{{12}}:secret:.+$"
    assert re.match(secret_arn, outputs["master_secret_arn"])
    assert re.match(rf"^arn:aws:kms:{region}:\d{{12}}:key/[0-9a-f-]{{36}}$", outputs["secrets_key_arn"])
    assert outputs["secrets_key_arn"] == instance(plan)["masterUserSecretKmsKeyId"]
    assert outputs["app_secret_arns"] and all(re.match(secret_arn, a) for a in outputs["app_secret_arns"].values())


# -- the final snapshot: a new name per instance lifetime, the same name on every run -------------------------
# DeleteDBInstance FinalDBSnapshotIdentifier: 1-255 letters, digits, hyphens; a letter first; no "--"; no "-" last.
SNAPSHOT_NAME = re.compile(r"^(?!.*--)[A-Za-z][A-Za-z0-9-]{0,254}(?<!-)$")


def final_snapshot(plan: Plan) -> str:
    return str(instance(plan)["finalSnapshotIdentifier"])


def test_final_snapshot_names_are_valid_and_unique_per_instance_lifetime(plan: Plan) -> None:
    """A fixed `<id>-final` made the second delete or replacement fail with DBSnapshotAlreadyExists."""
    name = final_snapshot(plan)
    assert SNAPSHOT_NAME.match(name) and re.fullmatch(rf"{instance(plan)['identifier']}-final-[0-9a-f]{{8}}", name)


def test_a_replacement_or_a_new_stack_gets_a_new_final_snapshot_name(staging_plan: Plan) -> None:
    before = final_snapshot(staging_plan)
    assert final_snapshot(render("staging")) == before  # the same instance: the same name on every run
    # dbName forces a replacement (offline/stateful.py): the replacement's own final snapshot needs a new name.
    raw, _ = stack_config("staging", database={"databaseName": "orders"})
    replaced = render("staging", overrides={"app-platform:database": raw["app-platform:database"]})
    assert final_snapshot(replaced) != before
    # Torn down and created again: a new storage key (the mocks' ARNs differ per stack, as AWS's key ids do).
    raw, secrets = stack_config("staging")
    again = render_module.render_settings(
        StackSettings("app-platform", "staging-again", ROOT / "infra", raw, frozenset(secrets))
    )
    assert instance(again)["kmsKeyId"] != instance(staging_plan)["kmsKeyId"]
    assert final_snapshot(again) != before and final_snapshot(again).startswith("app-platform-staging-db-final-")


@given(
    identifier=st.from_regex(r"[a-z](-?[a-z0-9]){0,62}", fullmatch=True),
    parts=st.lists(st.text(max_size=40), min_size=1, max_size=4),
)
def test_every_valid_instance_identifier_gives_a_valid_final_snapshot_name(identifier: str, parts: list[str]) -> None:
    """RDS instance identifiers (a letter, letters/digits/hyphens, no "--", no "-" last, at most 63) always give a
    snapshot name RDS accepts, at most 63 + 15 characters."""
    name = _snapshot_name(identifier, parts)
    assert SNAPSHOT_NAME.match(name) and len(name) <= 78 and name.startswith(f"{identifier}-final-")


@pytest.mark.parametrize("identifier", ["1db", "db-", "db--x", "", "db_x"])
def test_an_identifier_rds_would_refuse_never_becomes_a_snapshot_name(identifier: str) -> None:
    with pytest.raises(ValueError, match="naming rules"):
        _snapshot_name(identifier, ["arn:aws:kms:eu-west-1:123456789012:key/x"])
