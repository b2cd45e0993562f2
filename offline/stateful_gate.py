"""The stateful gate of pull requests: a stateful replacement or deletion, or a change `pulumi up` would refuse
(a protected resource replaced or deleted), fails the check unless the pull request carries the reviewable opt-in
label. Reads the diff JSON `offline diff --json` / `offline pr-comment --full` writes, so it judges exactly what
the comment shows. docs/runbooks/deploy.md documents the opt-in.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.pr_comment import OPT_IN_LABEL

EXIT_OK, EXIT_USAGE, EXIT_BLOCKED = 0, 2, 3


@dataclass(frozen=True)
class Blocker:
    stack: str
    action: str
    type: str
    name: str
    why: str  # "stateful" or "protected"

    def __str__(self) -> str:
        return f"{self.stack}: {self.action.upper()} {self.type} {self.name} ({self.why})"


def blockers(diff: dict[str, Any]) -> list[Blocker]:
    """Stateful replacements or deletions, and refused (protected) changes, of one diff JSON."""
    stack = str(diff.get("stack", "?"))
    refused = set(diff.get("refused") or [])
    out = []
    for change in diff.get("changes") or []:
        action = change.get("action")
        if action not in ("replace", "delete"):
            continue
        if change.get("refused") or change.get("urn") in refused:
            out.append(Blocker(stack, action, change.get("type", "?"), change.get("name", "?"), "protected"))
        elif change.get("stateful"):
            out.append(Blocker(stack, action, change.get("type", "?"), change.get("name", "?"), "stateful"))
    return out


def parse_labels(text: str) -> set[str]:
    """A JSON array of names (`toJSON(github.event.pull_request.labels.*.name)`), or names separated by newlines."""
    text = text.strip()
    if not text:
        return set()
    if text.startswith("["):
        names = json.loads(text)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("--labels: expected a JSON array of label names")
        return {n.strip() for n in names}
    return {line.strip() for line in text.splitlines() if line.strip()}


def run(diff_files: Sequence[Path], labels_text: str, *, label: str = OPT_IN_LABEL) -> int:
    """0 nothing to block or opted in; 3 blocked; 2 a diff file missing or unreadable (fail closed)."""
    try:
        labels = parse_labels(labels_text)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    found: list[Blocker] = []
    for path in diff_files:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            print(f"error: {path}: cannot read the diff JSON ({exc}); the gate fails closed", file=sys.stderr)
            return EXIT_USAGE
        if not isinstance(data, dict) or "changes" not in data:
            print(f"error: {path}: not a diff JSON written by `offline diff --json`", file=sys.stderr)
            return EXIT_USAGE
        found += blockers(data)
    if not found:
        print("stateful gate: no stateful replacement or deletion, no refused change")
        return EXIT_OK
    listing = "\n".join(f"  - {b}" for b in found)
    if label in labels:
        print(f"stateful gate: allowed by the `{label}` label:\n{listing}")
        return EXIT_OK
    print(
        f"::error::stateful gate: {len(found)} stateful or protected change(s) need the `{label}` label "
        f"(docs/runbooks/deploy.md):\n{listing}",
        file=sys.stderr,
    )
    return EXIT_BLOCKED
