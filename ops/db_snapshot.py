"""`db-snapshot`: a manual snapshot of the stack's database, taken before a risky change and kept until deleted.

Manual snapshots outlive the backup retention period and the instance itself, unlike automated ones: the
rollback of a major upgrade is a restore of this snapshot (docs/runbooks/database-upgrade.md). The command
waits until the snapshot is `available`, so a deploy started after it has a complete one to return to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ops.aws import Clients, Clock, Progress, poll
from ops.outputs import StackOutputs
from ops.restore_drill import _ci_run, _initiator

# CreateDBSnapshot DBSnapshotIdentifier: 1-255 letters, digits or hyphens, first a letter, no two consecutive
# hyphens, not ending with one (RDS API reference, CreateDBSnapshot).
SNAPSHOT_IDENTIFIER = re.compile(r"^(?!.*--)[A-Za-z][A-Za-z0-9-]{0,254}(?<!-)$")
REASON = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
FAILED = frozenset({"failed", "incompatible-restore", "error"})


class SnapshotError(Exception):
    """The snapshot cannot be taken or did not complete; the message says why."""


@dataclass(frozen=True)
class Options:
    reason: str
    timeout_minutes: float = 120.0
    poll_seconds: float = 30.0
    clock: Clock = field(default_factory=Clock)
    progress: Progress | None = None


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    instance: str
    engine_version: str
    seconds: float


def snapshot_name(instance: str, reason: str, stamp: str) -> str:
    """`<instance>-<reason>-<YYYYmmddHHMMSS>`, checked against RDS's rules for snapshot identifiers."""
    if not REASON.match(reason):
        raise SnapshotError(
            f"--reason {reason!r}: 1-40 lowercase letters, digits or hyphens, starting with a letter or digit "
            "(e.g. pre-upgrade)"
        )
    name = re.sub(r"-+", "-", f"{instance}-{reason}-{stamp}")
    if not SNAPSHOT_IDENTIFIER.match(name):
        raise SnapshotError(f"{name!r} is not a valid RDS snapshot identifier")
    return name


def run(outputs: StackOutputs, clients: Clients, options: Options) -> Snapshot:
    rds = clients("rds")
    instance = outputs.text("database.identifier")
    found = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
    if not found:
        raise SnapshotError(f"database {instance} not found in {clients.region}")
    version = str(found[0].get("EngineVersion", ""))
    name = snapshot_name(instance, options.reason, f"{options.clock.now():%Y%m%d%H%M%S}")
    tags = [
        {"Key": "Purpose", "Value": "manual-snapshot"},
        {"Key": "Reason", "Value": options.reason},
        {"Key": "EngineVersion", "Value": version},
        {"Key": "Environment", "Value": outputs.stack},
        {"Key": "InitiatedBy", "Value": _initiator()},
        {"Key": "ManagedBy", "Value": "ops db-snapshot"},
    ]
    run_url = _ci_run()
    if run_url:
        tags.append({"Key": "CiRun", "Value": run_url[:256]})
    rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier=name, Tags=tags)

    def check() -> tuple[bool, str]:
        snapshot: dict[str, Any] = rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
        status = str(snapshot.get("Status"))
        if status in FAILED:
            raise SnapshotError(f"snapshot {name} failed: status {status}")
        return status == "available", f"{name}: {status} ({snapshot.get('PercentProgress', 0)}%)"

    seconds = poll(
        check,
        what=f"snapshot {name}",
        timeout=options.timeout_minutes * 60,
        interval=options.poll_seconds,
        clock=options.clock,
        progress=options.progress,
    )
    return Snapshot(name, instance, version, seconds)
