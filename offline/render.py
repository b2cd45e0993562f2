"""Render one stack in-process under the mock engine: the same program `pulumi preview` runs."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from offline.mocks import AwsMocks
from offline.monitor import MonitorReentryError, RecordingMonitor, _clean
from offline.plan import Plan
from offline.project import ROOT, StackSettings, load_stack
from offline.stack_traces import installed as fast_stack_traces
from offline.unknowns import installed as acyclic_unknowns


def render(
    stack: str,
    root: Path = ROOT,
    *,
    overrides: dict[str, str] | None = None,
    stack_file: Path | None = None,
    secret_keys: set[str] | None = None,
) -> Plan:
    """Render `stack` (Pulumi.<stack>.yaml, or `stack_file`), optionally with config `overrides`."""
    loaded = load_stack(stack, root, stack_file)
    config = {**loaded.config, **(overrides or {})}
    secrets = set(loaded.secret_keys) | (secret_keys or set())
    return render_settings(StackSettings(loaded.project, stack, loaded.main, config, frozenset(secrets)))


def render_settings(stack: StackSettings) -> Plan:
    region = stack.config.get("aws:region", "us-east-1")
    mocks = AwsMocks(default_region=region)
    monitor = RecordingMonitor(mocks)
    _reset(stack)
    pulumi.runtime.set_mocks(mocks, project=stack.project, stack=stack.stack, preview=True, monitor=monitor)
    root = settings.get_root_resource()

    def program() -> None:
        runpy.run_path(str(stack.main), run_name="__main__")

    try:
        with _collector_paused(), fast_stack_traces(), acyclic_unknowns():
            _sync_await(run_pulumi_func(program))
            outputs = _sync_await(_resolve_outputs(getattr(root, "outputs", {})))
    finally:
        settings.ROOT.set(None)
    # One thread, so registration order is already reproducible; sorted by URN, it is also independent of how
    # the program happens to interleave its components.
    records = sorted(monitor.records, key=lambda record: record.urn)
    return Plan(project=stack.project, stack=stack.stack, resources=records, outputs=outputs)


class _LoopThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs the SDK's monitor calls on the loop's own thread, each to its end before the next. The mock monitor
    answers at once, so a worker thread would only add hand-offs (a quarter of a render) and random order.
    The monitor never pumps the loop (`offline.monitor`), so calls cannot nest; a nested call would mean an
    unbounded recursion, and is refused with a clear error instead."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self._busy = False

    def submit(  # type: ignore[override]
        self, fn: Callable[..., object], /, *args: object, **kwargs: object
    ) -> concurrent.futures.Future[object]:
        if self._busy:
            raise MonitorReentryError(f"{getattr(fn, '__name__', fn)} was called from inside another monitor call")
        future: concurrent.futures.Future[object] = concurrent.futures.Future()
        self._busy = True
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting coroutine, as a worker thread would
            future.set_exception(exc)
        finally:
            self._busy = False
        return future


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Nearly every object a render allocates lives until its end, so the cyclic collector's passes during
    it find almost nothing and cost about 40% of the render; the cycles are collected after it, as usual.
    What is alive before it (the SDK's and pulumi-aws's modules, earlier plans) is collected once and frozen,
    so those later collections stop walking the hundreds of thousands of objects the imports made."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _reset(stack: StackSettings) -> None:
    """Config, root stack and pending work are process globals: clear them so renders do not leak."""
    settings.reset_options(project=stack.project, stack=stack.stack, preview=True)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    loop = _ensure_event_loop()  # type: ignore[no-untyped-call]
    if not isinstance(loop._default_executor, _LoopThreadExecutor):
        loop.set_default_executor(_LoopThreadExecutor())
    runtime_config.set_all_config(dict(stack.config), sorted(stack.secret_keys))


async def _resolve_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    await wait_for_rpcs()
    resolved: dict[str, Any] = {}
    for key, value in outputs.items():
        output = pulumi.Output.from_input(value)
        result = await output.future(with_unknowns=True)
        secret_paths: list[str] = []
        resolved[key] = "[secret]" if await output.is_secret() else _clean(result, key, secret_paths)
    return resolved
