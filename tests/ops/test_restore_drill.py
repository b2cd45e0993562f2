"""`restore-drill` against moto: the restore, its isolation, the measurement, and a cleanup that always runs.

After every drill, success or failure, the moto backend must hold no `drill-` instance and no drill security
group. The TCP connect is injected (never a real network call). Seams, where moto cannot fail or be slow,
wrap the real describe_db_instances / delete_security_group calls of the shared clients and say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops import restore_drill
from ops.aws import Clock
from ops.restore_drill import Options, drill_name
from tests.ops.conftest import STACK, MotoStack

ALLOW = "10.20.10.0/24"


@dataclass
class FakeTime:
    """A clock where sleeping advances time instantly: restore minutes become exact and tests stay fast."""

    start: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed: float = 0.0

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds

    def clock(self) -> Clock:
        return Clock(
            sleep=self.sleep, monotonic=lambda: self.elapsed, now=lambda: self.start + timedelta(seconds=self.elapsed)
        )


@dataclass
class Connects:
    """The injected TCP connect: records the calls and what AWS looked like at that moment."""

    stack: MotoStack
    fail: bool = False
    calls: list[tuple[str, int]] = field(default_factory=list)
    seen: dict[str, Any] = field(default_factory=dict)

    def __call__(self, host: str, port: int, timeout: float) -> None:
        self.calls.append((host, port))
        rds, ec2 = self.stack.clients("rds"), self.stack.clients("ec2")
        (instance,) = [
            i for i in rds.describe_db_instances()["DBInstances"] if i["DBInstanceIdentifier"].startswith("drill-")
        ]
        group_id = instance["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
        self.seen = {
            "instance": instance,
            "group": ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0],
        }
        if self.fail:
            raise ConnectionRefusedError("connection refused")


def leftovers(stack: MotoStack) -> list[str]:
    rds, ec2 = stack.clients("rds"), stack.clients("ec2")
    instances = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    groups = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    return [name for name in [*instances, *groups] if name.startswith("drill-")]


@pytest.fixture
def nothing_left(moto_stack: MotoStack) -> Iterator[None]:
    assert leftovers(moto_stack) == []
    yield
    assert leftovers(moto_stack) == [], "the drill left resources behind"


def options(tmp_path: Path, **overrides: Any) -> Options:
    """Drill options for tests. Snapshot restores by default: moto deep-copies its whole source instance on a
    point-in-time restore (~1 s each), and the cleanup paths under test do not depend on the restore method."""
    values: dict[str, Any] = {
        "from_snapshot": True,
        "allow_from": ALLOW,
        "poll_seconds": 30,
        "evidence_path": tmp_path / "evidence.json",
        "clock": FakeTime().clock(),
        "progress": None,
    }
    return Options(**(values | overrides))


def run(stack: MotoStack, opts: Options, **output_changes: Any) -> dict[str, Any]:
    evidence, path = restore_drill.run(stack.with_outputs(**output_changes), stack.clients, opts)
    assert json.loads(path.read_text()) == evidence  # what auditors get is what the run returned
    return evidence


def slow_restore(stack: MotoStack, monkeypatch: pytest.MonkeyPatch, statuses: list[str]) -> None:
    """Seam: moto restores instantly (always `available`). The drill instance reports `statuses` first."""
    rds = stack.clients("rds")
    real = rds.describe_db_instances
    pending = list(statuses)

    def describe_db_instances(**kwargs: Any) -> dict[str, Any]:
        response = real(**kwargs)
        if str(kwargs.get("DBInstanceIdentifier", "")).startswith("drill-") and pending:
            response["DBInstances"][0]["DBInstanceStatus"] = pending.pop(0)
        return response

    monkeypatch.setattr(rds, "describe_db_instances", describe_db_instances)


@pytest.mark.usefixtures("nothing_left")
def test_point_in_time_drill_restores_isolated_measures_and_cleans_up(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also covers cleanup of a protected copy: moto copies the source's DeletionProtection onto the restored
    instance (AWS honours DeletionProtection=False), so the cleanup must turn it off before deleting."""
    time = FakeTime()
    slow_restore(moto_stack, monkeypatch, ["creating", "creating", "backing-up", "available"])
    rds = moto_stack.clients("rds")
    real_restore = rds.restore_db_instance_to_point_in_time
    requests: list[dict[str, Any]] = []

    def restore(**kwargs: Any) -> Any:
        requests.append(kwargs)
        return real_restore(**kwargs)

    monkeypatch.setattr(rds, "restore_db_instance_to_point_in_time", restore)
    connect = Connects(moto_stack)
    evidence = run(moto_stack, options(tmp_path, from_snapshot=False, clock=time.clock(), connect=connect))

    source = moto_stack.outputs["database"]
    assert evidence["result"] == "pass" and evidence["error"] is None
    assert evidence["method"] == "point-in-time" and evidence["sourceDbInstance"] == source["identifier"]
    # three polls of 30 s before `available`: the measurement is the restore call -> available
    assert evidence["measuredRestoreMinutes"] == 1.5 and evidence["withinRto"] is True
    assert evidence["rtoMinutes"] == source["rtoMinutes"] and evidence["rpoMinutes"] == source["rpoMinutes"]
    # moto reports LatestRestorableTime as "now" at each describe: the restore point is the source's, read just now
    restore_point = datetime.fromisoformat(evidence["restorePoint"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - restore_point) < timedelta(minutes=1)
    assert evidence["withinRpo"] is (evidence["dataLossWindowMinutes"] <= source["rpoMinutes"])
    assert evidence["cleanup"] == {"instanceDeleted": True, "securityGroupDeleted": True, "done": True, "errors": []}
    assert evidence["reachable"] is True and evidence["drillInstance"].startswith(f"drill-{STACK}-")

    # what existed during the drill: the stack's subnet group, only the drill group, nothing public
    instance, group = connect.seen["instance"], connect.seen["group"]
    assert connect.calls == [(instance["Endpoint"]["Address"], instance["Endpoint"]["Port"])]
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == source["subnetGroupName"]
    assert [g["VpcSecurityGroupId"] for g in instance["VpcSecurityGroups"]] == [evidence["drillSecurityGroup"]]
    assert instance["PubliclyAccessible"] is False and instance["MultiAZ"] is False
    (request,) = requests
    assert request["SourceDBInstanceIdentifier"] == source["identifier"] and request["UseLatestRestorableTime"]
    assert request["DeletionProtection"] is False and request["PubliclyAccessible"] is False
    assert {"Key": "Purpose", "Value": "restore-drill"} in request["Tags"]
    assert group["VpcId"] == moto_stack.outputs["vpcId"] and group["GroupName"] == evidence["drillInstance"]
    assert group["IpPermissionsEgress"] == []
    (rule,) = group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", source["port"], source["port"])
    assert [r["CidrIp"] for r in rule["IpRanges"]] == [ALLOW] and rule["UserIdGroupPairs"] == []


@pytest.mark.usefixtures("nothing_left")
def test_snapshot_drill_restores_the_newest_snapshot(moto_stack: MotoStack, tmp_path: Path) -> None:
    rds = moto_stack.clients("rds")
    source = moto_stack.outputs["database"]["identifier"]
    rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier="manual-before-upgrade")
    try:
        evidence = run(moto_stack, options(tmp_path, from_snapshot=True, connect=Connects(moto_stack)))
    finally:
        rds.delete_db_snapshot(DBSnapshotIdentifier="manual-before-upgrade")
    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=source)["DBSnapshots"]
    assert {s["SnapshotType"] for s in snapshots} == {"automated"}  # the newest (manual) one was chosen over it
    assert evidence["method"] == "snapshot" and evidence["snapshotIdentifier"] == "manual-before-upgrade"
    assert evidence["withinRpo"] is None  # a snapshot's age is recorded, not judged against the RPO
    assert evidence["result"] == "pass" and evidence["cleanup"]["done"] is True


@pytest.mark.usefixtures("nothing_left")
def test_backups_disabled_is_a_clear_error_and_creates_nothing(moto_stack: MotoStack, tmp_path: Path) -> None:
    evidence = run(moto_stack, options(tmp_path, from_snapshot=False), database__identifier=moto_stack.no_backup_db)
    assert evidence["result"] == "fail"
    assert evidence["error"].startswith(
        f"backups are disabled on {moto_stack.no_backup_db} (BackupRetentionPeriod 0): no point-in-time restore"
    )
    assert evidence["drillSecurityGroup"] is None
    assert evidence["cleanup"] == {"instanceDeleted": None, "securityGroupDeleted": None, "done": True, "errors": []}


@pytest.mark.usefixtures("nothing_left")
def test_no_snapshot_is_a_clear_error(moto_stack: MotoStack, tmp_path: Path) -> None:
    evidence = run(moto_stack, options(tmp_path, from_snapshot=True), database__identifier=moto_stack.no_backup_db)
    assert evidence["result"] == "fail"
    assert evidence["error"].startswith(f"no snapshot of {moto_stack.no_backup_db} to restore from")


@pytest.mark.usefixtures("nothing_left")
def test_a_restore_that_fails_midway_leaves_nothing_behind(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_restore(moto_stack, monkeypatch, ["creating", "incompatible-restore"])
    connect = Connects(moto_stack)
    evidence = run(moto_stack, options(tmp_path, from_snapshot=False, connect=connect))
    assert evidence["result"] == "fail"
    assert evidence["error"] == f"restore of {evidence['drillInstance']} failed: instance status incompatible-restore"
    assert evidence["drillSecurityGroup"] and evidence["measuredRestoreMinutes"] is None
    assert evidence["cleanup"]["done"] is True and connect.calls == []


@pytest.mark.usefixtures("nothing_left")
def test_an_unexpected_exception_after_the_restore_still_cleans_up(moto_stack: MotoStack, tmp_path: Path) -> None:
    def broken_connect(host: str, port: int, timeout: float) -> None:
        raise RuntimeError("bug in a later step")

    with pytest.raises(RuntimeError, match="bug in a later step"):
        restore_drill.run(moto_stack.stack_outputs, moto_stack.clients, options(tmp_path, connect=broken_connect))
    evidence = json.loads((tmp_path / "evidence.json").read_text())
    assert evidence["error"] == "unexpected RuntimeError: bug in a later step" and evidence["result"] == "fail"
    assert evidence["cleanup"]["done"] is True


@pytest.mark.usefixtures("nothing_left")
def test_ctrl_c_during_the_wait_cleans_up(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_restore(moto_stack, monkeypatch, ["creating", "creating", "creating"])
    polls: list[str] = []

    def progress(elapsed: float, status: str) -> None:
        polls.append(status)
        if len(polls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        restore_drill.run(moto_stack.stack_outputs, moto_stack.clients, options(tmp_path, progress=progress))
    evidence = json.loads((tmp_path / "evidence.json").read_text())
    assert polls == [f"{evidence['drillInstance']}: creating"] * 2
    assert evidence["error"].startswith("interrupted (Ctrl-C)") and evidence["result"] == "fail"
    assert evidence["cleanup"] == {"instanceDeleted": True, "securityGroupDeleted": True, "done": True, "errors": []}


@pytest.mark.usefixtures("nothing_left")
def test_a_restore_slower_than_the_rto_fails_with_the_measured_time(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rto = moto_stack.outputs["database"]["rtoMinutes"]
    polls_before_available = rto // 10 + 1  # polls 10 min apart: available one poll after the RTO
    slow_restore(moto_stack, monkeypatch, ["creating"] * polls_before_available)
    evidence = run(
        moto_stack, options(tmp_path, poll_seconds=600, timeout_minutes=4 * rto, connect=Connects(moto_stack))
    )
    assert evidence["measuredRestoreMinutes"] == polls_before_available * 10 > rto
    assert evidence["withinRto"] is False and evidence["result"] == "fail" and evidence["reachable"] is True


@pytest.mark.usefixtures("nothing_left")
def test_a_restore_that_never_finishes_times_out_and_cleans_up(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_restore(moto_stack, monkeypatch, ["creating"] * 100)
    evidence = run(moto_stack, options(tmp_path, poll_seconds=60, timeout_minutes=5))
    assert evidence["error"].startswith(f"restore of {evidence['drillInstance']}: not done after 5.0 min")
    assert evidence["cleanup"]["done"] is True


@pytest.mark.usefixtures("nothing_left")
def test_an_unreachable_instance_fails_the_drill(moto_stack: MotoStack, tmp_path: Path) -> None:
    evidence = run(moto_stack, options(tmp_path, connect=Connects(moto_stack, fail=True)))
    assert evidence["result"] == "fail" and evidence["reachable"] is False
    assert "ConnectionRefusedError: connection refused" in evidence["reachability"]
    assert evidence["withinRto"] is True and evidence["cleanup"]["done"] is True


@pytest.mark.usefixtures("nothing_left")
def test_a_security_group_as_allow_from_and_skip_connect(moto_stack: MotoStack, tmp_path: Path) -> None:
    app_group = moto_stack.clients("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["app"]}])[
        "SecurityGroups"
    ][0]["GroupId"]
    connect = Connects(moto_stack)
    evidence = run(moto_stack, options(tmp_path, allow_from=app_group, connect=connect))
    assert connect.seen["group"]["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == app_group

    skipped = run(moto_stack, options(tmp_path, allow_from=None, connect_check=False))
    assert skipped["reachable"] is None and skipped["reachability"] == "skipped (--skip-connect)"
    assert evidence["result"] == skipped["result"] == "pass"


@pytest.mark.usefixtures("nothing_left")
def test_connect_check_without_allow_from_is_refused_up_front(moto_stack: MotoStack, tmp_path: Path) -> None:
    evidence = run(moto_stack, options(tmp_path, allow_from=None))
    assert "--allow-from <CIDR|sg-id>" in evidence["error"] and evidence["drillSecurityGroup"] is None


@pytest.mark.usefixtures("nothing_left")
def test_security_group_deletion_is_retried_while_the_interface_is_released(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seam: AWS refuses to delete the group (DependencyViolation) until the deleted instance's network
    interface is gone; moto deletes at once. The first attempt raises that error."""
    ec2 = moto_stack.clients("ec2")
    real = ec2.delete_security_group
    attempts: list[str] = []

    def delete_security_group(**kwargs: Any) -> Any:
        attempts.append(kwargs["GroupId"])
        if len(attempts) == 1:
            raise ClientError({"Error": {"Code": "DependencyViolation", "Message": "in use"}}, "DeleteSecurityGroup")
        return real(**kwargs)

    monkeypatch.setattr(ec2, "delete_security_group", delete_security_group)
    evidence = run(moto_stack, options(tmp_path, connect=Connects(moto_stack)))
    assert len(attempts) == 2 and evidence["cleanup"]["done"] is True and evidence["result"] == "pass"


def test_a_failed_cleanup_fails_the_drill_and_says_what_is_left(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seam: delete_db_instance fails with an error that is not retried; the leftovers are removed by the test."""
    rds = moto_stack.clients("rds")
    real_delete = rds.delete_db_instance

    def refuse(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteDBInstance")

    monkeypatch.setattr(rds, "delete_db_instance", refuse)
    evidence = run(moto_stack, options(tmp_path, connect=Connects(moto_stack)))
    monkeypatch.undo()
    name, group = evidence["drillInstance"], evidence["drillSecurityGroup"]
    try:
        assert evidence["result"] == "fail" and evidence["cleanup"]["done"] is False
        assert evidence["cleanup"]["instanceDeleted"] is False and evidence["cleanup"]["securityGroupDeleted"] is False
        assert f"aws rds delete-db-instance --db-instance-identifier {name}" in capsys.readouterr().err
    finally:
        rds.modify_db_instance(DBInstanceIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
        real_delete(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
        moto_stack.clients("ec2").delete_security_group(GroupId=group)
    assert leftovers(moto_stack) == []


def test_drill_names_are_valid_rds_identifiers() -> None:
    when = datetime(2026, 3, 1, 4, 5, 6, tzinfo=UTC)
    assert drill_name("production", when) == "drill-production-20260301040506"
    long_name = drill_name("Feature_Branch--" + "x" * 80, when)
    assert len(long_name) <= 63 and long_name.endswith("-20260301040506")
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", long_name)


def test_ctrl_c_during_the_cleanup_still_writes_the_evidence_and_names_the_leftovers(
    moto_stack: MotoStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seam: a second Ctrl-C arrives while the instance is being deleted (raised from delete_db_instance)."""
    rds = moto_stack.clients("rds")
    real_delete = rds.delete_db_instance

    def interrupted(**_: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(rds, "delete_db_instance", interrupted)
    with pytest.raises(KeyboardInterrupt):
        restore_drill.run(moto_stack.stack_outputs, moto_stack.clients, options(tmp_path, connect=Connects(moto_stack)))
    monkeypatch.undo()
    evidence = json.loads((tmp_path / "evidence.json").read_text())
    name, group = evidence["drillInstance"], evidence["drillSecurityGroup"]
    try:
        assert evidence["result"] == "fail" and evidence["cleanup"]["errors"] == [
            "cleanup interrupted: KeyboardInterrupt"
        ]
        assert evidence["cleanup"]["instanceDeleted"] is False and evidence["cleanup"]["securityGroupDeleted"] is False
        err = capsys.readouterr().err
        assert f"--db-instance-identifier {name}" in err and f"delete-security-group --group-id {group}" in err
    finally:
        rds.modify_db_instance(DBInstanceIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
        real_delete(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
        moto_stack.clients("ec2").delete_security_group(GroupId=group)
    assert leftovers(moto_stack) == []
