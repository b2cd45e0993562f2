"""Compare two plans: what a pull request adds, removes, changes and replaces, and why.

Every replacement carries its causes: an input the provider cannot change in place (offline/data/replacements.json,
read from the provider sources), a provider CustomizeDiff rule, a region move, a `replaceOnChanges` option, or a
dependency that is itself replaced (its outputs are unknown until it is re-created, so a dependent whose
replace-forcing input comes from it is replaced too, transitively). Replacing or deleting a `protect`ed resource
is refused by `pulumi up`; the diff says so and points to the reviewed path. JSON strings (policies, dashboard
bodies, container definitions) are compared as JSON: the changed keys are listed, not truncated strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from offline.plan import Plan, ResourceRecord
from offline.stateful import (
    PROVIDER_TYPE_PREFIX,
    RULES,
    RUNBOOK,
    STATEFUL_TYPES,
    TYPES,
    matches,
    region_forces,
)

UNKNOWN = "(known after the replacement)"
# Inputs that set a resource's physical name. A create-before-replace keeping one needs that name free while the
# old resource still exists, which AWS refuses for most types (Pulumi's auto-naming exists to avoid this).
NAME_INPUTS = ("name", "identifier", "bucket", "alarmName", "dashboardName", "repositoryName", "clusterName")
# Inputs that scope a name: a replacement that moves the resource to a new scope does not collide.
SCOPE_INPUTS = ("vpcId",)
_LIST_KEYS = ("name", "Name", "Sid", "id", "key")
# Database types whose `engineVersion` changes in place (ModifyDBInstance / ModifyDBCluster): a new major there is
# an engine upgrade with downtime that cannot be undone in place (RDS User Guide, "Upgrading a DB instance engine
# version": Multi-AZ primary and standby are upgraded together, the instance is unavailable until it completes).
ENGINE_TYPES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
UPGRADE_RUNBOOK = "docs/runbooks/database-upgrade.md"
# ECS strategies that alternate a service between two target groups: leaving one for ROLLING points the listener
# rule at the group declared first, which holds no tasks after every other release (docs/runbooks/deploy.md).
SERVICE_TYPE = "aws:ecs/service:Service"
ALTERNATING_STRATEGIES = frozenset({"BLUE_GREEN", "CANARY", "LINEAR"})
STRATEGY_RUNBOOK = "docs/runbooks/deploy.md#changing-the-strategy-of-a-deployed-service"


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any
    # For a JSON string: the changed paths inside the parsed document (the strings themselves stay in before/after).
    json_changes: tuple[PropertyChange, ...] = ()
    # The new value comes from a replaced resource's output: unknown until that resource is re-created.
    unknown: bool = False
    # Both values are JSON documents that parse equal: only the formatting or key order changed.
    json_equal: bool = False


@dataclass(frozen=True)
class Reason:
    """Why a resource is replaced.

    kind: input | conditional | region | replaceOnChanges | type | dependency | provider.
    """

    kind: str
    path: str
    detail: str = ""
    via: str = ""  # the URN of the replaced dependency (dependency, provider)

    def __str__(self) -> str:
        if self.kind == "dependency":
            return f"{self.path} depends on replaced {_label(self.via)}"
        if self.kind == "provider":
            return f"depends on replaced provider {_label(self.via)}"
        return self.path


@dataclass
class ResourceChange:
    urn: str
    type: str
    name: str
    action: str  # create | delete | update | replace
    changes: list[PropertyChange] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    protected: bool = False  # protected in the current state (the base plan) and in the new program
    delete_before_replace: bool = False

    @property
    def replace_reasons(self) -> list[str]:
        return [str(r) for r in self.reasons]

    @property
    def stateful(self) -> bool:
        return self.type in STATEFUL_TYPES

    @property
    def destructive(self) -> bool:
        return self.stateful and self.action in ("delete", "replace")

    @property
    def refused(self) -> bool:
        """`pulumi up` stops: it does not replace or delete a protected resource."""
        return self.protected and self.action in ("delete", "replace")

    @property
    def name_collision(self) -> str | None:
        """The physical-name input a create-before-replace keeps (the create would collide with the old one)."""
        if self.action != "replace" or self.delete_before_replace:
            return None
        if any(r.path in SCOPE_INPUTS for r in self.reasons):
            return None
        return self.kept_name

    kept_name: str | None = None  # set by diff_plans: an unchanged explicit physical-name input
    # Why the provider would reject this change at plan time (`pulumi preview` and `up` fail).
    plan_errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MajorUpgrade:
    """A database engine moving to another major version: listed first, whatever else the diff holds."""

    urn: str
    type: str
    name: str
    before: str
    after: str
    allowed: bool  # allowMajorVersionUpgrade in the new program: without it RDS refuses the modification

    @property
    def downgrade(self) -> bool:
        return _major(self.after) < _major(self.before)


@dataclass
class PlanDiff:
    stack: str
    changes: list[ResourceChange]
    # Custom resource types in either plan without replacement data: their updates might really be replacements.
    types_without_data: list[str] = field(default_factory=list)
    major_upgrades: list[MajorUpgrade] = field(default_factory=list)
    # ECS services leaving blue/green, canary or linear for rolling: a traffic risk no replacement shows.
    back_to_rolling: list[ResourceChange] = field(default_factory=list)

    def of_action(self, action: str) -> list[ResourceChange]:
        return [c for c in self.changes if c.action == action]

    def get(self, type_: str, name: str) -> ResourceChange:
        found = [c for c in self.changes if c.type == type_ and c.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} changes of {type_} {name}")
        return found[0]

    @property
    def destructive(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.destructive]

    @property
    def refused(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.refused]

    @property
    def rejected(self) -> list[ResourceChange]:
        """Changes the provider rejects at plan time."""
        return [c for c in self.changes if c.plan_errors]


def diff_plans(base: Plan, head: Plan) -> PlanDiff:
    before = {r.urn: r for r in base.resources}
    after = {r.urn: r for r in head.resources}
    aliased = {alias for r in head.resources for alias in r.aliases}
    regions = {r.urn: r.inputs.get("region") for r in [*base.resources, *head.resources] if _is_provider(r)}
    changes: dict[str, ResourceChange] = {}
    for urn, record in after.items():
        if urn not in before:
            old_urn = next((a for a in record.aliases if a in before), None)
            if old_urn is None:
                changes[urn] = ResourceChange(urn, record.type, record.name, "create")
                continue
            change = _compare(before[old_urn], record, regions)
        else:
            change = _compare(before[urn], record, regions)
        if change is not None:
            changes[urn] = change
    _cascade(changes, before, after, aliased)
    for change in changes.values():
        record = after[change.urn]
        change.kept_name = next(
            (
                k
                for k in NAME_INPUTS
                if isinstance(record.inputs.get(k), str) and _old(record, before, k) == record.inputs[k]
            ),
            None,
        )
    result = list(changes.values())
    for urn, record in before.items():
        if urn not in after and urn not in aliased:
            result.append(ResourceChange(urn, record.type, record.name, "delete", protected=record.protect))
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    result.sort(key=lambda c: (not c.refused, not c.destructive, order[c.action], c.type, c.name))
    missing = sorted({r.type for r in [*base.resources, *head.resources] if r.custom and r.type not in TYPES})
    return PlanDiff(head.stack, result, missing, _major_upgrades(result, after), _back_to_rolling(result))


def _major(version: Any) -> int:
    """The major of a PostgreSQL version (10 and later: the first number, `16` or `16.4` -> 16); -1 if unknown."""
    head = str(version or "").split(".", maxsplit=1)[0]
    return int(head) if head.isdigit() else -1


def _major_upgrades(changes: list[ResourceChange], after: dict[str, ResourceRecord]) -> list[MajorUpgrade]:
    found = []
    for c in changes:
        version = next((p for p in c.changes if p.path == "engineVersion"), None)
        if c.type not in ENGINE_TYPES or version is None or version.unknown:
            continue
        if _major(version.before) != _major(version.after) and version.before is not None:
            allowed = after[c.urn].inputs.get("allowMajorVersionUpgrade") is True
            found.append(MajorUpgrade(c.urn, c.type, c.name, str(version.before), str(version.after), allowed))
    return found


def _strategy(value: Any, path: str) -> str:
    """The strategy a `deploymentConfiguration` (or its `strategy` leaf) sets; ECS's default when none."""
    if path == "deploymentConfiguration":
        value = value.get("strategy") if isinstance(value, dict) else None
    return str(value or "ROLLING").upper()


def _back_to_rolling(changes: list[ResourceChange]) -> list[ResourceChange]:
    found = []
    for c in changes:
        if c.type != SERVICE_TYPE or c.action != "update":
            continue
        for p in c.changes:
            if p.path in ("deploymentConfiguration", "deploymentConfiguration.strategy") and not p.unknown:
                before, after = _strategy(p.before, p.path), _strategy(p.after, p.path)
                if before in ALTERNATING_STRATEGIES and after == "ROLLING":
                    found.append(c)
                    break
    return found


def _old(record: ResourceRecord, before: dict[str, ResourceRecord], key: str) -> Any:
    old = before.get(record.urn) or next((before[a] for a in record.aliases if a in before), None)
    return None if old is None else old.inputs.get(key)


def _is_provider(record: ResourceRecord) -> bool:
    return record.type.startswith(PROVIDER_TYPE_PREFIX)


def _provider_urn(reference: str | None) -> str:
    """A provider reference is its URN, optionally followed by `::<id>` (the engine's form): the URN."""
    parts = (reference or "").split("::")
    return "::".join(parts[:4])


def _compare(old: ResourceRecord, new: ResourceRecord, regions: dict[str, Any]) -> ResourceChange | None:
    props = [p for p in _walk("", old.inputs, new.inputs) if not _ignored(p.path, new.ignore_changes)]
    if not props and old.protect == new.protect:
        return None
    reasons = _reasons(old, new, props, regions)
    data = TYPES.get(new.type)
    errors = [
        f"`{rule.path}`: {rule.why}"
        for rule in (data.plan_errors if data else ())
        if any(matches(p.path, rule.path) for p in props) and RULES[rule.rule](old.inputs, new.inputs, rule.path)
    ]
    if old.type != new.type:
        reasons.append(Reason("type", "type changed", f"{old.type} -> {new.type}"))
    if old.protect != new.protect:
        props.append(PropertyChange("(protect)", old.protect, new.protect))
    return ResourceChange(
        new.urn,
        new.type,
        new.name,
        "replace" if reasons else "update",
        props,
        reasons,
        protected=old.protect and new.protect,
        delete_before_replace=new.delete_before_replace,
        plan_errors=errors,
    )


def _reasons(
    old: ResourceRecord, new: ResourceRecord, props: list[PropertyChange], regions: dict[str, Any]
) -> list[Reason]:
    data = TYPES.get(new.type)
    changed = [p.path for p in props]
    reasons: list[Reason] = []
    seen: set[str] = set()

    def add(reason: Reason) -> None:
        if reason.path not in seen:
            seen.add(reason.path)
            reasons.append(reason)

    for path in changed:
        if data is not None and any(matches(path, f) for f in data.replace_on):
            add(Reason("input", path))
        if any(path == r or path.startswith(r + ".") or r == "*" for r in new.replace_on_changes):
            add(Reason("replaceOnChanges", path, "the resource's replaceOnChanges option"))
    for cond in data.conditional if data is not None else ():
        hits = [p for p in changed if any(matches(p, c) for c in cond.paths)]
        if hits and RULES[cond.rule](old.inputs, new.inputs, cond.paths[0]):
            for path in hits:
                add(Reason("conditional", path, cond.why))
    if new.type.startswith("aws:") and "region" in changed:
        provider_region = regions.get(_provider_urn(new.provider))
        if region_forces(old.inputs.get("region"), new.inputs.get("region"), provider_region):
            add(Reason("region", "region", "a move to another region (forceNewIfRegionChanges)"))
    order = {p: i for i, p in enumerate(changed)}
    return sorted(reasons, key=lambda r: (r.kind != "input", order.get(r.path, 0), r.path))


def _ignored(path: str, ignore_changes: list[str]) -> bool:
    return any(path == i or path.startswith(i + ".") or path.startswith(i + "[") for i in ignore_changes)


def _cascade(
    changes: dict[str, ResourceChange],
    before: dict[str, ResourceRecord],
    after: dict[str, ResourceRecord],
    aliased: set[str],
) -> None:
    """Replace dependents of replaced resources, transitively; mark the other inputs they feed as unknown."""
    dependents: dict[str, list[tuple[ResourceRecord, str]]] = {}
    for record in after.values():
        for key, urns in record.property_dependencies.items():
            for urn in urns:
                dependents.setdefault(urn, []).append((record, key))
        if record.provider:
            dependents.setdefault(_provider_urn(record.provider), []).append((record, "(provider)"))
    queue = [urn for urn, c in changes.items() if c.action == "replace"]
    while queue:
        replaced = queue.pop(0)
        for record, key in dependents.get(replaced, []):
            old = before.get(record.urn) or next((before[a] for a in record.aliases if a in before), None)
            if old is None or record.urn == replaced:
                continue
            change = changes.get(record.urn)
            if change is None:
                change = changes[record.urn] = ResourceChange(
                    record.urn,
                    record.type,
                    record.name,
                    "update",
                    protected=old.protect and record.protect,
                    delete_before_replace=record.delete_before_replace,
                )
            if key == "(provider)":
                reason = Reason("provider", "(provider)", via=replaced)
            else:
                if key not in {p.path.split(".")[0].split("[")[0] for p in change.changes}:
                    change.changes.append(PropertyChange(key, old.inputs.get(key), UNKNOWN, unknown=True))
                data = TYPES.get(record.type)
                if data is None or key not in data.forcing_roots():
                    continue
                reason = Reason("dependency", key, via=replaced)
            if any(r.kind == reason.kind and r.path == reason.path and r.via == reason.via for r in change.reasons):
                continue
            change.reasons.append(reason)
            if change.action != "replace":
                change.action = "replace"
                queue.append(record.urn)


def _label(urn: str) -> str:
    """`Vpc network` for a resource URN; just the name for a provider."""
    type_, _, name = urn.rpartition("::")
    type_ = type_.rsplit("$", 1)[-1]
    return name if type_.startswith(PROVIDER_TYPE_PREFIX) else f"{type_.rsplit(':', 1)[-1]} {name}"


# -- property walking ---------------------------------------------------------------------------------------


def _walk(path: str, old: Any, new: Any) -> list[PropertyChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[PropertyChange] = []
        for key in sorted(set(old) | set(new), key=str):
            out.extend(_walk(f"{path}.{key}" if path else str(key), old.get(key), new.get(key)))
        return out
    if isinstance(old, list) and isinstance(new, list):
        keyed = _keyed(old, new)
        if keyed is not None:
            out = []
            for label, (a, b) in keyed.items():
                out.extend(_walk(f"{path}[{label}]", a, b))
            before = [k for k, (a, b) in keyed.items() if a is not None and b is not None]
            after = [k for k in _order(new, keyed) if k in before]
            if before != after:  # the same elements, reordered
                out.append(PropertyChange(f"{path}(order)", before, after))
            return out
        if len(old) == len(new):
            out = []
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                out.extend(_walk(f"{path}[{i}]", a, b))
            return out
    if old == new:
        return []
    if isinstance(old, str) and isinstance(new, str):
        parsed = _json(old), _json(new)
        if parsed[0] is not None and parsed[1] is not None:
            inner = tuple(_walk("", *parsed))
            return [PropertyChange(path, old, new, inner, json_equal=not inner)]
    return [PropertyChange(path, old, new)]


def _keyed(old: list[Any], new: list[Any]) -> dict[str, tuple[Any, Any]] | None:
    """Align two lists of objects by a naming key (name, Sid, ...) when every element has a distinct one."""
    items = [*old, *new]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _LIST_KEYS:
        if all(isinstance(i.get(key), str) for i in items):
            a = {i[key]: i for i in old}
            b = {i[key]: i for i in new}
            if len(a) == len(old) and len(b) == len(new):
                labels = list(dict.fromkeys([*a, *b]))
                return {f"{key}={label}": (a.get(label), b.get(label)) for label in labels}
    return None


def _order(new: list[Any], keyed: dict[str, tuple[Any, Any]]) -> list[str]:
    """The labels of `keyed` in the order of the new list."""
    position = {id(b): label for label, (_, b) in keyed.items() if b is not None}
    return [position[id(item)] for item in new]


def _json(text: str) -> Any:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


# -- output ---------------------------------------------------------------------------------------------------


def to_markdown(diff: PlanDiff, *, max_rows: int = 200, max_details_chars: int = 8000) -> str:
    """A pull-request comment: what `pulumi up` would refuse, data at risk, every replacement with its causes,
    then a summary and the property changes folded away (cut at `max_details_chars`: the comment holds both
    stacks and their policy reports under GitHub's size limit; `--json` keeps every change)."""
    lines = [f"### Infrastructure plan diff: `{diff.stack}`", "", *upgrade_lines(diff), *rolling_switch_lines(diff)]
    lines += _risk_lines(diff)
    if not diff.changes:
        lines.append("No changes.")
        lines += _missing(diff)
        return "\n".join(lines) + "\n"
    counts = {a: len(diff.of_action(a)) for a in ("create", "update", "replace", "delete")}
    lines.append(
        f"**{counts['create']} to create, {counts['update']} to update, {counts['replace']} to replace, "
        f"{counts['delete']} to delete.**"
    )
    lines += body_lines(diff, max_rows=max_rows, max_details_chars=max_details_chars)
    lines += _missing(diff)
    return "\n".join(lines) + "\n"


def body_lines(diff: PlanDiff, *, max_rows: int = 200, max_details_chars: int = 8000) -> list[str]:
    """Everything after the alerts and counts: replacements with causes, the change table, property changes
    (the pull-request comment folds these and shrinks them to its budget)."""
    return [*_replacement_lines(diff), *_table_lines(diff, max_rows), *_details_lines(diff, max_details_chars)]


def rolling_switch_lines(diff: PlanDiff) -> list[str]:
    """Services going back to rolling: the check to run before merging (also in the pull-request comment)."""
    if not diff.back_to_rolling:
        return []
    lines = [
        "> [!WARNING]",
        "> **Services leave blue/green, canary or linear for rolling.** After every other release a service runs",
        "> in its `-alt` target group; this change points its rule at the other one, empty until the rolling",
        "> deployment fills it. Check which group serves first and, if it is `-alt`, release once more before",
        f"> switching: [{STRATEGY_RUNBOOK}]({STRATEGY_RUNBOOK}).",
        ">",
    ]
    lines += [f"> - **BACK TO ROLLING** `{c.type}` `{c.name}`" for c in diff.back_to_rolling]
    return [*lines, ""]


def upgrade_lines(diff: PlanDiff) -> list[str]:
    """Major engine upgrades, above everything: downtime, no way back in place, and the runbook (also the first
    lines of a stack in the pull-request comment)."""
    if not diff.major_upgrades:
        return []
    lines = [
        "> [!CAUTION]",
        "> **Database major version upgrade: downtime, and irreversible in place.** The instance is unavailable",
        "> for the whole upgrade (a Multi-AZ standby is upgraded at the same time, not failed over to); the only",
        "> way back is a restore of the pre-upgrade snapshot, losing what was written since. Take the snapshot",
        "> (`ops db-snapshot --reason pre-upgrade`) and rehearse (`ops restore-drill --upgrade-to <major>`) first:",
        f"> [{UPGRADE_RUNBOOK}]({UPGRADE_RUNBOOK}).",
        ">",
    ]
    for u in diff.major_upgrades:
        line = f"> - **MAJOR UPGRADE** `{u.type}` `{u.name}`: engine `{u.before}` → `{u.after}`"
        if u.downgrade:
            line += ": **RDS cannot downgrade**; restore the pre-upgrade snapshot instead"
        elif not u.allowed:
            line += ": **RDS will refuse it**, `allowMajorVersionUpgrade` is false (set `database.majorUpgradeFrom`)"
        lines.append(line)
    return [*lines, ""]


def _risk_lines(diff: PlanDiff) -> list[str]:
    """The alerts a reviewer must read first: refused, rejected, then destructive changes."""
    lines: list[str] = []
    if diff.refused:
        lines += [
            "> [!WARNING]",
            "> **`pulumi up` would refuse this change:** protected resources would be replaced or deleted.",
            f"> The reviewed path to change a protected resource is in `{RUNBOOK}`.",
            ">",
        ]
        lines += [f"> - **{c.action.upper()} REFUSED** `{c.type}` `{c.name}`{_because(c)}" for c in diff.refused]
        lines.append("")
    if diff.rejected:
        lines += [
            "> [!WARNING]",
            "> **The provider would reject these changes** (`pulumi preview` and `up` fail):",
            ">",
        ]
        for c in diff.rejected:
            lines += [f"> - `{c.type}` `{c.name}`: {error}" for error in c.plan_errors]
        lines.append("")
    if diff.destructive:
        lines += [
            "> [!CAUTION]",
            "> **Stateful resources would be replaced or deleted.** Data in them would be lost unless this is",
            "> intended (add an alias for a rename; restore from backup otherwise).",
            ">",
        ]
        lines += [f"> - **{c.action.upper()}** `{c.type}` `{c.name}`{_because(c)}" for c in diff.destructive]
        lines.append("")
    return lines


def _replacement_lines(diff: PlanDiff) -> list[str]:
    replaced = diff.of_action("replace")
    if not replaced:
        return []
    lines = ["", "#### Replacements", ""]
    for c in replaced:
        order = "delete, then create: gone in between" if c.delete_before_replace else "create, then delete"
        refused = " **refused: protected**" if c.refused else ""
        lines.append(f"- `{c.type}` `{c.name}` ({order}){refused}{_because(c)}")
        if c.name_collision:
            lines.append(
                f"  - keeps its `{c.name_collision}` while the new one is created first: AWS rejects the"
                " duplicate name for most types; set `deleteBeforeReplace` or change the name"
            )
    return lines


def _table_lines(diff: PlanDiff, max_rows: int) -> list[str]:
    lines = ["", "| | Type | Name | Changed properties |", "|---|---|---|---|"]
    symbol = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}
    for c in diff.changes[:max_rows]:
        props = ", ".join(f"`{p.path}`" for p in c.changes[:6]) + (" ..." if len(c.changes) > 6 else "")
        lines.append(f"| {symbol[c.action]} | `{c.type}` | `{c.name}` | {props} |")
    if len(diff.changes) > max_rows:
        lines.append(f"| | | ... {len(diff.changes) - max_rows} more | |")
    return lines


def _details_lines(diff: PlanDiff, max_chars: int) -> list[str]:
    """Property changes, folded, cut at `max_chars` (the JSON diff keeps every change)."""
    detailed = [c for c in diff.changes if c.changes]
    if not detailed:
        return []
    lines = ["", "<details><summary>Property changes</summary>", ""]
    used = 0
    for shown, c in enumerate(detailed):
        block = [f"- `{c.name}` ({c.action}, `{c.type}`)"]
        for p in c.changes:
            block += _property_lines(p)
        used += sum(len(line) + 1 for line in block)
        if used > max_chars and shown:
            lines.append(f"- ... {len(detailed) - shown} more resources: the JSON diff (`--json`) lists them all")
            break
        lines += block
    return [*lines, "", "</details>"]


def _because(change: ResourceChange) -> str:
    if not change.reasons:
        return ""
    parts = []
    for r in change.reasons:
        if r.kind == "dependency":
            parts.append(f"`{r.path}` depends on replaced `{_label(r.via)}`")
        elif r.kind == "provider":
            parts.append(f"depends on replaced provider `{_label(r.via)}`")
        elif r.kind in ("conditional", "region", "replaceOnChanges"):
            parts.append(f"`{r.path}` ({r.detail})")
        else:
            parts.append(f"`{r.path}`")
    return f" (because of {', '.join(parts)})"


def _property_lines(p: PropertyChange, max_json: int = 25) -> list[str]:
    if p.unknown:
        return [f"  - `{p.path}`: `{_short(p.before)}` → {UNKNOWN}"]
    if p.json_equal:
        return [f"  - `{p.path}`: JSON reformatted, no key or value changed"]
    if p.json_changes:
        out = [f"  - `{p.path}` (JSON, {len(p.json_changes)} changed):"]
        out += [
            f"    - `{j.path or '(root)'}`: `{_short(j.before)}` → `{_short(j.after)}`"
            for j in p.json_changes[:max_json]
        ]
        if len(p.json_changes) > max_json:
            out.append(f"    - ... {len(p.json_changes) - max_json} more")
        return out
    return [f"  - `{p.path}`: `{_short(p.before)}` → `{_short(p.after)}`"]


def _missing(diff: PlanDiff) -> list[str]:
    if not diff.types_without_data:
        return []
    return [
        "",
        "> [!NOTE]",
        "> No replacement data for " + ", ".join(f"`{t}`" for t in diff.types_without_data) + ": their updates",
        "> may be replacements (add them to `offline/data/replacements.json`).",
    ]


def to_json(diff: PlanDiff) -> dict[str, Any]:
    """The diff as data (for tools and the --json option): every change with its causes and property paths."""

    def prop(p: PropertyChange) -> dict[str, Any]:
        out: dict[str, Any] = {"path": p.path}
        if p.json_changes or p.json_equal:
            out["json"] = [prop(j) for j in p.json_changes]
        else:
            out["before"], out["after"] = p.before, (None if p.unknown else p.after)
        if p.unknown:
            out["unknown"] = True
        return out

    return {
        "stack": diff.stack,
        "counts": {a: len(diff.of_action(a)) for a in ("create", "update", "replace", "delete")},
        "refused": [c.urn for c in diff.refused],
        "rejected": [c.urn for c in diff.rejected],
        "runbook": RUNBOOK if diff.refused else None,
        "typesWithoutData": diff.types_without_data,
        "majorUpgrades": _upgrades_json(diff),
        "backToRolling": [c.urn for c in diff.back_to_rolling],
        "changes": [
            {
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "action": c.action,
                "stateful": c.stateful,
                "protected": c.protected,
                "refused": c.refused,
                "deleteBeforeReplace": c.delete_before_replace,
                "nameCollision": c.name_collision,
                "planErrors": c.plan_errors,
                "reasons": [
                    {
                        "kind": r.kind,
                        "path": r.path,
                        "text": str(r),
                        **({"detail": r.detail} if r.detail else {}),
                        **({"via": r.via} if r.via else {}),
                    }
                    for r in c.reasons
                ],
                "properties": [prop(p) for p in c.changes],
            }
            for c in diff.changes
        ],
    }


def _upgrades_json(diff: PlanDiff) -> list[dict[str, Any]]:
    return [
        {
            "urn": u.urn,
            "type": u.type,
            "name": u.name,
            "from": u.before,
            "to": u.after,
            "allowMajorVersionUpgrade": u.allowed,
            "downgrade": u.downgrade,
            "downtime": True,
            "reversible": False,
            "runbook": UPGRADE_RUNBOOK,
        }
        for u in diff.major_upgrades
    ]


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 3] + "..."
