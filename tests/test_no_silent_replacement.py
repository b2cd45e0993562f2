"""Config changes that should modify in place never replace or delete stateful resources, and the logical
names of stateful resources are pinned (a rename needs an alias). The check itself is shown to fail when an
identity-bearing input changes on purpose."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offline.diff import PlanDiff, diff_plans
from offline.plan import Plan
from offline.project import load_stack
from offline.render import render
from offline.stateful import STATEFUL_TYPES, replacement_keys

# Changes an operator makes routinely; each must be an in-place update.
IN_PLACE: dict[str, dict[str, Any]] = {
    "staging": {
        "database": {"instanceClass": "db.t4g.medium", "allocatedStorage": 50, "backupRetentionDays": 14},
        "logRetentionDays": 60,
        "securityLogRetentionDays": 180,
        "api": {"desiredCount": 2, "maxCount": 4, "cpu": 512, "memory": 1024},
    },
    "production": {
        "database": {"instanceClass": "db.m7g.xlarge", "allocatedStorage": 200, "backupRetentionDays": 35},
        "logRetentionDays": 180,
        "securityLogRetentionDays": 400,
        "api": {"desiredCount": 3, "cpu": 2048, "memory": 4096},
    },
}


def overrides(
    stack: str, database: dict[str, Any], log_retention: tuple[int, int], api: dict[str, Any]
) -> dict[str, str]:
    """Merge the changes into the stack file's own sections (a stack file sets only part of each)."""
    raw = load_stack(stack).config
    db = {**json.loads(raw.get("app-platform:database", "{}")), **database}
    services = json.loads(raw["app-platform:services"])
    services["api"] = {**services["api"], **api}
    return {
        "app-platform:database": json.dumps(db),
        "app-platform:logRetentionDays": str(log_retention[0]),
        "app-platform:securityLogRetentionDays": str(log_retention[1]),
        "app-platform:services": json.dumps(services),
    }


def identity_changes(base: Plan, head: Plan) -> list[tuple[str, str]]:
    """(stateful resource, input) pairs where an input that forces AWS to replace the resource differs."""
    before = {r.urn: r for r in base.resources}
    found: list[tuple[str, str]] = []
    for record in head.resources:
        old = before.get(record.urn)
        if old is None or record.type not in STATEFUL_TYPES:
            continue
        for key in replacement_keys(record.type):
            if old.inputs.get(key) != record.inputs.get(key):
                found.append((record.name, key))
    return found


def assert_no_silent_replacement(base: Plan, head: Plan) -> PlanDiff:
    diff = diff_plans(base, head)
    assert not diff.destructive, [(c.type, c.name, c.action, c.replace_reasons) for c in diff.destructive]
    assert not diff.of_action("delete"), [c.urn for c in diff.of_action("delete")]
    assert identity_changes(base, head) == []
    return diff


@pytest.fixture(scope="module", params=sorted(IN_PLACE))
def changed(request: pytest.FixtureRequest, staging_plan: Plan, production_plan: Plan) -> tuple[Plan, Plan]:
    stack = request.param
    spec = IN_PLACE[stack]
    head = render(
        stack,
        overrides=overrides(
            stack, spec["database"], (spec["logRetentionDays"], spec["securityLogRetentionDays"]), spec["api"]
        ),
    )
    return (staging_plan if stack == "staging" else production_plan), head


def test_routine_changes_update_in_place(changed: tuple[Plan, Plan]) -> None:
    base, head = changed
    diff = assert_no_silent_replacement(base, head)
    # The changes did reach the resources (otherwise this test would prove nothing).
    updates = {(c.type, c.name): {p.path for p in c.changes} for c in diff.of_action("update")}
    spec = IN_PLACE[head.stack]["database"]
    db_changes = updates[("aws:rds/instance:Instance", "db")]
    assert {"instanceClass", "allocatedStorage", "backupRetentionPeriod"} <= db_changes
    assert head.one("aws:rds/instance:Instance", "db").inputs["instanceClass"] == spec["instanceClass"]
    log_groups = [name for (type_, name), paths in updates.items() if type_.endswith("LogGroup")]
    assert {"api-logs", "db-postgresql", "db-upgrade", "network-flow-logs"} <= set(log_groups)
    assert all("retentionInDays" in updates[("aws:cloudwatch/logGroup:LogGroup", n)] for n in log_groups)


def test_every_stateful_resource_keeps_its_identity(changed: tuple[Plan, Plan]) -> None:
    base, head = changed
    stateful = [r for r in base.resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} >= {
        "aws:rds/instance:Instance",
        "aws:kms/key:Key",
        "aws:secretsmanager/secret:Secret",
        "aws:cloudwatch/logGroup:LogGroup",
    }
    head_urns = {r.urn for r in head.resources}
    assert all(r.urn in head_urns for r in stateful)


# -- the check fails when it should ---------------------------------------------------------------------------


def test_identity_change_is_flagged(staging_plan: Plan) -> None:
    """Changing the master user name or the database name replaces the instance: the check must say so."""
    head = render(
        "staging",
        overrides=overrides("staging", {"masterUsername": "app_owner", "databaseName": "orders"}, (30, 90), {}),
    )
    diff = diff_plans(staging_plan, head)
    assert [(c.name, c.action, c.replace_reasons) for c in diff.destructive] == [
        ("db", "replace", ["dbName", "username"])
    ]
    assert {("db", "dbName"), ("db", "username")} <= set(identity_changes(staging_plan, head))
    with pytest.raises(AssertionError):
        assert_no_silent_replacement(staging_plan, head)


def test_unencrypting_storage_would_be_flagged(production_plan: Plan) -> None:
    head = copy.deepcopy(production_plan)
    head.one("aws:rds/instance:Instance", "db").inputs["storageEncrypted"] = False
    assert ("db", "storageEncrypted") in identity_changes(production_plan, head)
    with pytest.raises(AssertionError):
        assert_no_silent_replacement(production_plan, head)


def test_rename_without_alias_is_a_deletion_and_with_alias_is_not(production_plan: Plan) -> None:
    head = copy.deepcopy(production_plan)
    record = head.one("aws:rds/instance:Instance", "db")
    old_urn = record.urn
    record.urn = old_urn.replace("::db", "::database")
    assert [(c.action, c.urn) for c in diff_plans(production_plan, head).destructive if c.action == "delete"] == [
        ("delete", old_urn)
    ]
    record.aliases = [old_urn]
    assert not [c for c in diff_plans(production_plan, head).destructive if c.action == "delete"]


# -- pinned logical names --------------------------------------------------------------------------------------

STACK_URN = "urn:pulumi:{stack}::app-platform::"
# Stateful resources of the data tier (and the foundation's logs key and flow logs), by URN (Pulumi puts only
# the parent's type in it, so keys read EncryptionKey$Key). Renaming any of these, or moving it to another
# parent, destroys data unless the new code carries an alias to the old URN.
PINNED: dict[str, list[str]] = {
    "both": [
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::logs",
        "app-platform:network:Network$aws:cloudwatch/logGroup:LogGroup::network-flow-logs",
        "app-platform:database:Database$aws:rds/instance:Instance::db",
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::db-storage",
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::db-secrets",
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::db-insights",
        "app-platform:database:Database$aws:cloudwatch/logGroup:LogGroup::db-postgresql",
        "app-platform:database:Database$aws:cloudwatch/logGroup:LogGroup::db-upgrade",
        "app-platform:secrets:AppSecrets$aws:secretsmanager/secret:Secret::app-secrets-sessionSigningKey",
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::db-dr-vault",
        "app-platform:backup:DisasterRecovery$aws:backup/vault:Vault::db-dr",
    ],
    "production": [
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::db-dr-replicated-backups",
        "app-platform:kms:EncryptionKey$aws:kms/key:Key::db-dr-copies",
        "app-platform:backup:DisasterRecovery$aws:backup/vault:Vault::db-dr-copies",
    ],
}
DATA_COMPONENTS = ("app-platform:database:", "app-platform:backup:", "app-platform:secrets:")


def in_data_tier(plan: Plan, parent: str | None) -> bool:
    while parent:
        own_type = parent.split("::")[2].split("$")[-1]
        if own_type == "pulumi:pulumi:Stack":
            return False
        if own_type.startswith(DATA_COMPONENTS):
            return True
        parent = plan.by_urn(parent).parent
    return False


def pinned(stack: str) -> set[str]:
    paths = PINNED["both"] + (PINNED["production"] if stack == "production" else [])
    return {STACK_URN.format(stack=stack) + path for path in paths}


def test_stateful_logical_names_are_pinned(plan: Plan) -> None:
    expected = pinned(plan.stack)
    urns = {r.urn for r in plan.resources}
    assert expected <= urns, sorted(expected - urns)
    # Every stateful resource of the data tier is in the pinned list: adding one means pinning it here.
    data_stateful = {r.urn for r in plan.resources if r.type in STATEFUL_TYPES and in_data_tier(plan, r.parent)}
    assert len(data_stateful) >= 6 and data_stateful <= expected, sorted(data_stateful - expected)
