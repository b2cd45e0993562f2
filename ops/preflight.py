"""`ops preflight`: before `pulumi up`, hold the stack file (what the change asks for) against what runs on AWS.
It reads; it changes nothing. Two checks:

- **Back to rolling.** A service that leaves blue/green, canary or linear for rolling routes through the target
  group the stack declared first. After every other non-rolling release, ECS has moved its tasks and production
  traffic to the alternate group (`<service>-alt`), and switching then points the listener rule at a group with no
  tasks until the rolling deployment fills it: 503s for minutes. The plan diff flags the change (BACK TO ROLLING)
  but cannot know where the tasks run; this reads it from ECS (after each such release the new revision's group
  becomes the service's `loadBalancers[0].targetGroupArn`: hashicorp/terraform-provider-aws#45678, which
  components/container_service.py cites for the same fact) and refuses. The way out is docs/runbooks/deploy.md's:
  release once more with the current strategy, then switch. `ops release` runs this check for the service it
  releases (its targeted `pulumi up` applies the same stack file to that service).
- **A major upgrade without a snapshot to return to.** The rollback of an in-place PostgreSQL major upgrade is a
  restore of a manual snapshot taken before it (docs/runbooks/database-upgrade.md). While the stack file sets
  `majorUpgradeFrom` and the instance still runs that major, an available manual snapshot of it, on that major and
  at most SNAPSHOT_MAX_AGE old, must exist (`ops db-snapshot --reason pre-upgrade` takes one). Read with
  DescribeDBSnapshots `SnapshotType=manual` ("all DB snapshots that have been taken by my account"; RDS API model
  in botocore, read 2026-12-03): automated snapshots and AWS Backup's recovery points (type `awsbackup`) are not
  counted, since the runbook's rollback restores the snapshot taken for the upgrade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops.ecs import ServiceNotFoundError, describe_service
from ops.outputs import StackOutputs

RUNBOOK = "docs/runbooks/deploy.md#changing-the-strategy-of-a-deployed-service"
UPGRADE_RUNBOOK = "docs/runbooks/database-upgrade.md"
SNAPSHOT_MAX_AGE = timedelta(hours=24)
"""A project choice, not an AWS limit: a rollback restores the snapshot and loses what was written after it, so an
older one is refused (take it, then merge; the runbook says minutes before `pulumi up`)."""


class StackFileInvalidError(Exception):
    """The stack file cannot be read or validated; the message names the file, key and line."""


@dataclass(frozen=True)
class Refusal:
    """What stops the change: `subject` (a service, or `database`) and why, with the way out."""

    subject: str
    reason: str

    def message(self) -> str:
        return f"{self.subject}: {self.reason}"


@dataclass(frozen=True)
class Intent:
    """What the stack file asks for, as far as the checks need it."""

    rolling: frozenset[str]
    upgrade: tuple[str, str] | None = None  # (majorUpgradeFrom, engineVersion) while a major upgrade is declared


@dataclass(frozen=True)
class Result:
    refusals: list[Refusal]
    notes: list[str]


def group_name(arn: str) -> str:
    """`arn:...:targetgroup/api-alt-1a2b3c4/0123...` -> `api-alt-1a2b3c4` (the ARN itself if it has no name)."""
    parts = arn.split(":targetgroup/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 and parts[1] else arn


def read_intent(stack: str, stack_file: Path | None = None) -> Intent:
    """The stack file, read and validated as the program reads it."""
    # Imported here: no other ops command reads the stack file, and the config models are the program's.
    from infra.config import ConfigError, load_config
    from offline.project import StackFileError, explain, load_stack

    try:
        settings = load_stack(stack, stack_file=stack_file)
    except StackFileError as exc:
        raise StackFileInvalidError(str(exc)) from None
    try:
        config = load_config(settings.config, set(settings.secret_keys))
    except ConfigError as exc:
        raise StackFileInvalidError(explain(exc.problems, settings)) from None
    database = config.database
    return Intent(
        rolling=frozenset(name for name, service in config.services.items() if service.release.rolling),
        upgrade=(database.major_upgrade_from, database.engine_version) if database.major_upgrade_from else None,
    )


def check(outputs: StackOutputs, clients: Callable[[str], Any], intent: Intent, now: datetime | None = None) -> Result:
    """Every check's refusals, and notes on what it could not judge."""
    result = Result([], [])
    back_to_rolling(outputs, clients("ecs"), intent.rolling, result)
    if intent.upgrade is not None:
        snapshot_before_upgrade(outputs, clients("rds"), intent.upgrade, now or datetime.now(UTC), result)
    return result


def back_to_rolling(outputs: StackOutputs, ecs: Any, rolling: Iterable[str], result: Result) -> None:
    """Refuse the `rolling` services whose production traffic is on another group than their declared one."""
    deployed: Mapping[str, Any] = outputs.mapping("services") if outputs.optional("services") is not None else {}
    for name in sorted(rolling):
        entry = deployed.get(name)
        if not isinstance(entry, Mapping) or not entry.get("targetGroupArn"):
            result.notes.append(f"{name}: not deployed behind the load balancer yet: nothing to check")
            continue
        declared = outputs.text(f"services.{name}.targetGroupArn")
        try:
            live = describe_service(
                ecs, outputs.text(f"services.{name}.clusterName"), outputs.text(f"services.{name}.serviceName")
            )
        except ServiceNotFoundError as exc:
            result.notes.append(f"{name}: {exc}: `pulumi up` creates it again, on {group_name(declared)}")
            continue
        serving = [str(lb["targetGroupArn"]) for lb in live.get("loadBalancers", []) if lb.get("targetGroupArn")]
        if serving and declared not in serving:
            result.refusals.append(Refusal(name, traffic_elsewhere(serving[0], declared)))


def traffic_elsewhere(serving: str, declared: str) -> str:
    return (
        f"the stack file makes it rolling, but production traffic is on {group_name(serving)}, not on "
        f"{group_name(declared)} (the group a rolling service uses); `pulumi up` now would route production to a "
        "group with no tasks. Release once more with the current strategy (the traffic moves back to "
        f"{group_name(declared)}), then switch: {RUNBOOK}"
    )


def major(version: str) -> str:
    """`16.4` -> `16`, `17` -> `17` (PostgreSQL 10 and later: the first number is the major)."""
    return version.split(".", 1)[0]


def snapshot_before_upgrade(
    outputs: StackOutputs, rds: Any, upgrade: tuple[str, str], now: datetime, result: Result
) -> None:
    """Refuse a declared major upgrade of a database that still runs the old major and has no fresh manual snapshot
    on it: the rollback would have nothing to restore."""
    source, target = upgrade
    instance = outputs.optional("database.identifier")
    if not isinstance(instance, str) or not instance:
        result.notes.append("database: not deployed yet: nothing to check")
        return
    found = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
    running = str(found[0].get("EngineVersion", "")) if found else ""
    if major(running) == major(target):
        result.notes.append(f"database: {instance} already runs {running}: nothing to check")
        return
    if major(running) != major(source):
        result.refusals.append(
            Refusal("database", f"majorUpgradeFrom is {source}, but {instance} runs {running}: correct the stack file")
        )
        return
    pages = rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=instance, SnapshotType="manual")
    fresh = [
        s
        for page in pages
        for s in page["DBSnapshots"]
        if s.get("Status") == "available"
        and major(str(s.get("EngineVersion", ""))) == major(running)
        and now - s["SnapshotCreateTime"] <= SNAPSHOT_MAX_AGE
    ]
    if fresh:
        newest = max(fresh, key=lambda s: s["SnapshotCreateTime"])
        result.notes.append(f"database: the upgrade can return to {newest['DBSnapshotIdentifier']}")
        return
    hours = int(SNAPSHOT_MAX_AGE.total_seconds() // 3600)
    result.refusals.append(
        Refusal(
            "database",
            f"the stack file upgrades {instance} from {running} to {target}, and no available manual snapshot of it "
            f"on {major(running)} is under {hours} h old: the rollback would have nothing to restore. Take one: "
            f"`python3.11 dev.py ops db-snapshot --stack {outputs.stack} --reason pre-upgrade` ({UPGRADE_RUNBOOK})",
        )
    )
