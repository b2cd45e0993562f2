"""RDS rules on the recorded PostgreSQL instance, its parameter group, backups and events."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, drop, put, record, reference

DB = "aws:rds/instance:Instance"
PG = "aws:rds/parameterGroup:ParameterGroup"
REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"


def without(*types: str) -> Plan:
    plan = reference()
    plan.resources = [r for r in plan.resources if r.type not in types]
    return plan


def subscribed() -> Plan:
    plan = reference()
    for kind in ("db-instance", "db-parameter-group"):
        plan.resources.append(
            record(
                "aws:rds/eventSubscription:EventSubscription",
                f"db-{kind}",
                {"snsTopic": "arn:aws:sns:eu-west-1:123456789012:alerts", "sourceType": kind, "enabled": True},
                stack="production",
            )
        )
    return plan


def unsubscribed() -> Plan:
    plan = reference()
    plan.resources = [r for r in plan.resources if r.type != "aws:rds/eventSubscription:EventSubscription"]
    return plan


def set_param(name: str, value: str):  # type: ignore[no-untyped-def]
    def change(inputs: dict[str, list[dict[str, str]]]) -> None:
        for parameter in inputs["parameters"]:
            if parameter["name"] == name:
                parameter["value"] = value

    return change


CASES = [
    Case("rds-storage-encrypted", DB, None, None, "pass"),
    Case("rds-storage-encrypted", DB, None, drop("kmsKeyId"), "violation", contains="customer managed"),
    Case("rds-storage-encrypted", DB, None, put("storageEncrypted", False), "violation"),
    Case("rds-not-publicly-accessible", DB, None, None, "pass"),
    Case("rds-not-publicly-accessible", DB, None, put("publiclyAccessible", True), "violation"),
    Case("rds-multi-az", DB, None, None, "pass"),
    Case("rds-multi-az", DB, None, put("multiAz", False), "violation"),
    Case("rds-backup-retention", DB, None, None, "pass"),
    Case("rds-backup-retention", DB, None, put("backupRetentionPeriod", 3), "violation"),
    Case("rds-backup-retention", DB, None, None, "violation", config={"minimumRetentionDays": 35}),
    Case("rds-deletion-protection", DB, None, None, "pass"),
    Case("rds-deletion-protection", DB, None, put("deletionProtection", False), "violation"),
    Case("rds-enhanced-monitoring", DB, None, None, "pass"),
    Case("rds-enhanced-monitoring", DB, None, put("monitoringInterval", 0), "violation"),
    Case("rds-log-exports", DB, None, None, "pass"),
    Case("rds-log-exports", DB, None, put("enabledCloudwatchLogsExports", ["postgresql"]), "violation"),
    Case("rds-log-exports", DB, None, put("engine", "mysql"), "not-applicable"),
    Case("rds-iam-authentication", DB, None, None, "pass"),
    Case("rds-iam-authentication", DB, None, drop("iamDatabaseAuthenticationEnabled"), "violation"),
    Case("rds-auto-minor-version-upgrade", DB, None, None, "pass"),
    Case("rds-auto-minor-version-upgrade", DB, None, put("autoMinorVersionUpgrade", False), "violation"),
    Case("rds-copy-tags-to-snapshots", DB, None, None, "pass"),
    Case("rds-copy-tags-to-snapshots", DB, None, drop("copyTagsToSnapshot"), "violation"),
    Case("rds-in-vpc-subnet-group", DB, None, None, "pass"),
    Case("rds-in-vpc-subnet-group", DB, None, drop("dbSubnetGroupName"), "violation"),
    Case("rds-non-default-port", DB, None, put("port", 5433), "pass"),
    Case("rds-non-default-port", DB, None, put("port", 5432), "violation"),
    Case("rds-non-default-master-username", DB, None, None, "pass"),
    Case("rds-non-default-master-username", DB, None, put("username", "postgres"), "violation"),
    Case("rds-force-ssl", DB, None, None, "pass"),
    Case("rds-force-ssl", DB, None, None, "violation", build=lambda: without(PG)),
    Case("rds-postgres-logging-parameters", PG, None, None, "pass"),
    Case("rds-postgres-logging-parameters", PG, None, set_param("log_connections", "0"), "violation"),
    Case("rds-performance-insights", DB, None, None, "pass"),
    Case("rds-performance-insights", DB, None, drop("performanceInsightsKmsKeyId"), "violation"),
    Case("rds-current-ca", DB, None, None, "pass"),
    Case("rds-current-ca", DB, None, put("caCertIdentifier", "rds-ca-2019"), "violation"),
    Case("rds-in-backup-plan", DB, None, None, "pass"),
    Case("rds-in-backup-plan", DB, None, None, "violation", build=lambda: without("aws:backup/selection:Selection")),
    Case("rds-event-subscriptions", DB, None, None, "pass", build=subscribed),
    Case("rds-event-subscriptions", DB, None, None, "pass"),  # the observability tier's subscriptions
    Case("rds-event-subscriptions", DB, None, None, "violation", build=unsubscribed),
    Case("rds-backup-replication-cmk", REPLICATION, None, None, "pass"),
    Case("rds-backup-replication-cmk", REPLICATION, None, drop("kmsKeyId"), "violation"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def test_the_force_ssl_rule_reads_the_linked_parameter_group() -> None:
    plan = reference()
    for parameter in plan.one(PG).inputs["parameters"]:
        if parameter["name"] == "rds.force_ssl":
            parameter["value"] = "0"
    Case("rds-force-ssl", DB, None, None, "violation", build=lambda: plan, contains="rds.force_ssl=1").run()
