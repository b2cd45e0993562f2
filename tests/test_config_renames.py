"""Renamed config keys (issue #25): the old spelling still deploys, says it is deprecated and where it is set,
and is refused when the new spelling is set too. infra/config/renames.py lists the moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import ConfigError
from infra.config.load import deprecations, load_config
from infra.config.renames import MOVED, Moved
from offline import project
from tests.helpers import stack_config

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


@pytest.mark.parametrize("move", MOVED, ids=lambda m: ".".join(m.old))
def test_the_old_key_still_sets_the_new_setting_and_is_announced(move: Moved) -> None:
    value = VALUES[move.new[-1]]
    base, secrets = stack_config("production")
    raw = _database_only(base, {"instanceClass": "db.m7g.large", **_old_spelling(move, value)})
    config = load_config(raw, secrets)
    assert _attribute(config, move) == value
    notices = deprecations(raw)
    assert [n.key for n in notices] == [move.old_key]
    assert move.new_key in notices[0] and "deprecated" in notices[0]


@pytest.mark.parametrize("move", MOVED, ids=lambda m: ".".join(m.old))
def test_setting_both_spellings_is_an_error_naming_the_old_key(move: Moved) -> None:
    value = VALUES[move.new[-1]]
    base, secrets = stack_config("production")
    section = _old_spelling(move, value)
    section.setdefault("disasterRecovery", {})[move.new[-1]] = value
    with pytest.raises(ConfigError) as caught:
        load_config(_database_only(base, section), secrets)
    assert [p.key for p in caught.value.problems] == [move.old_key]
    assert move.new_key in caught.value.problems[0]


def test_a_bad_value_under_the_old_key_is_blamed_on_the_old_key() -> None:
    """The stack file spells the old key: the error must name it, or its line cannot be shown."""
    base, secrets = stack_config("production")
    raw = _database_only(base, {"drRegion": "eu-central-9"})
    with pytest.raises(ConfigError) as caught:
        load_config(raw, secrets)
    assert [p.key for p in caught.value.problems] == ["app-platform:database.drRegion"]
    raw = _database_only(base, {"drRegion": "eu-west-1"})  # the stack's own region
    with pytest.raises(ConfigError) as caught:
        load_config(raw, secrets)
    assert caught.value.problems[0].startswith("app-platform:database.drRegion")


def test_a_bad_value_under_the_new_key_is_blamed_on_the_new_key() -> None:
    base, secrets = stack_config("production")
    raw = _database_only(base, {"disasterRecovery": {"region": "eu-central-9"}})
    with pytest.raises(ConfigError) as caught:
        load_config(raw, secrets)
    assert [p.key for p in caught.value.problems] == ["app-platform:database.disasterRecovery.region"]
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


def test_preview_names_the_file_and_line_of_each_deprecated_key(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((Path(project.ROOT) / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.old.yaml").write_text(OLD_STACK_FILE)
    settings = project.load_stack("old", tmp_path)
    warnings = project.deprecations(settings)
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings)
    assert "Pulumi.old.yaml:7:5" in warnings[0] and "database.drRegion" in warnings[0]
    assert "Pulumi.old.yaml:8:5" in warnings[1] and "disasterRecovery.weeklyRetentionDays" in warnings[1]


def test_the_committed_stack_files_use_no_deprecated_key() -> None:
    for stack in ("staging", "production"):
        assert deprecations(project.load_stack(stack).config) == [], stack


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelled_old=st.lists(st.sampled_from(MOVED), unique=True))
def test_any_mix_of_old_and_new_spellings_gives_the_same_settings(spelled_old: list[Moved]) -> None:
    """Whichever keys a stack file still spells the old way, the settings are those of the new spelling, and
    exactly those keys are announced."""
    base, secrets = stack_config("production")
    new_group = {move.new[-1]: VALUES[move.new[-1]] for move in MOVED}
    expected = load_config(_database_only(base, {"disasterRecovery": dict(new_group)}), secrets).database
    section: dict[str, Any] = {"disasterRecovery": dict(new_group)}
    for move in spelled_old:
        section[move.old[-1]] = section["disasterRecovery"].pop(move.new[-1])
    raw = _database_only(base, section)
    assert load_config(raw, secrets).database == expected
    assert sorted(n.key for n in deprecations(raw)) == sorted(move.old_key for move in spelled_old)
