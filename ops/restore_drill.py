"""`restore-drill`: prove the database can be restored within its RTO, and leave nothing behind.

1. Pre-flight: the source instance exists; for a point-in-time restore its backups are enabled and it has a
   latest restorable time; with `from_snapshot`, its newest available snapshot (automated or manual).
2. An isolated security group in the stack's VPC: no egress, and no ingress except the database port from
   `allow_from` (a CIDR or a security group id) when given.
3. The restore into a temporary `drill-<stack>-<UTC timestamp>` instance (single-AZ, not public, no deletion
   protection) in the stack's DB subnet group; polled with a progress display, bounded by a timeout.
4. Checks: the instance is available, and a TCP connect to its endpoint succeeds (from `allow_from`).
5. Measured: restore time (restore call -> available) against rtoMinutes; data-loss window (drill start minus
   the restore point) against rpoMinutes for point-in-time restores.
6. ALWAYS (finally; also on errors and Ctrl-C): delete the instance (no final snapshot, automated backups
   deleted), wait until it is gone, delete the security group; then write the JSON evidence record.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import os
import re
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ops.aws import AWS_ERRORS, Clients, Clock, Progress, WaitTimeoutError, error_code, format_elapsed, poll
from ops.outputs import StackOutputs

EVIDENCE_SCHEMA = 1
READY = "available"
# Statuses a restore does not recover from (RDS User Guide, "Viewing Amazon RDS DB instance status").
FAILED_STATUSES = frozenset(
    {
        "failed",
        "incompatible-restore",
        "incompatible-network",
        "incompatible-parameters",
        "incompatible-option-group",
        "inaccessible-encryption-credentials",
        "restore-error",
        "storage-full",
    }
)
MAX_IDENTIFIER = 63  # RDS DB instance identifiers: 1-63 letters, digits, hyphens

Connect = Callable[[str, int, float], None]


class DrillError(Exception):
    """The drill cannot run or did not succeed; the message says why."""


def tcp_connect(host: str, port: int, timeout: float) -> None:
    """Open and close a TCP connection; raises OSError when the endpoint is not reachable."""
    socket.create_connection((host, port), timeout=timeout).close()


def print_progress(elapsed: float, status: str) -> None:
    print(f"  [{format_elapsed(elapsed)}] {status}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    from_snapshot: bool = False
    restore_time: datetime | None = None  # None: the latest restorable time
    allow_from: str | None = None  # CIDR or sg-... allowed to reach the drill instance on the DB port
    connect_check: bool = True
    instance_class: str | None = None  # None: the source's class
    timeout_minutes: float | None = None  # None: max(60, 3 x RTO)
    poll_seconds: float = 30.0
    cleanup_timeout_minutes: float = 45.0
    connect_timeout: float = 5.0
    evidence_path: Path | None = None  # None: out/restore-drill-<stack>-<timestamp>.json
    clock: Clock = field(default_factory=Clock)
    connect: Connect = tcp_connect
    progress: Progress | None = print_progress


@dataclass(frozen=True)
class Source:
    stack: str
    region: str
    identifier: str
    subnet_group: str
    vpc_id: str
    rto_minutes: float
    rpo_minutes: float

    @classmethod
    def from_outputs(cls, outputs: StackOutputs, region: str) -> Source:
        return cls(
            stack=outputs.stack,
            region=region,
            identifier=outputs.text("database.identifier"),
            subnet_group=outputs.text("database.subnetGroupName"),
            vpc_id=outputs.text("vpcId"),
            rto_minutes=outputs.number("database.rtoMinutes"),
            rpo_minutes=outputs.number("database.rpoMinutes"),
        )


@dataclass(frozen=True)
class RestorePoint:
    method: str  # "point-in-time" | "snapshot"
    time: datetime
    snapshot: str | None = None


def drill_name(stack: str, when: datetime) -> str:
    """`drill-<stack>-<YYYYmmddHHMMSS>`: a valid RDS identifier and security group name."""
    slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", stack.lower())).strip("-") or "stack"
    stamp = f"{when:%Y%m%d%H%M%S}"
    return f"drill-{slug[: MAX_IDENTIFIER - len(stamp) - 7].rstrip('-')}-{stamp}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


def _initiator() -> str:
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return f"github:{actor}"
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _ci_run() -> str | None:
    env = os.environ
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return None


class Drill:
    """One drill run. `run()` returns the evidence record (also written to disk)."""

    def __init__(self, outputs: StackOutputs, clients: Clients, options: Options | None = None) -> None:
        self.options = options or Options()
        self.clock = self.options.clock
        self.source = Source.from_outputs(outputs, clients.region)
        self.rds = clients("rds")
        self.ec2 = clients("ec2")
        started = self.clock.now()
        self.name = drill_name(self.source.stack, started)
        self.instance_requested = False
        self.security_group: str | None = None
        self.evidence: dict[str, Any] = {
            "kind": "restore-drill",
            "schemaVersion": EVIDENCE_SCHEMA,
            "stack": self.source.stack,
            "region": self.source.region,
            "sourceDbInstance": self.source.identifier,
            "subnetGroup": self.source.subnet_group,
            "method": "snapshot" if self.options.from_snapshot else "point-in-time",
            "snapshotIdentifier": None,
            "restorePoint": None,
            "drillInstance": self.name,
            "drillSecurityGroup": None,
            "allowFrom": self.options.allow_from,
            "startedAt": _iso(started),
            "restoreRequestedAt": None,
            "availableAt": None,
            "endedAt": None,
            "measuredRestoreMinutes": None,
            "rtoMinutes": self.source.rto_minutes,
            "withinRto": None,
            "dataLossWindowMinutes": None,
            "rpoMinutes": self.source.rpo_minutes,
            "withinRpo": None,
            "reachable": None,
            "reachability": None,
            "result": "fail",
            "error": None,
            "cleanup": {"instanceDeleted": None, "securityGroupDeleted": None, "done": False, "errors": []},
            "initiatedBy": _initiator(),
            "ciRun": _ci_run(),
        }
        default_path = Path("out") / f"restore-drill-{self.name.removeprefix('drill-')}.json"
        self.evidence_path = self.options.evidence_path or default_path

    # -- the run -------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        try:
            self._drill()
        except (DrillError, WaitTimeoutError, *AWS_ERRORS) as exc:
            self.evidence["error"] = str(exc)
            self.evidence["result"] = "fail"
        except KeyboardInterrupt:
            self.evidence["error"] = "interrupted (Ctrl-C); `cleanup` records what was removed"
            self.evidence["result"] = "fail"
            raise
        except BaseException as exc:
            self.evidence["error"] = f"unexpected {type(exc).__name__}: {exc}"
            self.evidence["result"] = "fail"
            raise
        finally:
            try:
                self._cleanup()
            finally:  # the record is written even when the cleanup itself is interrupted
                self.evidence["endedAt"] = _iso(self.clock.now())
                if not self.evidence["cleanup"]["done"]:
                    self.evidence["result"] = "fail"
                self._write_evidence()
        return self.evidence

    def _drill(self) -> None:
        options = self.options
        if options.connect_check and not options.allow_from:
            raise DrillError(
                "the drill security group admits nothing unless --allow-from <CIDR|sg-id> names the host running "
                "the drill (it must be inside the VPC); pass it, or --skip-connect to check availability only"
            )
        source = self._describe(self.source.identifier)
        if source is None:
            raise DrillError(f"source database {self.source.identifier} not found in {self.source.region}")
        point = self._restore_point(source)
        self.evidence["restorePoint"] = _iso(point.time)
        self.evidence["snapshotIdentifier"] = point.snapshot
        started_at = datetime.fromisoformat(str(self.evidence["startedAt"]).replace("Z", "+00:00"))
        loss = _minutes(max(0.0, (started_at - point.time).total_seconds()))
        self.evidence["dataLossWindowMinutes"] = loss
        if point.method == "point-in-time":
            self.evidence["withinRpo"] = loss <= self.source.rpo_minutes

        port = int(source.get("Endpoint", {}).get("Port") or source.get("DbInstancePort") or 5432)
        self.security_group = self._create_security_group(port)
        self.evidence["drillSecurityGroup"] = self.security_group

        requested = self.clock.monotonic()
        self.evidence["restoreRequestedAt"] = _iso(self.clock.now())
        self.instance_requested = True  # before the call: if AWS accepted it and the call still failed, clean up
        self._restore(source, point)
        self._wait_until_available()
        restore_seconds = self.clock.monotonic() - requested
        self.evidence["availableAt"] = _iso(self.clock.now())
        measured = _minutes(restore_seconds)
        self.evidence["measuredRestoreMinutes"] = measured
        self.evidence["withinRto"] = measured <= self.source.rto_minutes

        self._check_reachable()
        passed = (
            self.evidence["withinRto"] is True
            and self.evidence["withinRpo"] is not False
            and self.evidence["reachable"] is not False
        )
        self.evidence["result"] = "pass" if passed else "fail"

    # -- steps ---------------------------------------------------------------------------------------

    def _describe(self, identifier: str) -> Mapping[str, Any] | None:
        try:
            found = self.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
        except AWS_ERRORS as exc:
            if error_code(exc) == "DBInstanceNotFound":
                return None
            raise
        return dict(found[0]) if found else None

    def _restore_point(self, source: Mapping[str, Any]) -> RestorePoint:
        ident = self.source.identifier
        if self.options.from_snapshot:
            snapshots = []
            for page in self.rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=ident):
                snapshots += [s for s in page.get("DBSnapshots", []) if s.get("Status") == "available"]
            if not snapshots:
                raise DrillError(
                    f"no snapshot of {ident} to restore from: it has no available automated or manual snapshot "
                    "(are backups enabled? is the first backup window over?)"
                )
            newest = max(snapshots, key=lambda s: s["SnapshotCreateTime"])
            return RestorePoint("snapshot", newest["SnapshotCreateTime"], newest["DBSnapshotIdentifier"])
        if int(source.get("BackupRetentionPeriod", 0)) <= 0:
            raise DrillError(
                f"backups are disabled on {ident} (BackupRetentionPeriod 0): no point-in-time restore is possible; "
                "set database.backupRetentionDays > 0, or use --from-snapshot with a manual snapshot"
            )
        latest = source.get("LatestRestorableTime")
        if latest is None:
            raise DrillError(f"{ident} has no latest restorable time yet (its first backup has not completed)")
        wanted = self.options.restore_time
        if wanted is not None and wanted > latest:
            raise DrillError(f"restore time {_iso(wanted)} is after the latest restorable time {_iso(latest)}")
        return RestorePoint("point-in-time", wanted or latest)

    def _tags(self) -> list[dict[str, str]]:
        return [
            {"Key": "Name", "Value": self.name},
            {"Key": "Purpose", "Value": "restore-drill"},
            {"Key": "Environment", "Value": self.source.stack},
            {"Key": "DrillSource", "Value": self.source.identifier},
            {"Key": "ManagedBy", "Value": "ops restore-drill"},
        ]

    def _create_security_group(self, port: int) -> str:
        group = self.ec2.create_security_group(
            GroupName=self.name,
            Description=f"Restore drill of {self.source.identifier}: isolated, deleted after the drill",
            VpcId=self.source.vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": self._tags()}],
        )["GroupId"]
        self.security_group = group  # known before the next calls, so cleanup finds it if they fail
        # A new group allows all egress (IPv4, and IPv6 in a dual-stack VPC); the restored database never needs
        # to open a connection, so every default egress rule goes.
        described = self.ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
        egress = described.get("IpPermissionsEgress", [])
        if egress:
            self.ec2.revoke_security_group_egress(GroupId=group, IpPermissions=egress)
        if self.options.allow_from:
            self.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[self._ingress(port)])
        return str(group)

    def _ingress(self, port: int) -> dict[str, Any]:
        allowed = str(self.options.allow_from)
        rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        description = "restore drill connectivity check"
        if allowed.startswith("sg-"):
            rule["UserIdGroupPairs"] = [{"GroupId": allowed, "Description": description}]
            return rule
        try:
            network = ipaddress.ip_network(allowed, strict=False)
        except ValueError:
            raise DrillError(f"--allow-from must be a CIDR or a security group id (sg-...), got {allowed!r}") from None
        if network.version == 6:
            rule["Ipv6Ranges"] = [{"CidrIpv6": str(network), "Description": description}]
        else:
            rule["IpRanges"] = [{"CidrIp": str(network), "Description": description}]
        return rule

    def _restore(self, source: Mapping[str, Any], point: RestorePoint) -> None:
        common: dict[str, Any] = {
            "DBInstanceClass": self.options.instance_class or source["DBInstanceClass"],
            "DBSubnetGroupName": self.source.subnet_group,
            "VpcSecurityGroupIds": [self.security_group],
            "MultiAZ": False,
            "PubliclyAccessible": False,
            "DeletionProtection": False,
            "AutoMinorVersionUpgrade": False,
            "CopyTagsToSnapshot": False,
            "Tags": self._tags(),
        }
        if point.method == "snapshot":
            self.rds.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=self.name, DBSnapshotIdentifier=point.snapshot, **common
            )
            return
        timing: dict[str, Any] = (
            {"RestoreTime": self.options.restore_time}
            if self.options.restore_time is not None
            else {"UseLatestRestorableTime": True}
        )
        self.rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=self.source.identifier,
            TargetDBInstanceIdentifier=self.name,
            **timing,
            **common,
        )

    def _wait_until_available(self) -> None:
        def check() -> tuple[bool, str]:
            instance = self._describe(self.name)
            if instance is None:
                raise DrillError(f"{self.name} disappeared while restoring")
            status = str(instance.get("DBInstanceStatus"))
            if status in FAILED_STATUSES:
                raise DrillError(f"restore of {self.name} failed: instance status {status}")
            return status == READY, f"{self.name}: {status}"

        options = self.options
        timeout = options.timeout_minutes
        if timeout is None:
            timeout = max(60.0, 3 * self.source.rto_minutes)
        poll(
            check,
            what=f"restore of {self.name}",
            timeout=timeout * 60,
            interval=options.poll_seconds,
            clock=self.clock,
            progress=options.progress,
        )

    def _check_reachable(self) -> None:
        if not self.options.connect_check:
            self.evidence["reachability"] = "skipped (--skip-connect)"
            return
        instance = self._describe(self.name) or {}
        endpoint = instance.get("Endpoint") or {}
        host, port = endpoint.get("Address"), endpoint.get("Port")
        if not host or not port:
            self.evidence["reachable"] = False
            self.evidence["reachability"] = "the restored instance has no endpoint"
            return
        try:
            self.options.connect(str(host), int(port), self.options.connect_timeout)
        except OSError as exc:
            self.evidence["reachable"] = False
            self.evidence["reachability"] = f"TCP connect to {host}:{port} failed: {type(exc).__name__}: {exc}"
            return
        self.evidence["reachable"] = True
        self.evidence["reachability"] = f"TCP connect to {host}:{port} succeeded"

    # -- cleanup -------------------------------------------------------------------------------------

    def _cleanup(self) -> None:
        record = self.evidence["cleanup"]
        errors: list[str] = record["errors"]
        try:
            if self.instance_requested:
                record["instanceDeleted"] = self._attempt(errors, self._delete_instance)
            if self.security_group is not None:
                # Only once the instance is gone: its network interface keeps the group in use until then.
                if record["instanceDeleted"] is False:
                    errors.append(f"security group {self.security_group} kept: instance {self.name} still exists")
                else:
                    record["securityGroupDeleted"] = self._attempt(errors, self._delete_security_group)
        finally:  # also when Ctrl-C interrupts the cleanup itself: say what is left
            record["done"] = not errors
            if errors:
                self._print_leftovers(record)

    def _print_leftovers(self, record: dict[str, Any]) -> None:
        leftovers = []
        if self.instance_requested and record["instanceDeleted"] is not True:
            record["instanceDeleted"] = False
            leftovers.append(f"aws rds delete-db-instance --db-instance-identifier {self.name} --skip-final-snapshot")
        if self.security_group is not None and record["securityGroupDeleted"] is not True:
            record["securityGroupDeleted"] = False
            leftovers.append(f"aws ec2 delete-security-group --group-id {self.security_group}")
        print("error: restore drill cleanup incomplete; delete by hand:", *leftovers, sep="\n  ", file=sys.stderr)

    def _attempt(self, errors: list[str], step: Callable[[], None]) -> bool:
        try:
            step()
        except (DrillError, WaitTimeoutError, *AWS_ERRORS) as exc:
            errors.append(str(exc))
            return False
        except BaseException as exc:  # Ctrl-C during cleanup: record it, say what is left, then stop
            errors.append(f"cleanup interrupted: {type(exc).__name__}")
            raise
        return True

    def _delete_instance(self) -> None:
        timeout = self.options.cleanup_timeout_minutes * 60

        def delete() -> tuple[bool, str]:
            try:
                self.rds.delete_db_instance(
                    DBInstanceIdentifier=self.name, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                )
            except AWS_ERRORS as exc:
                code = error_code(exc)
                if code == "DBInstanceNotFound":  # never created, or already deleting and gone
                    return True, "not found"
                if code == "InvalidDBInstanceState":  # e.g. still in a state that refuses deletion: retry
                    return False, f"{self.name}: {code}"
                if code == "InvalidParameterCombination" and "deletion protection" in str(exc).lower():
                    # The restore asked for none, but never trust that with a copy of production data.
                    self.rds.modify_db_instance(
                        DBInstanceIdentifier=self.name, DeletionProtection=False, ApplyImmediately=True
                    )
                    return False, f"{self.name}: deletion protection turned off"
                raise
            return True, f"{self.name}: deletion requested"

        def gone() -> tuple[bool, str]:
            instance = self._describe(self.name)
            return instance is None, f"{self.name}: {instance.get('DBInstanceStatus') if instance else 'deleted'}"

        interval = self.options.poll_seconds
        poll(delete, what=f"deleting {self.name}", timeout=timeout, interval=interval, clock=self.clock)
        poll(gone, what=f"deleting {self.name}", timeout=timeout, interval=interval, clock=self.clock)

    def _delete_security_group(self) -> None:
        group = self.security_group

        def delete() -> tuple[bool, str]:
            try:
                self.ec2.delete_security_group(GroupId=group)
            except AWS_ERRORS as exc:
                code = error_code(exc)
                if code == "InvalidGroup.NotFound":
                    return True, "not found"
                if code == "DependencyViolation":  # the deleted instance's interface is still being released
                    return False, f"{group}: {code}"
                raise
            return True, f"{group}: deleted"

        poll(
            delete,
            what=f"deleting security group {group}",
            timeout=self.options.cleanup_timeout_minutes * 60,
            interval=self.options.poll_seconds,
            clock=self.clock,
        )

    def _write_evidence(self) -> None:
        path = self.evidence_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.evidence, indent=2) + "\n")


def run(outputs: StackOutputs, clients: Clients, options: Options | None = None) -> tuple[dict[str, Any], Path]:
    drill = Drill(outputs, clients, options)
    return drill.run(), drill.evidence_path
