"""`release` and the pointer rollback against moto (SSM, ECR, ECS), with a stubbed Pulumi runner, for a rolling
service (tests/ops/release_stack.py has the seams; test_release_strategies.py the other strategies).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ops import cli, pointer, release
from ops.apply import ApplyError, up_command
from ops.aws import Clients, Clock
from ops.outputs import StackOutputs
from tests.ops import release_stack
from tests.ops.conftest import MotoStack
from tests.ops.fake_deployments import FakeServiceDeployments
from tests.ops.release_stack import PARAMETER, SERVICE, TARGETS, FakePulumi, Repo
from tests.ops.release_stack import pointer_now as _pointer
from tests.ops.release_stack import running_image as _running_image
from tests.ops.release_stack import task_definition_before as _task_definition_before

FAST = Clock(sleep=lambda _: None)
repo = release_stack.repo
outputs = release_stack.outputs
rollouts = release_stack.rollouts
deployments = release_stack.deployments
fake_time = release_stack.fake_time
pointer_at_first_release = release_stack.pointer_at_first_release


@pytest.fixture(autouse=True)
def _first_release(pointer_at_first_release: None) -> None:
    """Every test starts from the stack's first deploy (release_stack.pointer_at_first_release)."""


def _options(fake: FakePulumi, **kwargs: Any) -> release.Options:
    return release.Options(poll_seconds=0, clock=FAST, apply=fake, **kwargs)


# -- a release ----------------------------------------------------------------------------------------------
def test_a_tag_is_resolved_the_pointer_written_the_stack_applied_and_the_service_steady(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    fake = FakePulumi(moto_stack)
    said: list[str] = []
    progress: list[str] = []
    options = _options(fake, say=said.append, progress=lambda _, status: progress.append(status))
    result = release.release(outputs, moto_stack.clients, SERVICE, f"{repo.url}:1.1.0", options)
    assert result.image == repo.image("1.1.0") and result.previous == repo.image("1.0.0")
    assert _pointer(moto_stack) == (2, repo.image("1.1.0")) and result.version == 2
    assert fake.calls == [("staging", tuple(TARGETS))]  # only what the pointer changes
    assert _running_image(moto_stack) == repo.image("1.1.0")
    assert result.task_definition is not None and result.task_definition != _task_definition_before(moto_stack)
    assert re.fullmatch(r"deployment deploy\d+ SUCCESSFUL; new revision 2/2 tasks", progress[-1])
    assert any(
        line.startswith("app-staging-worker: service deployment deploy") and "(ROLLING)" in line for line in said
    )
    assert any("pointer set to" in line and "(version 2)" in line for line in said)
    # The parameter keeps what Pulumi declared (no drift on allowedPattern or description).
    described = moto_stack.clients("ssm").describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [PARAMETER]}]
    )["Parameters"][0]
    assert described["AllowedPattern"].endswith("@sha256:[a-f0-9]{64}$")
    assert described["Description"] == "Image (by digest) released to worker"


def test_releasing_the_same_image_again_writes_nothing_and_still_applies(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    fake = FakePulumi(moto_stack)
    first = release.release(outputs, moto_stack.clients, SERVICE, repo.image("1.1.0"), _options(fake))
    again = release.release(outputs, moto_stack.clients, SERVICE, repo.image("1.1.0"), _options(fake))
    assert (first.version, again.version) == (2, None)
    assert _pointer(moto_stack) == (2, repo.image("1.1.0")) and len(fake.calls) == 2


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("{url}@sha256:" + "0" * 64, "is not in repository worker-image-8cd34bb"),  # digest never pushed
        ("{url}:9.9.9", "tag 9.9.9 is not in repository"),  # tag never pushed
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/other@sha256:" + "0" * 64, "not in worker's repository"),
        ("{url}-evil@sha256:" + "0" * 64, "not in worker's repository"),
        ("public.ecr.aws/nginx/nginx:1.27", "not an ECR image reference"),
        ("{url}@sha256:" + "A" * 64, "not an ECR image reference"),
        ("{url}", "not an ECR image reference"),  # neither tag nor digest
        ("", "not an ECR image reference"),
    ],
)
def test_an_image_that_is_not_in_the_repository_changes_nothing(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, image: str, message: str
) -> None:
    fake = FakePulumi(moto_stack)
    with pytest.raises(pointer.ReleaseError, match=message):
        release.release(outputs, moto_stack.clients, SERVICE, image.format(url=repo.url), _options(fake))
    assert _pointer(moto_stack) == (1, repo.image("1.0.0")) and fake.calls == []


def test_dry_run_checks_and_says_but_changes_nothing(moto_stack: MotoStack, repo: Repo, outputs: StackOutputs) -> None:
    fake = FakePulumi(moto_stack)
    said: list[str] = []
    result = release.release(
        outputs, moto_stack.clients, SERVICE, f"{repo.url}:1.2.0", _options(fake, dry_run=True, say=said.append)
    )
    assert result.dry_run and result.image == repo.image("1.2.0") and result.version is None
    assert _pointer(moto_stack) == (1, repo.image("1.0.0")) and fake.calls == []
    assert any(f"would write {repo.image('1.2.0')}" in line for line in said)


def test_a_pulumi_owned_service_or_a_stack_without_pointer_is_refused(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs
) -> None:
    with pytest.raises(pointer.ReleaseError, match="api is not CI-owned"):
        release.release(outputs, moto_stack.clients, "api", repo.image("1.1.0"), _options(FakePulumi(moto_stack)))
    moto_stack.clients("ssm").delete_parameter(Name=PARAMETER)
    try:
        with pytest.raises(pointer.ReleaseError, match=r"no release pointer .* deploy the stack first"):
            release.release(outputs, moto_stack.clients, SERVICE, repo.image("1.1.0"), _options(FakePulumi(moto_stack)))
    finally:
        moto_stack.clients("ssm").put_parameter(Name=PARAMETER, Value=repo.image("1.0.0"), Type="String")


# -- failures: the previous release comes back -----------------------------------------------------------------
def test_a_failed_apply_restores_the_previous_pointer_and_applies_it(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    fake = FakePulumi(moto_stack, fail_on={1})
    with pytest.raises(release.ReleaseFailedError) as info:
        release.release(outputs, moto_stack.clients, SERVICE, repo.image("1.1.0"), _options(fake))
    message = str(info.value)
    assert "`pulumi up` failed (exit 255)" in message
    assert f"back at the previous release {repo.image('1.0.0')} (version 3), applied" in message
    assert _pointer(moto_stack) == (3, repo.image("1.0.0")) and len(fake.calls) == 2
    assert _running_image(moto_stack) == repo.image("1.0.0")


def test_a_rollout_the_circuit_breaker_fails_is_undone(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    fake = FakePulumi(moto_stack)
    with pytest.raises(
        release.ReleaseFailedError, match="ended ROLLBACK_SUCCESSFUL; deployment circuit breaker"
    ) as info:
        release.release(outputs, moto_stack.clients, SERVICE, f"{repo.url}:bad", _options(fake))
    assert "steady on it again" in str(info.value)
    assert _pointer(moto_stack) == (3, repo.image("1.0.0")) and _running_image(moto_stack) == repo.image("1.0.0")
    versions = pointer.history(moto_stack.clients("ssm"), pointer.release_target(outputs, SERVICE))
    assert [v.image for v in versions] == [repo.image("1.0.0"), repo.image("bad"), repo.image("1.0.0")]


def test_when_restoring_fails_too_the_message_says_so(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    fake = FakePulumi(moto_stack, fail_on={1, 2})
    with pytest.raises(release.ReleaseFailedError, match=r"Restoring the previous release .* failed too") as info:
        release.release(outputs, moto_stack.clients, SERVICE, repo.image("1.1.0"), _options(fake))
    assert "docs/runbooks/rollback.md" in str(info.value)
    assert _pointer(moto_stack) == (3, repo.image("1.0.0"))  # the pointer is back even though the apply failed


def test_without_service_deployments_the_wait_falls_back_to_steady_state_and_times_out(
    moto_stack: MotoStack,
    repo: Repo,
    outputs: StackOutputs,
    rollouts: FakeServiceDeployments,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A role without ecs:ListServiceDeployments (or a Region without the feature): DescribeServices, as before."""
    rollouts.error = "AccessDeniedException"
    said: list[str] = []
    ecs = moto_stack.clients("ecs")
    steady = ecs.describe_services

    def in_progress(**kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = steady(**kwargs)
        for service in response["services"]:
            if repo.image("1.2.0") in json.dumps(
                ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
            ):
                service["deployments"][0]["rolloutState"] = "IN_PROGRESS"
        return response

    monkeypatch.setattr(ecs, "describe_services", in_progress)
    ticks = iter(range(0, 100_000, 60))
    clock = Clock(sleep=lambda _: None, monotonic=lambda: float(next(ticks)))
    fake = FakePulumi(moto_stack)
    options = release.Options(poll_seconds=0, clock=clock, apply=fake, timeout_minutes=5, say=said.append)
    with pytest.raises(release.ReleaseFailedError, match=r"not done after .* PRIMARY deployment IN_PROGRESS"):
        release.release(outputs, moto_stack.clients, SERVICE, repo.image("1.2.0"), options)
    assert _pointer(moto_stack)[1] == repo.image("1.0.0") and len(fake.calls) == 2
    assert any("(AccessDeniedException)" in line and "DescribeServices instead" in line for line in said)


# -- rollback through the pointer's history -----------------------------------------------------------------
def test_rollback_releases_the_previous_distinct_image_or_a_named_version(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    fake = FakePulumi(moto_stack)
    for tag in ("1.1.0", "1.2.0", "1.2.0"):  # the repeated release writes nothing
        release.release(outputs, moto_stack.clients, SERVICE, repo.image(tag), _options(fake))
    assert _pointer(moto_stack) == (3, repo.image("1.2.0"))
    back = release.rollback(outputs, moto_stack.clients, SERVICE, None, _options(fake))
    assert (back.image, back.previous, back.version) == (repo.image("1.1.0"), repo.image("1.2.0"), 4)
    assert _running_image(moto_stack) == repo.image("1.1.0")
    named = release.rollback(outputs, moto_stack.clients, SERVICE, 1, _options(fake))
    assert named.image == repo.image("1.0.0") and _pointer(moto_stack) == (5, repo.image("1.0.0"))
    with pytest.raises(pointer.ReleaseError, match=r"version 42 is not in its history .*1..5"):
        release.rollback(outputs, moto_stack.clients, SERVICE, 42, _options(fake))
    with pytest.raises(pointer.ReleaseError, match="version 1 holds the image already released"):
        release.rollback(outputs, moto_stack.clients, SERVICE, 1, _options(fake))


def test_rollback_refuses_an_image_the_repository_no_longer_holds(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, rollouts: None
) -> None:
    """ECR's lifecycle policy expires old images; the pointer's history may name one."""
    gone = f"{repo.url}@sha256:{'e' * 64}"
    moto_stack.clients("ssm").put_parameter(Name=PARAMETER, Value=gone, Type="String", Overwrite=True)
    moto_stack.clients("ssm").put_parameter(Name=PARAMETER, Value=repo.image("1.1.0"), Type="String", Overwrite=True)
    fake = FakePulumi(moto_stack)
    with pytest.raises(pointer.ReleaseError, match=r"is not in repository .*nothing was changed"):
        release.rollback(outputs, moto_stack.clients, SERVICE, None, _options(fake))
    assert _pointer(moto_stack) == (3, repo.image("1.1.0")) and fake.calls == []


@pytest.mark.parametrize(
    ("images", "wanted", "expected"),
    [
        (["a", "b"], None, 1),
        (["a", "b", "b"], None, 1),  # a repeated release is not a rollback target
        (["a", "b", "a", "c"], None, 3),
        (["a", "b", "c"], 1, 1),
    ],
)
def test_previous_release_choice(images: list[str], wanted: int | None, expected: int) -> None:
    versions = [pointer.Version(i + 1, image, None, "") for i, image in enumerate(images)]
    assert pointer.previous_release(versions, wanted).number == expected


def test_previous_release_with_nothing_earlier() -> None:
    with pytest.raises(pointer.ReleaseError, match="nothing to roll back to"):
        pointer.previous_release([pointer.Version(1, "a", None, ""), pointer.Version(2, "a", None, "")])


# -- the command line ---------------------------------------------------------------------------------------
def _cli(moto_stack: MotoStack, fake: FakePulumi, *argv: str) -> int:
    def factory(region: str) -> Clients:
        return moto_stack.clients

    return cli.main(list(argv), clients_factory=factory, apply=fake)


@pytest.mark.usefixtures("rollouts")
def test_cli_release_and_rollback(
    moto_stack: MotoStack, repo: Repo, outputs: StackOutputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(dict(outputs.values)))
    fake = FakePulumi(moto_stack)
    base = ["--outputs", str(path), "--poll-seconds", "0"]
    assert _cli(moto_stack, fake, "release", SERVICE, "--image", f"{repo.url}:1.1.0", *base) == cli.EXIT_OK
    out = capsys.readouterr()
    assert out.out.startswith(f"worker runs {repo.image('1.1.0')} (pointer version 2,")
    assert "applying the stack (staging)" in out.err
    assert _cli(moto_stack, fake, "rollback", SERVICE, *base) == cli.EXIT_OK
    assert _pointer(moto_stack) == (3, repo.image("1.0.0"))
    assert _cli(moto_stack, fake, "rollback", SERVICE, "--revision", "2", *base) == cli.EXIT_FAILED
    assert "its releases are pointer versions" in capsys.readouterr().err
    missing = f"{repo.url}:0.0.1"
    assert _cli(moto_stack, fake, "release", SERVICE, "--image", missing, *base) == cli.EXIT_FAILED
    assert "tag 0.0.1 is not in repository" in capsys.readouterr().err
    assert _cli(moto_stack, fake, "release", "nope", "--image", missing, *base) == cli.EXIT_USAGE


# -- the Pulumi runner --------------------------------------------------------------------------------------
def test_the_apply_is_targeted_and_runs_the_policy_pack(tmp_path: Path) -> None:
    (tmp_path / "policies" / "config").mkdir(parents=True)
    (tmp_path / "policies" / "config" / "staging.json").write_text("{}")
    command = up_command("staging", TARGETS, tmp_path)
    assert command[:5] == ["pulumi", "up", "--yes", "--stack", "staging"]
    assert command[command.index("--policy-pack") + 1] == str(tmp_path / "policies")
    assert command[command.index("--policy-pack-config") + 1].endswith("policies/config/staging.json")
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--target"] == TARGETS
    assert "--policy-pack-config" not in up_command("other", TARGETS, tmp_path)


def test_the_apply_fails_clearly_without_the_cli_or_on_a_failed_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from ops import apply

    def missing(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("pulumi")

    monkeypatch.setattr(subprocess, "run", missing)
    with pytest.raises(ApplyError, match="Pulumi CLI is not installed"):
        apply.pulumi_up("staging", TARGETS)

    class Done:
        returncode = 255

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(ApplyError, match=r"failed \(exit 255\)"):
        apply.pulumi_up("staging", TARGETS)


# -- the deploy workflow ------------------------------------------------------------------------------------
def test_the_deploy_workflow_releases_each_ci_owned_build_under_the_deploy_role_before_verifying() -> None:
    from tests.test_workflows import jobs, load, ops_invocations, steps

    (job,) = jobs(load("deploy-stack.yml")).values()
    names = [str(step.get("name", step.get("uses", ""))) for step in steps(job)]
    released = names.index("release each CI-owned service's image")
    # After `pulumi up` built and pushed the images and the outputs were read, still under the deploy role (it
    # writes SSM and applies the stack), and before the read-only verify role checks the result.
    assert names.index("pulumi up --policy-pack policies") < names.index("read the stack outputs") < released
    assert released < names.index("assume the read-only verify role") < names.index("verify the deployed stack")
    (release_argv,) = [argv for argv in ops_invocations(job) if argv[0] == "release"]
    args = cli.build_parser().parse_args(release_argv)
    assert (args.service, args.image, args.stack) == ("$service", "$image", "staging") and args.outputs
    script = str(steps(job)[released]["run"])
    assert "select(.value.release)" in script and ".release.builtImage" in script  # only CI-owned services
