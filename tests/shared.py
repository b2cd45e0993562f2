"""Results the xdist workers of one test run share: the first worker that needs a stack's render or pack run
computes it, the others wait for it and read it. Without this each worker rendered both stacks and ran both packs
again (measured: a render 1.5-2 s of CPU, a pack run 3-4 s).

The folder belongs to one run: tests/conftest.py creates it before the workers start and removes it at the end, so
a result never outlives the code (or the stack files) that computed it, and concurrent runs never meet."""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

ENVIRONMENT = "APP_PLATFORM_TEST_SHARED"
T = TypeVar("T")


def shared(name: str, compute: Callable[[], T]) -> T:
    """`compute()`, once per test run across workers (per process when no run folder is set)."""
    folder = os.environ.get(ENVIRONMENT)
    if not folder:
        return compute()
    path = Path(folder) / f"{name}.pickle"
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes; a failed compute leaves nothing behind
        if path.exists():
            return cast(T, pickle.loads(path.read_bytes()))
        value = compute()
        path.write_bytes(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        return value
