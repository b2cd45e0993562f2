"""Disaster recovery: replicated automated backups and AWS Backup copies in the DR region, and the stated
RPO/RTO (exported by the program and written in docs/disaster-recovery.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.backup import recovery_objectives
from infra.config import StackConfig, load_config
from infra.config.windows import overlap_day
from infra.tiers.data import objectives_for
from offline.plan import Plan, ResourceRecord
from offline.project import ROOT
from tests.helpers import policy, stack_config

REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
DR_DOC = ROOT / "docs" / "disaster-recovery.md"


def config_of(stack: str) -> StackConfig:
    return load_config(*stack_config(stack))


def region_of(plan: Plan, record: ResourceRecord) -> str:
    return str(plan.by_urn(str(record.provider)).inputs["region"])


def rules(plan: Plan) -> dict[str, dict[str, Any]]:
    return {r["ruleName"]: r for r in plan.one(PLAN).inputs["rules"]}


def test_staging_keeps_backups_in_region(staging_plan: Plan) -> None:
    config = config_of("staging")
    assert not staging_plan.of_type(REPLICATION) and "drRegion" not in staging_plan.outputs["database"]
    # In an AWS Backup plan like every database, but nothing is copied out of the region.
    [vault] = staging_plan.of_type(VAULT)
    assert region_of(staging_plan, vault) == config.region and not vault.protect
    # A vault with recovery points cannot be deleted: staging's empties itself on `pulumi destroy`.
    assert vault.inputs["forceDestroy"] is True
    by_rule = rules(staging_plan)
    assert by_rule["daily"]["lifecycle"]["deleteAfter"] == config.database.disaster_recovery.daily_retention_days
    assert by_rule["weekly"]["lifecycle"]["deleteAfter"] == config.database.disaster_recovery.weekly_retention_days
    assert all(not rule.get("copyActions") for rule in by_rule.values())
    tier = {r.urn for r in staging_plan.resources if r.type.split(":")[1] in ("database", "backup", "secrets")}
    data_records = [r for r in staging_plan.resources if r.custom and r.parent in tier]
    assert data_records and {region_of(staging_plan, r) for r in data_records} == {config.region}


def test_production_replicates_automated_backups_to_the_dr_region(production_plan: Plan) -> None:
    config = config_of("production")
    dr_region = config.database.disaster_recovery.region
    assert dr_region and dr_region != config.region
    assert production_plan.outputs["database"]["drRegion"] == dr_region
    replication = production_plan.one(REPLICATION)
    assert region_of(production_plan, replication) == dr_region
    db = production_plan.one("aws:rds/instance:Instance", "db")
    assert (
        replication.inputs["sourceDbInstanceArn"]
        == f"arn:aws:rds:{config.region}:123456789012:db:{db.inputs['identifier']}"
    )
    assert replication.inputs["retentionPeriod"] == config.database.disaster_recovery.replicated_retention_days
    # Its own key, in the DR region (a key cannot leave its region).
    key_arn = replication.inputs["kmsKeyId"]
    assert key_arn.startswith(f"arn:aws:kms:{dr_region}:") and key_arn != db.inputs["kmsKeyId"]
    key = next(k for k in production_plan.of_type("aws:kms/key:Key") if k.urn in replication.dependencies)
    assert region_of(production_plan, key) == dr_region and key.protect and key.inputs["enableKeyRotation"]
    assert replication.protect


def test_production_aws_backup_plan_daily_30_weekly_365_copied_to_the_dr_region(production_plan: Plan) -> None:
    config = config_of("production")
    by_rule = rules(production_plan)
    # The issue: daily backups kept 30 days, weekly kept one year.
    settings = config.database.disaster_recovery
    assert by_rule["daily"]["lifecycle"]["deleteAfter"] == 30 == settings.daily_retention_days
    assert by_rule["weekly"]["lifecycle"]["deleteAfter"] == 365 == settings.weekly_retention_days
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", by_rule["daily"]["schedule"])
    assert re.fullmatch(r"cron\(\d+ \d+ \? \* SUN \*\)", by_rule["weekly"]["schedule"])
    vaults = {region_of(production_plan, v): v for v in production_plan.of_type(VAULT)}
    assert set(vaults) == {config.region, settings.region}
    home, dr = vaults[config.region], vaults[str(settings.region)]
    for rule in by_rule.values():
        assert rule["targetVaultName"].startswith(home.name)
        [copy] = rule["copyActions"]
        assert copy["destinationVaultArn"].startswith(f"arn:aws:backup:{settings.region}:")
        assert f":backup-vault:{dr.name}" in copy["destinationVaultArn"]
        assert copy["lifecycle"]["deleteAfter"] == rule["lifecycle"]["deleteAfter"]
    for vault in (home, dr):
        assert vault.protect and vault.inputs["forceDestroy"] is False
        assert vault.inputs["kmsKeyArn"].startswith(f"arn:aws:kms:{region_of(production_plan, vault)}:")
    assert home.inputs["kmsKeyArn"] != dr.inputs["kmsKeyArn"]


def test_aws_backup_runs_outside_the_rds_windows(plan: Plan) -> None:
    db = plan.one("aws:rds/instance:Instance", "db").inputs
    for rule in rules(plan).values():
        minute, hour = (int(x) for x in rule["schedule"][5:].split()[:2])
        end = hour * 60 + minute + rule["startWindow"]
        window = f"{hour:02d}:{minute:02d}-{end // 60 % 24:02d}:{end % 60:02d}"
        assert overlap_day(window, db["maintenanceWindow"]) is None, rule["ruleName"]
        backup_start, backup_end = (int(t[:2]) * 60 + int(t[3:]) for t in db["backupWindow"].split("-"))
        assert not (hour * 60 + minute < backup_end and backup_start < end), rule["ruleName"]


def test_selection_covers_the_database_with_a_least_privilege_role(plan: Plan) -> None:
    selection = plan.one(SELECTION)
    db = plan.one("aws:rds/instance:Instance", "db")
    assert selection.inputs["resources"] == [f"arn:aws:rds:eu-west-1:123456789012:db:{db.inputs['identifier']}"]
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "db-dr-backup")
    trust = policy(role, "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "backup.amazonaws.com"}]
    assert selection.inputs["iamRoleArn"].split(":role/")[1].startswith(role.name)
    statements = policy(plan.one("aws:iam/policy:Policy", "db-dr-backup-policy"))["Statement"]
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(not a.endswith(":*") for a in actions)
    kms = next(s for s in statements if s["Action"] == "kms:CreateGrant")
    assert kms["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert db.inputs["kmsKeyId"] in kms["Resource"]


# -- recovery objectives: one function, exported, and stated in the docs ---------------------------------------


def test_recovery_objectives_follow_the_settings() -> None:
    single = recovery_objectives(multi_az=False, cross_region_backups=False, aws_backup_copies=False)
    multi = recovery_objectives(multi_az=True, cross_region_backups=False, aws_backup_copies=False)
    assert single.rpo_minutes == multi.rpo_minutes <= 5  # PITR: RDS ships transaction logs every 5 minutes
    assert multi.rto_minutes > single.rto_minutes  # a Multi-AZ restore also builds the standby
    assert single.region_loss_rpo_minutes is None and single.region_loss_rto_minutes is None
    copies_only = recovery_objectives(multi_az=True, cross_region_backups=False, aws_backup_copies=True)
    replicated = recovery_objectives(multi_az=True, cross_region_backups=True, aws_backup_copies=True)
    assert copies_only.region_loss_rpo_minutes == 24 * 60  # the last daily copy
    assert replicated.region_loss_rpo_minutes is not None and replicated.region_loss_rpo_minutes < 60
    assert replicated.region_loss_rto_minutes is not None and replicated.region_loss_rto_minutes > multi.rto_minutes


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_docs_state_the_exported_objectives(stack: str, staging_plan: Plan, production_plan: Plan) -> None:
    exported = (staging_plan if stack == "staging" else production_plan).outputs["database"]
    rows = [line for line in DR_DOC.read_text().splitlines() if line.startswith(f"| {stack} |")]
    assert len(rows) == 1, f"docs/disaster-recovery.md needs one '| {stack} |' row in the objectives table"
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == f"{exported['rpoMinutes']} min" and cells[2] == f"{exported['rtoMinutes']} min"
    objectives = objectives_for(config_of(stack))
    region_rpo, region_rto = objectives.region_loss_rpo_minutes, objectives.region_loss_rto_minutes
    assert cells[3] == ("—" if region_rpo is None else f"{region_rpo} min")
    assert cells[4] == ("—" if region_rto is None else f"{region_rto} min")
