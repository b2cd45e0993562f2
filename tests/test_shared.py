"""tests/shared.py: what one xdist worker computed, the others of the same run read instead of computing again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from offline.project import ROOT
from tests.shared import ENVIRONMENT, shared

# Two processes ask for the same result at once; each counts its compute in `computed`, and prints what it got.
WORKER = """
import pathlib, sys, time
from tests.shared import shared
computed = pathlib.Path(sys.argv[1])
def compute():
    with computed.open("a") as f:
        f.write("x")
    time.sleep(1)  # long enough for the other process to ask meanwhile
    return {"render": sys.argv[2]}
print(shared("plan", compute)["render"])
"""


def test_concurrent_workers_compute_once_and_read_the_same_result(tmp_path: Path) -> None:
    computed = tmp_path / "computed"
    environment = {ENVIRONMENT: str(tmp_path), "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(computed), name], env=environment, stdout=subprocess.PIPE, text=True
        )
        for name in ("gw0", "gw1")
    ]
    said = [w.communicate(timeout=120)[0].strip() for w in workers]
    assert computed.read_text() == "x"
    assert said[0] == said[1] and said[0] in ("gw0", "gw1")


def test_a_failed_compute_leaves_nothing_and_the_next_caller_computes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENVIRONMENT, str(tmp_path))

    def fails() -> int:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        shared("plan", fails)
    assert shared("plan", lambda: 1) == 1
    assert shared("plan", lambda: 2) == 1  # read, not computed again


def test_without_a_run_folder_every_call_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    assert shared("plan", lambda: 1) == 1
    assert shared("plan", lambda: 2) == 2


def test_the_run_folder_is_this_runs_own() -> None:
    """tests/conftest.py made it for this run (a worker inherits it from the controller)."""
    folder = Path(os.environ[ENVIRONMENT])
    assert folder.is_dir() and folder.name.startswith("app-platform-tests-")


def test_the_other_workers_wait_for_the_first_ones_mark_or_give_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import shared as module

    monkeypatch.delenv(ENVIRONMENT, raising=False)
    assert module.wait_until_warm(timeout=0) is False  # no run folder: nobody to wait for
    monkeypatch.setenv(ENVIRONMENT, str(tmp_path))
    assert module.wait_until_warm(timeout=0.3) is False  # no mark: compile alone after the timeout
    module.mark_warm()
    assert module.wait_until_warm(timeout=0) is True


def test_bytecode_is_cold_until_the_largest_package_has_some(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.machinery
    import py_compile

    from tests import shared as module

    package = tmp_path / "pulumi_aws"
    (package / "ec2").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ec2" / "__init__.py").write_text("X = 1\n")
    spec = importlib.machinery.ModuleSpec("pulumi_aws", None, origin=str(package / "__init__.py"))
    monkeypatch.setattr(module.importlib.util, "find_spec", lambda name: spec)
    monkeypatch.setattr(module.sys, "dont_write_bytecode", False)
    assert module.bytecode_cold() is True
    py_compile.compile(str(package / "ec2" / "__init__.py"))  # where the interpreter would write it
    assert module.bytecode_cold() is False
    (package / "ec2" / "__init__.py").write_text("X = 2\n")
    monkeypatch.setattr(module.sys, "dont_write_bytecode", True)
    assert module.bytecode_cold() is False  # nothing is ever written: waiting would gain nothing
