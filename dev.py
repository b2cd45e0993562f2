#!/usr/bin/env python3
"""One entry point for people and CI: creates .venv, installs the locked dependency set, then runs a job.

    python3.11 dev.py preview staging     # offline plan of a stack: tree, plan JSON, policy results
    python3.11 dev.py test                # ruff, mypy and the whole test suite (what CI runs)
    python3.11 dev.py sync                # only create .venv and install the locked set (CI, the Pulumi steps)
    python3.11 dev.py lock                # after editing pyproject.toml: refresh uv.lock and the pack's export
    python3.11 dev.py <module> [args...]  # a `python -m` entry of the project, e.g. `offline diff a b`

Only the standard library is used here, so it runs on a fresh machine with nothing but Python 3.11. It fetches
the uv wheel uv.lock pins for this machine, checks its SHA-256 against the lock and runs the uv inside it (pip
installs the same hash-checked wheel when that download is not possible); `uv sync --locked` then installs exactly
the locked set, uv included, into .venv. The install is skipped when pyproject.toml and uv.lock have not changed
since the last one. Paths on the command
line are relative to the directory you run it from; what dev.py itself says goes to stderr, so a job's stdout
is the job's alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import os
import platform
import re
import stat
import subprocess
import sys
import tempfile
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
UV = BIN / ("uv.exe" if os.name == "nt" else "uv")
STAMP = VENV / ".locked-set.sha256"
# What the install depends on; the method's name is hashed too, so a venv built another way is re-synced.
INPUTS = ("pyproject.toml", "uv.lock")
INSTALL_METHOD = b"uv sync --locked --group dev"
LINT_TARGETS = ["components", "hooks", "infra", "offline", "policies", "ops", "app", "tests", "dev.py"]
TYPE_TARGETS = ["components", "hooks", "infra", "offline", "policies", "ops", "app"]
# The pack's own requirement file, exported from uv.lock (pip installs it hash-checked under the Pulumi CLI).
PACK_EXPORT = ("export", "--quiet", "--frozen", "--only-group", "policy", "--no-emit-project")
PACK_REQUIREMENTS = "policies/requirements.txt"
# `python -m` entries that Pulumi runs, not people: the program and the policy pack.
NOT_JOBS = {"infra", "policies"}
# Jobs of dev.py itself.
JOBS = ("test", "preview", "sync", "lock")
# Tools of the locked set that may be run through dev.py as well.
TOOLS = ("pytest", "ruff", "mypy")
# The child keeps the default SIGPIPE action: `dev.py <job> | head` ends it quietly instead of with a traceback.
RUN_MODULE = (
    "import runpy, signal, sys\n"
    "if hasattr(signal, 'SIGPIPE'): signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
    "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)"
)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def locked_uv() -> tuple[str, list[dict[str, str]]]:
    """The uv version uv.lock pins and its wheels (url, hash): exactly one of those files is run or installed."""
    import tomllib  # after the version check: Python 3.11 and newer

    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    for package in lock["package"]:
        if package["name"] == "uv":
            return package["version"], list(package["wheels"])
    sys.exit("dev.py: uv.lock pins no uv (it belongs in the dev group of pyproject.toml)")


def machine_platforms() -> list[str]:
    """Wheel platform tags this machine runs, best first: the subset of packaging's rules uv's wheels need."""
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return {"amd64": ["win_amd64"], "arm64": ["win_arm64"]}.get(machine, ["win32"])
    if sys.platform == "darwin":
        major = int(platform.mac_ver()[0].split(".")[0] or 0)
        return ["macosx_11_0_arm64"] if machine == "arm64" and major >= 11 else [f"macosx_10_12_{machine}"]
    libc, version = platform.libc_ver()
    if libc != "glibc":  # musl (Alpine): libc_ver() names no glibc
        return [f"musllinux_1_1_{machine}"]
    found = re.match(r"2\.(\d+)", version)
    minor = int(found[1]) if found else 0
    older = [f"manylinux_2_{m}_{machine}" for m in range(minor, 16, -1)]  # manylinux_2_17 is manylinux2014
    return [*older, f"manylinux2014_{machine}"] if older else []


def wheel_for_machine(wheels: list[dict[str, str]]) -> dict[str, str] | None:
    """The locked wheel that runs here (a file name's last part lists its platform tags, dot-separated)."""
    for wanted in machine_platforms():
        for wheel in wheels:
            if wanted in wheel["url"].rsplit("/", 1)[-1].removesuffix(".whl").split("-")[-1].split("."):
                return wheel
    return None


def fetch_uv(wheels: list[dict[str, str]], folder: Path) -> Path | None:
    """The uv binary of this machine's locked wheel, downloaded, hash-checked and unpacked into `folder`; None (and
    why, on stderr) when there is no such wheel or the download fails. A hash mismatch stops dev.py."""
    wheel = wheel_for_machine(wheels)
    if wheel is None:
        say(f"dev.py: uv.lock has no uv wheel for {sys.platform} {platform.machine()}; installing it with pip")
        return None
    try:
        with urllib.request.urlopen(wheel["url"], timeout=60) as answer:
            data = answer.read()
    except (OSError, http.client.HTTPException) as error:  # URLError and SSL errors are OSErrors
        say(f"dev.py: could not download {wheel['url']} ({error}); installing uv with pip")
        return None
    if f"sha256:{hashlib.sha256(data).hexdigest()}" != wheel["hash"]:
        sys.exit(f"dev.py: {wheel['url']} does not match its hash in uv.lock; nothing was installed")
    name = "uv.exe" if os.name == "nt" else "uv"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [n for n in archive.namelist() if re.fullmatch(rf"[^/]+\.data/scripts/{re.escape(name)}", n)]
        if len(members) != 1:
            say(f"dev.py: {wheel['url']} holds no single {name} script; installing uv with pip")
            return None
        binary = folder / name
        binary.write_bytes(archive.read(members[0]))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def pip_for_venv() -> list[str]:
    """A pip that installs into .venv: this interpreter's own when it can target another one (pip 22.3+,
    `--python`), which spares seeding pip into .venv (ensurepip takes seconds); else .venv's own, seeded."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False)
    found = re.match(r"pip (\d+)\.(\d+)", probe.stdout)
    if probe.returncode == 0 and found and (int(found[1]), int(found[2])) >= (22, 3):
        return [sys.executable, "-m", "pip", "--python", str(PYTHON)]
    if subprocess.run([str(PYTHON), "-m", "pip", "--version"], capture_output=True, check=False).returncode:
        subprocess.run([str(PYTHON), "-m", "ensurepip", "-q"], check=True, stdout=sys.stderr)
    return [str(PYTHON), "-m", "pip"]


def pip_install_uv(version: str, wheels: list[dict[str, str]]) -> Path:
    """The fallback: pip installs the locked uv into .venv, hash-checked against uv.lock."""
    with tempfile.TemporaryDirectory() as scratch:
        pinned = Path(scratch) / "uv.txt"
        pinned.write_text(f"uv=={version} " + " ".join(f"--hash={w['hash']}" for w in wheels) + "\n")
        pip = [*pip_for_venv(), "install", "-q", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:"]
        subprocess.run([*pip, "--require-hashes", "-r", str(pinned)], check=True, stdout=sys.stderr)
    return UV


@contextlib.contextmanager
def locked_uv_binary() -> Iterator[Path]:
    """A uv of the locked version while the block runs: .venv's own once a sync installed it; before that the
    binary of the locked wheel, from a scratch folder (measured: 0.8 s, against 3.8 s for pip to install it)."""
    version, wheels = locked_uv()
    if UV.exists():
        found = subprocess.run([str(UV), "--version"], capture_output=True, text=True, check=False).stdout.split()
        if found[1:2] == [version]:
            yield UV
            return
    with tempfile.TemporaryDirectory() as scratch:
        yield fetch_uv(wheels, Path(scratch)) or pip_install_uv(version, wheels)


def uv(binary: Path, *args: str) -> int:
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    return subprocess.run([str(binary), *args], cwd=ROOT, env=environment, check=False, stdout=sys.stderr).returncode


def ensure_venv() -> None:
    if not PYTHON.exists():
        say(f"creating virtualenv {VENV}")
        venv.EnvBuilder(with_pip=False).create(VENV)


def ensure_environment() -> None:
    digest = hashlib.sha256(INSTALL_METHOD)
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    wanted = digest.hexdigest()
    if PYTHON.exists() and STAMP.is_file() and STAMP.read_text().strip() == wanted:
        return
    ensure_venv()
    say("installing the locked dependency set (uv.lock, hashes checked)")
    with locked_uv_binary() as binary:
        if uv(binary, "sync", "--locked", "--group", "dev") != 0:
            sys.exit("dev.py: `uv sync --locked` failed; if pyproject.toml changed, run `python3.11 dev.py lock`")
    STAMP.write_text(wanted + "\n")


def lock() -> int:
    """Re-resolve uv.lock after pyproject.toml changed, and export the pack's hashed requirement file."""
    ensure_venv()
    with locked_uv_binary() as binary:
        return uv(binary, "lock") or uv(binary, *PACK_EXPORT, "-o", PACK_REQUIREMENTS)


def project_jobs() -> list[str]:
    """`python -m` entries of the project: packages with __main__.py and modules with a main guard."""
    found = []
    for package in sorted(p.parent for p in ROOT.glob("*/__init__.py")):
        if package.name == "tests":
            continue
        for path in sorted(package.rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if path.name == "__main__.py":
                if module.removesuffix(".__main__") not in NOT_JOBS:
                    found.append(module.removesuffix(".__main__"))
            elif re.search(r"^if __name__ == .__main__.:", path.read_text(), re.M):
                found.append(module)
    return found


def known_jobs() -> list[str]:
    return [*JOBS, *project_jobs(), *TOOLS]


def jobs_text() -> str:
    return "jobs: " + ", ".join(known_jobs()).replace("preview", "preview <stack>")


def job_environment() -> dict[str, str]:
    """The jobs' environment. uv installs no bytecode, so the first import compiles; with PYTHONDONTWRITEBYTECODE
    set (Docker images set it) nothing is kept, and each of a test run's processes compiled pulumi-aws and the
    project again (about 7 s of CPU per process, measured). The bytecode then goes under .venv/pycache
    (PYTHONPYCACHEPREFIX): kept, and still never written beside the sources."""
    environment = dict(os.environ)
    if environment.pop("PYTHONDONTWRITEBYTECODE", ""):
        environment.setdefault("PYTHONPYCACHEPREFIX", str(VENV / "pycache"))
    return environment


def module_command(*command: str) -> list[str]:
    return [str(PYTHON), "-c", RUN_MODULE, *command]


def exit_status(code: int) -> int:
    return 128 - code if code < 0 else code  # killed by a signal (SIGPIPE from `| head`): the shell's convention


def run(*command: str, cwd: Path | None = None) -> int:
    """Run `python -m <module> ...` in .venv from the caller's directory (or cwd), echoing the command to stderr."""
    say(f"$ python -m {' '.join(command)}")
    try:
        code = subprocess.run(module_command(*command), cwd=cwd, env=job_environment(), check=False).returncode
    except KeyboardInterrupt:
        return 130
    return exit_status(code)


def test(extra: list[str]) -> int:
    """ruff (lint, format), then mypy over the repository beside pytest; its arguments are relative to the caller."""
    lint = [str(ROOT / t) for t in LINT_TARGETS if (ROOT / t).exists()]
    types = [t for t in TYPE_TARGETS if (ROOT / t).exists()]
    # Without a path of the caller's, the whole suite: from the root, pytest would find it through testpaths.
    given = any(Path(a.split("::")[0]).exists() for a in extra if not a.startswith("-"))
    paths = [] if given else [str(ROOT / "tests")]
    # The pull-request workflow checks formatting too: the same check here keeps local runs honest.
    for check in (("ruff", "check", *lint), ("ruff", "format", "--check", *lint)):
        code = run(*check, cwd=ROOT)
        if code != 0:
            return code
    # One worker per core; whole files per worker, so module fixtures (extra renders, moto stacks) run once.
    tests = ("pytest", f"--rootdir={ROOT}", "--numprocesses=auto", "--dist=loadfile", *extra, *paths)
    return beside_tests(("mypy", *types), tests)


def beside_tests(check: tuple[str, ...], tests: tuple[str, ...]) -> int:
    """Run `check` (mypy: one thread, about 30 s of CPU from a cold cache) while the tests run, instead of before
    them; its output is held back and printed after theirs, so the two never interleave. The exit status is the
    check's if it failed, else the tests'."""
    with tempfile.TemporaryFile() as held:
        say(f"$ python -m {' '.join(check)}  (beside the tests; its output follows theirs)")
        process = subprocess.Popen(
            module_command(*check), cwd=ROOT, env=job_environment(), stdout=held, stderr=subprocess.STDOUT
        )
        try:
            tested = run(*tests)
        except BaseException:
            process.kill()
            raise
        if tested == 130:  # interrupted (Ctrl-C): the check stops too
            process.kill()
            process.wait()
            return tested
        checked = exit_status(process.wait())
        held.seek(0)
        say(f"$ python -m {' '.join(check)}  (exit {checked})")
        sys.stdout.buffer.write(held.read())
        sys.stdout.flush()
    return checked or tested


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file may be started by an older python3
        sys.exit(f"dev.py needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not argv or argv[0] in ("-h", "--help"):
        if not argv:
            say(f"{__doc__}\n{jobs_text()}")
            return 2
        print(__doc__)
        return 0
    job, rest = argv[0], argv[1:]
    if job not in known_jobs():
        say(f"dev.py: unknown job {job!r}\n{jobs_text()}")
        return 2
    if job == "lock":
        return lock()
    ensure_environment()
    if job == "sync":
        return 0
    if job == "test":
        return test(rest)
    if job == "preview":
        return run("offline", "preview", *rest)
    return run(job, *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
