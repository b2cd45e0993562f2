"""Renamed config keys (issue #25): the old spelling still deploys, says it is deprecated and where it is set,
and is refused when the new spelling is set too. infra/config/renames.py lists the moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import ConfigError
from infra.config.errors import Problem
from infra.config.load import deprecations, load_config
from infra.config.renames import EACH, MOVED, Moved, migrate
from offline import project
from tests.helpers import stack_config


def refused(raw: dict[str, str], secrets: set[str]) -> list[Problem]:
    """What load_config says about `raw`, which it must refuse (one problem per bad key)."""
    with pytest.raises(ConfigError) as caught:
        load_config(raw, secrets)
    return caught.value.problems


DR_MOVES = [move for move in MOVED if move.old[0] == "database"]
SERVICE_MOVES = [move for move in MOVED if move.old[:2] == ("services", EACH)]

# A value the new key accepts, per moved key (both production-valid and distinct from the presets).
VALUES: dict[str, Any] = {
    "region": "eu-north-1",
    "crossRegionBackups": True,
    "replicatedRetentionDays": 14,
    "awsBackup": True,
    "dailyRetentionDays": 21,
    "weeklyRetentionDays": 120,
}


def _old_spelling(move: Moved, value: Any) -> dict[str, Any]:
    """The production database section with only this key spelled the old way (and the DR region kept)."""
    section: dict[str, Any] = {move.old[-1]: value}
    if move.new[-1] != "region":
        section["disasterRecovery"] = {"region": "eu-central-1"}
    return section


def _attribute(config: Any, move: Moved) -> Any:
    node = config
    for part in move.new:
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in part)
        node = getattr(node, snake)
    return node


def _database_only(raw: dict[str, str], section: dict[str, Any]) -> dict[str, str]:
    import json

    raw = dict(raw)
    raw["app-platform:database"] = json.dumps(section)
    return raw


@pytest.mark.parametrize("move", DR_MOVES, ids=lambda m: ".".join(m.old))
def test_the_old_key_still_sets_the_new_setting_and_is_announced(move: Moved) -> None:
    value = VALUES[move.new[-1]]
    base, secrets = stack_config("production")
    raw = _database_only(base, {"instanceClass": "db.m7g.large", **_old_spelling(move, value)})
    config = load_config(raw, secrets)
    assert _attribute(config, move) == value
    notices = deprecations(raw)
    assert [n.key for n in notices] == [move.old_key]
    assert move.new_key in notices[0] and "deprecated" in notices[0]


@pytest.mark.parametrize("move", DR_MOVES, ids=lambda m: ".".join(m.old))
def test_setting_both_spellings_is_an_error_naming_the_old_key(move: Moved) -> None:
    value = VALUES[move.new[-1]]
    base, secrets = stack_config("production")
    section = _old_spelling(move, value)
    section.setdefault("disasterRecovery", {})[move.new[-1]] = value
    problems = refused(_database_only(base, section), secrets)
    assert [p.key for p in problems] == [move.old_key]
    assert move.new_key in problems[0]


def test_a_bad_value_under_the_old_key_is_blamed_on_the_old_key() -> None:
    """The stack file spells the old key: the error must name it, or its line cannot be shown."""
    base, secrets = stack_config("production")
    raw = _database_only(base, {"drRegion": "eu-central-9"})
    problems = refused(raw, secrets)
    assert [p.key for p in problems] == ["app-platform:database.drRegion"]
    raw = _database_only(base, {"drRegion": "eu-west-1"})  # the stack's own region
    problems = refused(raw, secrets)
    assert problems[0].startswith("app-platform:database.drRegion")


def test_a_bad_value_under_the_new_key_is_blamed_on_the_new_key() -> None:
    base, secrets = stack_config("production")
    raw = _database_only(base, {"disasterRecovery": {"region": "eu-central-9"}})
    problems = refused(raw, secrets)
    assert [p.key for p in problems] == ["app-platform:database.disasterRecovery.region"]
    assert deprecations(raw) == []


OLD_STACK_FILE = """\
config:
  aws:region: eu-west-1
  app-platform:environment: production
  app-platform:domain: app.example.com
  app-platform:database:
    instanceClass: db.m7g.large
    drRegion: eu-central-1
    awsBackupWeeklyRetentionDays: 400
"""


def preview_warnings(folder: Path, stack_file: str) -> list[str]:
    """The deprecation warnings `preview` prints for a stack file written as `Pulumi.old.yaml` in `folder`."""
    (folder / "Pulumi.yaml").write_text((Path(project.ROOT) / "Pulumi.yaml").read_text())
    (folder / "Pulumi.old.yaml").write_text(stack_file)
    return project.deprecations(project.load_stack("old", folder))


def test_preview_names_the_file_and_line_of_each_deprecated_key(tmp_path: Path) -> None:
    warnings = preview_warnings(tmp_path, OLD_STACK_FILE)
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings)
    assert "Pulumi.old.yaml:7:5" in warnings[0] and "database.drRegion" in warnings[0]
    assert "Pulumi.old.yaml:8:5" in warnings[1] and "disasterRecovery.weeklyRetentionDays" in warnings[1]


def test_the_committed_stack_files_use_no_deprecated_key() -> None:
    for stack in ("staging", "production"):
        assert deprecations(project.load_stack(stack).config) == [], stack


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelled_old=st.lists(st.sampled_from(DR_MOVES), unique=True))
def test_any_mix_of_old_and_new_spellings_gives_the_same_settings(spelled_old: list[Moved]) -> None:
    """Whichever keys a stack file still spells the old way, the settings are those of the new spelling, and
    exactly those keys are announced."""
    base, secrets = stack_config("production")
    new_group = {move.new[-1]: VALUES[move.new[-1]] for move in DR_MOVES}
    expected = load_config(_database_only(base, {"disasterRecovery": dict(new_group)}), secrets).database
    section: dict[str, Any] = {"disasterRecovery": dict(new_group)}
    for move in spelled_old:
        section[move.old[-1]] = section["disasterRecovery"].pop(move.new[-1])
    raw = _database_only(base, section)
    assert load_config(raw, secrets).database == expected
    assert sorted(n.key for n in deprecations(raw)) == sorted(move.old_key for move in spelled_old)


# -- per-service moves: `services.<name>.deployment` (issue #25) -------------------------------------------------
# A value each new key accepts under staging's rolling preset, distinct from the preset and the model's default.
SERVICE_VALUES: dict[str, int] = {
    "minimumHealthyPercent": 75,
    "maximumPercent": 150,
    "healthCheckGraceSeconds": 90,
    "stopTimeoutSeconds": 45,
}
WEB = {"image": {"context": "app"}, "containerPort": 8080}
WORKER = {"image": {"context": "app"}}


def _services(stack: str, services: dict[str, Any]) -> dict[str, str]:
    return stack_config(stack, services=services)[0]


def _deployment_of(config: Any, service: str) -> dict[str, int]:
    deployment = config.services[service].deployment
    return {
        "minimumHealthyPercent": deployment.minimum_healthy_percent,
        "maximumPercent": deployment.maximum_percent,
        "healthCheckGraceSeconds": deployment.health_check_grace_seconds,
        "stopTimeoutSeconds": deployment.stop_timeout_seconds,
    }


def test_every_move_is_a_database_or_a_per_service_one() -> None:
    assert len(DR_MOVES) + len(SERVICE_MOVES) == len(MOVED) and len(SERVICE_MOVES) == 4
    assert {m.new[-1] for m in SERVICE_MOVES} == set(SERVICE_VALUES)
    assert all(m.new[:3] == ("services", EACH, "deployment") for m in SERVICE_MOVES)


@pytest.mark.parametrize("move", SERVICE_MOVES, ids=lambda m: m.old[-1])
def test_an_old_service_key_sets_that_service_only_and_is_announced(move: Moved) -> None:
    value = SERVICE_VALUES[move.new[-1]]
    raw = _services("staging", {"api": {**WEB, move.old[-1]: value}, "jobs": dict(WORKER)})
    secrets = stack_config("staging")[1]
    config = load_config(raw, secrets)
    assert _deployment_of(config, "api")[move.new[-1]] == value
    untouched = load_config(_services("staging", {"api": dict(WEB), "jobs": dict(WORKER)}), secrets)
    assert _deployment_of(config, "jobs") == _deployment_of(untouched, "jobs")
    notices = deprecations(raw)
    assert [n.key for n in notices] == [f"app-platform:services.api.{move.old[-1]}"]
    assert f"app-platform:services.api.deployment.{move.new[-1]}" in notices[0] and "deprecated" in notices[0]


@pytest.mark.parametrize("move", SERVICE_MOVES, ids=lambda m: m.old[-1])
def test_both_spellings_in_one_service_are_an_error_naming_the_old_key(move: Moved) -> None:
    value = SERVICE_VALUES[move.new[-1]]
    api = {**WEB, move.old[-1]: value, "deployment": {move.new[-1]: value}}
    problems = refused(_services("staging", {"api": api}), stack_config("staging")[1])
    assert [p.key for p in problems] == [f"app-platform:services.api.{move.old[-1]}"]
    assert "app-platform:services.api.deployment." + move.new[-1] in problems[0]


def test_old_and_new_spellings_in_different_services_are_no_conflict() -> None:
    api = {**WEB, "minHealthyPercent": 75}
    web = {**WEB, "pathPatterns": ["/web/*"], "deployment": {"minimumHealthyPercent": 80}}
    raw = _services("staging", {"api": api, "web": web})
    config = load_config(raw, stack_config("staging")[1])
    assert _deployment_of(config, "api")["minimumHealthyPercent"] == 75
    assert _deployment_of(config, "web")["minimumHealthyPercent"] == 80
    assert [n.key for n in deprecations(raw)] == ["app-platform:services.api.minHealthyPercent"]


@pytest.mark.parametrize(
    ("stack", "old", "value", "says"),
    [
        ("staging", "minHealthyPercent", 150, "less than or equal to 100"),
        ("staging", "maxPercent", 50, "greater than or equal to 100"),
        ("staging", "stopTimeoutSeconds", 121, "less than or equal to 120"),
        ("staging", "healthCheckGraceSeconds", -1, "greater than or equal to 0"),
        # Production releases blue/green: the rule that pins the floor blames the key the file spells.
        ("production", "minHealthyPercent", 50, "must be 100"),
        ("production", "maxPercent", 150, "must be 200"),
    ],
)
def test_a_bad_value_under_an_old_service_key_is_blamed_on_the_old_key(
    stack: str, old: str, value: int, says: str
) -> None:
    api = {**WEB, old: value} if stack == "staging" else {**WEB, "cpu": 1024, "memory": 2048, old: value}
    problems = refused(_services(stack, {"api": api}), stack_config(stack)[1])
    assert [p.key for p in problems] == [f"app-platform:services.api.{old}"]
    assert problems[0].startswith(f"app-platform:services.api.{old}") and says in problems[0]


def test_a_bad_value_under_the_new_service_key_is_blamed_on_the_new_key() -> None:
    raw = _services("staging", {"api": {**WEB, "deployment": {"minimumHealthyPercent": 150}}})
    problems = refused(raw, stack_config("staging")[1])
    assert [p.key for p in problems] == ["app-platform:services.api.deployment.minimumHealthyPercent"]
    assert deprecations(raw) == []


OLD_SERVICES_FILE = """\
config:
  aws:region: eu-west-1
  app-platform:environment: staging
  app-platform:domain: app.staging.example.com
  app-platform:services:
    api:
      image:
        context: app
      containerPort: 8080
      minHealthyPercent: 100
      stopTimeoutSeconds: 60
"""


def test_preview_names_the_file_and_line_of_each_deprecated_service_key(tmp_path: Path) -> None:
    warnings = preview_warnings(tmp_path, OLD_SERVICES_FILE)
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings)
    assert "Pulumi.old.yaml:10:7" in warnings[0] and "services.api.deployment.minimumHealthyPercent" in warnings[0]
    assert "Pulumi.old.yaml:11:7" in warnings[1] and "services.api.deployment.stopTimeoutSeconds" in warnings[1]


def test_a_moved_key_must_keep_its_map_segment_in_place() -> None:
    with pytest.raises(ValueError, match="same map"):
        Moved(("services", EACH, "x"), ("other", EACH, "x"), "test")
    with pytest.raises(ValueError, match="same map"):
        Moved(("services", EACH, "x"), ("services", "x"), "test")


def test_migrate_ignores_what_is_not_a_service_map() -> None:
    """A malformed `services` (a list, a string, a service that is not a mapping) is left to the model's own error."""
    for services in (["api"], "api", {"api": "oops"}, {}):
        values: dict[str, Any] = {"services": services}
        assert migrate(values) == ([], [])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelled_old=st.lists(st.tuples(st.sampled_from(["api", "web"]), st.sampled_from(SERVICE_MOVES)), unique=True))
def test_any_mix_of_old_and_new_service_spellings_gives_the_same_settings(
    spelled_old: list[tuple[str, Moved]],
) -> None:
    """Whichever keys of whichever services a stack file still spells the old way, the settings are those of the
    new spelling, and exactly those keys are announced."""
    secrets = stack_config("staging")[1]
    services: dict[str, Any] = {
        "api": {**WEB, "deployment": dict(SERVICE_VALUES)},
        "web": {**WEB, "pathPatterns": ["/web/*"], "deployment": dict(SERVICE_VALUES)},
    }
    expected = load_config(_services("staging", services), secrets).services
    for service, move in spelled_old:
        services[service][move.old[-1]] = services[service]["deployment"].pop(move.new[-1])
    raw = _services("staging", services)
    assert load_config(raw, secrets).services == expected
    announced = sorted(n.key for n in deprecations(raw))
    assert announced == sorted(f"app-platform:services.{service}.{move.old[-1]}" for service, move in spelled_old)
