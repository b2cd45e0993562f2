"""The commands the README shows, run as a user runs them (issue 11), and dev.py's behaviour as a command line
(issue 15): unknown jobs, paths relative to the caller, a clean stdout, no traceback into a closed pipe.

Every `python3.11 dev.py ...` line of the README's code blocks must be listed in RUN or NOT_OFFLINE, so a new
command shown to users cannot go untested. Each README command that can run offline runs once, through dev.py,
in a fresh directory; one staging render serves the commands that need a plan."""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline.cli import EXIT_OK, EXIT_USAGE, main
from offline.project import ROOT
from ops.cli import build_parser

DEV = [sys.executable, str(ROOT / "dev.py")]
# README commands that run offline, and how this module runs them: `fresh` = in an empty directory, so relative
# paths (out/, the diff's plans) resolve there; `plans` = beside base.plan.json, head.plan.json and
# out/staging.plan.json (all the staging plan); `extra` = arguments appended to keep the suite fast (the same
# code path with fewer repetitions).
RUN: dict[str, dict[str, object]] = {
    "dev.py preview staging": {"cwd": "fresh"},
    "dev.py offline diff base.plan.json head.plan.json --markdown diff.md": {"cwd": "plans"},
    "dev.py offline diff base.plan.json head.plan.json --markdown diff.md --json diff.json": {"cwd": "plans"},
    "dev.py offline diff base.plan.json head.plan.json --markdown diff.md --json diff.json --fail-on-stateful": {
        "cwd": "plans"
    },
    "dev.py offline.benchmark": {"cwd": "fresh", "extra": ["--repeat", "1", "--renders", "1", "--services", "1"]},
    "dev.py infra.config.reference > docs/config-reference.md": {"cwd": "root"},
    "dev.py components.reference > docs/components.md": {"cwd": "root"},
    "dev.py components.type_scope": {"cwd": "root"},
    "dev.py offline cost out/staging.plan.json": {"cwd": "plans"},
    "dev.py offline cost out/staging.plan.json --base base.plan.json": {"cwd": "plans"},
    "dev.py offline cost out/staging.plan.json --base base.plan.json --budget USD": {"cwd": "plans"},
}
# Placeholders the README writes in capitals, and what stands for them here (a budget no stack reaches).
PLACEHOLDERS = {"USD": "1000000"}
# README commands that cannot run here, and what checks them instead.
NOT_OFFLINE = {
    "dev.py test": "the suite itself; .ci/run runs it (test_project.test_ci_runs_the_readme_test_command)",
    "dev.py preview production --stack-file big.yaml": "big.yaml is the reader's own file; tests/test_offline.py",
    "dev.py offline checkout --out out/head": "renders every stack in one process: tests/test_offline.py",
    "dev.py ops preflight --stack production": "needs AWS and Pulumi; parsed with the ops CLI below",
    "dev.py ops verify --stack staging": "needs AWS; parsed with the ops CLI below",
    "dev.py ops rollback api --stack production": "needs AWS; parsed with the ops CLI below",
    "dev.py ops restore-drill --stack staging --skip-connect": "needs AWS; parsed with the ops CLI below",
    "dev.py ops db-bootstrap --stack staging": "needs AWS; parsed with the ops CLI below",
    "dev.py ops db-snapshot --stack staging --reason pre-upgrade": "needs AWS; parsed with the ops CLI below",
    "dev.py ops restore-drill --stack staging --skip-connect --upgrade-to 17": "needs AWS; parsed by the ops CLI below",
    "dev.py ops release worker --stack production --image <repositoryUrl>@sha256:<digest>": "needs AWS and Pulumi; "
    "parsed with the ops CLI below, run against moto in tests/ops/test_release.py",
}
F_SETPIPE_SZ = 1031  # Linux fcntl: shrink a pipe so that a job's output overflows it


def readme_commands() -> list[str]:
    """Every `python3.11 dev.py` line of the README's code blocks, comments dropped, `[--opt]` expanded."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    found: list[str] = []
    for line in "\n".join(blocks).splitlines():
        command = line.split("  #")[0].strip()
        if not command.startswith("python3.11 dev.py "):
            continue
        command = command.removeprefix("python3.11 ")
        optional = re.findall(r"\s*\[([^\]]+)\]", command)
        bare = re.sub(r"\s*\[[^\]]+\]", "", command)
        found.append(bare)
        found.extend(f"{bare} {' '.join(optional[: i + 1])}" for i in range(len(optional)))
    return found


def dev(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DEV, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def staging_preview(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`python3.11 dev.py preview staging`, run once in an empty directory: out/ must appear there."""
    fresh = tmp_path_factory.mktemp("fresh")
    return fresh, dev("preview", "staging", cwd=fresh)


def test_every_readme_command_is_run_or_accounted_for() -> None:
    commands = readme_commands()
    assert {"dev.py preview staging", "dev.py test"} <= set(commands)
    assert set(commands) == set(RUN) | set(NOT_OFFLINE), "classify the new README command in RUN or NOT_OFFLINE"


def test_readme_preview_writes_plan_and_reports_where_it_was_run(
    staging_preview: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    fresh, result = staging_preview
    assert result.returncode == EXIT_OK, result.stderr[-2000:]
    assert "app-platform/staging:" in result.stdout and "$ " not in result.stdout
    assert (fresh / "out" / "staging.plan.json").is_file()
    for ext in ("md", "json", "sarif", "junit.xml", "txt"):
        assert (fresh / "out" / f"staging.policy.{ext}").is_file(), ext


@pytest.mark.parametrize("command", [c for c in RUN if c != "dev.py preview staging"])
def test_readme_command_runs_offline(
    command: str, staging_preview: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    how = RUN[command]
    text, _, redirect = command.partition(" > ")
    words = [PLACEHOLDERS.get(word, word) for word in shlex.split(text)[1:]]
    argv = [*words, *map(str, how.get("extra", []))]  # type: ignore[call-overload]
    cwd = {"fresh": tmp_path, "root": ROOT, "plans": tmp_path}[str(how["cwd"])]
    if how["cwd"] == "plans":
        plan = staging_preview[0] / "out" / "staging.plan.json"
        (tmp_path / "out").mkdir()
        for name in ("base.plan.json", "head.plan.json", "out/staging.plan.json"):
            shutil.copy(plan, tmp_path / name)
    result = dev(*argv, cwd=cwd)
    assert result.returncode == EXIT_OK, result.stderr[-2000:]
    if redirect:
        # The redirected stdout is exactly the committed file: dev.py's own words go to stderr.
        assert result.stdout == (ROOT / redirect).read_text()
    if "--markdown" in argv:
        written = cwd / argv[argv.index("--markdown") + 1]
        assert "No changes." in written.read_text()  # the same plan on both sides


@pytest.mark.parametrize("command", [c for c in NOT_OFFLINE if " ops " in c])
def test_readme_ops_commands_parse_with_the_ops_cli(command: str) -> None:
    build_parser().parse_args(shlex.split(command)[2:])  # SystemExit on an unknown option


# -- dev.py as a command line (issue 15) -------------------------------------------------------------


def test_an_unknown_job_lists_the_jobs_and_exits_2() -> None:
    for job in ("previw", "offline.nosuch", "infra", "policies", "tests.helpers"):
        result = dev(job)
        assert result.returncode == 2, job
        assert result.stdout == "" and f"unknown job {job!r}" in result.stderr
        assert "preview" in result.stderr and "infra.config.reference" in result.stderr and "ops" in result.stderr


def test_no_arguments_is_a_usage_error_and_help_is_not() -> None:
    assert dev().returncode == 2
    helped = dev("--help")
    assert helped.returncode == 0 and "dev.py preview staging" in helped.stdout


def test_paths_are_relative_to_the_directory_the_user_is_in(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    result = dev("offline", "diff", "sub/missing-base.json", "sub/missing-head.json", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE and "sub/missing-base.json" in result.stderr
    assert "$ python -m offline diff" in result.stderr and result.stdout == ""


def test_a_job_piped_into_head_ends_without_a_traceback() -> None:
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)  # the 17 kB reference overflows it: the child must block
    child = subprocess.Popen(
        [*DEV, "infra.config.reference"], cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True
    )
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        assert reader.readline().startswith("# ")
    # The reader is gone, as after `| head -1`.
    _, stderr = child.communicate(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert child.returncode == 128 + 13  # SIGPIPE, as a shell reports it


# -- offline policy --config (issue 11) --------------------------------------------------------------


def test_a_mistyped_policy_config_is_an_error_not_the_defaults(
    staging_preview: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = staging_preview[0] / "out" / "staging.plan.json"
    missing = tmp_path / "policies" / "config" / "stagin.json"
    assert main(["policy", str(plan), "--config", str(missing), "--out", str(tmp_path)]) == EXIT_USAGE
    assert str(missing) in capsys.readouterr().err
    assert not (tmp_path / "staging.policy.json").exists()  # nothing judged with the production defaults


# -- the real path in the docs (issue 11) ------------------------------------------------------------


def test_every_documented_pulumi_preview_and_up_passes_the_stacks_policy_config() -> None:
    """Without --policy-pack-config the pack applies its production posture to every stack (policies/README.md)."""
    documents = [ROOT / "README.md", ROOT / "policies" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    seen = 0
    for document in documents:
        for block in re.findall(r"```[a-z]*\n(.*?)```", document.read_text(), re.S):
            stack = None
            for line in block.splitlines():
                words = line.split("#")[0].split()
                if words[:3] in (["pulumi", "stack", "select"], ["pulumi", "stack", "init"]):
                    stack = words[3]
                if words[:2] not in (["pulumi", "preview"], ["pulumi", "up"]) or "--destroy" in words:
                    continue  # a destroy preview creates and updates nothing the pack would judge
                named = words[words.index("--stack") + 1] if "--stack" in words else stack
                where = f"{document.relative_to(ROOT)}: {line.strip()}"
                assert "--policy-pack" in words and words[words.index("--policy-pack") + 1] == "policies", where
                assert "--policy-pack-config" in words, where
                config = words[words.index("--policy-pack-config") + 1]
                # The selected stack's file; with no stack in the block, a stack's file all the same.
                assert config == f"policies/config/{named or Path(config).stem}.json", where
                assert (ROOT / config).is_file(), where
                seen += 1
    assert seen >= 5
