"""PostgreSQL major upgrades (issue 23): the plan allows exactly the declared upgrade, on a parameter group of the
new family created before the old one goes; bad versions and impossible upgrades are config errors."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.postgres_versions import SUPPORTED_MAJORS, UPGRADE_TARGETS, parameter_group_family, upgrade_problem
from infra.config import ConfigError, load_config
from offline.diff import UPGRADE_RUNBOOK, diff_plans, to_json, to_markdown
from offline.plan import Plan, ResourceRecord
from offline.pr_comment import StackInput, build, is_risky
from offline.project import ROOT
from offline.render import render
from tests.helpers import stack_config

INSTANCE = "aws:rds/instance:Instance"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"


@functools.cache
def upgrade_plan() -> Plan:
    """Staging (PostgreSQL 16 today) declaring the 16 -> 17 upgrade."""
    raw, secrets = stack_config("staging", database={"engineVersion": "17", "majorUpgradeFrom": "16"})
    return render("staging", overrides=raw, secret_keys=secrets)


def config_error(**database: Any) -> str:
    raw, secrets = stack_config("staging", database=database)
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    return str(info.value)


# -- the plan ------------------------------------------------------------------------------------------------


def test_a_declared_major_upgrade_is_allowed_on_a_group_of_the_new_family() -> None:
    plan = upgrade_plan()
    db = plan.one(INSTANCE, "db")
    assert db.inputs["engineVersion"] == "17"
    assert db.inputs["allowMajorVersionUpgrade"] is True
    (group,) = plan.of_type(PARAMS)  # only the new family's group: the 16 group is released by the engine
    assert group.name == "db-postgres17" and group.inputs["family"] == "postgres17"
    assert db.inputs["parameterGroupName"].startswith("db-postgres17-")  # the engine's auto-name of that group
    # Created before the instance moves to it (a dependency), never deleted first: the instance uses the old one
    # until the modification, and RDS refuses to delete a group in use.
    assert group.urn in db.dependencies and group.urn in db.property_dependencies["parameterGroupName"]
    assert group.delete_before_replace is False and db.delete_before_replace is False
    # The same TLS and logging settings as before the upgrade, in the new family.
    params = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert params["rds.force_ssl"] == "1" and params["shared_preload_libraries"] == "pg_stat_statements"


def test_without_an_upgrade_the_flag_is_off(plan: Plan) -> None:
    db = plan.one(INSTANCE, "db")
    assert db.inputs["allowMajorVersionUpgrade"] is False
    (group,) = plan.of_type(PARAMS)
    assert group.name == f"db-postgres{db.inputs['engineVersion']}"


def test_a_version_change_without_the_declaration_keeps_the_flag_off() -> None:
    """RDS then refuses the modification (AllowMajorVersionUpgrade is required for a new major): a version bump
    slipped into a pull request fails the deploy instead of upgrading silently, and the diff says so."""
    raw, secrets = stack_config("staging", database={"engineVersion": "17"})
    plan = render("staging", overrides=raw, secret_keys=secrets)
    db = plan.one(INSTANCE, "db")
    assert db.inputs["engineVersion"] == "17" and db.inputs["allowMajorVersionUpgrade"] is False


def test_the_group_adopts_the_pre_family_name_without_replacement(plan: Plan) -> None:
    """Stacks deployed before the family was in the name keep their group: the alias maps the old URN (same
    type and parent, name `db`), so this change alone neither creates a group nor reboots the instance."""
    (group,) = plan.of_type(PARAMS)
    assert group.aliases == [group.urn.removesuffix(f"::{group.name}") + "::db"]


# -- the diff warns ----------------------------------------------------------------------------------------------


def test_the_diff_lists_the_upgrade_first_as_downtime_and_irreversible(staging_plan: Plan) -> None:
    diff = diff_plans(staging_plan, upgrade_plan())
    (upgrade,) = diff.major_upgrades
    assert (upgrade.name, upgrade.before, upgrade.after, upgrade.allowed) == ("db", "16", "17", True)
    markdown = to_markdown(diff)
    body = markdown.split("\n", 2)[2]  # after the heading
    assert body.startswith("> [!CAUTION]\n> **Database major version upgrade: downtime, and irreversible in place.**")
    assert "**MAJOR UPGRADE** `aws:rds/instance:Instance` `db`: engine `16` → `17`" in markdown
    assert f"[{UPGRADE_RUNBOOK}]({UPGRADE_RUNBOOK})" in markdown and (ROOT / UPGRADE_RUNBOOK).is_file()
    assert "RDS will refuse" not in markdown
    (entry,) = to_json(diff)["majorUpgrades"]
    assert entry["from"] == "16" and entry["to"] == "17" and entry["allowMajorVersionUpgrade"] is True
    assert entry["downtime"] is True and entry["reversible"] is False and entry["runbook"] == UPGRADE_RUNBOOK
    # The parameter groups: the new family's created, the old one deleted (after the instance moved), neither
    # replaced in place.
    actions = {c.name: c.action for c in diff.changes if c.type == PARAMS}
    assert actions == {"db-postgres17": "create", "db-postgres16": "delete"}


def test_the_pull_request_comment_leads_with_the_upgrade(staging_plan: Plan) -> None:
    """Reviewers read the comment, not the artifact: the upgrade is its headline and opens the stack's risk
    summary, so it is never shrunk away, even when nothing else in the diff is risky."""
    item = StackInput("staging", diff_plans(staging_plan, upgrade_plan()))
    assert is_risky(item)
    comment = build([item], limit=4000)
    assert "- **`staging`: MAJOR UPGRADE `db` (16 → 17)" in comment
    section = comment.split("### `staging`", 1)[1].lstrip("\n")
    assert section.startswith(
        "> [!CAUTION]\n> **Database major version upgrade: downtime, and irreversible in place.**"
    )
    assert "**MAJOR UPGRADE** `aws:rds/instance:Instance` `db`: engine `16` → `17`" in section
    assert "No stateful, protected or traffic-interrupting change" not in comment


def test_an_undeclared_version_bump_is_flagged_as_refused_by_rds(staging_plan: Plan) -> None:
    raw, secrets = stack_config("staging", database={"engineVersion": "17"})
    diff = diff_plans(staging_plan, render("staging", overrides=raw, secret_keys=secrets))
    (upgrade,) = diff.major_upgrades
    assert upgrade.allowed is False
    assert "**RDS will refuse it**, `allowMajorVersionUpgrade` is false" in to_markdown(diff)


def _with(plan: Plan, type_: str, **inputs: Any) -> Plan:
    """A deep copy of `plan` whose one resource of `type_` (or a new one) has `inputs` merged in."""
    changed = copy.deepcopy(plan)
    found = [r for r in changed.resources if r.type == type_]
    if found:
        found[0].inputs.update(inputs)
    else:
        urn = f"urn:pulumi:{plan.stack}::app-platform::{type_}::extra"
        changed.resources.append(ResourceRecord(urn, type_, "extra", True, None, dict(inputs)))
    return changed


@pytest.mark.parametrize(
    ("before", "after", "flagged"),
    [("16", "16.6", ""), ("16.4", "16.6", ""), ("16.4", "17.2", "upgrade"), ("17", "16", "downgrade")],
)
def test_only_a_new_major_is_an_upgrade(staging_plan: Plan, before: str, after: str, flagged: str) -> None:
    base = _with(staging_plan, INSTANCE, engineVersion=before)
    head = _with(staging_plan, INSTANCE, engineVersion=after, allowMajorVersionUpgrade=True)
    diff = diff_plans(base, head)
    assert [u.downgrade for u in diff.major_upgrades] == ([flagged == "downgrade"] if flagged else [])
    assert ("**RDS cannot downgrade**" in to_markdown(diff)) is (flagged == "downgrade")


def test_an_aurora_cluster_upgrade_is_flagged_too(staging_plan: Plan) -> None:
    cluster = "aws:rds/cluster:Cluster"
    base = _with(staging_plan, cluster, engine="aurora-postgresql", engineVersion="15.4")
    head = _with(staging_plan, cluster, engine="aurora-postgresql", engineVersion="16.1")
    (upgrade,) = diff_plans(base, head).major_upgrades
    assert upgrade.type == cluster and upgrade.allowed is False


def test_no_upgrade_no_warning(staging_plan: Plan) -> None:
    diff = diff_plans(staging_plan, staging_plan)
    assert diff.major_upgrades == [] and "major version upgrade" not in to_markdown(diff)
    assert to_json(diff)["majorUpgrades"] == []


# -- config validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["18", "12", "16.4", "pg16", "", "9.6"])
def test_unsupported_engine_versions_name_the_key(version: str) -> None:
    message = config_error(engineVersion=version)
    assert "app-platform:database.engineVersion" in message
    assert ", ".join(SUPPORTED_MAJORS) in message


@pytest.mark.parametrize(
    ("source", "target", "why"),
    [
        ("17", "16", "cannot downgrade 17 -> 16"),
        ("16", "16", "already runs 16"),
        ("12", "16", "12 is not a supported major version"),
        ("16.4", "17", "16.4 is not a supported major version"),
    ],
)
def test_impossible_upgrades_are_refused_before_any_resource(source: str, target: str, why: str) -> None:
    message = config_error(engineVersion=target, majorUpgradeFrom=source)
    assert "app-platform:database.majorUpgradeFrom" in message and why in message


def test_skipping_majors_is_accepted_where_rds_allows_it() -> None:
    raw, secrets = stack_config("staging", database={"engineVersion": "17", "majorUpgradeFrom": "15"})
    assert load_config(raw, secrets).database.major_upgrade_from == "15"


@given(st.sampled_from(SUPPORTED_MAJORS), st.sampled_from(SUPPORTED_MAJORS))
def test_every_accepted_upgrade_moves_forward_to_a_new_family(source: str, target: str) -> None:
    problem = upgrade_problem(source, target)
    if problem is None:
        assert int(target) > int(source)
        assert parameter_group_family(target) != parameter_group_family(source)
    else:
        assert source in problem or target in problem  # the message names what was wrong


def test_every_upgrade_fact_carries_its_source() -> None:
    for major, upgrade in UPGRADE_TARGETS.items():
        assert upgrade.source == major and upgrade.evidence
        assert "read 2026-12-03" in upgrade.evidence or upgrade.evidence.startswith("not confirmed")
        assert all(int(t) > int(major) for t in upgrade.targets)
