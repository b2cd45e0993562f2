"""Passes carry the value they judged: the protocol reports nothing for a pass, so the runner reads the plan's
value at each input path the rule declares (`inputs=` in its declaration) into the JSON and Markdown reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy

from offline.plan import SECRET, Plan
from offline.policy_model import Outcome, PolicyKind
from offline.policy_results import observed
from offline.policy_runner import PolicyRun, write_reports
from policies.rules import POLICIES
from tests.policies.support import BY_NAME, record

INSTANCE = "aws:rds/instance:Instance"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@pytest.fixture(scope="module")
def production(stack_runs: dict[str, PolicyRun], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The production stack judged by the pack over the Analyzer protocol, and its reports as written."""
    run = stack_runs["production"]
    out = tmp_path_factory.mktemp("observed")
    files = {p.name.split(".policy.")[1]: p for p in write_reports(run, out)}
    return {"run": run, "json": json.loads(files["json"].read_text()), "files": files}


def _result(report: dict[str, Any], policy: str, type_: str, name: str) -> dict[str, Any]:
    found = [r for r in report["results"] if (r["policy"], r["type"], r["name"]) == (policy, type_, name)]
    assert len(found) == 1, found
    first: dict[str, Any] = found[0]
    return first


def test_rds_storage_encryption_pass_shows_what_it_judged(production: dict[str, Any], production_plan: Plan) -> None:
    result = _result(production["json"], "rds-storage-encrypted", INSTANCE, "db")
    assert result["outcome"] == "pass"
    assert result["observed"]["storageEncrypted"] is True
    assert result["observed"]["kmsKeyId"] == production_plan.one(INSTANCE, "db").inputs["kmsKeyId"]
    assert str(result["observed"]["kmsKeyId"]).startswith("arn:aws:kms:")


def test_log_retention_passes_show_the_days_and_the_class(production: dict[str, Any]) -> None:
    api = _result(production["json"], "logs-retention", LOG_GROUP, "api-logs")
    flow = _result(production["json"], "logs-retention", LOG_GROUP, "network-flow-logs")
    assert (api["outcome"], api["observed"]) == ("pass", {"retentionInDays": 90, "tags.LogClass": "application"})
    assert (flow["outcome"], flow["observed"]) == ("pass", {"retentionInDays": 365, "tags.LogClass": "security"})


def test_markdown_rows_of_passes_show_the_observed_value(production: dict[str, Any]) -> None:
    text = production["files"]["md"].read_text()
    section = text.split("`rds-storage-encrypted`", 1)[1].split("\n### ", 1)[0]
    row = next(line for line in section.splitlines() if line.startswith("| `db` |"))
    assert "Pass" in row and "`storageEncrypted: true`" in row
    assert '`retentionInDays: 90`, `tags.LogClass: "application"`' in text


def test_sarif_carries_no_passes_and_no_observed_values(production: dict[str, Any]) -> None:
    sarif = production["files"]["sarif"].read_text()
    assert "observed" not in sarif and "storageEncrypted: true" not in sarif


def test_every_pass_carries_exactly_its_rules_declared_inputs(production: dict[str, Any]) -> None:
    run: PolicyRun = production["run"]
    declared = {m.name: m.inputs for m in run.policies}
    passes = [r for r in run.results if r.outcome == Outcome.PASS]
    assert passes
    for result in run.results:
        expected = declared[result.policy] if result.outcome == Outcome.PASS else ()
        assert tuple(result.observed) == expected, (result.policy, result.name)
    with_values = [r for r in passes if any(v is not None for v in r.observed.values())]
    assert len(with_values) >= 200  # 231 of 483 on 2026-12-03: stack rules and document readers declare none yet


def test_the_rules_that_read_named_inputs_declare_them() -> None:
    """The declaration is the one place a rule names its inputs; the metadata carries them to the runner."""
    assert {"input:storageEncrypted", "input:kmsKeyId"} <= set(BY_NAME["rds-storage-encrypted"].tags or [])
    resource_rules = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
    declaring = [p for p in resource_rules if any(t.startswith("input:") for t in p.tags or [])]
    assert len(declaring) >= 78, f"{len(declaring)} of {len(resource_rules)}"  # 78 of 97 on 2026-12-03


def test_secret_inputs_are_masked_whatever_the_plan_holds() -> None:
    """Masked by the plan's secret paths, not only by the plan's own masking: a secret value, or any value under
    a secret parent, never reaches a report."""
    meta = _meta("acm-rsa-key-length")
    cert = record(
        "aws:acm/certificate:Certificate",
        "cert",
        {"privateKey": "-----BEGIN PRIVATE KEY-----x", "keyAlgorithm": "RSA_2048", "certificateBody": "pem"},
    )
    cert.secret_paths = ["privateKey"]
    seen = observed(meta, cert)
    assert seen["privateKey"] == SECRET and seen["keyAlgorithm"] == "RSA_2048"
    nested = _meta("logs-retention")
    group = record(LOG_GROUP, "g", {"retentionInDays": 365, "tags": {"LogClass": "security"}})
    group.secret_paths = ["tags"]
    assert observed(nested, group) == {"retentionInDays": 365, "tags.LogClass": SECRET}
    group.secret_paths = []
    del group.inputs["tags"]
    assert observed(nested, group) == {"retentionInDays": 365, "tags.LogClass": None}  # unset reads as null


def _meta(name: str) -> Any:
    from offline.policy_direct import run_direct

    run = run_direct(Plan("app-platform", "fixture", [], {}), policies=[BY_NAME[name]])
    meta = run.policy(name)
    assert meta.kind == PolicyKind.RESOURCE
    return meta
