"""Stack outputs: from a file or the Pulumi CLI, with errors that name the key and where it was looked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.plan import Plan
from ops import restore_drill, rollback, verify
from ops.outputs import OutputsError, StackOutputs, load, run_command

VALUES = {
    "environment": "staging",
    "region": "eu-west-1",
    "database": {"identifier": "db-1", "rpoMinutes": 15, "masterSecretArn": "[secret]"},
    "alarmNames": ["a", "b"],
}


def outputs_file(tmp_path: Path, values: object = VALUES) -> Path:
    path = tmp_path / "staging.outputs.json"
    path.write_text(json.dumps(values))
    return path


def test_a_missing_key_names_the_key_the_file_and_what_is_there(tmp_path: Path) -> None:
    path = outputs_file(tmp_path)
    outputs = load(None, path)
    assert outputs.stack == "staging"  # from the `environment` output
    with pytest.raises(OutputsError) as missing:
        outputs.text("distributionId")
    assert str(missing.value) == (
        f"stack output `distributionId` is missing from {path} (present: alarmNames, database, environment, region)"
    )
    with pytest.raises(OutputsError, match=rf"`database.rtoMinutes` is missing from {path} \(present: identifier"):
        outputs.number("database.rtoMinutes")


def test_typed_access_rejects_wrong_types_and_secrets(tmp_path: Path) -> None:
    outputs = load("staging", outputs_file(tmp_path))
    assert outputs.number("database.rpoMinutes") == 15.0 and outputs.strings("alarmNames") == ["a", "b"]
    with pytest.raises(OutputsError, match=r"`region` in .* must be a number, got 'eu-west-1'"):
        outputs.number("region")
    with pytest.raises(OutputsError, match=r"`alarmNames` .* must be an object"):
        outputs.mapping("alarmNames")
    with pytest.raises(OutputsError, match=r"`database.masterSecretArn` is a secret"):
        outputs.text("database.masterSecretArn")
    assert outputs.optional("database.drRegion") is None


def test_without_a_file_the_pulumi_cli_is_asked(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def pulumi(command: list[str]) -> str:
        calls.append(command)
        return json.dumps(VALUES)

    outputs = load("production", None, pulumi)
    assert calls == [["pulumi", "stack", "output", "--json", "--stack", "production"]]
    assert outputs.stack == "production" and "pulumi stack output --json --stack production" in outputs.source


def test_unreadable_sources_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(OutputsError, match=r"cannot read stack outputs .*nope\.json"):
        load(None, tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(OutputsError, match=f"stack outputs in {bad} are not JSON"):
        load(None, bad)
    with pytest.raises(OutputsError, match="must be a JSON object, got list"):
        load(None, outputs_file(tmp_path, [1, 2]))
    with pytest.raises(OutputsError, match="no stack name"):
        load(None, outputs_file(tmp_path, {"region": "eu-west-1"}))
    with pytest.raises(OutputsError, match="pass --stack"):
        load(None, None)


def test_a_failing_or_missing_cli_is_a_clear_error() -> None:
    with pytest.raises(OutputsError, match="`ops-test-no-such-binary` is not installed; pass --outputs FILE"):
        run_command(["ops-test-no-such-binary", "stack", "output"])
    with pytest.raises(OutputsError, match=r"failed \(exit 3\): no such stack"):
        run_command(["sh", "-c", "echo 'no such stack' >&2; exit 3"])
    assert StackOutputs.parse(run_command(["echo", '{"environment": "x"}']), source="echo").stack == "x"


def test_the_program_exports_what_the_tools_read(plan: Plan) -> None:
    """Derived from the rendered stack: its outputs satisfy every key verify, rollback and the drill read."""
    outputs = StackOutputs(stack=plan.stack, values=plan.outputs, source=f"{plan.stack} plan")
    restore_drill.Source.from_outputs(outputs, outputs.text("region"))
    for name in outputs.mapping("services"):
        rollback.service_outputs(outputs, name)
    if "alarmNames" not in plan.outputs and not any(
        r.type.startswith("aws:cloudwatch/metricAlarm") for r in plan.resources
    ):
        pytest.skip("the observability tier (alarmNames) is not in the program yet")
    verify.Targets.from_outputs(outputs)
