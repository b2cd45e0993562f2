"""The plan: every resource the program declares, as the engine received it. JSON in, JSON out."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

SECRET = "[secret]"
UNKNOWN = "[unknown]"
PLAN_VERSION = 1


@dataclass
class ResourceRecord:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    provider: str | None = None
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    aliases: list[str] = field(default_factory=list)
    secret_paths: list[str] = field(default_factory=list)
    # Top-level input -> URNs its value came from (what the engine hands policies as propertyDependencies).
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # "components/x.py:42": the line of this repository that declared the resource (reports point at the code).
    source: str | None = None


@dataclass
class Plan:
    project: str
    stack: str
    resources: list[ResourceRecord]
    outputs: dict[str, Any]
    version: int = PLAN_VERSION

    # -- queries used by the tests, the diff and the policy runner -------------------------------------
    def of_type(self, type_: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> ResourceRecord:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise LookupError(f"expected one {type_}{f' named {name}' if name else ''}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> ResourceRecord:
        for record in self.resources:
            if record.urn == urn:
                return record
        raise LookupError(urn)

    def children(self, urn: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, urn: str) -> Iterator[ResourceRecord]:
        for child in self.children(urn):
            yield child
            yield from self.descendants(child.urn)

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    # -- serialisation -----------------------------------------------------------------------------------
    def to_json(self) -> str:
        # The fields as they are, not `dataclasses.asdict`: that deep-copies every input first (a third of the
        # time); records are the only nested dataclasses, and the text is the same.
        data = {**_fields(self), "resources": [_fields(r) for r in self.resources]}
        return json.dumps(data, indent=2, sort_keys=True, default=str)

    def __deepcopy__(self, memo: dict[int, Any]) -> Plan:
        """A plan is plain data (str, numbers, lists, dicts): a pickle round trip copies it about five times faster
        than the generic deepcopy, and tests copy the rendered plans hundreds of times."""
        copied: Plan = pickle.loads(pickle.dumps(self, pickle.HIGHEST_PROTOCOL))
        memo[id(self)] = copied
        return copied

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        if data.get("version") != PLAN_VERSION:
            raise ValueError(f"plan version {data.get('version')} is not {PLAN_VERSION}; re-render both plans")
        resources = [ResourceRecord(**r) for r in data["resources"]]
        return cls(data["project"], data["stack"], resources, data["outputs"], data["version"])

    @classmethod
    def read(cls, path: Path) -> Plan:
        return cls.from_json(path.read_text())


def _fields(record: Plan | ResourceRecord) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def render_tree(plan: Plan) -> str:
    """Resources grouped under the component that owns them, with counts, like `pulumi preview` shows."""
    lines = [f"{plan.project}/{plan.stack}: {len(plan.resources)} resources"]
    roots = [
        r for r in plan.resources if r.parent is None or r.parent.endswith("pulumi:pulumi:Stack::" + _stack_name(plan))
    ]

    def walk(record: ResourceRecord, depth: int) -> None:
        children = plan.children(record.urn)
        if record.custom:
            lines.append(f"{'  ' * depth}+ {record.type}  {record.name}{'  [protect]' if record.protect else ''}")
            return
        total = sum(1 for r in plan.descendants(record.urn) if r.custom)
        lines.append(f"{'  ' * depth}+ {record.type}  {record.name}  ({total} resources)")
        counts = Counter(c.type for c in children if c.custom)
        shown_custom: set[str] = set()
        for child in children:
            if not child.custom:
                walk(child, depth + 1)
            elif counts[child.type] > 3:
                if child.type not in shown_custom:
                    shown_custom.add(child.type)
                    lines.append(f"{'  ' * (depth + 1)}+ {child.type}  x{counts[child.type]}")
            else:
                walk(child, depth + 1)

    for root in roots:
        walk(root, 1)
    return "\n".join(lines)


def _stack_name(plan: Plan) -> str:
    return f"{plan.project}-{plan.stack}"
