"""Small readers over recorded plans and stack config, shared by the tests."""

from __future__ import annotations

import functools
import json
from typing import Any

from offline.plan import Plan, ResourceRecord
from offline.project import load_stack
from offline.render import render


@functools.cache
def rendered(stack: str) -> Plan:
    """The real stack, rendered once per test process and shared (never mutate it: deep-copy first)."""
    return render(stack)


def policy(record: ResourceRecord, key: str = "policy") -> dict[str, Any]:
    """A JSON policy input, parsed."""
    value = record.inputs[key]
    return json.loads(value) if isinstance(value, str) else dict(value)


def stack_config(stack: str, **sections: Any) -> tuple[dict[str, str], set[str]]:
    """The stack's raw config with whole sections replaced or merged (`network={"azCount": 1}`)."""
    settings = load_stack(stack)
    raw = dict(settings.config)
    for key, value in sections.items():
        full = key if ":" in key else f"app-platform:{key}"
        current = raw.get(full)
        if isinstance(value, dict) and current and current.startswith("{"):
            merged = json.loads(current)
            merged.update(value)
            raw[full] = json.dumps(merged)
        else:
            raw[full] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return raw, set(settings.secret_keys)


def in_component(plan: Plan, component_type: str, type_: str) -> list[ResourceRecord]:
    parents = {r.urn for r in plan.resources if r.type == component_type}
    return [r for r in plan.resources if r.type == type_ and r.parent in parents]
