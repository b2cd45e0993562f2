"""What every shape of the evasion corpus is built from: the corpus stack, resource records as the engine records
them (with property dependencies), policy documents, and the `Shape` (a failing and a passing form of one evasion).
Split from evasion.py so groups of shapes can live in their own modules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from offline.plan import ResourceRecord

STACK = "evasion"
PROJECT = "app-platform"
ANY = "*"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def rec(
    type_: str, name: str, inputs: dict[str, Any], **links: ResourceRecord | list[ResourceRecord]
) -> ResourceRecord:
    """A custom resource; `links` are inputs whose value came from other resources (property dependencies)."""
    deps = {k: [r.urn for r in (v if isinstance(v, list) else [v])] for k, v in links.items()}
    return ResourceRecord(
        urn(type_, name),
        type_,
        name,
        True,
        None,
        inputs,
        sorted({u for urns in deps.values() for u in urns}),
        property_dependencies=deps,
    )


def doc(*statements: dict[str, Any], as_json: bool = True) -> Any:
    body = {"Version": "2012-10-17", "Statement": list(statements) if len(statements) != 1 else statements[0]}
    return json.dumps(body) if as_json else body


def allow(action: Any, resource: Any = ANY, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@dataclass
class Shape:
    """One evasion: `policy` must block `subject` in the failing form and not block it in the passing form."""

    id: str
    policy: str
    fail: list[ResourceRecord]
    passing: list[ResourceRecord]
    accept: list[str] = field(default_factory=list)  # acceptUnknown entries for the passing plan

    @property
    def fail_subject(self) -> str:
        """The resource the result is about: the last record of the form."""
        return self.fail[-1].name

    @property
    def pass_subject(self) -> str:
        return self.passing[-1].name
