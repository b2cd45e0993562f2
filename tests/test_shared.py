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
