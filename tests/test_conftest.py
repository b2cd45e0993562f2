"""The suite's own scheduling (tests/conftest.py): ops tests share one worker, and the hook stays optional so that
a run without xdist (`-p no:xdist`) still starts."""

from __future__ import annotations

from tests import conftest


def test_ops_tests_share_one_scope_and_the_rest_go_by_file() -> None:
    assert conftest.shared_fixture_group("tests/ops/test_cli.py::test_verify") == "moto_stack"
    assert conftest.shared_fixture_group("tests/ops/test_release.py::test_a[1]") == "moto_stack"
    assert conftest.shared_fixture_group("tests/test_cost.py::test_nat") is None
    assert conftest.shared_fixture_group("tests/opsx/test_a.py::t") is None  # a prefix is a folder, not a stem


def test_the_scheduler_hook_is_optional_and_first() -> None:
    options = conftest.pytest_xdist_make_scheduler.pytest_impl  # type: ignore[attr-defined]
    assert options["optionalhook"] and options["tryfirst"]
