"""Results the xdist workers of one test run share: the first worker that needs a stack's render or pack run
computes it, the others wait for it and read it. Without this each worker rendered both stacks and ran both packs
again (measured: a render 1.5-2 s of CPU, a pack run 3-4 s).

The folder belongs to one run: tests/conftest.py creates it before the workers start and removes it at the end, so
a result never outlives the code (or the stack files) that computed it, and concurrent runs never meet."""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pickle
import sys
import time
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


# -- bytecode on a fresh machine ---------------------------------------------------------------------------------
# Without bytecode (a fresh virtualenv), every worker compiled the same modules at the same moment: pulumi-aws's
# service packages, moto, the test modules; about 12 s of CPU each, measured (docs/benchmark.md). On such a
# machine the first worker compiles them and the others wait for it (mypy runs on the other core meanwhile).
WARM = "bytecode-warm"
WAIT_SECONDS = 120.0


def bytecode_cold() -> bool:
    """No bytecode yet for pulumi-aws's EC2 package, the largest the program imports: a fresh virtualenv. Never
    when bytecode is not written at all (PYTHONDONTWRITEBYTECODE without dev.py): waiting would gain nothing."""
    if sys.dont_write_bytecode:
        return False
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or spec.origin is None:
        return False
    source = Path(spec.origin).parent / "ec2" / "__init__.py"
    return not Path(importlib.util.cache_from_source(str(source))).exists()


def compile_program_imports() -> None:
    """Import the pulumi-aws services the program uses (they load lazily, at a worker's first render)."""
    import components.aws

    for name in components.aws.__all__:
        if name.islower() and not name.startswith("get_"):
            importlib.import_module(f"pulumi_aws.{name}")


def mark_warm() -> None:
    folder = os.environ.get(ENVIRONMENT)
    if folder:
        (Path(folder) / WARM).touch()


def wait_until_warm(timeout: float = WAIT_SECONDS) -> bool:
    """Wait for the first worker's mark (True), or give up after `timeout` and compile alone (False)."""
    folder = os.environ.get(ENVIRONMENT)
    if not folder:
        return False
    deadline = time.monotonic() + timeout
    while not (Path(folder) / WARM).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
