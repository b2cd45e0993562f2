"""What makes a finding the same finding from one run to the next: its rule, its resource (URN) and the property
path it is about. Messages carry observed values and change with them, so they are not identity.

Used for SARIF fingerprints (GitHub code scanning matches alerts across uploads by them) and for "new since the
base branch" in pull requests. Defined once, here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from offline.policy_model import Outcome, Result

# The property path a message is about: a leading `where` ("inlinePolicies[app]", "ingress[0]", "Container api"),
# then the first input path (camelCase, dotted or indexed) or the variable / statement it names.
_WHERE = re.compile(r"^([^:\s]+(?: [^:\s]+)?): ")
_PATH = re.compile(
    r"\b(?:variable|statement|parameter) (\S+?)[,.:]?(?:\s|$)"  # what the message names
    r"|\b([a-z]+[A-Z][\w]*(?:[.\[][\w\]\-.\[]*)?)"  # or the first camelCase input path
)


def property_path(message: str) -> str:
    where = _WHERE.match(message)
    rest = message[where.end() :] if where else message
    found = _PATH.search(rest)
    parts = [where.group(1)] if where else []
    if found:
        parts.append((found.group(1) or found.group(2)).rstrip(".,:"))
    return "/".join(parts)


def identity(result: Result) -> str:
    return f"{result.policy}\0{result.urn}\0{property_path(result.message)}"


def fingerprints(results: Sequence[Result]) -> dict[int, str]:
    """id(result) -> fingerprint; findings that still share an identity are told apart by their order."""
    seen: dict[str, int] = {}
    out: dict[int, str] = {}
    for result in sorted(results, key=lambda r: (identity(r), r.message)):
        key = identity(result)
        seen[key] = seen.get(key, 0) + 1
        suffix = f"\0{seen[key]}" if seen[key] > 1 else ""
        out[id(result)] = hashlib.sha256((key + suffix).encode()).hexdigest()
    return out


def findings(results: Iterable[Result]) -> list[Result]:
    """What code scanning and reviewers get: violations and unevaluated controls, never passes."""
    return [r for r in results if r.outcome in (Outcome.VIOLATION, Outcome.UNKNOWN)]


def new_since(base: Iterable[Result], head: Iterable[Result]) -> list[Result]:
    """Findings of `head` whose identity no finding of `base` has (a changed message is not a new finding)."""
    known = {identity(r) for r in findings(base)}
    return [r for r in findings(head) if identity(r) not in known]
