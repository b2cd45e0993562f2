"""The runbooks: one section per alarm anchor of the stack output contract, each saying what the alarm means,
what to check first and how to mitigate; every alarm the program declares links to one; every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

from offline.plan import Plan
from offline.project import ROOT

RUNBOOKS = ROOT / "docs" / "runbooks"
# The anchors the observability tier's alarm descriptions link to (the stack output contract of issue 8).
CONTRACT_ANCHORS = [
    "alb-5xx-rate",
    "alb-5xx-count",
    "target-latency-p95",
    "target-latency-p99",
    "unhealthy-hosts",
    "ecs-cpu-high",
    "ecs-memory-high",
    "ecs-memory-critical",
    "ecs-running-tasks-low",
    "rds-cpu-high",
    "rds-connections-high",
    "rds-storage-low",
    "rds-storage-critical",
    "rds-freeable-memory-low",
    "rds-read-latency-high",
    "rds-write-latency-high",
    "cloudfront-5xx-rate",
    "waf-blocked-spike",
    "uptime-slo",
    "service-down",
    "backup-job-failed",
    "rds-events",
    "app-error-logs",
    "service-unhealthy",
]
PARTS = ("**What it means.**", "**First checks.**", "**How to mitigate.**")
ALARM_TYPES = ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm")
RUNBOOK_LINK = re.compile(r"docs/runbooks/alarms\.md#([A-Za-z0-9_-]+)")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def sections(path: Path, level: str = "##") -> dict[str, str]:
    """`level` heading slug -> the section's text (up to the next heading of that level)."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # headings inside code blocks do not count
    parts = re.split(rf"^{level} (.+)$", text, flags=re.M)
    return {github_slug(title): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {github_slug(title) for title in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


def test_the_runbooks_exist() -> None:
    assert {p.name for p in RUNBOOKS.glob("*.md")} >= {"deploy.md", "rollback.md", "restore-and-dr.md", "alarms.md"}


def test_alarms_md_has_exactly_one_section_per_contract_anchor() -> None:
    found = sections(RUNBOOKS / "alarms.md")
    assert sorted(found) == sorted(CONTRACT_ANCHORS)
    text = (RUNBOOKS / "alarms.md").read_text()
    headings = [github_slug(t) for t in re.findall(r"^## (.+)$", text, flags=re.M)]
    assert len(headings) == len(set(headings))  # a duplicate would get a "-1" suffix on GitHub


def test_every_alarm_section_says_what_it_means_what_to_check_and_how_to_mitigate() -> None:
    for anchor, body in sections(RUNBOOKS / "alarms.md").items():
        positions = [body.find(part) for part in PARTS]
        assert -1 not in positions and positions == sorted(positions), f"{anchor}: needs {PARTS} in this order"
        for part, start, end in zip(PARTS, positions, [*positions[1:], len(body)], strict=True):
            assert len(body[start + len(part) : end].split()) >= 12, f"{anchor}: '{part}' is too thin"


def test_every_relative_link_in_the_runbooks_resolves() -> None:
    checked = 0
    for page in RUNBOOKS.glob("*.md"):
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file_part, _, anchor = target.partition("#")
            path = (page.parent / file_part).resolve() if file_part else page
            assert path.exists(), f"{page.name}: broken link {target}"
            if anchor:
                assert anchor in anchors(path), f"{page.name}: no heading for #{anchor} in {path.name}"
            checked += 1
    assert checked > 20


def test_every_alarm_the_program_declares_links_to_a_runbook_section(plan: Plan) -> None:
    """Derived from the rendered stack: whatever alarms the observability tier declares must link here."""
    known = set(sections(RUNBOOKS / "alarms.md"))
    for record in plan.resources:
        if record.type in ALARM_TYPES:
            description = str(record.inputs.get("alarmDescription", ""))
            links = RUNBOOK_LINK.findall(description)
            assert links, f"{record.name}: the alarm description does not link to docs/runbooks/alarms.md#<id>"
            assert set(links) <= known, f"{record.name}: no runbook section for {set(links) - known}"
        else:
            for value in map(str, record.inputs.values()):
                assert set(RUNBOOK_LINK.findall(value)) <= known, f"{record.name}: broken runbook link"


def test_the_deploy_runbook_documents_the_production_approval() -> None:
    deploy = (RUNBOOKS / "deploy.md").read_text()
    assert "Required reviewers" in deploy and "`production`" in deploy
    for variable in ("AWS_DEPLOY_ROLE_ARN", "AWS_VERIFY_ROLE_ARN", "AWS_OPS_ROLE_ARN_PRODUCTION", "AWS_REGION"):
        assert variable in deploy


def test_the_rollback_runbook_explains_every_stage_line_the_tools_print() -> None:
    """The stage table and the tools' STAGES cannot drift apart; nor the permissions the tools call."""
    from ops.deployment_report import STAGES

    section = sections(RUNBOOKS / "rollback.md")["reading-a-release-or-a-rollback-stage-by-stage"]
    rows = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.M))
    assert rows == set(STAGES)
    for action in ("ListServiceDeployments", "DescribeServiceDeployments", "DescribeServiceRevisions"):
        assert f"ecs:{action}" in section
    assert "ecs:StopServiceDeployment" in section and "](deploy.md)" in (RUNBOOKS / "rollback.md").read_text()
