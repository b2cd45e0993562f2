"""`pulumi.runtime.rpc.contains_unknowns` without the garbage cycle the SDK's version leaves on every call.

The SDK's function defines a recursive closure each time it runs; the closure refers to itself through its cell,
so every call leaves a cycle (function, cell, annotations) that only the cyclic collector can free. A production
render made about 13,000 such calls: some 66,000 of the 88,000 objects of garbage it left, and collecting them
cost 0.12-0.15 s of CPU per render (measured, 2026-12-03). `contains_unknowns` here walks the same way from
module level, which leaves nothing behind. The offline engine installs it for the length of a render (`installed`),
as it does `offline.stack_traces`; `pulumi preview`/`up` never import this module. tests/test_unknowns.py holds
the SDK's function to the text this was written from, so an SDK upgrade that changes it fails there first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc


def contains_unknowns(val: Any) -> bool:
    """True when `val`, or any dict value or list item below it, is the engine's unknown (the SDK's answer).
    Most calls get a scalar: answered without the walk."""
    if isinstance(val, Unknown):
        return True
    return isinstance(val, (dict, list)) and _contains(val, set())


def _contains(container: dict[Any, Any] | list[Any], seen_ids: set[int]) -> bool:
    """The SDK's walk: depth first, dict values read with `[key]` (output types translate keys there), a
    container already seen answers False. Scalars are never recorded as seen: a seen scalar was not unknown."""
    if id(container) in seen_ids:
        return False
    seen_ids.add(id(container))
    items = (container[key] for key in container) if isinstance(container, dict) else container
    for item in items:
        if isinstance(item, Unknown) or (isinstance(item, (dict, list)) and _contains(item, seen_ids)):
            return True
    return False


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """The SDK calls `contains_unknowns` here inside the block (pulumi.output and pulumi.runtime.invoke call it
    through the rpc module), its own function again after it."""
    original = rpc.contains_unknowns
    rpc.contains_unknowns = contains_unknowns
    try:
        yield
    finally:
        rpc.contains_unknowns = original
