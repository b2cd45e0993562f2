"""One pack version names one rule set (policies/versions.py): a changed rule without a new version, a reused
version and a version going down all fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policies import versions

PACK = versions.PACK_DIR


def test_the_declared_version_names_exactly_the_committed_sources() -> None:
    entries = versions.history()
    assert versions.problems(entries, versions.declared_version(), versions.digest()) == []
    assert entries[-1]["version"] == versions.declared_version()


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A copy of the pack's sources and PulumiPolicy.yaml, to change freely."""
    copy = tmp_path / "policies"
    for path in versions.sources():
        target = copy / path.relative_to(PACK)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    shutil.copy(versions.PACK_FILE, copy / "PulumiPolicy.yaml")
    return copy


@pytest.mark.parametrize(
    "change",
    [
        lambda pack: (pack / "rules" / "rds.py").write_text((pack / "rules" / "rds.py").read_text() + "\n# tweak\n"),
        lambda pack: (pack / "rules" / "new_rule.py").write_text("POLICIES = []\n"),  # a rule module added
        lambda pack: (pack / "rules" / "waf.py").unlink(),  # one removed
        lambda pack: (pack / "lambda_runtimes.py").write_text("DEPRECATED = {}\n"),  # a table the rules read
        lambda pack: (pack / "__main__.py").write_text("# another entry point\n"),
    ],
)
def test_any_change_to_what_judges_needs_a_new_version(pack: Path, change: object) -> None:
    recorded = versions.history()
    before = versions.digest(pack)
    assert before == versions.digest()  # the copy is the pack
    change(pack)  # type: ignore[operator]
    after = versions.digest(pack)
    assert after != before
    said = versions.problems(recorded, versions.declared_version(pack / "PulumiPolicy.yaml"), after)
    assert len(said) == 1 and "the policy sources changed since" in said[0] and "raise `version:`" in said[0]


def test_what_does_not_judge_leaves_the_version_alone(pack: Path) -> None:
    (pack / "config").mkdir()
    (pack / "config" / "staging.json").write_text("{}")  # a stack's settings, reported beside the version
    (pack / "README.md").write_text("# table\n")
    (pack / "table.py").write_text("")
    assert versions.digest(pack) == versions.digest()


def test_recording_refuses_a_reused_or_lower_version_and_keeps_an_unchanged_one() -> None:
    entries = [{"version": "1.1.0", "sha256": "a"}]
    assert versions.record(entries, "1.1.0", "a") == entries
    for version in ("1.1.0", "1.0.9", "0.9.0"):
        with pytest.raises(ValueError, match=f"version {version} is not above 1.1.0"):
            versions.record(entries, version, "b")
    assert versions.record(entries, "1.1.1", "b")[-1] == {"version": "1.1.1", "sha256": "b"}
    assert versions.record(entries, "1.10.0", "b")[-1]["version"] == "1.10.0"  # numeric, not text, order


def test_a_tampered_history_is_named() -> None:
    down = [{"version": "1.2.0", "sha256": "a"}, {"version": "1.1.0", "sha256": "b"}]
    assert "versions must increase" in versions.problems(down, "1.1.0", "b")[0]
    twice = [{"version": "1.1.0", "sha256": "a"}, {"version": "1.2.0", "sha256": "a"}]
    assert "one rule set recorded under two versions" in versions.problems(twice, "1.2.0", "a")[0]
    assert "PulumiPolicy.yaml says 1.3.0" in versions.problems(twice[:1], "1.3.0", "a")[0]
    assert "records no version" in versions.problems([], "1.1.0", "a")[0]


def test_a_pack_file_without_a_version_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("description: x\nversion: latest\n")
    with pytest.raises(ValueError, match=r"no `version: MAJOR\.MINOR\.PATCH` line"):
        versions.declared_version(tmp_path / "PulumiPolicy.yaml")
