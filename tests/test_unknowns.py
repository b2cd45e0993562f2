"""The offline engine's `contains_unknowns` gives the SDK's answers and leaves no garbage cycle behind."""

from __future__ import annotations

import gc
import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.output import UNKNOWN
from pulumi.runtime import rpc

from offline import unknowns
from offline.render import render

SDK = rpc.contains_unknowns
# The SDK's function as offline/unknowns.py was written from (pulumi 3.x, 2026-12-03). If an upgrade changes it,
# compare the new text with unknowns._contains, then record the new text here.
SDK_SOURCE = """def contains_unknowns(val: Any) -> bool:
    def impl(val: Any, seen_ids: set[int]) -> bool:
        if known_types.is_unknown(val):
            return True

        val_id = id(val)
        if val_id in seen_ids:
            return False

        seen_ids.add(val_id)
        if isinstance(val, dict):
            return any(impl(val[k], seen_ids) for k in val)
        if isinstance(val, list):
            return any(impl(x, seen_ids) for x in val)

        return False

    return impl(val, set())
"""

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.just(UNKNOWN)
)
# Tuples and sets are never looked into by the SDK, unknowns inside them included: the same answer is expected.
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=3), inner, max_size=4),
        st.tuples(inner, inner),
        st.frozensets(st.sampled_from([1, "a", UNKNOWN]), max_size=2),
    ),
    max_leaves=20,
)


def test_the_sdks_function_is_the_one_this_replaces() -> None:
    assert inspect.getsource(SDK) == SDK_SOURCE


@given(VALUES)
def test_any_value_gets_the_sdks_answer(value: Any) -> None:
    assert unknowns.contains_unknowns(value) is SDK(value)


@given(VALUES, st.integers(0, 3))
def test_shared_and_repeated_parts_get_the_sdks_answer(value: Any, copies: int) -> None:
    shared = [value] * copies + [{"again": value}]
    assert unknowns.contains_unknowns(shared) is SDK(shared)


def test_cycles_end_with_the_sdks_answer() -> None:
    looped: list[Any] = []
    looped.append(looped)
    mapping: dict[str, Any] = {}
    mapping["self"] = mapping
    unknown_after_loop: list[Any] = [looped, UNKNOWN]
    unknown_inside_loop: list[Any] = [UNKNOWN]
    unknown_inside_loop.append(unknown_inside_loop)
    for value, expected in [(looped, False), (mapping, False), (unknown_after_loop, True), (unknown_inside_loop, True)]:
        assert unknowns.contains_unknowns(value) is SDK(value) is expected


class Translating(dict[str, Any]):
    """A dict whose `[key]` answers something else than its stored values, as output types' `__getitem__` may."""

    def __getitem__(self, key: str) -> Any:
        return UNKNOWN if key == "translated" else super().__getitem__(key)


@pytest.mark.parametrize(
    "value",
    [Translating(translated=1), [Translating(other=1)], {"a": Translating(translated="x")}, Translating()],
    ids=["unknown-through-getitem", "known-in-list", "nested", "empty"],
)
def test_dict_values_are_read_as_the_sdk_reads_them(value: Any) -> None:
    assert unknowns.contains_unknowns(value) is SDK(value)


def test_the_sdks_function_is_back_after_the_block_even_when_it_raises() -> None:
    with pytest.raises(RuntimeError), unknowns.installed():
        assert rpc.contains_unknowns is unknowns.contains_unknowns
        raise RuntimeError("inside")
    assert rpc.contains_unknowns is SDK


def test_a_render_uses_it_and_leaves_none_of_the_sdks_closures_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    ours = unknowns.contains_unknowns

    def counted(val: Any) -> bool:
        nonlocal calls
        calls += 1
        return ours(val)

    monkeypatch.setattr(unknowns, "contains_unknowns", counted)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        render("staging")  # collects and freezes what lived before it: what is collected below is the render's
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        closures = [o for o in gc.garbage if getattr(o, "__qualname__", "") == "contains_unknowns.<locals>.impl"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert calls > 1000  # every Output the render resolves asks
    assert closures == []
    assert rpc.contains_unknowns is SDK
