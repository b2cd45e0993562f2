"""Config keys that moved. The old spelling keeps working, with a deprecation message naming the new key, so
stack files written before the move still deploy; setting both spellings is an error.

Each move names the issue that made it. A move is dropped once no supported stack file uses the old key. A path
segment `<name>` (EACH) stands for every key of a map, so one move covers every service of `services`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from infra.config.errors import Problem, blame

PROJECT = "app-platform"
EACH = "<name>"


@dataclass(frozen=True)
class Moved:
    """One config key that moved: `old` and `new` are paths below the project namespace, where EACH stands for
    every key of a map (at the same place in both, so a service keeps its name)."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    why: str

    def __post_init__(self) -> None:
        wildcards = [i for i, part in enumerate(self.old) if part == EACH]
        if wildcards != [i for i, part in enumerate(self.new) if part == EACH] or (
            wildcards and self.old[: wildcards[-1]] != self.new[: wildcards[-1]]
        ):
            raise ValueError(f"{self.old} -> {self.new}: a {EACH} segment must stay under the same map")

    def instances(self, values: Mapping[str, Any]) -> list[Moved]:
        """This move once per key the config sets where the path says EACH (itself when it says none)."""
        if EACH not in self.old:
            return [self]
        index = self.old.index(EACH)
        node: Any = values
        for part in self.old[:index]:
            node = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            return []
        found: list[Moved] = []
        for key in node:
            if isinstance(key, str):
                at = Moved(_put(self.old, index, key), _put(self.new, index, key), self.why)
                found += at.instances(values)
        return found

    @property
    def old_key(self) -> str:
        return f"{PROJECT}:{'.'.join(self.old)}"

    @property
    def new_key(self) -> str:
        return f"{PROJECT}:{'.'.join(self.new)}"


_DR = "issue #25: the disaster-recovery settings are one group, named as the DisasterRecovery component names them"
_DEPLOY = (
    "issue #25: one `deployment` group, named as ECS's DeploymentConfiguration and the ContainerService "
    "component's Deployment group name it"
)
MOVED: tuple[Moved, ...] = (
    Moved(("database", "drRegion"), ("database", "disasterRecovery", "region"), _DR),
    Moved(("database", "crossRegionBackups"), ("database", "disasterRecovery", "crossRegionBackups"), _DR),
    Moved(("database", "drBackupRetentionDays"), ("database", "disasterRecovery", "replicatedRetentionDays"), _DR),
    Moved(("database", "awsBackup"), ("database", "disasterRecovery", "awsBackup"), _DR),
    Moved(("database", "awsBackupDailyRetentionDays"), ("database", "disasterRecovery", "dailyRetentionDays"), _DR),
    Moved(("database", "awsBackupWeeklyRetentionDays"), ("database", "disasterRecovery", "weeklyRetentionDays"), _DR),
    Moved(("services", EACH, "minHealthyPercent"), ("services", EACH, "deployment", "minimumHealthyPercent"), _DEPLOY),
    Moved(("services", EACH, "maxPercent"), ("services", EACH, "deployment", "maximumPercent"), _DEPLOY),
    Moved(
        ("services", EACH, "healthCheckGraceSeconds"),
        ("services", EACH, "deployment", "healthCheckGraceSeconds"),
        _DEPLOY,
    ),
    Moved(("services", EACH, "stopTimeoutSeconds"), ("services", EACH, "deployment", "stopTimeoutSeconds"), _DEPLOY),
)


class Deprecation(Problem):
    """The notice for one old key the config uses (`key`), which knows the key it moved to (`new_key`)."""

    new_key: str


def _put(path: tuple[str, ...], index: int, key: str) -> tuple[str, ...]:
    return (*path[:index], key, *path[index + 1 :])


def _parent(values: dict[str, Any], path: tuple[str, ...], create: bool) -> dict[str, Any] | None:
    node: Any = values
    for part in path[:-1]:
        if not isinstance(node, dict):
            return None
        if part not in node and create:
            node[part] = {}
        node = node.get(part)
    return node if isinstance(node, dict) else None


def _present(values: dict[str, Any], path: tuple[str, ...]) -> bool:
    parent = _parent(values, path, create=False)
    return parent is not None and path[-1] in parent


def migrate(values: dict[str, Any]) -> tuple[list[Problem], list[Problem]]:
    """Move old keys to their new place in `values` (the project's keys, decoded, without namespace), in place.

    Returns (deprecations, conflicts): one notice per old key used, and one error per key set both ways."""
    deprecations: list[Problem] = []
    conflicts: list[Problem] = []
    for move in (concrete for pattern in MOVED for concrete in pattern.instances(values)):
        if not _present(values, move.old):
            continue
        if _present(values, move.new):
            conflicts.append(
                blame(move.old_key, f"set both this deprecated key and {move.new_key}: keep only {move.new_key}")
            )
            continue
        old_parent = _parent(values, move.old, create=False)
        new_parent = _parent(values, move.new, create=True)
        if old_parent is None or new_parent is None:
            continue
        new_parent[move.new[-1]] = old_parent.pop(move.old[-1])
        notice = Deprecation(
            move.old_key,
            f"{move.old_key}: deprecated, still accepted: rename it to {move.new_key} ({move.why})",
        )
        notice.new_key = move.new_key
        deprecations.append(notice)
    return deprecations, conflicts


def under_old_names(problems: list[Problem], deprecations: list[Problem]) -> list[Problem]:
    """Problems about a moved key, told with the key as the stack file spells it (so its line can be shown)."""
    by_new = {d.new_key: d.key for d in deprecations if isinstance(d, Deprecation)}
    return [Problem(by_new[p.key], str(p).replace(p.key, by_new[p.key], 1)) if p.key in by_new else p for p in problems]


def moved_keys() -> Iterator[tuple[str, str]]:
    """(old key, new key) of every move, for the config reference."""
    for move in MOVED:
        yield move.old_key, move.new_key


def deprecations_in(values: Mapping[str, Any]) -> list[Problem]:
    """The deprecation notices a config would give, without changing it."""
    import copy

    return migrate(copy.deepcopy(dict(values)))[0]
