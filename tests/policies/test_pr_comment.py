"""The pull-request comment and the stateful gate, built from real renders of both stacks and their real policy
reports. Here (not in tests/) because it reuses this package's session `stack_runs`: one pack run per stack.

Base branch: production with another `database.databaseName` (dbName forces a new RDS instance), so the pull
request's diff replaces the protected production database; staging is unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offline import cli
from offline.cost.command import run as cost_run
from offline.diff import PlanDiff, Reason, ResourceChange
from offline.plan import Plan
from offline.policy_runner import PolicyRun, write_reports
from offline.pr_comment import GITHUB_COMMENT_LIMIT, OPT_IN_LABEL, StackInput, build, load, stacks_in
from offline.render import render
from offline.stateful_gate import parse_labels
from offline.stateful_gate import run as gate_run
from tests.helpers import stack_config

DB = "aws:rds/instance:Instance"


@pytest.fixture(scope="module")
def dirs(
    tmp_path_factory: pytest.TempPathFactory,
    staging_plan: Plan,
    production_plan: Plan,
    stack_runs: dict[str, PolicyRun],
) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("renders")
    base, head = root / "base", root / "head"
    raw, _ = stack_config("production", database={"databaseName": "legacy"})
    old_production = render("production", overrides={"app-platform:database": raw["app-platform:database"]})
    for plan in (staging_plan, production_plan):
        plan.write(head / f"{plan.stack}.plan.json")
        write_reports(stack_runs[plan.stack], head)
    for plan in (staging_plan, old_production):
        plan.write(base / f"{plan.stack}.plan.json")
        write_reports(stack_runs[plan.stack], base)  # the same findings: none is new
    for stack in ("staging", "production"):
        code = cost_run(
            head / f"{stack}.plan.json",
            base_path=base / f"{stack}.plan.json",
            usage_file=None,
            json_path=head / f"{stack}.cost.json",
            markdown_path=head / f"{stack}.cost.md",
            budget=None,
        )
        assert code == 0
    return base, head


def _comment(dirs: tuple[Path, Path], limit: int = GITHUB_COMMENT_LIMIT) -> str:
    base, head = dirs
    return build([load(s, base, head) for s in stacks_in(base, head)], limit=limit)


def test_the_base_render_really_differs_in_the_database_name(dirs: tuple[Path, Path]) -> None:
    base, head = dirs
    old = Plan.read(base / "production.plan.json").one(DB).inputs["dbName"]
    new = Plan.read(head / "production.plan.json").one(DB).inputs["dbName"]
    assert (old, new) == ("legacy", "app")


def test_the_comment_fits_and_shows_both_stacks_risk_summaries(dirs: tuple[Path, Path]) -> None:
    text = _comment(dirs)
    assert len(text) <= 65536
    staging, production = _section(text, "staging"), _section(text, "production")
    assert "No stateful, protected, rejected or traffic-interrupting change." in staging
    assert re.search(r"> - \*\*REPLACE\*\* `aws:rds/instance:Instance` `\S+` \(because of `dbName`\)", production)
    assert "would refuse these changes to protected resources" in production  # production's db is protected
    for stack in ("staging", "production"):  # counts, policy and cost for each
        section = _section(text, stack)
        assert re.search(r"\*\*\d+ to create, \d+ to update, \d+ to replace, \d+ to delete\.\*\*", section)
        assert "#### Policy" in section and "#### Cost" in section


def test_the_comment_leads_with_the_stateful_change(dirs: tuple[Path, Path]) -> None:
    text = _comment(dirs)
    first_bullet = next(line for line in text.splitlines() if line.startswith("- "))
    assert first_bullet.startswith("- **`production`: REPLACE `") and "`staging`" not in first_bullet
    assert OPT_IN_LABEL in text.split("### `staging`")[0]
    production = _section(text, "production")
    assert production.index("[!CAUTION]") < production.index("to create,") < production.index("#### Policy")


@pytest.mark.parametrize("limit", [7000, 4500])
def test_smaller_limits_shrink_details_first_never_the_risk_summary(dirs: tuple[Path, Path], limit: int) -> None:
    full = _comment(dirs, limit=10**9)
    text = _comment(dirs, limit)
    assert len(full) > limit and len(text) <= limit
    for stack in ("staging", "production"):
        assert _risk(_section(text, stack)) == _risk(_section(full, stack))
    assert "Plan details" in full
    assert len(_section(text, "production")) < len(_section(full, "production"))


def test_policy_reports_of_any_size_still_leave_both_stacks_in_the_limit(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """A head report with 40 times today's findings, none known to the base: the lists shrink, the risks stay."""
    base, head = dirs
    big = _copy(head, tmp_path / "head")
    report = json.loads((head / "staging.policy.json").read_text())
    report["results"] = [
        {**r, "urn": f"{r['urn']}-{i}"} for i in range(40) for r in report["results"] if r["outcome"] == "violation"
    ]
    (big / "staging.policy.json").write_text(json.dumps(report))
    items = [load(s, base, big) for s in stacks_in(base, big)]
    assert len(build(items, limit=10**9)) > 4 * GITHUB_COMMENT_LIMIT  # what a cut in shell would have truncated
    text = build(items)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "in the `offline-plans` artifact" in _section(text, "staging")
    assert "REPLACE** `aws:rds/instance:Instance`" in _section(text, "production")


def test_new_findings_are_judged_by_identity_not_by_message(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = dirs
    report = json.loads((head / "production.policy.json").read_text())
    violations = [r for r in report["results"] if r["outcome"] == "violation"]
    assert len(violations) >= 2
    dropped, reworded = violations[0], violations[1]
    old = _copy(base, tmp_path / "base")
    base_report = dict(report)
    base_report["results"] = [
        {**r, "message": r["message"] + " (was 3)"} if r is reworded else r
        for r in report["results"]
        if r is not dropped
    ]
    (old / "production.policy.json").write_text(json.dumps(base_report))
    section = _section(build([load(s, old, head) for s in stacks_in(old, head)]), "production")
    assert "1 new against the base branch" in section
    new_list = section.split("New against the base branch (1)")[1].split("</details>")[0]
    assert f"`{dropped['policy']}` on `{dropped['type']}` `{dropped['name']}`" in new_list
    assert reworded["name"] not in new_list or reworded["policy"] not in new_list
    assert "0 new against the base branch" in _section(_comment(dirs), "production")


def test_mandatory_violations_are_listed_even_in_a_tight_limit(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = dirs
    bad = _copy(head, tmp_path / "head")
    report = json.loads((head / "staging.policy.json").read_text())
    report["results"].append(
        {
            "policy": "rds-storage-encrypted",
            "urn": "urn:pulumi:staging::app-platform::aws:rds/instance:Instance::db",
            "type": DB,
            "name": "db",
            "outcome": "violation",
            "enforcement": "mandatory",
            "message": "storageEncrypted is false",
        }
    )
    (bad / "staging.policy.json").write_text(json.dumps(report))
    text = build([load(s, base, bad) for s in stacks_in(base, bad)], limit=8000)
    assert len(text) <= 8000
    staging = _section(text, "staging")
    assert "1 mandatory violation(s)" in staging
    assert (
        "- `rds-storage-encrypted` on `aws:rds/instance:Instance` `db` (violation): storageEncrypted is false"
        in staging
    )


def test_the_cost_section_reports_each_stacks_total_and_delta(dirs: tuple[Path, Path]) -> None:
    text = _comment(dirs)
    for stack in ("staging", "production"):
        cost = json.loads((dirs[1] / f"{stack}.cost.json").read_text())
        total = cost["total"]["monthlyUsd"]
        assert total > 0
        assert f"Estimated monthly total: **${total:,.2f}**" in _section(text, stack)
        base_total = cost["delta"]["baseTotal"]["monthlyUsd"]
        assert f"Change against the base branch: **$0.00** per month (base ${base_total:,.2f})." in _section(
            text, stack
        )


def test_the_cost_delta_names_its_top_contributors(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = dirs
    changed = _copy(head, tmp_path / "head")
    cost = json.loads((head / "production.cost.json").read_text())
    cost["delta"]["monthlyUsd"] = -120.5
    cost["delta"]["topContributors"] = [
        {"urn": "u", "name": "db", "type": DB, "change": "changed", "deltaUsd": -120.5},
    ]
    (changed / "production.cost.json").write_text(json.dumps(cost))
    section = _section(build([load(s, base, changed) for s in stacks_in(base, changed)]), "production")
    assert "Change against the base branch: **-$120.50** per month" in section
    assert "- `db` (changed): -$120.50" in section


def test_a_stack_the_head_did_not_render_is_a_risk_not_a_silence(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = dirs
    partial = tmp_path / "head"
    partial.mkdir()
    (partial / "staging.plan.json").write_text((head / "staging.plan.json").read_text())
    text = build([load(s, base, partial) for s in stacks_in(base, partial)])
    assert "the pull request has no plan (production.plan.json)" in _section(text, "production")
    assert "- **`production`: incomplete diff**" in text.split("### `staging`")[0]


@settings(max_examples=15)
@given(limit=st.integers(min_value=4000, max_value=70000))
def test_any_limit_keeps_both_stacks_and_the_caution(dirs: tuple[Path, Path], limit: int) -> None:
    text = _comment(dirs, limit)
    assert len(text) <= limit
    assert "### `staging`" in text and "### `production`" in text
    assert "REPLACE** `aws:rds/instance:Instance`" in _section(text, "production")


def test_only_risk_summaries_beyond_the_limit_are_cut_with_a_pointer(dirs: tuple[Path, Path]) -> None:
    text = _comment(dirs, limit=1500)
    assert len(text) <= 1500 and text.rstrip().endswith("has every stack's full diff._")


# -- the command and the gate --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full(dirs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("comment")
    base, head = dirs
    code = cli.main(
        ["pr-comment", "--base", str(base), "--head", str(head), "--out", str(out / "c.md"), "--full", str(out)]
    )
    assert code == 0
    return out


def test_the_command_writes_the_comment_and_every_full_diff(full: Path) -> None:
    assert len((full / "c.md").read_text()) <= GITHUB_COMMENT_LIMIT
    diff = json.loads((full / "production.diff.json").read_text())
    db = next(c for c in diff["changes"] if c["type"] == DB)
    assert (db["action"], db["stateful"], db["refused"]) == ("replace", True, True)
    assert json.loads((full / "staging.diff.json").read_text())["changes"] == []


def test_the_command_refuses_directories_without_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["pr-comment", "--base", str(tmp_path), "--head", str(tmp_path), "--out", str(tmp_path / "c.md")])
    assert code == 2 and "no <stack>.plan.json" in capsys.readouterr().err


def test_the_command_names_an_unreadable_policy_report(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "staging.plan.json").write_text((dirs[1] / "staging.plan.json").read_text())
    (tmp_path / "staging.policy.json").write_text('{"results": [{"policy": "x"}]}')
    code = cli.main(["pr-comment", "--base", str(dirs[0]), "--head", str(tmp_path), "--out", str(tmp_path / "c.md")])
    assert code == 2


def _diffs(full: Path) -> list[str]:
    return ["stateful-gate", "--diff-json", str(full / "staging.diff.json"), str(full / "production.diff.json")]


def test_the_gate_fails_the_stateful_change_without_the_label(full: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*_diffs(full), "--labels", '["documentation"]']) == 3
    assert "production: REPLACE aws:rds/instance:Instance" in capsys.readouterr().err
    assert cli.main(_diffs(full)) == 3  # no labels at all


@pytest.mark.parametrize("labels", [f'["documentation", "{OPT_IN_LABEL}"]', f"documentation\n{OPT_IN_LABEL}\n"])
def test_the_gate_passes_the_stateful_change_with_the_label(full: Path, labels: str) -> None:
    assert cli.main([*_diffs(full), "--labels", labels]) == 0


def test_the_gate_passes_a_change_without_stateful_resources(full: Path) -> None:
    assert cli.main(["stateful-gate", "--diff-json", str(full / "staging.diff.json")]) == 0


@pytest.mark.parametrize(
    "labels", ['["allow-stateful-changes"]', '["allow stateful change"]', '"allow-stateful-change"']
)
def test_near_miss_labels_do_not_open_the_gate(full: Path, labels: str) -> None:
    assert cli.main([*_diffs(full), "--labels", labels]) in (2, 3)


def _change(action: str, type_: str, *, stateful: bool, refused: bool) -> dict[str, object]:
    return {
        "urn": f"urn:x::{type_}::r",
        "type": type_,
        "name": "r",
        "action": action,
        "stateful": stateful,
        "refused": refused,
    }


@pytest.mark.parametrize(
    ("change", "blocked"),
    [
        (_change("delete", "aws:s3/bucket:Bucket", stateful=True, refused=False), True),
        (_change("replace", "aws:kms/key:Key", stateful=False, refused=True), True),  # protected, not stateful
        (_change("delete", "aws:ecs/service:Service", stateful=False, refused=True), True),
        (_change("update", DB, stateful=True, refused=False), False),
        (_change("create", DB, stateful=True, refused=False), False),
        (_change("replace", "aws:lb/listener:Listener", stateful=False, refused=False), False),
    ],
)
def test_the_gate_judges_each_shape(tmp_path: Path, change: dict[str, object], blocked: bool) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"stack": "x", "refused": [], "changes": [change]}))
    assert gate_run([path], "") == (3 if blocked else 0)
    assert gate_run([path], json.dumps([OPT_IN_LABEL])) == 0


def test_the_gate_fails_closed_on_a_missing_or_foreign_file(tmp_path: Path) -> None:
    assert gate_run([tmp_path / "missing.json"], json.dumps([OPT_IN_LABEL])) == 2
    (tmp_path / "plan.json").write_text('{"resources": []}')
    assert gate_run([tmp_path / "plan.json"], "") == 2


def test_labels_parse_as_a_json_array_or_lines() -> None:
    assert parse_labels('["a", "b c"]') == {"a", "b c"}
    assert parse_labels("a\n b c \n\n") == {"a", "b c"}
    assert parse_labels("") == set() == parse_labels("[]")
    with pytest.raises(ValueError, match="JSON array of label names"):
        parse_labels('[1, "a"]')


def _copy(source: Path, target: Path) -> Path:
    """A render directory to modify (the module's renders are shared)."""
    target.mkdir()
    for path in source.glob("*.json"):
        (target / path.name).write_text(path.read_text())
    return target


def _section(text: str, stack: str) -> str:
    part = text.split(f"### `{stack}`", 1)[1]
    return part.split("\n### `", 1)[0]


def _risk(section: str) -> str:
    """The risk summary: everything between the stack's title and its counts."""
    return section.split("to create,", maxsplit=1)[0]


def test_traffic_replacements_and_rejections_are_risks_and_the_headline_stays_short() -> None:
    """Shapes without a render: 30 replaced subnets, a replaced listener, a rejected change, an updated VPC."""
    subnets = [
        ResourceChange(
            f"urn:s{i}", "aws:ec2/subnet:Subnet", f"private-{i}", "replace", reasons=[Reason("input", "cidrBlock")]
        )
        for i in range(30)
    ]
    listener = ResourceChange("urn:l", "aws:lb/listener:Listener", "https", "replace", reasons=[Reason("input", "x")])
    rejected = ResourceChange("urn:c", "aws:ecs/cluster:Cluster", "main", "update", plan_errors=["name is immutable"])
    updated = ResourceChange("urn:v", "aws:ec2/vpc:Vpc", "vpc", "update")
    item = StackInput("staging", PlanDiff("staging", [*subnets, listener, rejected, updated]))
    text = build([item])
    headline = next(line for line in text.splitlines() if line.startswith("- **`staging`"))
    assert headline.endswith("and 22 more**") and "REJECTED UPDATE `main`" in headline
    section = _section(text, "staging")
    traffic_block = section.split("Replacements that interrupt traffic.")[1].split("\n\n")[0]
    assert traffic_block.count("> - **REPLACE**") == 31 and "`vpc`" not in traffic_block
    assert "The provider would reject these changes" in section and "name is immutable" in section
    assert OPT_IN_LABEL not in text  # nothing stateful or protected: the gate has nothing to hold
