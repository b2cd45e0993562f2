"""The policy table of policies/README.md, generated from the pack's own declarations so it cannot drift.

    .venv/bin/python -m policies.table            # print the table
    .venv/bin/python -m policies.table --write    # replace it in policies/README.md (between the markers)

tests/policies/test_pack.py fails when the README's table differs from what this prints.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pulumi_policy import Policy, StackValidationPolicy

from policies.rules import POLICIES
from policies.rules.declare import SECURITY_HUB

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- policy-table:start -->", "<!-- policy-table:end -->"
HEADER = "| Row | Policy | Kind | FSBP | Severity | Level | Other anchors |\n|---|---|---|---|---|---|---|"
ANCHORS = ("cdk-nag", "checkov", "awsguard")


def _tags(policy: Policy, kind: str) -> list[str]:
    return [t.split(":", 1)[1] for t in policy.tags or [] if t.split(":", 1)[0] == kind]


def _fsbp(policy: Policy) -> str:
    framework = policy.framework
    if framework is None:
        return "—"
    if framework.name == SECURITY_HUB:
        return f"{framework.reference} (Security Hub, not FSBP)"
    unverified = "fsbp-status:unverified" in (policy.tags or [])
    return f"{framework.reference}{' (unverified)' if unverified else ''}"


def row(policy: Policy) -> str:
    control = _tags(policy, "control")[0]
    kind = "stack" if isinstance(policy, StackValidationPolicy) else "resource"
    severity = policy.severity.value if policy.severity else "—"
    level = policy.enforcement_level.value if policy.enforcement_level else "advisory"
    anchors = ", ".join(a for k in ANCHORS for a in _tags(policy, k)) or "—"
    return f"| {control} | `{policy.name}` | {kind} | {_fsbp(policy)} | {severity} | {level} | {anchors} |"


def _order(policy: Policy) -> tuple[str, int]:
    control = _tags(policy, "control")[0]
    return control[0], int(control[1:])


def table() -> str:
    """Catalogue rows first (C...), then project controls (P...); a control's policies in declaration order."""
    return "\n".join([HEADER, *(row(p) for p in sorted(POLICIES, key=_order))])


def readme_table(text: str) -> str:
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    return found.group(1) if found else ""


def write(path: Path = README) -> None:
    text = path.read_text()
    path.write_text(text.replace(readme_table(text), table(), 1))


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    else:
        print(table())
