"""`dev.py test` runs mypy beside the tests (issue 26: a fresh `dev.py test` in under 2 minutes on 2 cores), and
keeps bytecode when the environment says not to write it beside the sources."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.dev_entry import load_dev


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """dev.py with `python -m <module>` replaced by `python -c <code>`: the commands below are tiny programs."""
    module = load_dev()
    monkeypatch.setattr(module, "module_command", lambda *command: [sys.executable, "-c", command[-1]])
    return module


def program(text: str, exit_code: int = 0) -> str:
    return f"import sys; print({text!r}, flush=True); sys.exit({exit_code})"


def waits_for(marker: Path) -> str:
    """A check that passes only if the tests start while it runs (it gives up after 60 s)."""
    return (
        "import pathlib, sys, time\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "for _ in range(600):\n"
        "    if marker.exists(): print('check saw the tests'); sys.exit(0)\n"
        "    time.sleep(0.1)\n"
        "sys.exit(3)\n"
    )


def test_the_check_runs_while_the_tests_run(dev: ModuleType, tmp_path: Path) -> None:
    marker = tmp_path / "tests-started"
    tests = f"import pathlib; pathlib.Path({str(marker)!r}).touch(); print('tests ran')"
    assert dev.beside_tests(("mypy", waits_for(marker)), ("pytest", tests)) == 0


def test_the_checks_output_follows_the_tests_output(dev: ModuleType, capfd: pytest.CaptureFixture[str]) -> None:
    assert dev.beside_tests(("mypy", program("types: fine")), ("pytest", program("tests: fine"))) == 0
    captured = capfd.readouterr()
    assert captured.out.index("tests: fine") < captured.out.index("types: fine")
    assert "$ python -m mypy" in captured.err and "(exit 0)" in captured.err


@pytest.mark.parametrize(
    ("check_exit", "tests_exit", "expected"),
    [(1, 0, 1), (0, 2, 2), (1, 2, 1), (0, 0, 0)],
)
def test_the_exit_status_is_the_checks_failure_else_the_tests(
    dev: ModuleType, check_exit: int, tests_exit: int, expected: int
) -> None:
    check = ("mypy", program("types", check_exit))
    assert dev.beside_tests(check, ("pytest", program("tests", tests_exit))) == expected


def test_bytecode_goes_under_the_venv_when_it_may_not_go_beside_the_sources(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    environment = dev.job_environment()
    assert "PYTHONDONTWRITEBYTECODE" not in environment
    assert environment["PYTHONPYCACHEPREFIX"] == str(dev.VENV / "pycache")
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", "/elsewhere")
    assert dev.job_environment()["PYTHONPYCACHEPREFIX"] == "/elsewhere"  # the caller's own choice stands
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE")
    monkeypatch.delenv("PYTHONPYCACHEPREFIX")
    environment = dev.job_environment()
    assert "PYTHONPYCACHEPREFIX" not in environment and "PYTHONDONTWRITEBYTECODE" not in environment
