"""The result of a run as a list of checks: printed as a table or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @classmethod
    def ok(cls, name: str, detail: str) -> Check:
        return cls(name, Status.PASS, detail)

    @classmethod
    def fail(cls, name: str, detail: str) -> Check:
        return cls(name, Status.FAIL, detail)

    @classmethod
    def skip(cls, name: str, detail: str) -> Check:
        return cls(name, Status.SKIP, detail)


def failed(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.status is Status.FAIL]


def table(checks: Sequence[Check]) -> str:
    """Aligned columns CHECK / STATUS / DETAIL, then a one-line summary."""
    rows = [("CHECK", "STATUS", "DETAIL"), *((c.name, c.status.value.upper(), c.detail) for c in checks)]
    name_width = max(len(r[0]) for r in rows)
    status_width = max(len(r[1]) for r in rows)
    lines = [f"{n:<{name_width}}  {s:<{status_width}}  {d}".rstrip() for n, s, d in rows]
    bad = failed(checks)
    summary = f"{len(checks) - len(bad)}/{len(checks)} checks passed" + (f", {len(bad)} failed" if bad else "")
    return "\n".join([*lines, "", summary])


def as_dict(checks: Sequence[Check], **meta: Any) -> dict[str, Any]:
    return {
        **meta,
        "passed": not failed(checks),
        "checks": [{**asdict(c), "status": c.status.value} for c in checks],
    }


def as_json(checks: Sequence[Check], **meta: Any) -> str:
    return json.dumps(as_dict(checks, **meta), indent=2)
