"""One locked, hashed dependency set (issue 26): pyproject.toml declares it, uv.lock pins it, and everything that
installs uses it: dev.py (`uv sync --locked`), Pulumi (`toolchain: uv`), the policy pack (its group exported with
hashes), CI. Every check here runs offline: uv reads the lock and an empty cache, never the index."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.project import ROOT
from tests.dev_entry import load_dev

UV = Path(sys.executable).with_name("uv")
RUNTIME = {"pulumi", "pulumi-aws", "pulumi-docker", "pydantic", "pyyaml"}
PACK_EXPORT = ["export", "--frozen", "--only-group", "policy", "--no-emit-project"]


def uv(*args: str, cwd: Path = ROOT, cache: Path) -> subprocess.CompletedProcess[str]:
    """uv without the network: --offline and an empty cache, so nothing can come from the index."""
    environment = {**os.environ, "UV_CACHE_DIR": str(cache), "UV_OFFLINE": "1", "UV_NO_CONFIG": "1"}
    environment.pop("UV_PROJECT_ENVIRONMENT", None)
    return subprocess.run(
        [str(UV), *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False, timeout=120
    )


def requirements(text: str) -> list[str]:
    """The requirement lines of a pip file, comments and continuation hashes joined, order kept."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def lock() -> dict[str, Any]:
    return tomllib.loads((ROOT / "uv.lock").read_text())


def copy_project(tmp_path: Path) -> Path:
    into = tmp_path / "project"
    into.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, into / name)
    return into


def test_the_lock_matches_pyproject(tmp_path: Path) -> None:
    result = uv("lock", "--check", cwd=copy_project(tmp_path), cache=tmp_path / "cache")
    assert result.returncode == 0, f"uv.lock is stale: run `python3.11 dev.py lock`\n{result.stderr}"


@pytest.mark.parametrize(
    ("where", "before", "after"),
    [
        ("pyproject.toml", '"jsonschema==4.26.0"', '"jsonschema==4.25.1"'),  # a pin moved, lock not refreshed
        ("pyproject.toml", '"zizmor==1.32.0",', '"zizmor==1.32.0", "rich==14.0.0",'),  # a dependency added
        ("pyproject.toml", '"boto3==1.44.5",\n', ""),  # a dependency dropped
        # the lock edited by hand
        ("uv.lock", '"jsonschema", specifier = "==4.26.0"', '"jsonschema", specifier = "==4.25.1"'),
    ],
)
def test_the_check_fails_when_pyproject_and_lock_disagree(tmp_path: Path, where: str, before: str, after: str) -> None:
    project = copy_project(tmp_path)
    text = (project / where).read_text()
    assert before in text
    (project / where).write_text(text.replace(before, after, 1))
    assert uv("lock", "--check", cwd=project, cache=tmp_path / "cache").returncode != 0


def test_every_declared_dependency_is_an_exact_pin() -> None:
    project = pyproject()
    groups = project["dependency-groups"]
    declared = [*project["project"]["dependencies"], *[d for g in groups.values() for d in g if isinstance(d, str)]]
    for requirement in declared:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", requirement), requirement
    names = {re.split("==", r)[0].lower().replace("_", "-") for r in project["project"]["dependencies"]}
    assert names == RUNTIME
    assert {"include-group": "policy"} in groups["dev"]
    assert project["build-system"]["requires"] == ["setuptools==84.2.1"]


def test_every_locked_package_carries_hashes() -> None:
    for package in lock()["package"]:
        if "editable" in package["source"]:
            assert package["name"] == "app-platform"
            continue
        artifacts = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        assert artifacts and all(a["hash"].startswith("sha256:") for a in artifacts), package["name"]


def test_pulumi_installs_only_the_runtime_set(tmp_path: Path) -> None:
    """Pulumi's uv toolchain runs a plain `uv sync`: default groups are none, so venv/ gets the runtime only,
    and this project itself, editable, so the CLI's host (which puts only infra/ on sys.path) can import it."""
    assert pyproject()["tool"]["uv"]["default-groups"] == []
    result = uv("export", "--frozen", cwd=ROOT, cache=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = requirements(result.stdout)
    assert "-e ." in lines
    pinned = {line.split("==")[0] for line in lines if "==" in line}
    assert pinned >= RUNTIME and not {"pytest", "moto", "boto3", "pulumi-policy", "zizmor"} & pinned
    assert all("--hash=sha256:" in line for line in lines if "==" in line)


def test_the_policy_pack_requirements_are_the_locked_group_with_hashes(tmp_path: Path) -> None:
    result = uv(*PACK_EXPORT, cwd=ROOT, cache=tmp_path)
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "policies" / "requirements.txt").read_text()
    assert requirements(committed) == requirements(result.stdout), "run: python3.11 dev.py lock"
    lines = requirements(committed)
    assert all(re.match(r"[a-z0-9_.-]+==\S+ (--hash=sha256:[0-9a-f]{64} ?)+$", line) for line in lines), lines
    assert {line.split("==")[0] for line in lines} >= {"pulumi", "pulumi-policy"}
    assert yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())["runtime"] == {
        "name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"},
    }  # fmt: skip


def test_pulumi_project_uses_the_uv_toolchain() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "app-platform" and project["main"] == "infra/"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "uv", "virtualenv": "venv"}}
    assert (ROOT / "infra" / "__main__.py").is_file()
    assert not (ROOT / "requirements.txt").exists()  # uv would `uv add -r` it into pyproject.toml on its own


def test_dev_py_bootstraps_the_locked_uv() -> None:
    dev = load_dev()
    version, wheels = dev.locked_uv()
    assert f"uv=={version}" in pyproject()["dependency-groups"]["dev"]
    assert len(wheels) >= 3 and all(w["hash"].startswith("sha256:") for w in wheels)
    found = subprocess.run([str(UV), "--version"], capture_output=True, text=True, check=True).stdout
    assert found.split()[1] == version  # the uv in .venv is the locked one
    assert dev.INPUTS == ("pyproject.toml", "uv.lock") and b"--locked" in dev.INSTALL_METHOD


def test_the_project_imports_as_the_pulumi_host_imports_it() -> None:
    """The CLI's Python host runs infra/__main__.py with only infra/ on sys.path (DESIGN.md): components/ must come
    from the compat editable install (a plain path entry in a .pth file), not from the current directory."""
    probe = (
        "import sys; sys.path.insert(0, 'infra'); import components, infra.program, offline; print(components.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == ROOT / "components" / "__init__.py"
    site = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (pth,) = (site / "site-packages").glob("__editable__.app_platform-*.pth")
    assert pth.read_text().strip() == str(ROOT)  # compat mode: a path, no import hook
