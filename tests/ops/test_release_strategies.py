"""`release` and `rollback` with blue/green, canary and linear services: every lifecycle stage reported, bake times,
the smoke-test hook failing, a timeout in a stage, stopping a deployment in progress, and values AWS may add.

ECS service deployments come from tests/ops/fake_deployments.py (moto has none), checked against botocore's model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops import cli, deployment_rollback, release
from ops import service_deployments as sd
from ops.aws import Clients, WaitTimeoutError
from ops.deployment_report import STAGES, StageReport
from ops.deployment_watch import configured_minutes, describe_strategy, planned_minutes, wait_for_deployment
from ops.ecs import Rollout
from ops.outputs import StackOutputs
from ops.rollback import Options as RollbackOptions
from tests.ops import release_stack
from tests.ops.conftest import MotoStack
from tests.ops.fake_deployments import (
    MODEL,
    FakeServiceDeployments,
    FakeTime,
    Frame,
    Plan,
    check_output,
    configuration,
    frames,
    shape_errors,
)
from tests.ops.release_stack import PARAMETER, SERVICE, FakePulumi, Repo, pointer_now, running_image

repo = release_stack.repo
outputs = release_stack.outputs
deployments = release_stack.deployments
fake_time = release_stack.fake_time
pointer_at_first_release = release_stack.pointer_at_first_release

BLUE_GREEN = configuration("BLUE_GREEN", bakeTimeInMinutes=10)
CANARY = configuration(
    "CANARY", bakeTimeInMinutes=5, canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 3}
)
LINEAR = configuration(
    "LINEAR", bakeTimeInMinutes=5, linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 2}
)
FORWARD = [
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
]
STAMP = r"2026-12-03T\d\d:\d\d:\d\dZ \(\+\d\d:\d\d\)"


def until_test_traffic(hook_polls: int = 2) -> list[Frame | tuple[Frame, int]]:
    """Blue/green up to the smoke test: green scales up, the test listener moves, the hook runs."""
    return [
        Frame("PENDING"),
        Frame(stage="PRE_SCALE_UP", production=0.0, test=0.0),
        (Frame(stage="SCALE_UP", production=0.0, test=0.0, running=1), 2),
        Frame(stage="POST_SCALE_UP", production=0.0, test=0.0, running=2),
        Frame(stage="TEST_TRAFFIC_SHIFT", production=0.0, test=100.0, running=2),
        (Frame(stage="POST_TEST_TRAFFIC_SHIFT", production=0.0, test=100.0, running=2, hook="IN_PROGRESS"), hook_polls),
    ]


def after_test_traffic(*shift: Frame | tuple[Frame, int], bake_polls: int = 3) -> Plan:
    done = Frame(stage="POST_PRODUCTION_TRAFFIC_SHIFT", production=100.0, test=100.0, running=2)
    return frames(
        Frame(stage="POST_TEST_TRAFFIC_SHIFT", production=0.0, test=100.0, running=2, hook="SUCCEEDED"),
        *shift,
        done,
        (Frame(stage="BAKE_TIME", production=100.0, test=100.0, running=2), bake_polls),
        Frame(stage="CLEAN_UP", production=100.0, test=100.0, running=2),
        Frame("SUCCESSFUL", stage="CLEAN_UP", production=100.0, test=100.0, running=2),
    )


def blue_green(bake_polls: int = 3) -> Plan:
    all_at_once = Frame(stage="PRODUCTION_TRAFFIC_SHIFT", production=100.0, test=100.0, running=2)
    return frames(*until_test_traffic()) + after_test_traffic(all_at_once, bake_polls=bake_polls)


def canary(canary_polls: int = 3) -> Plan:
    shift = Frame(stage="PRODUCTION_TRAFFIC_SHIFT", test=100.0, running=2)
    return frames(*until_test_traffic()) + after_test_traffic(
        (replace(shift, production=10.0), canary_polls), replace(shift, production=100.0), bake_polls=2
    )


SMOKE_TEST_FAILS = frames(
    *until_test_traffic(),
    Frame("ROLLBACK_REQUESTED", stage="POST_TEST_TRAFFIC_SHIFT", production=0.0, test=100.0, running=2, hook="FAILED"),
    Frame("ROLLBACK_IN_PROGRESS", stage="TEST_TRAFFIC_SHIFT", production=0.0, test=0.0, running=2),
    Frame("ROLLBACK_IN_PROGRESS", stage="CLEAN_UP", production=0.0, test=0.0, running=0),
    Frame("ROLLBACK_SUCCESSFUL", stage="CLEAN_UP", production=0.0, test=0.0, running=0),
)


@dataclass
class World:
    """The moto stack with the worker's repository and pointer, service deployments to install, a fake clock, and
    what a release said (stage lines) and reported (progress lines)."""

    stack: MotoStack
    repo: Repo
    outputs: StackOutputs
    install: Callable[..., FakeServiceDeployments]
    time: FakeTime
    said: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)

    def release(self, tag: str, apply: FakePulumi | None = None, **options: Any) -> release.Result:
        opts = release.Options(
            poll_seconds=30,
            clock=self.time.clock,
            apply=apply or FakePulumi(self.stack),
            say=self.said.append,
            progress=lambda _, status: self.progress.append(status),
            **options,
        )
        return release.release(self.outputs, self.stack.clients, SERVICE, self.repo.image(tag), opts)

    def outputs_file(self, path: Path) -> Path:
        path.write_text(json.dumps(dict(self.outputs.values)))
        return path


@pytest.fixture
def world(
    moto_stack: MotoStack,
    repo: Repo,
    outputs: StackOutputs,
    deployments: Callable[..., FakeServiceDeployments],
    fake_time: FakeTime,
) -> World:
    return World(moto_stack, repo, outputs, deployments, fake_time)


def stages(said: list[str]) -> list[str]:
    return [m[1] for line in said if (m := re.match(rf"  {STAMP} stage (\w+): ", line))]


@pytest.fixture(autouse=True)
def _first_release(pointer_at_first_release: None, moto_stack: MotoStack) -> Iterator[None]:
    """Every test starts from the stack's first deploy; `api` runs its third revision again afterwards."""
    api = moto_stack.outputs["services"]["api"]
    yield
    moto_stack.clients("ecs").update_service(
        cluster=api["clusterName"], service=api["serviceName"], taskDefinition=f"{api['taskDefinitionFamily']}:3"
    )


# -- the fake answers as AWS would ------------------------------------------------------------------------------
def test_the_status_table_and_the_stage_texts_cover_the_model_exactly() -> None:
    statuses = set(MODEL.shape_for("ServiceDeploymentStatus").enum)
    assert set(sd.ONGOING) | set(sd.SUCCEEDED) | set(sd.FAILED) == statuses
    assert not set(sd.ONGOING) & set(sd.FAILED) and set(sd.STOPPABLE) <= set(sd.ONGOING)
    assert set(MODEL.shape_for("ServiceDeploymentLifecycleStage").enum) <= set(STAGES)
    assert set(MODEL.shape_for("StopServiceDeploymentStopType").enum) >= {"ROLLBACK"}


def test_the_model_check_catches_a_misspelled_field_a_wrong_type_and_an_unknown_value(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments]
) -> None:
    fake = deployments(BLUE_GREEN, default=blue_green())
    good = fake.as_api(fake.records[0])
    check_output("DescribeServiceDeployments", {"serviceDeployments": [good]})  # passes
    shape = MODEL.shape_for("ServiceDeployment")
    assert shape_errors(shape, good) == []
    assert "Unknown parameter" in shape_errors(shape, good | {"lifecycleStatus": "BAKE_TIME"})[0]
    assert "Invalid type" in shape_errors(shape, good | {"status": 3})[0]
    assert "'DONE' is not one of" in shape_errors(shape, good | {"status": "DONE"})[0]
    assert shape_errors(shape, good | {"status": "DONE"}, frozenset({"DONE"})) == []
    with pytest.raises(AssertionError, match="does not match botocore's ECS model"):
        check_output("ListServiceDeployments", {"serviceDeployments": [{"serviceDeploymentArn": 1}]})


# -- releases ---------------------------------------------------------------------------------------------------
def test_blue_green_release_reports_every_stage_once_in_order_with_time_and_bake_left(world: World) -> None:
    world.install(BLUE_GREEN, default=blue_green())
    result = world.release("1.1.0")
    said, progress = world.said, world.progress
    assert result.image == world.repo.image("1.1.0") == running_image(world.stack)
    assert stages(said) == FORWARD
    announced = r"app-staging-worker: service deployment deploy\d+ \(BLUE_GREEN, bake time 10 min\) to "
    announced += r"app-staging-worker:(\d+), from app-staging-worker:(\d+)"
    (found,) = [m for line in said if (m := re.fullmatch(announced, line))]
    assert result.task_definition and result.task_definition.endswith(f":{found[1]}") and found[1] != found[2]
    assert any(re.match(rf"  {STAMP} stage BAKE_TIME: both revisions kept .* \(bake time 10 min\)$", x) for x in said)
    elapsed = [m[1] for line in said if (m := re.match(r"  \S+ \(\+(\d\d:\d\d)\) stage", line))]
    assert elapsed == sorted(elapsed) and len(set(elapsed)) == len(FORWARD)  # one poll (30 s) per stage at least
    hooks = [line.split(" lifecycle hook ")[1] for line in said if " lifecycle hook " in line]
    assert hooks == [
        "app-production-smoke-test (AWS_LAMBDA) at POST_TEST_TRAFFIC_SHIFT: IN_PROGRESS",
        "app-production-smoke-test (AWS_LAMBDA) at POST_TEST_TRAFFIC_SHIFT: SUCCEEDED",
    ]
    statuses = [line.split(" status ")[1] for line in said if re.match(rf"  {STAMP} status ", line)]
    assert statuses == ["PENDING", "IN_PROGRESS", "SUCCESSFUL"]
    bake = [p.rsplit("; ", 1)[1] for p in progress if "bake time" in p]
    assert bake == ["bake time 10:00 left", "bake time 09:30 left", "bake time 09:00 left"]
    assert progress[-1].startswith("deployment deploy") and " SUCCESSFUL; stage CLEAN_UP" in progress[-1]
    assert not any(line.startswith("warning") for line in said)


def test_canary_release_reports_the_canary_step_its_bake_and_the_full_shift(world: World) -> None:
    world.install(CANARY, default=canary())
    world.release("1.1.0")
    said, progress = world.said, world.progress
    assert any("(CANARY, canary 10% for 3 min, bake time 5 min)" in line for line in said)
    traffic = [m[1] for line in said if (m := re.match(rf"  {STAMP} production traffic (.*)", line))]
    assert traffic == ["on the new revision: 10% (canary; 3 min until the next shift)", "on the new revision: 100%"]
    assert [p.rsplit("; ", 1)[1] for p in progress if "next traffic shift" in p] == [
        "next traffic shift in 03:00",
        "next traffic shift in 02:30",
        "next traffic shift in 02:00",
    ]
    assert [p.rsplit("; ", 1)[1] for p in progress if "bake time" in p] == [
        "bake time 05:00 left",
        "bake time 04:30 left",
    ]
    assert stages(said) == FORWARD


def test_linear_release_reports_each_traffic_step(world: World) -> None:
    shift = Frame(stage="PRODUCTION_TRAFFIC_SHIFT", test=100.0, running=2)
    steps = [(replace(shift, production=weight), 2) for weight in (25.0, 50.0, 75.0)]
    world.install(
        LINEAR, default=frames(*until_test_traffic()) + after_test_traffic(*steps, replace(shift, production=100.0))
    )
    world.release("1.1.0")
    assert any("(LINEAR, steps of 25% every 2 min, bake time 5 min)" in line for line in world.said)
    traffic = [
        m[1] for line in world.said if (m := re.match(rf"  {STAMP} production traffic on the new revision: (.*)", line))
    ]
    assert traffic == [f"{w}% (linear step; 2 min until the next shift)" for w in (25, 50, 75)] + ["100%"]
    assert stages(world.said) == FORWARD


def test_a_failed_smoke_test_is_reported_as_such_and_the_previous_pointer_is_restored(world: World) -> None:
    world.install(BLUE_GREEN, plans={"bad": SMOKE_TEST_FAILS}, default=blue_green(bake_polls=1))
    fake, repo, said = FakePulumi(world.stack), world.repo, world.said
    with pytest.raises(release.ReleaseFailedError) as info:
        world.release("bad", apply=fake)
    message = str(info.value)
    assert "ended ROLLBACK_SUCCESSFUL; lifecycle hook app-production-smoke-test FAILED at POST_TEST_TRAFFIC_SHIFT " \
           "(the smoke test: its log says which path failed or was too slow)" in message  # fmt: skip
    assert "rolled back to service revision" in message
    assert f"The pointer is back at the previous release {repo.image('1.0.0')} (version 3), applied" in message
    assert pointer_now(world.stack) == (3, repo.image("1.0.0")) == (3, running_image(world.stack))
    assert len(fake.calls) == 2
    joined = "\n".join(said)
    assert "at POST_TEST_TRAFFIC_SHIFT: FAILED" in joined and "status ROLLBACK_IN_PROGRESS" in joined
    assert stages(said)[: len(FORWARD[:5]) + 2] == [*FORWARD[:5], "TEST_TRAFFIC_SHIFT", "CLEAN_UP"]  # then back
    assert stages(said)[7:] == FORWARD  # the restore deploys the previous image through blue/green again


def test_a_deployment_stuck_in_a_stage_times_out_naming_it_and_is_undone(world: World) -> None:
    stuck = frames(*until_test_traffic(), (Frame(stage="BAKE_TIME", production=100.0, test=100.0, running=2), 1))
    fake = world.install(BLUE_GREEN, plans={"1.2.0": stuck}, default=blue_green(bake_polls=1))
    with pytest.raises(release.ReleaseFailedError) as info:
        world.release("1.2.0", timeout_minutes=9)
    # ECS is told to roll the stuck deployment back first: traffic returns to the revision still running at once.
    assert [r["stopType"] for r in fake.stop_requests] == ["ROLLBACK"]
    joined = "\n".join(world.said)
    assert "is in progress (IN_PROGRESS at stage BAKE_TIME, 100% of production traffic on it): stop it" in joined
    assert "status ROLLBACK_SUCCESSFUL" in joined
    assert re.search(
        r"release of worker: not done after 9 min: deployment deploy\d+ still IN_PROGRESS, stuck in stage BAKE_TIME, "
        r"entered 10:\d\d:\d\dZ, \d\d:\d\d ago",
        str(info.value),
    )
    assert "The pointer is back at the previous release" in str(info.value)
    assert pointer_now(world.stack)[1] == world.repo.image("1.0.0")
    assert any(line.startswith("warning: this strategy waits 10 min on purpose") for line in world.said)


def test_an_unknown_status_or_stage_is_shown_waited_on_and_never_taken_for_success(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """AWS adds enum values (the guide already names a stage botocore's model lacks): report them, don't crash."""
    new = Frame("AWAITING_APPROVAL", stage="PRE_PRODUCTION_APPROVAL", production=0.0, test=100.0, running=2)
    passes = frames(*until_test_traffic(), (new, 2)) + after_test_traffic(bake_polls=1)
    ends = frames(*until_test_traffic(), new, Frame("CANCELLED", stage="CLEAN_UP", final=True))
    unknown = ("AWAITING_APPROVAL", "PRE_PRODUCTION_APPROVAL", "CANCELLED")
    world.install(
        BLUE_GREEN, plans={"1.1.0": passes, "1.2.0": ends}, default=blue_green(bake_polls=1), unknown_ok=unknown
    )
    world.release("1.1.0")
    assert any(re.match(rf"  {STAMP} status AWAITING_APPROVAL$", line) for line in world.said)
    assert any("stage PRE_PRODUCTION_APPROVAL: a stage this tool does not know" in line for line in world.said)
    path = world.outputs_file(tmp_path / "outputs.json")
    image = world.repo.image("1.2.0")
    assert _cli(world.stack, "release", SERVICE, "--image", image, "--outputs", str(path), "--poll-seconds", "0") == 1
    err = capsys.readouterr().err
    assert "ended CANCELLED (a status this tool does not know: check the deployment in the ECS console)" in err
    assert "Traceback" not in err and pointer_now(world.stack)[1] == world.repo.image("1.1.0")


# -- rollback -------------------------------------------------------------------------------------------------
def _cli(moto_stack: MotoStack, *argv: str) -> int:
    def factory(region: str) -> Clients:
        return moto_stack.clients

    return cli.main(list(argv), clients_factory=factory, apply=FakePulumi(moto_stack))


def _advance(moto_stack: MotoStack, fake: FakeServiceDeployments, polls: int) -> str:
    """Describe the newest deployment `polls` times, as a running `ops release` elsewhere would; its ARN."""
    arn = fake.records[-1].arn
    for _ in range(polls):
        moto_stack.clients("ecs").describe_service_deployments(serviceDeploymentArns=[arn])
    return arn


def test_rollback_stops_a_canary_deployment_in_progress_and_points_back(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_canary = frames(
        *until_test_traffic(), Frame(stage="PRODUCTION_TRAFFIC_SHIFT", production=10.0, test=100.0, running=2)
    )
    moto_stack, repo = world.stack, world.repo
    fake = world.install(CANARY, plans={"1.0.0": frames(Frame("SUCCESSFUL", running=2)), "1.1.0": in_canary})
    FakePulumi(moto_stack)("staging", [])  # the first release (1.0.0) is deployed
    _advance(moto_stack, fake, 1)
    moto_stack.clients("ssm").put_parameter(Name=PARAMETER, Value=repo.image("1.1.0"), Type="String", Overwrite=True)
    FakePulumi(moto_stack)("staging", [])  # a release of 1.1.0 started elsewhere: now in its canary phase
    arn = _advance(moto_stack, fake, 12)
    base = ["--outputs", str(world.outputs_file(tmp_path / "outputs.json")), "--poll-seconds", "0"]

    assert _cli(moto_stack, "rollback", SERVICE, "--dry-run", *base) == cli.EXIT_OK
    out = capsys.readouterr()
    assert "CANARY deployment deploy" in out.err and "(IN_PROGRESS at stage PRODUCTION_TRAFFIC_SHIFT, 10% of " \
           "production traffic on it): stop it with StopServiceDeployment(stopType=ROLLBACK)" in out.err  # fmt: skip
    assert "dry run, nothing changed; would roll deployment deploy" in out.out
    assert fake.stop_requests == [] and pointer_now(moto_stack) == (2, repo.image("1.1.0"))

    assert _cli(moto_stack, "rollback", SERVICE, *base) == cli.EXIT_OK
    out = capsys.readouterr()
    assert fake.stop_requests == [{"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}]
    for line in (
        "status ROLLBACK_REQUESTED",
        "status ROLLBACK_IN_PROGRESS",
        "stage CLEAN_UP",
        "status ROLLBACK_SUCCESSFUL",
    ):
        assert line in out.err
    assert re.search(r"deployment deploy\d+ ROLLBACK_SUCCESSFUL, app-staging-worker:\d+ serves again after", out.out)
    assert f"pointer set back to {repo.image('1.0.0')} (version 3)" in out.out
    assert pointer_now(moto_stack) == (3, repo.image("1.0.0")) and running_image(moto_stack) == repo.image("1.0.0")


def test_rollback_of_a_pulumi_owned_blue_green_service_stops_or_deploys_the_previous_revision(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments], capsys: pytest.CaptureFixture[str]
) -> None:
    api = moto_stack.outputs["services"]["api"]
    family, ecs = api["taskDefinitionFamily"], moto_stack.clients("ecs")
    stuck = frames(*until_test_traffic(), Frame(stage="BAKE_TIME", production=100.0, test=100.0, running=2))
    fake = deployments(BLUE_GREEN, plans={}, default=blue_green(bake_polls=1))
    fake.plan_for = lambda image: stuck if image == "sample-app:1.0.0" else blue_green(bake_polls=1)
    path = moto_stack.write(Path(moto_stack.outputs["clusterName"] + ".json").absolute())
    try:
        # No deployment in progress: the previous revision, deployed blue/green, every stage reported.
        assert _cli(moto_stack, "rollback", "api", "--outputs", str(path), "--dry-run") == cli.EXIT_OK
        assert f"would roll back from {family}:3 to {family}:2" in capsys.readouterr().out
        assert len(fake.records) == 3  # nothing started
        assert _cli(moto_stack, "rollback", "api", "--outputs", str(path), "--poll-seconds", "0") == cli.EXIT_OK
        out = capsys.readouterr()
        assert f"rolled back from {family}:3 to {family}:2; deployed after" in out.out
        assert [s for s in FORWARD if f" stage {s}: " in out.err] == FORWARD
        # A deployment in progress (revision 1, baking): stopped, the service back on revision 2.
        ecs.update_service(cluster=api["clusterName"], service=api["serviceName"], taskDefinition=f"{family}:1")
        _advance(moto_stack, fake, 10)
        assert _cli(moto_stack, "rollback", "api", "--outputs", str(path), "--poll-seconds", "0") == cli.EXIT_OK
        out = capsys.readouterr()
        assert (
            f"BLUE_GREEN deployment deploy0005 of {family}:1 is in progress (IN_PROGRESS at stage BAKE_TIME" in out.err
        )
        assert f"ECS moves traffic back to {family}:2" in out.err and "revert the faulty commit" in out.out
        described = ecs.describe_services(cluster=api["clusterName"], services=[api["serviceName"]])["services"][0]
        assert described["taskDefinition"].endswith(f"{family}:2") and len(fake.stop_requests) == 1
    finally:
        path.unlink()


def test_a_stop_refused_because_the_deployment_just_ended_says_what_to_do(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments], fake_time: FakeTime
) -> None:
    api = moto_stack.outputs["services"]["api"]
    fake = deployments(BLUE_GREEN, default=frames(Frame(stage="BAKE_TIME"), Frame("SUCCESSFUL")))
    ecs = moto_stack.clients("ecs")
    ecs.update_service(
        cluster=api["clusterName"], service=api["serviceName"], taskDefinition=f"{api['taskDefinitionFamily']}:2"
    )
    found = deployment_rollback.find(ecs, api["clusterName"], api["serviceName"], print)
    assert found is not None and found.stoppable  # IN_PROGRESS when looked at; SUCCESSFUL by the time of the stop
    with pytest.raises(deployment_rollback.StopFailedError, match=r"\(ConflictException\).*Run `ops rollback` again"):
        deployment_rollback.stop(ecs, found, RollbackOptions(clock=fake_time.clock), print)
    assert len(fake.stop_requests) == 1


def test_a_rolling_deployment_in_progress_is_not_stopped_but_superseded(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments]
) -> None:
    api = moto_stack.outputs["services"]["api"]
    deployments(default=frames(Frame("IN_PROGRESS", running=1)))
    ecs = moto_stack.clients("ecs")
    ecs.update_service(
        cluster=api["clusterName"], service=api["serviceName"], taskDefinition=f"{api['taskDefinitionFamily']}:2"
    )
    said: list[str] = []
    assert deployment_rollback.find(ecs, api["clusterName"], api["serviceName"], said.append) is None
    assert said and "is rolling: a new release supersedes it" in said[0]


# -- the wait itself -------------------------------------------------------------------------------------------
def test_a_deployment_ecs_never_starts_times_out_saying_so(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments], fake_time: FakeTime
) -> None:
    deployments()
    api = moto_stack.outputs["services"]["api"]
    rollout = Rollout(api["clusterName"], api["serviceName"], f"{api['taskDefinitionFamily']}:99")
    opts = RollbackOptions(timeout_minutes=1, poll_seconds=30, clock=fake_time.clock)
    with pytest.raises(WaitTimeoutError, match=r"^waiting: not done after 1 min: ECS never started it$"):
        wait_for_deployment(moto_stack.clients("ecs"), rollout, opts, print, "waiting")


@pytest.mark.parametrize(
    ("strategy", "minutes"),
    [(configuration("ROLLING"), 0), (BLUE_GREEN, 10), (CANARY, 8), (LINEAR, 5 + 3 * 2)],  # no bake after 100%
)
def test_planned_minutes_add_up_the_bake_times_of_each_strategy(strategy: dict[str, Any], minutes: int) -> None:
    deployment = sd.parse({"serviceDeploymentArn": "a/b", "status": "PENDING", "deploymentConfiguration": strategy})
    assert planned_minutes(deployment) == minutes
    # The service's own deploymentConfiguration (DescribeServices) gives the same: what `ops verify` waits for.
    assert configured_minutes(strategy) == minutes


@pytest.mark.parametrize(
    "configuration",
    [None, "BLUE_GREEN", {}, {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "x"}, {"strategy": "LINEAR"},
     {"strategy": "CANARY", "canaryConfiguration": "10%"}, {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": -3}],
)  # fmt: skip
def test_configured_minutes_of_an_unreadable_configuration_add_nothing(configuration: Any) -> None:
    assert configured_minutes(configuration) == 0


def test_configured_minutes_read_bake_times_sent_as_strings() -> None:
    """The SDKs disagree on the type (pulumi-aws takes strings); the number is what counts."""
    assert configured_minutes({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}) == 15


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
FIELDS = st.sampled_from(list(MODEL.shape_for("ServiceDeployment").members))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(FIELDS, JSON, max_size=12))
def test_any_answer_shape_is_parsed_and_reported_without_a_traceback(raw: dict[str, Any]) -> None:
    """Whatever ECS answers (missing, mistyped or new values), the tool reports it; it never crashes."""
    deployment = sd.parse(raw)
    report = StageReport(started=FakeTime().clock.now())
    now = FakeTime(seconds=60).clock.now()
    assert isinstance(report.observe(deployment, now), list)
    assert report.progress(deployment, now) and report.failure(deployment) and report.stuck(deployment, now)
    assert describe_strategy(deployment) and isinstance(planned_minutes(deployment), int)


def test_by_default_the_wait_adds_the_strategy_bake_times_and_an_explicit_timeout_is_kept(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments], fake_time: FakeTime
) -> None:
    """A production blue/green release bakes on purpose: the CLI's default wait must not give up during the bake."""
    api = moto_stack.outputs["services"]["api"]
    deployments(BLUE_GREEN, default=frames(*until_test_traffic(), Frame(stage="BAKE_TIME", production=100.0)))
    ecs, family = moto_stack.clients("ecs"), api["taskDefinitionFamily"]
    ecs.update_service(cluster=api["clusterName"], service=api["serviceName"], taskDefinition=f"{family}:2")
    said: list[str] = []
    opts = RollbackOptions(timeout_minutes=1, timeout_plus_bake=True, poll_seconds=30, clock=fake_time.clock)
    rollout = Rollout(api["clusterName"], api["serviceName"], f"{family}:2")
    with pytest.raises(WaitTimeoutError, match=r"^rollback: not done after 11 min: .* stuck in stage BAKE_TIME"):
        wait_for_deployment(ecs, rollout, opts, said.append, "rollback")
    assert "  waiting up to 11 min (1 + 10 min of bake time)" in said and fake_time.seconds >= 11 * 60
    parse = cli.build_parser().parse_args
    assert cli._wait(parse(["release", "w", "--image", "i", "--stack", "s"]))["timeout_plus_bake"] is True
    explicit = cli._wait(parse(["rollback", "api", "--stack", "s", "--timeout-minutes", "45"]))
    assert (explicit["timeout_minutes"], explicit["timeout_plus_bake"]) == (45.0, False)


def test_the_newest_deployment_is_found_on_any_page_even_without_current_service_deployment(
    moto_stack: MotoStack, deployments: Callable[..., FakeServiceDeployments], fake_time: FakeTime
) -> None:
    """ListServiceDeployments documents no order and pages by nextToken: the fake answers oldest first, 2 a page."""
    api = moto_stack.outputs["services"]["api"]
    fake = deployments(BLUE_GREEN, default=blue_green(bake_polls=1))
    fake.report_current = False
    ecs, family = moto_stack.clients("ecs"), api["taskDefinitionFamily"]
    for revision in (1, 2, 1, 2):
        ecs.update_service(
            cluster=api["clusterName"], service=api["serviceName"], taskDefinition=f"{family}:{revision}"
        )
    ours = [r.arn for r in fake.records if r.service_arn.endswith(api["serviceName"])]
    assert len(ours) == 5 and sd.newest(ecs, api["clusterName"], api["serviceName"]) == ours[-1]
    assert sd.newest(ecs, api["clusterName"], api["serviceName"], ("ROLLBACK_FAILED",)) is None
    said: list[str] = []
    rollout = Rollout(api["clusterName"], api["serviceName"], f"{family}:2")
    opts = RollbackOptions(poll_seconds=30, clock=fake_time.clock)
    assert wait_for_deployment(ecs, rollout, opts, said.append, "rollback") > 0
    assert said[0].startswith(f"{api['serviceName']}: service deployment {ours[-1].rsplit('/', 1)[-1]} (BLUE_GREEN")
