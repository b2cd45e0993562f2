"""`restore-drill --upgrade-to N`: rehearse a PostgreSQL major upgrade on a copy, never on the stack's database.

1. Pre-flight (before anything is created): the source instance's major and the target form an RDS upgrade
   (components/postgres_versions.py).
2. The snapshot restore of `restore-drill --from-snapshot`: the newest snapshot (the pre-upgrade one taken by
   `ops db-snapshot`, when it is the newest) into an isolated `drill-<stack>-<timestamp>` instance.
3. A scratch parameter group `drill-...` of the new family with the source group's user-set parameters, so a
   parameter the new major no longer accepts fails here, not in production.
4. ModifyDBInstance EngineVersion=<target>, AllowMajorVersionUpgrade, ApplyImmediately, the scratch group;
   polled until `available` on the new major.
5. Measured per step (seconds): restore, upgrade, cleanup: the upgrade's duration is the outage to expect
   (RDS upgrades a Multi-AZ primary and standby together; the instance is unavailable until it completes).
6. ALWAYS (also on errors and Ctrl-C): the drill's cleanup (instance, security group), then the parameter group.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from components.postgres_versions import parameter_group_family, upgrade_problem
from ops.aws import AWS_ERRORS, Clients, error_code, poll
from ops.outputs import StackOutputs
from ops.restore_drill import FAILED_STATUSES, READY, Drill, DrillError, Options

# ModifyDBParameterGroup takes at most 20 parameters per call (RDS API reference, ModifyDBParameterGroup).
MAX_PARAMETERS_PER_CALL = 20
UPGRADE_TIMEOUT_MINUTES = 180.0


def major_of(engine_version: str) -> str:
    return engine_version.split(".", maxsplit=1)[0]


class UpgradeRehearsal(Drill):
    """A snapshot restore drill that then upgrades the copy to `target` and times each step."""

    def __init__(self, outputs: StackOutputs, clients: Clients, target: str, options: Options | None = None) -> None:
        super().__init__(outputs, clients, replace(options or Options(), from_snapshot=True))
        self.target = target
        self.parameter_group_requested = False
        self.evidence["kind"] = "upgrade-rehearsal"
        self.evidence["upgrade"] = {
            "from": None,
            "to": target,
            "engineVersionBefore": None,
            "engineVersionAfter": None,
            "parameterGroup": None,
            "parameterGroupFamily": parameter_group_family(target),
            "copiedParameters": [],
            "requestedAt": None,
            "completedAt": None,
        }
        self.evidence["stepSeconds"] = {"restore": None, "upgrade": None, "cleanup": None}
        self.evidence["cleanup"]["parameterGroupDeleted"] = None
        if options is None or options.evidence_path is None:
            self.evidence_path = Path("out") / f"upgrade-rehearsal-{self.name.removeprefix('drill-')}.json"

    def _drill(self) -> None:
        source = self._describe(self.source.identifier)
        if source is None:
            raise DrillError(f"source database {self.source.identifier} not found in {self.source.region}")
        current = major_of(str(source.get("EngineVersion", "")))
        self.evidence["upgrade"]["from"] = current
        problem = upgrade_problem(current, self.target)
        if problem is not None:
            raise DrillError(f"cannot rehearse {self.source.identifier} {current} -> {self.target}: {problem}")

        super()._drill()  # the snapshot restore, its checks and its measurements
        restored = self.evidence["measuredRestoreMinutes"]
        self.evidence["stepSeconds"]["restore"] = round(restored * 60, 1) if restored is not None else None
        restore_passed = self.evidence["result"] == "pass"
        self.evidence["result"] = "fail"  # until the upgrade is done

        group = self._create_parameter_group(source)
        self._upgrade(group)
        self.evidence["result"] = "pass" if restore_passed else "fail"

    # -- steps ---------------------------------------------------------------------------------------

    def _create_parameter_group(self, source: Mapping[str, Any]) -> str:
        family = parameter_group_family(self.target)
        self.parameter_group_requested = True  # before the call, so the cleanup tries even if the reply is lost
        self.rds.create_db_parameter_group(
            DBParameterGroupName=self.name,
            DBParameterGroupFamily=family,
            Description=f"Upgrade rehearsal of {self.source.identifier} to {self.target}: deleted after it",
            Tags=self._tags(),
        )
        self.evidence["upgrade"]["parameterGroup"] = self.name
        parameters = self._user_parameters(source)
        for start in range(0, len(parameters), MAX_PARAMETERS_PER_CALL):
            batch = parameters[start : start + MAX_PARAMETERS_PER_CALL]
            self.rds.modify_db_parameter_group(DBParameterGroupName=self.name, Parameters=batch)
        self.evidence["upgrade"]["copiedParameters"] = [p["ParameterName"] for p in parameters]
        return self.name

    def _user_parameters(self, source: Mapping[str, Any]) -> list[dict[str, str]]:
        """The parameters the stack set on the source's group (Source=user), with their apply methods."""
        groups = [g["DBParameterGroupName"] for g in source.get("DBParameterGroups", [])]
        if not groups or groups[0].startswith("default."):
            return []
        found: list[dict[str, str]] = []
        paginator = self.rds.get_paginator("describe_db_parameters")
        for page in paginator.paginate(DBParameterGroupName=groups[0], Source="user"):
            for p in page.get("Parameters", []):
                if "ParameterValue" in p:
                    method = p.get("ApplyMethod") or "pending-reboot"
                    name, value = p["ParameterName"], p["ParameterValue"]
                    found.append({"ParameterName": name, "ParameterValue": value, "ApplyMethod": method})
        return found

    def _upgrade(self, group: str) -> None:
        record = self.evidence["upgrade"]
        before = self._describe(self.name) or {}
        record["engineVersionBefore"] = before.get("EngineVersion")
        record["requestedAt"] = self.evidence_time()
        started = self.clock.monotonic()
        self.rds.modify_db_instance(
            DBInstanceIdentifier=self.name,
            EngineVersion=self.target,
            AllowMajorVersionUpgrade=True,
            DBParameterGroupName=group,
            ApplyImmediately=True,
        )
        seen: list[str] = []

        def check() -> tuple[bool, str]:
            instance = self._describe(self.name)
            if instance is None:
                raise DrillError(f"{self.name} disappeared while upgrading")
            status, version = str(instance.get("DBInstanceStatus")), str(instance.get("EngineVersion"))
            if status in FAILED_STATUSES:
                raise DrillError(f"upgrade of {self.name} failed: instance status {status}")
            if status == READY and major_of(version) == self.target:
                record["engineVersionAfter"] = version
                return True, f"{self.name}: {status} {version}"
            if status == READY and seen:  # it was upgrading and came back on the old major: RDS rolled back
                raise DrillError(
                    f"upgrade of {self.name} to {self.target} did not complete: back to {version}; read its "
                    f"pg_upgrade logs (`aws rds describe-db-log-files --db-instance-identifier {self.name}`)"
                )
            if status != READY:
                seen.append(status)
            return False, f"{self.name}: {status} {version}"

        timeout = self.options.timeout_minutes or UPGRADE_TIMEOUT_MINUTES
        poll(
            check,
            what=f"upgrade of {self.name} to {self.target}",
            timeout=timeout * 60,
            interval=self.options.poll_seconds,
            clock=self.clock,
            progress=self.options.progress,
        )
        self.evidence["stepSeconds"]["upgrade"] = round(self.clock.monotonic() - started, 1)
        record["completedAt"] = self.evidence_time()

    def evidence_time(self) -> str:
        return self.clock.now().isoformat().replace("+00:00", "Z")

    # -- cleanup -------------------------------------------------------------------------------------

    def _cleanup(self) -> None:
        started = self.clock.monotonic()
        record = self.evidence["cleanup"]
        try:
            super()._cleanup()
        finally:
            try:
                if self.parameter_group_requested:
                    errors: list[str] = record["errors"]
                    if record["instanceDeleted"] is False:  # the instance still uses the group
                        errors.append(f"parameter group {self.name} kept: instance {self.name} still exists")
                        record["parameterGroupDeleted"] = False
                    else:
                        record["parameterGroupDeleted"] = self._attempt(errors, self._delete_parameter_group)
                    record["done"] = not errors
                    if record["parameterGroupDeleted"] is not True:
                        print(
                            f"error: delete by hand: aws rds delete-db-parameter-group --db-parameter-group-name "
                            f"{self.name}",
                            file=sys.stderr,
                        )
            finally:
                self.evidence["stepSeconds"]["cleanup"] = round(self.clock.monotonic() - started, 1)

    def _delete_parameter_group(self) -> None:
        def delete() -> tuple[bool, str]:
            try:
                self.rds.delete_db_parameter_group(DBParameterGroupName=self.name)
            except AWS_ERRORS as exc:
                code = error_code(exc)
                if code == "DBParameterGroupNotFound":
                    return True, "not found"
                if code == "InvalidDBParameterGroupState":  # still attached to the instance being deleted
                    return False, f"{self.name}: {code}"
                raise
            return True, f"{self.name}: deleted"

        poll(
            delete,
            what=f"deleting parameter group {self.name}",
            timeout=self.options.cleanup_timeout_minutes * 60,
            interval=self.options.poll_seconds,
            clock=self.clock,
        )


def run(
    outputs: StackOutputs, clients: Clients, target: str, options: Options | None = None
) -> tuple[dict[str, Any], Path]:
    rehearsal = UpgradeRehearsal(outputs, clients, target, options)
    return rehearsal.run(), rehearsal.evidence_path
