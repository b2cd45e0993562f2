"""The evasion corpus through the offline runner, as CI runs it: `python -m offline policy <plan> --config <file>`.

Two runs for the whole corpus (all failing forms, all passing forms), then one check per shape, read from the
JSON report the command writes: each failing form is blocked (mandatory violation, or a mandatory control left
unevaluated) by the policy the shape tests, on its own resource, so alone it would exit 4; the passing forms
together exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline.cli import EXIT_OK, EXIT_POLICY, main
from tests.policies import evasion

SHAPES = evasion.SHAPES


def _run(form: str, tmp: Path) -> tuple[int, list[dict[str, Any]]]:
    plan_file, config_file, out = tmp / f"{form}.plan.json", tmp / f"{form}.config.json", tmp / form
    evasion.plan(form).write(plan_file)
    config_file.write_text(json.dumps(evasion.config()))
    code = main(["policy", str(plan_file), "--config", str(config_file), "--out", str(out)])
    results = json.loads((out / f"{evasion.STACK}.policy.json").read_text())["results"]
    return code, results


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    tmp = tmp_path_factory.mktemp("evasion")
    return {form: _run(form, tmp) for form in ("fail", "pass")}


def blocking(result: dict[str, Any]) -> bool:
    return result["enforcement"] == "mandatory" and result["outcome"] in ("violation", "unknown")


def test_the_failing_forms_exit_4_and_the_passing_forms_exit_0(runs: dict[str, Any]) -> None:
    assert runs["fail"][0] == EXIT_POLICY
    passing = [f"{r['policy']}: {r['name']}: {r['message']}" for r in runs["pass"][1] if blocking(r)]
    assert passing == []
    assert runs["pass"][0] == EXIT_OK


def test_the_corpus_names_every_resource_once() -> None:
    names = [r.name for form in ("fail", "pass") for r in evasion.plan(form).resources]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_failing_form_is_blocked_by_its_policy(shape: evasion.Shape, runs: dict[str, Any]) -> None:
    found = [r for r in runs["fail"][1] if r["policy"] == shape.policy and r["name"] == shape.fail_subject]
    assert any(blocking(r) for r in found), found


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_passing_form_is_judged_and_not_blocked(shape: evasion.Shape, runs: dict[str, Any]) -> None:
    found = [r for r in runs["pass"][1] if r["policy"] == shape.policy and r["name"] == shape.pass_subject]
    assert found, f"{shape.policy} did not judge {shape.pass_subject}"
    assert not any(blocking(r) for r in found), found
