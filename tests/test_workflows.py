"""The GitHub Actions workflows: they parse and match GitHub's schema, and their triggers, jobs, permissions,
concurrency and the commands they run are what delivery needs (issue 8). Commands that call our own CLIs are
parsed with those CLIs. zizmor audits them offline; every action is pinned to a recorded commit (issue 11)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.project import ROOT
from ops.cli import build_parser
from tests.dev_entry import load_dev

WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = ("staging", "production")
# Inputs of pulumi/actions v7 that we use, as its action.yml names them (camelCase policyPacks is the real name).
PULUMI_ACTION_INPUTS = {
    "command", "stack-name", "work-dir", "cloud-url", "comment-on-pr", "comment-on-summary", "edit-pr-comment",
    "diff", "policyPacks", "policyPackConfigs", "refresh", "expect-no-changes", "upsert", "message",
}  # fmt: skip
# How `python -m offline preview <stack> --out out` names its policy reports (offline/policy_runner.py
# write_reports; the README lists them too).
POLICY_REPORT = "{stack}.policy.{ext}"
# owner/repo[/path]@<full commit SHA> # vX.Y.Z, as a line of the workflow's text (YAML drops the comment).
PINNED = re.compile(r"uses: ([\w.-]+/[\w.-]+)(/[\w./-]+)?@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")
PINS = ROOT / ".github" / "actions-pins.md"
BIN = Path(sys.executable).parent
# libyaml's loader where PyYAML has it (its wheels do): yaml.safe_load's reading, about 10x faster, 75 loads a run.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(name: str) -> dict[str, Any]:
    document = yaml.load((WORKFLOWS / name).read_text(), Loader=SAFE_LOADER)
    assert isinstance(document, dict), name
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1); GitHub reads it as "on".
    document["on"] = document.pop(True, document.get("on"))
    return document


def pins_in_workflows() -> dict[str, tuple[str, str]]:
    """`uses` value -> (repository, tag) for every pinned action line of every workflow."""
    found = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            if (match := PINNED.search(line)) is not None:
                repository, folder, sha, tag = match.groups()
                found[f"{repository}{folder or ''}@{sha}"] = (repository, tag)
    return found


def version(step: dict[str, Any]) -> str:
    """The release tag a pinned step names in its comment."""
    return pins_in_workflows()[step["uses"]][1]


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(workflow["jobs"])


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).split("@")[0] == action]


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(s["run"]) for s in steps(job) if "run" in s)


def command_lines(script: str) -> Iterator[str]:
    """Shell lines with backslash continuations joined and runs of blanks collapsed."""
    yield from (" ".join(line.split()) for line in script.replace("\\\n", " ").splitlines() if line.strip())


def ops_invocations(job: dict[str, Any]) -> list[list[str]]:
    """Every `dev.py ops ...` command of a job, with shell variables replaced by sample values, as argv."""
    found = []
    for line in command_lines(scripts(job)):
        if "dev.py ops " not in line:
            continue
        text = line.split("dev.py ops ", 1)[1]
        text = text.replace('"${reach[@]}"', "--skip-connect").replace("$STACK", "staging")
        found.append(shlex.split(text))
    return found


def aws_jobs(workflows: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(workflow, job id, job, configures AWS credentials) for every job; a reusable-workflow call counts as
    configuring them when the called workflow does."""
    for name, workflow in workflows.items():
        for job_id, job in jobs(workflow).items():
            if "uses" in job:
                called = load(Path(job["uses"]).name)
                configures = any(uses(j, "aws-actions/configure-aws-credentials") for j in jobs(called).values())
            else:
                configures = bool(uses(job, "aws-actions/configure-aws-credentials"))
            yield name, job_id, job, configures


# -- every workflow ---------------------------------------------------------------------------------


def test_the_workflows_exist_and_parse() -> None:
    workflows = all_workflows()
    assert set(workflows) == {"pull-request.yml", "deploy.yml", "deploy-stack.yml", "scheduled.yml"}
    for name, workflow in workflows.items():
        assert workflow["name"] and workflow["on"] and jobs(workflow), name


def test_permissions_are_empty_at_the_top_and_least_per_job() -> None:
    for name, workflow in all_workflows().items():
        assert workflow["permissions"] == {}, f"{name}: top-level permissions must be empty"
        for job_id, job in jobs(workflow).items():
            granted = job.get("permissions")
            assert isinstance(granted, dict), f"{name}:{job_id} must declare its permissions"
            assert set(granted.values()) <= {"read", "write"}
            writes = {scope for scope, level in granted.items() if level == "write"}
            needed = set()
            if uses(job, "marocchino/sticky-pull-request-comment") or any(
                str(s.get("with", {}).get("comment-on-pr")).lower() == "true" for s in uses(job, "pulumi/actions")
            ):
                needed.add("pull-requests")
            if uses(job, "github/codeql-action/upload-sarif"):
                needed.add("security-events")
            writes.discard("id-token")  # checked against AWS use below
            assert writes == needed, f"{name}:{job_id} writes {writes}, needs {needed}"


def test_id_token_write_exactly_on_the_jobs_that_assume_an_aws_role() -> None:
    seen = 0
    for name, job_id, job, configures in aws_jobs(all_workflows()):
        has_token = job.get("permissions", {}).get("id-token") == "write"
        assert has_token == configures, f"{name}:{job_id}: id-token write {has_token}, AWS {configures}"
        seen += configures
    assert seen >= 5


def test_aws_roles_come_from_variables_by_oidc() -> None:
    for workflow in all_workflows().values():
        for job in jobs(workflow).values():
            for step in uses(job, "aws-actions/configure-aws-credentials"):
                assert version(step).startswith("v6.")
                settings = step["with"]
                assert re.fullmatch(
                    r"\$\{\{ (vars\.AWS_[A-Z_]+_ROLE_ARN|matrix\.role) \}\}", settings["role-to-assume"]
                )
                assert settings["aws-region"] == "${{ vars.AWS_REGION }}"
                assert not {"aws-access-key-id", "aws-secret-access-key"} & set(settings)


def test_actions_are_pinned_to_a_recorded_commit() -> None:
    """Every step's action is a full commit SHA with its tag, and that SHA is the one recorded for the tag in
    .github/actions-pins.md (read from the action's own repository; zizmor cannot check this offline)."""
    recorded = {
        (repository, tag): sha
        for repository, tag, sha in re.findall(
            r"^\| ([\w.-]+/[\w.-]+) \| (v[\d.]+) \| ([0-9a-f]{40}) \|", PINS.read_text(), re.M
        )
    }
    pins = pins_in_workflows()
    for name, workflow in all_workflows().items():
        for job in jobs(workflow).values():
            if "uses" in job:
                assert job["uses"].startswith("./.github/workflows/"), name
            for step in steps(job):
                if "uses" not in step:
                    continue
                assert step["uses"] in pins, f"{name}: {step['uses']} is not pinned to a SHA with its tag"
                repository, tag = pins[step["uses"]]
                assert recorded.get((repository, tag)) == step["uses"].rsplit("@", 1)[1], f"{name}: {step['uses']}"
                if repository == "actions/setup-python":
                    assert step["with"]["python-version"] == "3.11"
    assert len(pins) >= 9


def test_checkout_never_persists_credentials() -> None:
    for name, workflow in all_workflows().items():
        for job_id, job in jobs(workflow).items():
            for step in uses(job, "actions/checkout"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{name}:{job_id}"


def test_called_workflows_receive_only_the_secrets_they_use() -> None:
    called = load("deploy-stack.yml")
    declared = set(called["on"]["workflow_call"].get("secrets", {}))
    used = set(re.findall(r"secrets\.([A-Z_]+)", (WORKFLOWS / "deploy-stack.yml").read_text()))
    assert used and used == declared
    for name, workflow in all_workflows().items():
        for job_id, job in jobs(workflow).items():
            if "uses" in job:
                passed = job.get("secrets")
                assert isinstance(passed, dict), f"{name}:{job_id}: secrets must be named, not {passed!r}"
                assert set(passed) == declared
                assert all(value == f"${{{{ secrets.{key} }}}}" for key, value in passed.items())


def test_everything_is_installed_before_an_aws_role_is_assumed() -> None:
    """Installs run package code (build backends, Pulumi's pip for the pack): none of it with credentials in reach."""
    installs = ("dev.py sync", "pulumi install", "pip install", "uv sync")
    checked = 0
    for name, job_id, job, configures in aws_jobs(all_workflows()):
        if not configures or "uses" in job:
            continue
        kinds = [
            "role" if str(step.get("uses", "")).startswith("aws-actions/") else str(step.get("run", ""))
            for step in steps(job)
        ]
        first_role = kinds.index("role")
        assert not [k for k in kinds[first_role:] if any(i in k for i in installs)], f"{name}:{job_id}"
        assert any("dev.py sync" in k for k in kinds[:first_role]), f"{name}:{job_id}"
        checked += 1
    assert checked >= 4


def test_dependency_caches_only_where_no_deploy_credentials_are() -> None:
    """uv's download cache speeds up checks; a job that can assume an AWS role restores nothing a run wrote."""
    cached = 0
    for name, job_id, job, configures in aws_jobs(all_workflows()):
        for step in uses(job, "actions/cache"):
            assert not configures, f"{name}:{job_id}"
            assert step["with"]["path"] == "~/.cache/uv" and "uv.lock" in step["with"]["key"]
            cached += 1
    assert cached >= 3


def test_pulumi_finds_the_locked_uv_before_it_installs() -> None:
    """Pulumi.yaml says `toolchain: uv`: `pulumi install` needs uv on PATH, and it is the locked one from .venv."""
    for name, workflow in all_workflows().items():
        for job_id, job in jobs(workflow).items():
            script = scripts(job)
            if "pulumi install" not in script:
                continue
            before = script.split("pulumi install")[0]
            assert "python3.11 dev.py sync" in before and ".venv/bin/uv" in before and "GITHUB_PATH" in before, (
                f"{name}:{job_id}"
            )


def test_pulumi_action_inputs_are_real_and_always_use_the_policy_pack_for_changes() -> None:
    for name, workflow in all_workflows().items():
        for job in jobs(workflow).values():
            for step in uses(job, "pulumi/actions"):
                assert version(step).startswith("v7.")
                settings = step.get("with", {})
                assert set(settings) <= PULUMI_ACTION_INPUTS, (
                    f"{name}: unknown inputs {set(settings) - PULUMI_ACTION_INPUTS}"
                )
                if settings.get("command") == "up" or str(settings.get("comment-on-pr")).lower() == "true":
                    assert settings["policyPacks"] == "policies", name
                    # Without the stack's config the pack runs its production posture on staging too.
                    stack = settings["stack-name"].removeprefix("${{ ").removesuffix(" }}")
                    assert settings["policyPackConfigs"] == f"policies/config/${{{{ {stack} }}}}.json", name


def test_every_dev_py_job_exists() -> None:
    known = load_dev().known_jobs()
    for workflow in all_workflows().values():
        for job in jobs(workflow).values():
            for line in command_lines(scripts(job)):
                for match in re.finditer(r"dev\.py ([\w.]+)", line):
                    job_name = match.group(1)
                    assert job_name in known, line


def test_every_timeout_is_bounded() -> None:
    for name, workflow in all_workflows().items():
        for job_id, job in jobs(workflow).items():
            if "uses" not in job:
                assert 0 < job["timeout-minutes"] <= 300, f"{name}:{job_id}"


# -- pull requests -----------------------------------------------------------------------------------


def test_pull_requests_run_the_ci_test_command() -> None:
    workflow = load("pull-request.yml")
    assert workflow["on"] == {
        "pull_request": {"branches": ["main"], "types": ["opened", "synchronize", "reopened", "labeled", "unlabeled"]}
    }
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in workflow["concurrency"]["group"]
    checks = jobs(workflow)["checks"]
    assert "python3.11 dev.py test" in scripts(checks) and "ruff format --check" in scripts(checks)


def test_pull_requests_diff_offline_plans_against_the_base_branch() -> None:
    job = jobs(load("pull-request.yml"))["offline-plan"]
    checkouts = uses(job, "actions/checkout")
    base = [c for c in checkouts if c.get("with", {}).get("ref") == "${{ github.event.pull_request.base.sha }}"]
    head = [c for c in checkouts if "ref" not in c.get("with", {})]
    assert len(base) == len(head) == 1 and base[0]["with"]["path"] != head[0]["with"]["path"]
    by_directory: dict[str, list[str]] = {}
    for step in steps(job):
        if "run" in step:
            by_directory.setdefault(step.get("working-directory", "."), []).extend(command_lines(str(step["run"])))
    # Each side renders every stack with its own code, in one process (the base falls back to one preview per stack
    # when its code predates `offline checkout`).
    assert any("dev.py offline checkout --out out" in line for line in by_directory[head[0]["with"]["path"]])
    base_lines = "\n".join(by_directory[base[0]["with"]["path"]])
    assert "dev.py offline checkout --out ../head/out/base" in base_lines
    assert 'dev.py preview "$stack" --out ../head/out/base' in base_lines
    comment = "dev.py offline pr-comment --base out/base --head out --out out/pr-comment.md --full out"
    assert any(comment in line for line in by_directory[head[0]["with"]["path"]])


def test_pull_requests_get_one_sticky_comment_with_diff_and_policy_report() -> None:
    job = jobs(load("pull-request.yml"))["offline-plan"]
    (comment,) = uses(job, "marocchino/sticky-pull-request-comment")
    assert version(comment).startswith("v3.") and comment["with"]["header"]  # the header makes it update in place
    assert "always()" in comment["if"]
    comment_file = comment["with"]["path"].split("/", 1)[1]
    assembling = next(str(s["run"]) for s in steps(job) if f"--out {comment_file}" in str(s.get("run", "")))
    assert "dev.py offline pr-comment" in assembling  # diff, policy and cost of every stack, within the limit


def test_pull_requests_run_the_stateful_gate_on_every_label_change() -> None:
    workflow = load("pull-request.yml")
    assert {"labeled", "unlabeled"} <= set(workflow["on"]["pull_request"]["types"])
    job = jobs(workflow)["offline-plan"]
    names = [s.get("name", "") for s in steps(job)]
    gate = next(s for s in steps(job) if "stateful-gate" in str(s.get("run", "")))
    artifact = next(i for i, s in enumerate(steps(job)) if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert names.index(gate["name"]) > artifact and gate["if"] == "always()"  # the reports are kept either way
    # The labels come from the event payload (no token, no API call), through env: never expanded into the script.
    assert gate["env"]["LABELS"] == "${{ toJSON(github.event.pull_request.labels.*.name) }}"
    assert "${{" not in str(gate["run"]) and '--labels "$LABELS"' in str(gate["run"])
    assert f'for stack in {" ".join(STACKS)}; do diffs+=("out/$stack.diff.json")' in str(gate["run"])


def test_pull_requests_upload_each_stacks_policy_sarif() -> None:
    job = jobs(load("pull-request.yml"))["offline-plan"]
    uploads = uses(job, "github/codeql-action/upload-sarif")
    assert sorted(u["with"]["sarif_file"].rsplit("/", 1)[1] for u in uploads) == sorted(
        POLICY_REPORT.format(stack=stack, ext="sarif") for stack in STACKS
    )
    assert len({u["with"]["category"] for u in uploads}) == len(STACKS)  # one analysis per stack, not overwritten


def test_pull_requests_preview_with_pulumi_where_credentials_are_configured() -> None:
    workflow = load("pull-request.yml")
    job = jobs(workflow)["pulumi-preview"]
    assert "needs.preview-targets.outputs.matrix != '[]'" in job["if"]
    picker = str(jobs(workflow)["preview-targets"]["steps"][0]["env"])
    assert all(f"vars.AWS_PREVIEW_ROLE_ARN_{stack.upper()}" in picker for stack in STACKS)
    preview = [s for s in uses(job, "pulumi/actions") if s.get("with", {}).get("command")]
    assert [s["with"] for s in preview] == [
        {
            "command": "preview",
            "stack-name": "${{ matrix.stack }}",
            "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
            "diff": True,
            "policyPacks": "policies",
            "policyPackConfigs": "policies/config/${{ matrix.stack }}.json",
            "comment-on-pr": True,
            "edit-pr-comment": True,
        }
    ]
    assert "matrix.stack" in job["concurrency"]["group"]


def test_pull_requests_run_the_deploys_preflight_for_each_previewed_stack() -> None:
    """A refusal `ops preflight` would give at deploy time shows on the pull request, after the preview."""
    job = jobs(load("pull-request.yml"))["pulumi-preview"]
    names = [str(step.get("name", step.get("uses", ""))) for step in steps(job)]
    preflight = next(i for i, name in enumerate(names) if "ops preflight" in name)
    assert preflight > next(i for i, name in enumerate(names) if name.startswith("pulumi preview"))
    assert steps(job)[preflight]["env"]["STACK"] == "${{ matrix.stack }}"
    (argv,) = ops_invocations(job)
    args = build_parser().parse_args(argv)
    assert args.command == "preflight" and args.stack == "staging" and str(args.outputs) == "out/outputs-staging.json"
    assert 'pulumi stack output --json --stack "$STACK" > "out/outputs-$STACK.json"' in scripts(job)


# -- main --------------------------------------------------------------------------------------------


def test_main_deploys_staging_then_production_after_the_tests() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    deploy = jobs(workflow)
    assert "python3.11 dev.py test" in scripts(deploy["checks"])
    assert deploy["staging"]["needs"] == "checks" and deploy["production"]["needs"] == "staging"
    for stack in STACKS:
        assert deploy[stack]["uses"] == "./.github/workflows/deploy-stack.yml"
        assert deploy[stack]["with"] == {"stack": stack}


def test_each_stack_deploys_in_its_environment_then_verifies_with_a_read_only_role() -> None:
    workflow = load("deploy-stack.yml")
    assert workflow["on"]["workflow_call"]["inputs"]["stack"]["required"] is True
    (job,) = jobs(workflow).values()
    assert job["environment"]["name"] == "${{ inputs.stack }}"  # `production` carries the required reviewers
    assert job["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    order = []
    for step in steps(job):
        action = str(step.get("uses", "")).split("@")[0]
        if action == "aws-actions/configure-aws-credentials":
            order.append(step["with"]["role-to-assume"])
        elif action == "pulumi/actions" and step.get("with", {}).get("command"):
            assert step["with"]["policyPacks"] == "policies" and step["with"]["stack-name"] == "${{ inputs.stack }}"
            order.append(f"pulumi {step['with']['command']}")
        elif "dev.py ops verify" in str(step.get("run", "")):
            order.append("ops verify")
        elif "dev.py ops preflight" in str(step.get("run", "")):
            order.append("ops preflight")
        elif action == "docker/setup-qemu-action":
            # The program builds linux/arm64 task images; a GitHub x86 runner needs QEMU for that.
            assert "arm64" in step["with"]["platforms"]
            order.append("qemu")
    assert order == [
        "qemu", "${{ vars.AWS_DEPLOY_ROLE_ARN }}", "ops preflight", "pulumi up", "${{ vars.AWS_VERIFY_ROLE_ARN }}",
        "ops verify",
    ]  # fmt: skip
    (before,) = [argv for argv in ops_invocations(job) if argv[0] == "preflight"]
    args = build_parser().parse_args(before)
    assert args.stack == "staging" and str(args.outputs) == "out/outputs-before-staging.json"  # $STACK: this stack
    assert 'pulumi stack output --json --stack "$STACK" > "out/outputs-before-$STACK.json"' in scripts(job)
    (verify,) = [argv for argv in ops_invocations(job) if argv[0] == "verify"]
    args = build_parser().parse_args(verify)
    assert args.command == "verify" and args.stack == "staging" and args.outputs and args.report
    assert 'pulumi stack output --json --stack "$STACK"' in scripts(job)


def test_each_deploy_bootstraps_the_database_user_after_up_and_before_verify() -> None:
    """The services cannot log in until `ops db-bootstrap` created their user (docs/database-credentials.md)."""
    (job,) = jobs(load("deploy-stack.yml")).values()
    order = [
        "up" if step.get("with", {}).get("command") == "up" else str(step.get("run", "")).split("dev.py ops ")[-1]
        for step in steps(job)
        if step.get("with", {}).get("command") == "up" or "dev.py ops " in str(step.get("run", ""))
    ]
    bootstrap = next(i for i, o in enumerate(order) if o.startswith("db-bootstrap"))
    verify = next(i for i, o in enumerate(order) if o.startswith("verify"))
    assert order.index("up") < bootstrap < verify
    (argv,) = [argv for argv in ops_invocations(job) if argv[0] == "db-bootstrap"]
    args = build_parser().parse_args(argv)
    assert args.stack == "staging" and not args.revoke  # $STACK: the stack being deployed


# -- scheduled ---------------------------------------------------------------------------------------


def test_drift_runs_daily_and_the_restore_drill_monthly() -> None:
    workflow = load("scheduled.yml")
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    daily = [c for c in crons if c.split()[2:] == ["*", "*", "*"]]
    monthly = [c for c in crons if c.split()[2] != "*" and c.split()[3:] == ["*", "*"]]
    assert len(daily) == len(monthly) == 1
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]["task"]["options"]) == {"drift", "restore-drill"}
    work = jobs(workflow)
    assert f"github.event.schedule == '{daily[0]}'" in work["drift"]["if"]
    assert f"github.event.schedule == '{monthly[0]}'" in work["restore-drill"]["if"]


def test_drift_expects_no_changes_after_a_refresh_and_never_overlaps_a_deploy() -> None:
    job = jobs(load("scheduled.yml"))["drift"]
    (preview,) = [s for s in uses(job, "pulumi/actions") if s.get("with", {}).get("command")]
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["expect-no-changes"] is True and preview["with"]["refresh"] is True
    (deploy,) = jobs(load("deploy-stack.yml")).values()
    assert job["concurrency"]["group"].split("${{")[0] == deploy["concurrency"]["group"].split("${{")[0]
    assert job["concurrency"]["cancel-in-progress"] is False


def test_the_restore_drill_keeps_its_evidence_even_when_it_fails() -> None:
    job = jobs(load("scheduled.yml"))["restore-drill"]
    (drill,) = ops_invocations(job)
    args = build_parser().parse_args(drill)
    assert args.command == "restore-drill" and args.evidence and args.skip_connect
    assert "--allow-from" in scripts(job)
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["if"] == "always()" and str(args.evidence).replace("staging", "*") == upload["with"]["path"]
    assert job["concurrency"]["cancel-in-progress"] is False  # a cancelled drill would skip its cleanup


@pytest.mark.parametrize("name", ["deploy-stack.yml", "scheduled.yml", "pull-request.yml"])
def test_ops_commands_in_workflows_parse_with_the_ops_cli(name: str) -> None:
    for job in jobs(load(name)).values():
        for argv in ops_invocations(job):
            build_parser().parse_args(argv)  # SystemExit on an unknown option


# -- static analysis ---------------------------------------------------------------------------------


def zizmor(folder: Path) -> list[dict[str, Any]]:
    """zizmor's findings of medium severity and above, offline, with no configuration that could silence any."""
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-config", "--no-progress", "--format", "json",
         "--min-severity", "medium", str(folder)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode in (0, 11, 12, 13, 14), result.stderr  # 1x: findings of severity x
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_zizmor_finds_nothing_of_medium_or_high_severity() -> None:
    assert [f["ident"] for f in zizmor(ROOT / ".github")] == []
    for path in (ROOT / ".github").rglob("*.yml"):
        assert "zizmor: ignore" not in path.read_text(), path.name  # no finding silenced inline


def test_zizmor_would_catch_a_tag_pin_and_inherited_secrets(tmp_path: Path) -> None:
    copy = tmp_path / ".github"
    shutil.copytree(ROOT / ".github", copy)
    deploy = copy / "workflows" / "deploy.yml"
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v7", deploy.read_text())
    text = re.sub(r"secrets:  #.*\n\s+PULUMI_ACCESS_TOKEN: .*\n", "secrets: inherit\n", text)
    deploy.write_text(text)
    found = {f["ident"] for f in zizmor(copy)}
    assert {"unpinned-uses", "secrets-inherit"} <= found


def check_schema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_workflows_and_dependabot_match_githubs_schemas() -> None:
    """SchemaStore's schemas, as check-jsonschema ships them: no network."""
    result = check_schema("vendor.github-workflows", *sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout
    result = check_schema("vendor.dependabot", ROOT / ".github" / "dependabot.yml")
    assert result.returncode == 0, result.stdout


def test_the_schema_check_rejects_a_misspelt_permission(tmp_path: Path) -> None:
    broken = tmp_path / "deploy.yml"
    broken.write_text((WORKFLOWS / "deploy.yml").read_text().replace("contents: read", "contents: reed", 1))
    assert check_schema("vendor.github-workflows", broken).returncode != 0


def test_dependabot_keeps_actions_and_the_lock_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "uv"}  # uv: pyproject.toml and uv.lock together
    for update in ecosystems.values():
        assert update["directory"] == "/" and update["cooldown"]["default-days"] >= 3
