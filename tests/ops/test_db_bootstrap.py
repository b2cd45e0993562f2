"""`db-bootstrap` against moto: the RunTask request, the wait, the log, the verdict and the refusals.

Seam: moto 5.2.5 cannot start an awsvpc Fargate task (its ENI model has no private_dns_name), so `run_task`
and `describe_tasks` are replaced per test. The replacement validates every RunTask request against the ECS
API model botocore ships, checks the cluster and task definition exist in moto, and reports the task's life
(PROVISIONING ... STOPPED with an exit code) as ECS does. The task's log is real: written to moto's CloudWatch
Logs where awslogs would write it, and read back by the tool.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.validate import validate_parameters  # type: ignore[import-untyped]

from ops import cli, db_bootstrap
from ops.aws import Clients, Clock, WaitTimeoutError
from ops.bootstrap_sql import AppUser, bootstrap_statements, revoke_statements, script
from ops.outputs import OutputsError, StackOutputs
from tests.ops.conftest import REGION, MotoStack

FAMILY = "app-staging-db-bootstrap"
LOG_GROUP = "/app-platform/staging/db-bootstrap"
PREFIX = "db-bootstrap"
CONTAINER = "db-bootstrap"
TASK_ID = "0f5e3c9a7d2b4e6f8a1b2c3d4e5f6a7b"
TASK_ARN = f"arn:aws:ecs:{REGION}:123456789012:task/app-staging/{TASK_ID}"
FAST = Clock(sleep=lambda _: None)


@dataclass
class FakeEcs:
    """Scripted task life; records the RunTask requests."""

    statuses: list[str] = field(default_factory=lambda: ["PROVISIONING", "PENDING", "RUNNING", "STOPPED"])
    exit_code: int | None = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    outputs: StackOutputs | None = None


@pytest.fixture
def bootstrap_outputs(moto_stack: MotoStack) -> StackOutputs:
    """The moto stack plus what the data tier exports for the bootstrap (task definition registered in moto)."""
    ecs, logs = moto_stack.clients("ecs"), moto_stack.clients("logs")
    if not ecs.list_task_definitions(familyPrefix=FAMILY)["taskDefinitionArns"]:
        ecs.register_task_definition(
            family=FAMILY,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": CONTAINER, "image": "postgres:17.11-bookworm", "essential": True}],
        )
        logs.create_log_group(logGroupName=LOG_GROUP)
    return moto_stack.with_outputs(
        database__appUsername="app_user",
        database__appConnectionLimit=100,
        database__bootstrap={
            "taskDefinitionFamily": FAMILY,
            "securityGroupId": moto_stack.outputs["database"]["securityGroupId"],
            "containerName": CONTAINER,
            "logGroupName": LOG_GROUP,
            "logStreamPrefix": PREFIX,
        },
    )


@pytest.fixture
def fake_ecs(moto_stack: MotoStack, bootstrap_outputs: StackOutputs, monkeypatch: pytest.MonkeyPatch) -> FakeEcs:
    ecs = moto_stack.clients("ecs")
    fake = FakeEcs(outputs=bootstrap_outputs)
    remaining: list[str] = []

    def run_task(**request: Any) -> dict[str, Any]:
        validate_parameters(request, ecs.meta.service_model.operation_model("RunTask").input_shape)
        assert ecs.describe_clusters(clusters=[request["cluster"]])["clusters"], "cluster missing in moto"
        ecs.describe_task_definition(taskDefinition=request["taskDefinition"])  # raises when it does not exist
        fake.requests.append(request)
        if fake.failures:
            return {"tasks": [], "failures": fake.failures}
        remaining[:] = list(fake.statuses)
        return {"tasks": [{"taskArn": TASK_ARN, "lastStatus": "PROVISIONING"}], "failures": []}

    def describe_tasks(**request: Any) -> dict[str, Any]:
        assert request == {"cluster": moto_stack.outputs["clusterName"], "tasks": [TASK_ARN]}
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        container: dict[str, Any] = {"name": CONTAINER, "lastStatus": status}
        task: dict[str, Any] = {"taskArn": TASK_ARN, "lastStatus": status, "containers": [container]}
        if status == "STOPPED":
            task["stoppedReason"] = "Essential container in task exited"
            if fake.exit_code is None:
                container["reason"] = "CannotPullContainerError: pull access denied"
            else:
                container["exitCode"] = fake.exit_code
        return {"tasks": [task], "failures": []}

    monkeypatch.setattr(ecs, "run_task", run_task)
    monkeypatch.setattr(ecs, "describe_tasks", describe_tasks)
    return fake


def write_log(moto_stack: MotoStack, lines: list[str]) -> None:
    """What awslogs writes for the task: <prefix>/<container>/<task id>."""
    logs = moto_stack.clients("logs")
    stream = f"{PREFIX}/{CONTAINER}/{TASK_ID}"
    existing = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=stream)["logStreams"]
    if existing:
        logs.delete_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    now = int(time.time() * 1000)  # CloudWatch Logs (and moto) reject events older than 14 days
    events = [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)]
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)


def options(**changes: Any) -> db_bootstrap.Options:
    return db_bootstrap.Options(poll_seconds=0, clock=FAST, **changes)


def test_runs_one_fargate_task_with_the_sql_and_returns_its_log(
    moto_stack: MotoStack, bootstrap_outputs: StackOutputs, fake_ecs: FakeEcs
) -> None:
    write_log(moto_stack, ["DO $bootstrap$", "ALTER ROLE", "GRANT ROLE", "COMMIT"])
    seen: list[str] = []
    result = db_bootstrap.run(bootstrap_outputs, moto_stack.clients, options(progress=lambda _, s: seen.append(s)))
    assert result.succeeded and result.exit_code == 0 and result.task_arn == TASK_ARN
    assert result.log_lines == ["DO $bootstrap$", "ALTER ROLE", "GRANT ROLE", "COMMIT"]
    assert seen == ["PROVISIONING", "PENDING", "RUNNING", "STOPPED"]
    [request] = fake_ecs.requests
    assert request["cluster"] == moto_stack.outputs["clusterName"] and request["taskDefinition"] == FAMILY
    assert (request["launchType"], request["count"], request["startedBy"]) == ("FARGATE", 1, "ops-db-bootstrap")
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": moto_stack.outputs["privateSubnetIds"],
        "securityGroups": [moto_stack.outputs["database"]["securityGroupId"]],
        "assignPublicIp": "DISABLED",
    }
    [override] = request["overrides"]["containerOverrides"]
    expected = script(bootstrap_statements(AppUser("app_user", "app", 100)))
    assert override == {"name": CONTAINER, "environment": [{"name": "BOOTSTRAP_SQL", "value": expected}]}
    assert len(json.dumps(request["overrides"])) < db_bootstrap.MAX_OVERRIDE_CHARS


def test_revoke_sends_the_revoke_sql(moto_stack: MotoStack, bootstrap_outputs: StackOutputs, fake_ecs: FakeEcs) -> None:
    write_log(moto_stack, ["ALTER ROLE"])
    db_bootstrap.run(bootstrap_outputs, moto_stack.clients, options(action="revoke"))
    [override] = fake_ecs.requests[0]["overrides"]["containerOverrides"]
    assert override["environment"][0]["value"] == script(revoke_statements(AppUser("app_user", "app", 100)))


def test_sql_failure_is_a_failed_result_with_the_log(
    moto_stack: MotoStack, bootstrap_outputs: StackOutputs, fake_ecs: FakeEcs
) -> None:
    write_log(moto_stack, ['psql:<stdin>:20: ERROR:  role "rds_iam" does not exist'])
    fake_ecs.exit_code = 3
    result = db_bootstrap.run(bootstrap_outputs, moto_stack.clients, options())
    assert not result.succeeded and result.exit_code == 3
    assert result.log_lines == ['psql:<stdin>:20: ERROR:  role "rds_iam" does not exist']


def test_a_container_that_never_ran_says_so(
    moto_stack: MotoStack, bootstrap_outputs: StackOutputs, fake_ecs: FakeEcs
) -> None:
    logs = moto_stack.clients("logs")
    stream = f"{PREFIX}/{CONTAINER}/{TASK_ID}"
    if logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=stream)["logStreams"]:
        logs.delete_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    fake_ecs.exit_code = None
    result = db_bootstrap.run(bootstrap_outputs, moto_stack.clients, options())
    assert not result.succeeded and result.exit_code is None
    assert result.stopped_reason.startswith("CannotPullContainerError")
    assert result.log_lines == [f"(no log stream {stream} in {LOG_GROUP}: the container never started)"]


def test_a_task_that_cannot_start_is_an_error(
    moto_stack: MotoStack, bootstrap_outputs: StackOutputs, fake_ecs: FakeEcs
) -> None:
    fake_ecs.failures = [{"arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/app-staging", "reason": "RESOURCE:ENI"}]
    with pytest.raises(db_bootstrap.BootstrapError, match=r"did not start: .*RESOURCE:ENI"):
        db_bootstrap.run(bootstrap_outputs, moto_stack.clients, options())


def test_a_task_that_never_stops_times_out(
    moto_stack: MotoStack, bootstrap_outputs: StackOutputs, fake_ecs: FakeEcs
) -> None:
    fake_ecs.statuses = ["RUNNING"]
    ticks = iter(range(0, 10_000, 60))
    clock = Clock(sleep=lambda _: None, monotonic=lambda: float(next(ticks)))
    with pytest.raises(WaitTimeoutError, match=r"not done after 5\.0 min .*RUNNING"):
        db_bootstrap.run(
            bootstrap_outputs, moto_stack.clients, db_bootstrap.Options(timeout_minutes=5, poll_seconds=0, clock=clock)
        )


def test_outputs_without_the_bootstrap_name_the_missing_key(moto_stack: MotoStack) -> None:
    with pytest.raises(OutputsError, match=r"`database.bootstrap` is missing"):
        db_bootstrap.Target.from_outputs(moto_stack.with_outputs(database__appUsername="app_user"))


# -- through the CLI ---------------------------------------------------------------------------------------------
@pytest.fixture
def ops(moto_stack: MotoStack) -> Callable[..., int]:
    def factory(region: str) -> Clients:
        assert region == moto_stack.outputs["region"]
        return moto_stack.clients

    return lambda *argv: cli.main(list(argv), clients_factory=factory)


def write_outputs(outputs: StackOutputs, path: Path) -> Path:
    path.write_text(json.dumps(dict(outputs.values)))
    return path


def test_cli_prints_the_log_and_the_verdict(
    ops: Callable[..., int],
    moto_stack: MotoStack,
    fake_ecs: FakeEcs,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_log(moto_stack, ["GRANT ROLE", "COMMIT"])
    assert fake_ecs.outputs is not None
    path = write_outputs(fake_ecs.outputs, tmp_path / "outputs.json")
    assert ops("db-bootstrap", "--outputs", str(path), "--poll-seconds", "0") == cli.EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["GRANT ROLE", "COMMIT"]
    assert out[2].startswith(f"db-bootstrap bootstrap succeeded: {TASK_ARN} after ")


def test_cli_exit_codes_for_failure_and_missing_outputs(
    ops: Callable[..., int],
    moto_stack: MotoStack,
    fake_ecs: FakeEcs,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_log(moto_stack, ["ERROR:  boom"])
    fake_ecs.exit_code = 3
    bootstrap_outputs = fake_ecs.outputs
    assert bootstrap_outputs is not None
    path = write_outputs(bootstrap_outputs, tmp_path / "outputs.json")
    assert ops("db-bootstrap", "--revoke", "--outputs", str(path), "--poll-seconds", "0") == cli.EXIT_FAILED
    assert "db-bootstrap revoke FAILED (exit code 3; Essential container in task exited)" in capsys.readouterr().out
    bare = moto_stack.write(tmp_path / "bare.json")
    assert ops("db-bootstrap", "--outputs", str(bare)) == cli.EXIT_USAGE
    assert "`database.bootstrap` is missing" in capsys.readouterr().err
    unsafe = write_outputs(
        StackOutputs(bootstrap_outputs.stack, {**bootstrap_outputs.values, "database": {
            **bootstrap_outputs.values["database"], "appUsername": "App_User"}}, "test"),
        tmp_path / "unsafe.json",
    )  # fmt: skip
    assert ops("db-bootstrap", "--outputs", str(unsafe)) == cli.EXIT_FAILED
    assert "user name 'App_User'" in capsys.readouterr().err
    assert len(fake_ecs.requests) == 1  # neither started a task
