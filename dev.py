#!/usr/bin/env python3
"""One entry point for people and CI: creates .venv, installs the pinned requirements, then runs a job.

    python3.11 dev.py preview staging     # offline plan of a stack: tree, plan JSON, policy results
    python3.11 dev.py test                # ruff, mypy and the whole test suite (what CI runs)
    python3.11 dev.py <module> [args...]  # any `python -m` entry of the project, e.g. `offline diff a b`

Only the standard library is used here, so it runs on a fresh machine with nothing but Python 3.11.
The install is skipped when the requirement files have not changed since the last one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".requirements.sha256"
INPUTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml", "policies/requirements.txt")
LINT_TARGETS = ["components", "infra", "offline", "policies", "ops", "app", "tests", "dev.py"]
TYPE_TARGETS = ["components", "infra", "offline", "policies", "ops", "app"]


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file may be started by an older python3
        sys.exit(f"dev.py needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        if path.is_file():
            digest.update(path.read_bytes())
    wanted = digest.hexdigest()
    if PYTHON.exists() and STAMP.is_file() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print(f"creating virtualenv {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing pinned requirements (first run takes about a minute)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-r", "requirements-dev.txt"], check=True, cwd=ROOT)
    STAMP.write_text(wanted + "\n")


def run(*command: str) -> int:
    print(f"$ {' '.join(command)}", flush=True)
    return subprocess.run([str(PYTHON), *command], cwd=ROOT, check=False).returncode


def test(extra: list[str]) -> int:
    targets = [t for t in LINT_TARGETS if (ROOT / t).exists()]
    checks = [
        ("-m", "ruff", "check", *targets),
        ("-m", "mypy", *[t for t in TYPE_TARGETS if (ROOT / t).exists()]),
        # One worker per core; whole files per worker, so module fixtures (extra renders, moto stacks) run once.
        ("-m", "pytest", "--numprocesses=auto", "--dist=loadfile", *extra),
    ]
    for check in checks:
        code = run(*check)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    ensure_environment()
    job, rest = argv[0], argv[1:]
    if job == "test":
        return test(rest)
    if job == "preview":
        return run("-m", "offline", "preview", *rest)
    return run("-m", job, *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
