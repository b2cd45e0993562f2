"""PostgreSQL major upgrades (issue 23): the plan allows exactly the declared upgrade, on a parameter group of the
new family created before the old one goes; bad versions and impossible upgrades are config errors."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.postgres_versions import SUPPORTED_MAJORS, UPGRADE_TARGETS, parameter_group_family, upgrade_problem
from infra.config import ConfigError, load_config
from offline.plan import Plan
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
    assert group.aliases == ["name=db type= parent="]


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
