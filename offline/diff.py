"""Compare two plans: what a pull request adds, removes and changes, stateful replacements first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from offline.plan import Plan, ResourceRecord
from offline.stateful import STATEFUL_TYPES, replacement_keys


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any


@dataclass
class ResourceChange:
    urn: str
    type: str
    name: str
    action: str  # create | delete | update | replace
    changes: list[PropertyChange] = field(default_factory=list)
    replace_reasons: list[str] = field(default_factory=list)

    @property
    def stateful(self) -> bool:
        return self.type in STATEFUL_TYPES

    @property
    def destructive(self) -> bool:
        return self.stateful and self.action in ("delete", "replace")


@dataclass
class PlanDiff:
    stack: str
    changes: list[ResourceChange]

    def of_action(self, action: str) -> list[ResourceChange]:
        return [c for c in self.changes if c.action == action]

    @property
    def destructive(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.destructive]


def diff_plans(base: Plan, head: Plan) -> PlanDiff:
    before = {r.urn: r for r in base.resources}
    after = {r.urn: r for r in head.resources}
    aliased = {alias for r in head.resources for alias in r.aliases}
    changes: list[ResourceChange] = []
    for urn, record in after.items():
        if urn not in before:
            changes.append(ResourceChange(urn, record.type, record.name, "create"))
            continue
        change = _compare(before[urn], record)
        if change is not None:
            changes.append(change)
    for urn, record in before.items():
        if urn not in after and urn not in aliased:
            changes.append(ResourceChange(urn, record.type, record.name, "delete"))
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    changes.sort(key=lambda c: (not c.destructive, order[c.action], c.type, c.name))
    return PlanDiff(head.stack, changes)


def _compare(old: ResourceRecord, new: ResourceRecord) -> ResourceChange | None:
    props = list(_walk("", old.inputs, new.inputs))
    if not props and old.protect == new.protect:
        return None
    forcing = set(replacement_keys(new.type)) | set(new.replace_on_changes)
    reasons = sorted({p.path for p in props if p.path.split(".")[0].split("[")[0] in forcing})
    if old.type != new.type:
        reasons.append("type changed")
    if old.protect != new.protect:
        props.append(PropertyChange("(protect)", old.protect, new.protect))
    return ResourceChange(new.urn, new.type, new.name, "replace" if reasons else "update", props, reasons)


def _walk(path: str, old: Any, new: Any) -> list[PropertyChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[PropertyChange] = []
        for key in sorted(set(old) | set(new)):
            out.extend(_walk(f"{path}.{key}" if path else key, old.get(key), new.get(key)))
        return out
    if old != new:
        return [PropertyChange(path, old, new)]
    return []


def to_markdown(diff: PlanDiff, *, max_rows: int = 200) -> str:
    """A pull-request comment: the dangerous part first, then a summary, then the details folded away."""
    lines = [f"### Infrastructure plan diff: `{diff.stack}`", ""]
    if diff.destructive:
        lines += [
            "> [!CAUTION]",
            "> **Stateful resources would be replaced or deleted.** Data in them would be lost unless this is",
            "> intended (add an alias for a rename; restore from backup otherwise).",
            ">",
        ]
        for c in diff.destructive:
            why = f" (because of `{'`, `'.join(c.replace_reasons)}`)" if c.replace_reasons else ""
            lines.append(f"> - **{c.action.upper()}** `{c.type}` `{c.name}`{why}")
        lines.append("")
    counts = {a: len(diff.of_action(a)) for a in ("create", "update", "replace", "delete")}
    if not diff.changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"**{counts['create']} to create, {counts['update']} to update, {counts['replace']} to replace, "
        f"{counts['delete']} to delete.**"
    )
    lines += ["", "| | Type | Name | Changed properties |", "|---|---|---|---|"]
    symbol = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}
    for c in diff.changes[:max_rows]:
        props = ", ".join(f"`{p.path}`" for p in c.changes[:6]) + (" ..." if len(c.changes) > 6 else "")
        lines.append(f"| {symbol[c.action]} | `{c.type}` | `{c.name}` | {props} |")
    if len(diff.changes) > max_rows:
        lines.append(f"| | | ... {len(diff.changes) - max_rows} more | |")
    detailed = [c for c in diff.changes if c.changes]
    if detailed:
        lines += ["", "<details><summary>Property changes</summary>", ""]
        for c in detailed:
            lines.append(f"- `{c.name}` ({c.action})")
            lines += [f"  - `{p.path}`: `{_short(p.before)}` → `{_short(p.after)}`" for p in c.changes]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _short(value: Any, limit: int = 80) -> str:
    text = str(value).replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 3] + "..."
