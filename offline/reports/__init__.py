"""Report writers for a policy run, one module per format; each exposes `render(run) -> str`."""

from __future__ import annotations

from collections.abc import Callable

from offline.policy_model import PolicyRun
from offline.reports import json, junit, markdown, sarif, table

WRITERS: dict[str, Callable[[PolicyRun], str]] = {
    "txt": table.render,
    "md": markdown.render,
    "json": json.render,
    "sarif": sarif.render,
    "junit.xml": junit.render,
}

__all__ = ["WRITERS"]
