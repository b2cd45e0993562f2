"""`python -m ops`: what engineers and CI run. Output formats, exit codes and error messages, on the moto stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ops import cli
from ops.aws import Clients
from tests.ops import release_stack
from tests.ops.conftest import ALARMS, STACK, MotoStack
from tests.ops.fake_deployments import FakeServiceDeployments

deployments = release_stack.deployments
repo = release_stack.repo
fake_time = release_stack.fake_time


@pytest.fixture
def ops(moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """Run the CLI with the shared moto clients; the health request must not go through a proxy."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")

    def factory(region: str) -> Clients:
        assert region == moto_stack.outputs["region"]  # the CLI takes the region from the outputs
        return moto_stack.clients

    return lambda *argv: cli.main(list(argv), clients_factory=factory)


def test_verify_prints_a_table_and_exits_zero(
    ops: Callable[..., int],
    moto_stack: MotoStack,
    steady_ecs: Callable[..., None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    steady_ecs()
    outputs = moto_stack.write(tmp_path / "outputs.json")
    report = tmp_path / "reports" / "verify.json"
    assert ops("verify", "--outputs", str(outputs), "--report", str(report)) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header == ["CHECK", "STATUS", "DETAIL"]
    status_column = lines[0].index("STATUS")
    rows = lines[1 : lines.index("")]
    assert {row[status_column:].split()[0] for row in rows} == {"PASS"}
    assert lines[-1] == f"{len(rows)}/{len(rows)} checks passed"
    written = json.loads(report.read_text())
    assert written["stack"] == STACK and written["passed"] is True and len(written["checks"]) == len(rows)


def test_verify_json_and_a_failure_exit_code(
    ops: Callable[..., int],
    moto_stack: MotoStack,
    steady_ecs: Callable[..., None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    steady_ecs()
    cloudwatch = moto_stack.clients("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="ALARM", StateReason="test")
    try:
        code = ops("verify", "--outputs", str(moto_stack.write(tmp_path / "o.json")), "--json")
    finally:
        cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="OK", StateReason="test done")
    assert code == cli.EXIT_FAILED
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is False
    assert [c for c in result["checks"] if c["status"] == "fail"] == [
        {"name": "alarms", "status": "fail", "detail": f"1 in ALARM: {ALARMS[0]}"}
    ]


def test_an_unknown_stack_output_is_a_usage_error_naming_key_and_file(
    ops: Callable[..., int], moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = moto_stack.write(tmp_path / "outputs.json", healthUrl=None)
    assert ops("verify", "--outputs", str(path)) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: stack output `healthUrl` is missing from {path} (present: alarmNames,")
    path = moto_stack.write(tmp_path / "outputs.json", database__subnetGroupName=None)
    assert ops("restore-drill", "--outputs", str(path), "--skip-connect") == cli.EXIT_USAGE
    assert "`database.subnetGroupName` is missing" in capsys.readouterr().err


def test_without_outputs_the_pulumi_cli_is_used(
    moto_stack: MotoStack,
    steady_ecs: Callable[..., None],
    deployments: Callable[..., FakeServiceDeployments],
    capsys: pytest.CaptureFixture[str],
) -> None:
    steady_ecs()
    deployments()  # rolling: no deployment in progress, so the previous revision is deployed
    commands: list[list[str]] = []

    def pulumi(command: list[str]) -> str:
        commands.append(command)
        return json.dumps(moto_stack.outputs)

    code = cli.main(
        ["rollback", "api", "--stack", STACK, "--poll-seconds", "0"],
        clients_factory=lambda _: moto_stack.clients,
        run_command=pulumi,
    )
    family = moto_stack.outputs["services"]["api"]["taskDefinitionFamily"]
    try:
        assert code == cli.EXIT_OK, capsys.readouterr().err
        assert commands == [["pulumi", "stack", "output", "--json", "--stack", STACK]]
        assert f"rolled back from {family}:3 to {family}:2" in capsys.readouterr().out
    finally:
        service = moto_stack.outputs["services"]["api"]
        moto_stack.clients("ecs").update_service(
            cluster=service["clusterName"], service=service["serviceName"], taskDefinition=f"{family}:3"
        )


def test_rollback_errors_exit_one(
    ops: Callable[..., int], moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = moto_stack.write(tmp_path / "o.json")
    assert ops("rollback", "api", "--outputs", str(outputs), "--revision", "42") == cli.EXIT_FAILED
    assert "does not exist" in capsys.readouterr().err
    assert ops("rollback", "nope", "--outputs", str(outputs)) == cli.EXIT_USAGE


def test_restore_drill_writes_evidence_and_prints_a_summary(
    ops: Callable[..., int], moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "evidence" / "drill.json"
    outputs = moto_stack.write(tmp_path / "o.json")
    argv = ["restore-drill", "--outputs", str(outputs), "--from-snapshot", "--skip-connect", "--poll-seconds", "0"]
    assert ops(*argv, "--evidence", str(evidence)) == cli.EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["result"] == "pass" and summary["cleanupDone"] is True
    assert json.loads(evidence.read_text())["measuredRestoreMinutes"] == summary["measuredRestoreMinutes"]

    # backups disabled: exit 1, the reason on stderr, and the evidence of the failed drill still written
    no_backups = moto_stack.write(tmp_path / "o2.json", database__identifier=moto_stack.no_backup_db)
    assert ops("restore-drill", "--outputs", str(no_backups), "--skip-connect", "--evidence", str(evidence)) == 1
    assert "error: backups are disabled on app-staging-nobackup" in capsys.readouterr().err
    assert json.loads(evidence.read_text())["result"] == "fail"


def test_usage_errors_exit_two(ops: Callable[..., int], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        ops("restore-drill", "--allow-from", "10.0.0.0/8", "--skip-connect")
    assert exited.value.code == cli.EXIT_USAGE
    assert "not allowed with argument" in capsys.readouterr().err
    assert ops("verify") == cli.EXIT_USAGE
    assert "pass --stack" in capsys.readouterr().err
