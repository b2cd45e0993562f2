"""RDS for PostgreSQL major versions: which ones a stack may run, and which major upgrades RDS performs in place.

Facts, each with its source and the date it was read. RDS decides the exact targets per minor version
(`aws rds describe-db-engine-versions --engine postgres --engine-version <x.y> --query
"DBEngineVersions[*].ValidUpgradeTarget[*].EngineVersion"`): a source minor that is too old for a target
major fails at `pulumi up` (and in `ops restore-drill --upgrade-to`, which is why the rehearsal comes first).
"""

from __future__ import annotations

from dataclasses import dataclass

ENGINE = "postgres"


@dataclass(frozen=True)
class MajorUpgrade:
    """The majors RDS upgrades one source major to in place, with where that fact comes from."""

    source: str
    """The source major version (e.g. `15`)."""
    targets: tuple[str, ...]
    """Majors RDS accepts as an in-place upgrade target from `source`, oldest first."""
    evidence: str
    """The source of the fact and the date it was read, or why it is not confirmed."""


_TABLE = (
    "RDS User Guide, 'Choosing a major version for an RDS for PostgreSQL upgrade' (upgrade target table), "
    "read 2026-12-03"
)

# Major upgrade targets per source major. 15 -> 16/17 and 16 -> 17 are rows of the table (e.g. 15.13 -> 16.9,
# 17.5; 16.9 -> 17.5); 13 and 14 rows were not in the excerpt read: their targets follow the same rule (every
# later major RDS supports, for a recent enough minor) and are marked as not confirmed.
UPGRADE_TARGETS: dict[str, MajorUpgrade] = {
    "13": MajorUpgrade("13", ("14", "15", "16", "17"), "not confirmed here: inferred from the table's pattern"),
    "14": MajorUpgrade("14", ("15", "16", "17"), "not confirmed here: inferred from the table's pattern"),
    "15": MajorUpgrade("15", ("16", "17"), _TABLE),
    "16": MajorUpgrade("16", ("17",), _TABLE),
    "17": MajorUpgrade("17", (), _TABLE + ": 17 is the newest major in the table, no major target"),
}

# Majors a stack may run: the ones above. Their end-of-standard-support dates were not read here (unsourced):
# check the RDS PostgreSQL release calendar before choosing 13 or 14.
SUPPORTED_MAJORS: tuple[str, ...] = tuple(UPGRADE_TARGETS)


def parameter_group_family(major: str) -> str:
    """`postgres<major>`: the DB parameter group family of a major version (10 and later)."""
    return f"{ENGINE}{major}"


def upgrade_problem(source: str, target: str) -> str | None:
    """Why RDS would refuse an in-place major upgrade `source` -> `target`, or None when it is a valid target."""
    if source not in UPGRADE_TARGETS:
        return f"{source} is not a supported major version (one of {', '.join(SUPPORTED_MAJORS)})"
    if source == target:
        return f"the instance already runs {target}: remove the setting once the upgrade is deployed"
    if int(target) < int(source):
        return f"RDS cannot downgrade {source} -> {target}: restore the pre-upgrade snapshot instead"
    upgrade = UPGRADE_TARGETS[source]
    if target not in upgrade.targets:
        allowed = ", ".join(upgrade.targets) or "none"
        return f"{source} -> {target} is not an RDS upgrade target (from {source}: {allowed}; {upgrade.evidence})"
    return None
