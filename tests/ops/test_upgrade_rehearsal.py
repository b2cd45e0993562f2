"""`restore-drill --upgrade-to` and `db-snapshot` against moto: the API sequence, the time per step, and a cleanup
that removes the scratch instance, security group and parameter group whatever happens (errors, Ctrl-C).

Seams where moto cannot be slow or fail: moto upgrades instantly, so the drill instance's describe reports the
statuses RDS goes through (`upgrading`, old version) until the scripted list is used up; moto's restore and
modify calls are wrapped to fail where a test says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops import cli, db_snapshot, upgrade_rehearsal
from ops.restore_drill import Options
from tests.ops.conftest import STACK, MotoStack
from tests.ops.test_restore_drill import ALLOW, Connects, FakeTime, options

SOURCE_PARAMETERS = [
    {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"},
    {
        "ParameterName": "shared_preload_libraries",
        "ParameterValue": "pg_stat_statements",
        "ApplyMethod": "pending-reboot",
    },
]
MUTATING = ("Create", "Delete", "Modify", "Restore", "Revoke", "Authorize")


def leftovers(stack: MotoStack) -> list[str]:
    rds, ec2 = stack.clients("rds"), stack.clients("ec2")
    names = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    names += [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    names += [g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]]
    return [name for name in names if name.startswith("drill-")]


@pytest.fixture
def source(moto_stack: MotoStack) -> Iterator[str]:
    """The stack's database on its own parameter group (as deployed) with a pre-upgrade snapshot; undone after."""
    rds = moto_stack.clients("rds")
    identifier = moto_stack.outputs["database"]["identifier"]
    assert leftovers(moto_stack) == []
    rds.create_db_parameter_group(
        DBParameterGroupName="db-postgres16-abc1234", DBParameterGroupFamily="postgres16", Description="stack"
    )
    rds.modify_db_parameter_group(DBParameterGroupName="db-postgres16-abc1234", Parameters=SOURCE_PARAMETERS)
    rds.modify_db_instance(DBInstanceIdentifier=identifier, DBParameterGroupName="db-postgres16-abc1234")
    rds.create_db_snapshot(DBInstanceIdentifier=identifier, DBSnapshotIdentifier="pre-upgrade-test")
    try:
        yield identifier
    finally:
        rds.delete_db_snapshot(DBSnapshotIdentifier="pre-upgrade-test")
        rds.modify_db_instance(DBInstanceIdentifier=identifier, DBParameterGroupName="default.postgres16")
        rds.delete_db_parameter_group(DBParameterGroupName="db-postgres16-abc1234")
    assert leftovers(moto_stack) == [], "the rehearsal left resources behind"


class Calls:
    """Every mutating RDS/EC2 call in order, recorded by botocore's before-call event on the shared clients."""

    def __init__(self, stack: MotoStack) -> None:
        self.names: list[str] = []
        self.params: dict[str, dict[str, Any]] = {}
        self.clients = [stack.clients("rds"), stack.clients("ec2")]
        for client in self.clients:
            client.meta.events.register("before-call.*.*", self._record)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name.startswith(MUTATING):
            self.names.append(model.name)
            self.params[model.name] = params.get("body", {})

    def close(self) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-call.*.*", self._record)


@pytest.fixture
def calls(moto_stack: MotoStack) -> Iterator[Calls]:
    recorder = Calls(moto_stack)
    yield recorder
    recorder.close()


def slow_upgrade(stack: MotoStack, monkeypatch: pytest.MonkeyPatch, statuses: list[str], old: str = "16.4") -> None:
    """Seam: after ModifyDBInstance, the drill instance reports `statuses` on the `old` version first."""
    rds = stack.clients("rds")
    real_describe, real_modify = rds.describe_db_instances, rds.modify_db_instance
    pending = list(statuses)
    modified: list[bool] = []

    def modify_db_instance(**kwargs: Any) -> Any:
        if "EngineVersion" in kwargs:
            modified.append(True)
        return real_modify(**kwargs)

    def describe_db_instances(**kwargs: Any) -> dict[str, Any]:
        response = real_describe(**kwargs)
        if str(kwargs.get("DBInstanceIdentifier", "")).startswith("drill-") and modified and pending:
            response["DBInstances"][0]["DBInstanceStatus"] = pending.pop(0)
            response["DBInstances"][0]["EngineVersion"] = old
        return response

    monkeypatch.setattr(rds, "modify_db_instance", modify_db_instance)
    monkeypatch.setattr(rds, "describe_db_instances", describe_db_instances)


def rehearse(stack: MotoStack, opts: Options, target: str = "17") -> dict[str, Any]:
    evidence, path = upgrade_rehearsal.run(stack.stack_outputs, stack.clients, target, opts)
    assert json.loads(path.read_text()) == evidence
    return evidence


def test_rehearsal_restores_upgrades_times_each_step_and_cleans_up(
    moto_stack: MotoStack, source: str, calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    time = FakeTime()
    slow_upgrade(moto_stack, monkeypatch, ["modifying", "upgrading", "upgrading", "upgrading"])
    evidence = rehearse(moto_stack, options(tmp_path, clock=time.clock(), connect=Connects(moto_stack)))

    assert evidence["result"] == "pass" and evidence["error"] is None
    assert evidence["kind"] == "upgrade-rehearsal" and evidence["method"] == "snapshot"
    assert evidence["snapshotIdentifier"] == "pre-upgrade-test"  # the newest snapshot: the pre-upgrade one
    name = evidence["drillInstance"]
    # The API sequence: isolate, restore, a parameter group of the new family, upgrade, then delete everything.
    assert calls.names == [
        "CreateSecurityGroup",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "RestoreDBInstanceFromDBSnapshot",
        "CreateDBParameterGroup",
        "ModifyDBParameterGroup",
        "ModifyDBInstance",  # the upgrade
        # moto copies the source's deletion protection onto the copy: refused, turned off, deleted
        "DeleteDBInstance",
        "ModifyDBInstance",
        "DeleteDBInstance",
        # the group once the instance is gone, the parameter group last (the instance used it)
        "DeleteSecurityGroup",
        "DeleteDBParameterGroup",
    ]
    upgrade = evidence["upgrade"]
    assert upgrade["from"] == "16" and upgrade["to"] == "17" and upgrade["engineVersionBefore"] == "16.4"
    assert upgrade["engineVersionAfter"].split(".")[0] == "17"
    assert upgrade["parameterGroup"] == name and upgrade["parameterGroupFamily"] == "postgres17"
    assert upgrade["copiedParameters"] == ["rds.force_ssl", "shared_preload_libraries"]
    # Four polls of 30 s on the old version, then available on 17: the upgrade took 2 minutes.
    assert evidence["stepSeconds"]["upgrade"] == 120.0
    assert evidence["stepSeconds"]["restore"] == 0.0 and evidence["stepSeconds"]["cleanup"] is not None
    assert evidence["cleanup"] == {
        "instanceDeleted": True,
        "securityGroupDeleted": True,
        "parameterGroupDeleted": True,
        "done": True,
        "errors": [],
    }


def test_the_upgrade_request_allows_the_major_on_the_scratch_group(
    moto_stack: MotoStack, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rds = moto_stack.clients("rds")
    real = rds.modify_db_instance
    requests: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []

    def modify_db_instance(**kwargs: Any) -> Any:
        requests.append(kwargs)
        groups.extend(
            rds.describe_db_parameter_groups(DBParameterGroupName=kwargs["DBParameterGroupName"])["DBParameterGroups"]
            if "DBParameterGroupName" in kwargs
            else []
        )
        return real(**kwargs)

    monkeypatch.setattr(rds, "modify_db_instance", modify_db_instance)
    evidence = rehearse(moto_stack, options(tmp_path, connect=Connects(moto_stack)))
    upgrade = next(r for r in requests if "EngineVersion" in r)
    assert upgrade == {
        "DBInstanceIdentifier": evidence["drillInstance"],
        "EngineVersion": "17",
        "AllowMajorVersionUpgrade": True,
        "DBParameterGroupName": evidence["drillInstance"],
        "ApplyImmediately": True,
    }
    assert upgrade["DBInstanceIdentifier"] != source  # never the stack's database
    assert [g["DBParameterGroupFamily"] for g in groups] == ["postgres17"]


@pytest.mark.parametrize(
    ("target", "why"),
    [("16", "already runs 16"), ("15", "cannot downgrade 16 -> 15"), ("18", "18 is not an RDS upgrade target")],
)
@pytest.mark.usefixtures("source")
def test_an_impossible_target_fails_before_anything_exists(
    moto_stack: MotoStack, calls: Calls, tmp_path: Path, target: str, why: str
) -> None:
    evidence = rehearse(moto_stack, options(tmp_path), target)
    assert evidence["result"] == "fail" and why in evidence["error"]
    assert calls.names == [] and evidence["cleanup"]["done"] is True


def test_a_refused_upgrade_still_removes_everything(
    moto_stack: MotoStack, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rds = moto_stack.clients("rds")
    real = rds.modify_db_instance

    def modify_db_instance(**kwargs: Any) -> Any:
        if "EngineVersion" in kwargs:
            error = {"Code": "InvalidParameterCombination", "Message": "Cannot upgrade postgres from 16.4 to 17.2"}
            raise ClientError({"Error": error}, "ModifyDBInstance")
        return real(**kwargs)

    monkeypatch.setattr(rds, "modify_db_instance", modify_db_instance)
    evidence = rehearse(moto_stack, options(tmp_path, connect=Connects(moto_stack)))
    assert evidence["result"] == "fail" and "Cannot upgrade postgres from 16.4 to 17.2" in evidence["error"]
    assert evidence["cleanup"]["done"] is True and evidence["cleanup"]["parameterGroupDeleted"] is True
    assert evidence["stepSeconds"]["upgrade"] is None


def test_an_upgrade_that_comes_back_on_the_old_major_fails(
    moto_stack: MotoStack, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RDS rolls a failed pg_upgrade back: the instance is `available` again, on 16."""
    slow_upgrade(moto_stack, monkeypatch, ["upgrading", "available", "available"])
    evidence = rehearse(moto_stack, options(tmp_path, connect=Connects(moto_stack)))
    assert evidence["result"] == "fail"
    assert "did not complete: back to 16.4" in evidence["error"] and "describe-db-log-files" in evidence["error"]
    assert evidence["cleanup"]["done"] is True


def test_ctrl_c_during_the_upgrade_cleans_up_and_records_it(
    moto_stack: MotoStack, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_upgrade(moto_stack, monkeypatch, ["upgrading"] * 10)
    seen: list[str] = []

    def progress(elapsed: float, status: str) -> None:
        seen.append(status)
        if "upgrading" in status:
            raise KeyboardInterrupt

    opts = options(tmp_path, connect=Connects(moto_stack), progress=progress)
    with pytest.raises(KeyboardInterrupt):
        upgrade_rehearsal.run(moto_stack.stack_outputs, moto_stack.clients, "17", opts)
    evidence = json.loads((tmp_path / "evidence.json").read_text())
    assert evidence["result"] == "fail" and evidence["error"].startswith("interrupted (Ctrl-C)")
    assert evidence["cleanup"]["done"] is True and evidence["cleanup"]["parameterGroupDeleted"] is True


# -- db-snapshot ---------------------------------------------------------------------------------------------


def test_db_snapshot_takes_a_tagged_manual_snapshot_and_waits(moto_stack: MotoStack) -> None:
    rds = moto_stack.clients("rds")
    time = FakeTime()
    result = db_snapshot.run(
        moto_stack.stack_outputs, moto_stack.clients, db_snapshot.Options(reason="pre-upgrade", clock=time.clock())
    )
    try:
        identifier = moto_stack.outputs["database"]["identifier"]
        assert result.identifier == f"{identifier}-pre-upgrade-{time.start:%Y%m%d%H%M%S}"
        (snapshot,) = rds.describe_db_snapshots(DBSnapshotIdentifier=result.identifier)["DBSnapshots"]
        assert snapshot["SnapshotType"] == "manual" and snapshot["Status"] == "available"
        tags = {t["Key"]: t["Value"] for t in snapshot["TagList"]}
        assert tags["Reason"] == "pre-upgrade" and tags["EngineVersion"] == result.engine_version == "16.4"
        assert tags["ManagedBy"] == "ops db-snapshot" and tags["Environment"] == STACK
    finally:
        rds.delete_db_snapshot(DBSnapshotIdentifier=result.identifier)


@pytest.mark.parametrize("reason", ["", "Pre-Upgrade", "pre upgrade", "-pre", "x" * 41, "pre_upgrade"])
def test_db_snapshot_refuses_a_reason_that_cannot_name_a_snapshot(moto_stack: MotoStack, reason: str) -> None:
    with pytest.raises(db_snapshot.SnapshotError, match="--reason"):
        db_snapshot.run(moto_stack.stack_outputs, moto_stack.clients, db_snapshot.Options(reason=reason))


def test_db_snapshot_names_never_break_rds_rules() -> None:
    assert db_snapshot.snapshot_name("app-db", "pre--upgrade", "20261203") == "app-db-pre-upgrade-20261203"
    with pytest.raises(db_snapshot.SnapshotError, match="not a valid RDS snapshot identifier"):
        db_snapshot.snapshot_name("1db", "pre-upgrade", "20261203")  # must start with a letter


def test_cli_snapshot_then_rehearsal(
    moto_stack: MotoStack, source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory: Callable[[str], Any] = lambda region: moto_stack.clients  # noqa: E731
    outputs = str(moto_stack.write(tmp_path / "outputs.json"))
    argv = ["db-snapshot", "--outputs", outputs, "--reason", "pre-upgrade", "--poll-seconds", "0"]
    assert cli.main(argv, clients_factory=factory) == cli.EXIT_OK
    line = capsys.readouterr().out.strip()
    snapshot = line.split()[1]
    assert line.startswith(f"snapshot {source}-pre-upgrade-") and "available after" in line
    try:
        evidence_path = tmp_path / "rehearsal.json"
        argv = ["restore-drill", "--outputs", outputs, "--upgrade-to", "17", "--allow-from", ALLOW]
        argv += ["--poll-seconds", "0", "--evidence", str(evidence_path)]
        code = cli.main(argv, clients_factory=factory)
        summary = json.loads(capsys.readouterr().out)
        evidence = json.loads(evidence_path.read_text())
    finally:
        moto_stack.clients("rds").delete_db_snapshot(DBSnapshotIdentifier=snapshot)
    assert evidence["snapshotIdentifier"] == snapshot  # the snapshot just taken is the one rehearsed
    assert evidence["kind"] == "upgrade-rehearsal" and evidence["upgrade"]["to"] == "17"
    assert summary["upgrade"]["to"] == "17" and set(summary["stepSeconds"]) == {"restore", "upgrade", "cleanup"}
    assert code == (cli.EXIT_OK if evidence["result"] == "pass" else cli.EXIT_FAILED)
