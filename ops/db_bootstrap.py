"""`db-bootstrap`: create (or revoke) the application's database user, from inside the VPC.

1. Read the stack outputs: the cluster, the private subnets, `database.bootstrap` (task definition family,
   security group, container, log group) and `database.appUsername` / `name` / `appConnectionLimit`.
2. Render the SQL (ops.bootstrap_sql) and start one Fargate task of the bootstrap task definition with the SQL
   as a container override (`BOOTSTRAP_SQL`). The task reads the master secret through its execution role:
   neither this tool nor its operator ever holds the password.
3. Poll until the task has stopped (bounded), then print the task's log (psql echoes every statement) and
   succeed only on exit code 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ops.aws import Clients, Clock, Progress, poll
from ops.bootstrap_sql import AppUser, BootstrapSqlError, bootstrap_statements, revoke_statements, script
from ops.outputs import StackOutputs

SQL_VARIABLE = "BOOTSTRAP_SQL"
# RunTask rejects overrides over 8192 characters in all (ECS API Reference, TaskOverride / ContainerOverride).
MAX_OVERRIDE_CHARS = 8192
STARTED_BY = "ops-db-bootstrap"

Action = Literal["bootstrap", "revoke"]
__all__ = ["BootstrapError", "BootstrapSqlError", "Options", "Result", "Target", "read_log", "run", "sql_for"]


class BootstrapError(Exception):
    """The task could not start, did not finish, or its SQL failed; the message says which."""


@dataclass(frozen=True)
class Target:
    """Where and what to run, from the stack outputs."""

    cluster: str
    family: str
    container: str
    subnets: list[str]
    security_group: str
    log_group: str
    log_stream_prefix: str
    user: AppUser

    @classmethod
    def from_outputs(cls, outputs: StackOutputs) -> Target:
        return cls(
            cluster=outputs.text("clusterName"),
            family=outputs.text("database.bootstrap.taskDefinitionFamily"),
            container=outputs.text("database.bootstrap.containerName"),
            subnets=outputs.strings("privateSubnetIds"),
            security_group=outputs.text("database.bootstrap.securityGroupId"),
            log_group=outputs.text("database.bootstrap.logGroupName"),
            log_stream_prefix=outputs.text("database.bootstrap.logStreamPrefix"),
            user=AppUser(
                name=outputs.text("database.appUsername"),
                database=outputs.text("database.name"),
                connection_limit=int(outputs.number("database.appConnectionLimit")),
            ),
        )


@dataclass(frozen=True)
class Options:
    action: Action = "bootstrap"
    timeout_minutes: float = 15.0
    poll_seconds: float = 10.0
    clock: Clock = field(default_factory=Clock)
    progress: Progress | None = None


@dataclass(frozen=True)
class Result:
    task_arn: str
    exit_code: int | None
    stopped_reason: str
    log_lines: list[str]
    seconds: float

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0


def sql_for(target: Target, action: Action) -> str:
    statements = bootstrap_statements(target.user) if action == "bootstrap" else revoke_statements(target.user)
    return script(statements)


def run(outputs: StackOutputs, clients: Clients, options: Options) -> Result:
    target = Target.from_outputs(outputs)
    sql = sql_for(target, options.action)
    container_override = {"name": target.container, "environment": [{"name": SQL_VARIABLE, "value": sql}]}
    overrides = {"containerOverrides": [container_override]}
    size = len(json.dumps(overrides, separators=(",", ":")))
    if size > MAX_OVERRIDE_CHARS:
        raise BootstrapError(f"the SQL override is {size} characters; RunTask accepts {MAX_OVERRIDE_CHARS}")
    ecs = clients("ecs")
    response = ecs.run_task(
        cluster=target.cluster,
        taskDefinition=target.family,  # the latest ACTIVE revision
        count=1,
        launchType="FARGATE",
        platformVersion="LATEST",
        startedBy=STARTED_BY,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": target.subnets,
                "securityGroups": [target.security_group],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides=overrides,
        propagateTags="TASK_DEFINITION",
        enableExecuteCommand=False,
    )
    failures = response.get("failures") or []
    tasks = response.get("tasks") or []
    if failures or not tasks:
        reasons = "; ".join(f"{f.get('arn', '-')}: {f.get('reason')} {f.get('detail', '')}".strip() for f in failures)
        raise BootstrapError(f"the bootstrap task did not start: {reasons or 'no task returned'}")
    task_arn = str(tasks[0]["taskArn"])
    stopped: dict[str, Any] = {}

    def check() -> tuple[bool, str]:
        described = ecs.describe_tasks(cluster=target.cluster, tasks=[task_arn]).get("tasks") or []
        if not described:
            raise BootstrapError(f"task {task_arn} is no longer known to ECS")
        stopped.clear()
        stopped.update(described[0])
        status = str(described[0].get("lastStatus", "UNKNOWN"))
        return status == "STOPPED", status

    seconds = poll(
        check,
        what=f"bootstrap task {task_arn}",
        timeout=options.timeout_minutes * 60,
        interval=options.poll_seconds,
        clock=options.clock,
        progress=options.progress,
    )
    container: dict[str, Any] = next(
        (c for c in stopped.get("containers", []) if c.get("name") == target.container), {}
    )
    exit_code = container.get("exitCode")
    reason = str(container.get("reason") or stopped.get("stoppedReason") or "")
    lines = read_log(clients, target, task_arn.rsplit("/", 1)[-1])
    return Result(task_arn, int(exit_code) if exit_code is not None else None, reason, lines, seconds)


def read_log(clients: Clients, target: Target, task_id: str) -> list[str]:
    """The container's awslogs stream (<prefix>/<container>/<task id>), oldest first, every page."""
    logs = clients("logs")
    stream = f"{target.log_stream_prefix}/{target.container}/{task_id}"
    lines: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": target.log_group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        try:
            page = logs.get_log_events(**kwargs)
        except logs.exceptions.ResourceNotFoundException:
            return [f"(no log stream {stream} in {target.log_group}: the container never started)"]
        lines += [str(event["message"]) for event in page.get("events", [])]
        following = page.get("nextForwardToken")
        if not following or following == token:
            return lines
        token = following
