"""The suite's own scheduling (tests/conftest.py): ops tests share one worker, and the hook stays optional so that
a run without xdist (`-p no:xdist`) still starts; garbage is collected where a test file ends."""

from __future__ import annotations

import gc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests import conftest


def test_ops_tests_share_one_scope_and_the_rest_go_by_file() -> None:
    assert conftest.shared_fixture_group("tests/ops/test_cli.py::test_verify") == "moto_stack"
    assert conftest.shared_fixture_group("tests/ops/test_release.py::test_a[1]") == "moto_stack"
    assert conftest.shared_fixture_group("tests/test_cost.py::test_nat") is None
    assert conftest.shared_fixture_group("tests/opsx/test_a.py::t") is None  # a prefix is a folder, not a stem


def test_the_scheduler_hook_is_optional_and_first() -> None:
    options = conftest.pytest_xdist_make_scheduler.pytest_impl  # type: ignore[attr-defined]
    assert options["optionalhook"] and options["tryfirst"]


def test_test_processes_run_without_automatic_collection() -> None:
    assert not gc.isenabled()


def _teardown(item: Any, nextitem: Any) -> None:
    wrapper = conftest.pytest_runtest_teardown(item, nextitem)
    next(wrapper)  # up to pytest's own teardown (module fixtures torn down there)
    with pytest.raises(StopIteration):
        next(wrapper)


@pytest.mark.parametrize("enabled", [False, True])
def test_garbage_is_collected_and_frozen_where_a_file_ends_only(monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "isenabled", lambda: enabled)
    monkeypatch.setattr(gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    first, second, other = (SimpleNamespace(path=Path(name)) for name in ("tests/a.py", "tests/a.py", "tests/b.py"))
    _teardown(first, second)
    assert calls == []
    _teardown(second, other)
    _teardown(other, None)  # the last test of the run
    # Where the collector runs on its own (a process that turned it back on), the hook leaves it to it.
    assert calls == ([] if enabled else ["collect", "freeze", "collect", "freeze"])
