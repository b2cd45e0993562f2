"""The offline engine's stack trace is the SDK's, restricted to the program's frames, for every resource of a real
stack: the plan's `source` is the one the SDK's own trace gives."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

from offline import stack_traces
from offline.monitor import declared_at
from offline.plan import Plan
from offline.render import render

SDK_STACK_TRACE = sdk_resource._get_stack_trace
OURS = stack_traces.stack_trace


def _program_frames(trace: source_pb2.StackTrace) -> list[source_pb2.StackFrame]:
    prefixes = tuple(f"file://{p}" for p in stack_traces._PROGRAM_FILES)
    return [frame for frame in trace.frames if frame.pc.uri.startswith(prefixes)]


def _source(trace: source_pb2.StackTrace) -> str | None:
    return declared_at(SimpleNamespace(stackTrace=trace))


def test_every_registration_of_a_stack_gets_the_sdks_program_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bool, bool, int]] = []

    def both() -> source_pb2.StackTrace:
        # Nothing may raise inside a registration (its outputs would never resolve): judged after the render.
        ours, theirs = OURS(), SDK_STACK_TRACE()
        same_frames = list(ours.frames) == _program_frames(theirs)
        compared.append((same_frames, _source(ours) == _source(theirs), len(ours.frames)))
        return ours

    monkeypatch.setattr(stack_traces, "stack_trace", both)
    plan = render("staging")
    assert len(compared) >= len(plan.resources)
    assert all(frames for *_, frames in compared), "every registration has a frame of the program"
    assert sum(not same for same, _, _ in compared) == 0, "frames differ from the SDK's program frames"
    assert sum(not same for _, same, _ in compared) == 0, "a declaration site differs from the SDK's"
    assert all(record.source for record in plan.resources if record.type.startswith("aws:"))


def test_the_sdks_function_is_back_after_a_render(staging_plan: Plan) -> None:
    assert sdk_resource._get_stack_trace is SDK_STACK_TRACE


class _Base:
    def __init__(self, trace: list[Any], which: Any) -> None:
        trace.append(which())


class _Middle(_Base):
    def __init__(self, trace: list[Any], which: Any) -> None:
        super().__init__(trace, which)


class _Concrete(_Middle):
    def __init__(self, trace: list[Any], which: Any) -> None:
        super().__init__(trace, which)


def _declare(which: Any) -> Any:
    trace: list[Any] = []
    _Concrete(trace, which)
    return trace[0]


def test_frames_outside_the_program_are_not_sent() -> None:
    theirs = _declare(SDK_STACK_TRACE)
    assert theirs.frames[0].pc.line > 0  # the SDK sends this test's frames (outside components/ and infra/)
    assert _declare(OURS) == source_pb2.StackTrace() and _program_frames(theirs) == []
    assert OURS() == SDK_STACK_TRACE() == source_pb2.StackTrace()  # no resource constructor on the stack


def test_a_file_uri_is_the_sdks() -> None:
    assert stack_traces._uri("<frozen runpy>") is None and stack_traces._uri("") is None
    assert stack_traces._uri("/a b/c.py") == "file:///a%20b/c.py"
