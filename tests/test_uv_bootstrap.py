"""dev.py's first step on a fresh machine (issue 26): the uv wheel uv.lock pins for this platform, downloaded and
hash-checked, runs the first `uv sync`; pip installs the same hash-checked wheel when no wheel fits or the download
fails, and a wheel whose hash differs stops dev.py before anything runs."""

from __future__ import annotations

import hashlib
import io
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.dev_entry import load_dev


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    return load_dev()


@pytest.fixture(scope="module")
def locked(dev: ModuleType) -> tuple[str, list[dict[str, str]]]:
    """uv.lock's uv: its version and wheels (the lock is parsed once)."""
    version, wheels = dev.locked_uv()
    return str(version), list(wheels)


@pytest.fixture
def on(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pretend to be another machine: on("linux", "aarch64", libc=("glibc", "2.28"))."""

    def pretend(system: str, machine: str, *, libc: tuple[str, str] = ("glibc", "2.35"), mac: str = "14.2") -> None:
        monkeypatch.setattr(sys, "platform", system)
        monkeypatch.setattr(platform, "machine", lambda: machine)
        monkeypatch.setattr(platform, "libc_ver", lambda *a, **k: libc)
        monkeypatch.setattr(platform, "mac_ver", lambda *a, **k: (mac, ("", "", ""), ""))

    return pretend


def wheel_name(dev: ModuleType, wheels: list[dict[str, str]], pretend: Any, *args: Any, **kwargs: Any) -> str | None:
    pretend(*args, **kwargs)
    found = dev.wheel_for_machine(wheels)
    return found["url"].rsplit("/", 1)[-1] if found else None


@pytest.mark.parametrize(
    ("machine", "expected"),
    [
        (("linux", "x86_64"), "manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        (("linux", "aarch64"), "manylinux_2_28_aarch64.whl"),  # the newest one glibc 2.35 runs
        (("linux", "aarch64", {"libc": ("glibc", "2.27")}), "manylinux_2_17_aarch64.manylinux2014_aarch64"),
        (("linux", "x86_64", {"libc": ("", "")}), "musllinux_1_1_x86_64.whl"),  # Alpine: no glibc
        (("darwin", "arm64"), "macosx_11_0_arm64.whl"),
        (("darwin", "x86_64"), "macosx_10_12_x86_64.whl"),
        (("win32", "AMD64"), "win_amd64.whl"),
        (("win32", "ARM64"), "win_arm64.whl"),
        (("linux", "x86_64", {"libc": ("glibc", "2.12")}), None),  # older than any wheel: pip decides
        (("linux", "sparc64"), None),
        (("freebsd14", "amd64", {"libc": ("", "")}), None),
    ],
)
def test_the_wheel_of_each_machine(
    dev: ModuleType, locked: tuple[str, list[dict[str, str]]], on: Any, machine: tuple[Any, ...], expected: str | None
) -> None:
    *args, options = machine if isinstance(machine[-1], dict) else (*machine, {})
    found = wheel_name(dev, locked[1], on, *args, **options)
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found and found.startswith(f"uv-{locked[0]}-")


def fake_wheel(folder: Path, dev: ModuleType, script: bytes, *, member: str | None = None) -> dict[str, str]:
    """A wheel file named for this machine, holding `script` as its uv, and its lock entry."""
    name = "uv.exe" if os.name == "nt" else "uv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member or f"uv-0.0.1.data/scripts/{name}", script)
        archive.writestr("uv/__init__.py", "")
    path = folder / f"uv-0.0.1-py3-none-{dev.machine_platforms()[0]}.whl"
    path.write_bytes(buffer.getvalue())
    return {"url": path.as_uri(), "hash": f"sha256:{hashlib.sha256(buffer.getvalue()).hexdigest()}"}


@pytest.mark.skipif(os.name == "nt", reason="runs a shell script as the uv binary")
def test_the_fetched_binary_is_the_wheels_and_runs(dev: ModuleType, tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, dev, b"#!/bin/sh\necho uv 0.0.1\n")
    (tmp_path / "scratch").mkdir()
    binary = dev.fetch_uv([wheel], tmp_path / "scratch")
    assert binary == tmp_path / "scratch" / "uv"
    assert subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout == "uv 0.0.1\n"


def test_a_wheel_that_differs_from_its_hash_stops_dev_py(dev: ModuleType, tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, dev, b"uv")
    wheel["hash"] = "sha256:" + "0" * 64
    with pytest.raises(SystemExit, match=r"does not match its hash in uv\.lock; nothing was installed"):
        dev.fetch_uv([wheel], tmp_path)
    assert not (tmp_path / "uv").exists()


def test_what_cannot_be_fetched_falls_back_to_pip_and_says_why(
    dev: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = {"url": (tmp_path / f"uv-0.0.1-py3-none-{dev.machine_platforms()[0]}.whl").as_uri(), "hash": "x"}
    assert dev.fetch_uv([missing], tmp_path) is None
    assert "could not download" in capsys.readouterr().err
    odd = fake_wheel(tmp_path, dev, b"uv", member="bin/uv")
    assert dev.fetch_uv([odd], tmp_path) is None
    assert "holds no single" in capsys.readouterr().err
    elsewhere = {"url": "https://example.invalid/uv-0.0.1-py3-none-plan9_mips.whl", "hash": "x"}
    assert dev.fetch_uv([elsewhere], tmp_path) is None
    assert "has no uv wheel for" in capsys.readouterr().err


def test_a_synced_venv_uses_its_own_uv(dev: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once `uv sync` installed the locked uv, nothing is downloaded again."""
    monkeypatch.setattr(dev, "fetch_uv", lambda *a: pytest.fail("downloaded although .venv has the locked uv"))
    with dev.locked_uv_binary() as binary:
        assert binary == dev.UV
