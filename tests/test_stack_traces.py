"""The offline engine's stack trace is the SDK's own, frame for frame, for every resource of a real stack."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

from offline import stack_traces
from offline.plan import Plan
from offline.render import render

SDK_STACK_TRACE = sdk_resource._get_stack_trace
OURS = stack_traces.stack_trace


def test_every_registration_of_a_stack_gets_the_sdks_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bool, int]] = []

    def both() -> source_pb2.StackTrace:
        # Nothing may raise inside a registration (its outputs would never resolve): judged after the render.
        ours, theirs = OURS(), SDK_STACK_TRACE()
        compared.append((ours == theirs, len(theirs.frames)))
        return theirs

    monkeypatch.setattr(stack_traces, "stack_trace", both)
    plan = render("staging")
    assert len(compared) >= len(plan.resources) and min(frames for _, frames in compared) > 0
    assert all(same for same, _ in compared), f"{sum(not same for same, _ in compared)} stack traces differ"
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


def test_frames_outside_the_third_init_and_no_frames_without_three() -> None:
    for which in (stack_traces.stack_trace, SDK_STACK_TRACE):
        assert _declare(which).frames[0].pc.line > 0  # the caller of the concrete class: _declare
    assert _declare(stack_traces.stack_trace) == _declare(SDK_STACK_TRACE)
    assert stack_traces.stack_trace() == SDK_STACK_TRACE() == source_pb2.StackTrace()  # no resource constructor


def test_a_file_without_a_uri_keeps_its_frame_without_a_position() -> None:
    assert stack_traces._uri("<frozen runpy>") is None and stack_traces._uri("") is None
    assert stack_traces._uri("/a b/c.py") == "file:///a%20b/c.py"
    namespace: dict[str, Any] = {"_declare": _declare, "stack_traces": stack_traces, "sdk": SDK_STACK_TRACE}
    code = compile("ours, theirs = _declare(stack_traces.stack_trace), _declare(sdk)", "<generated>", "exec")
    exec(code, namespace)
    assert namespace["ours"] == namespace["theirs"]
    generated = [frame for frame in namespace["ours"].frames if not frame.HasField("pc")]
    assert generated, "the <generated> frame is listed without a source position, as the SDK lists it"
