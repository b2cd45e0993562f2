"""`rollback` against moto: previous or named ACTIVE revision, steady-state wait, and the clear refusals.

Here service deployments are unavailable (UnsupportedFeatureException), so the wait is the DescribeServices one;
tests/ops/test_release_strategies.py follows the service deployments of a rollback, stage by stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ops import rollback
from ops.aws import Clock, WaitTimeoutError
from ops.ecs import task_definition_revision
from ops.outputs import OutputsError
from tests.ops import release_stack
from tests.ops.conftest import MotoStack
from tests.ops.fake_deployments import FakeServiceDeployments

deployments = release_stack.deployments
repo = release_stack.repo
fake_time = release_stack.fake_time

FAST = rollback.Options(poll_seconds=0, clock=Clock(sleep=lambda _: None))


def running_revision(stack: MotoStack, name: str) -> str:
    service = stack.outputs["services"][name]
    described = stack.clients("ecs").describe_services(
        cluster=service["clusterName"], services=[service["serviceName"]]
    )
    family, revision = task_definition_revision(described["services"][0]["taskDefinition"])
    return f"{family}:{revision}"


@pytest.fixture(autouse=True)
def no_service_deployments(deployments: Callable[..., FakeServiceDeployments]) -> None:
    deployments().error = "UnsupportedFeatureException"


@pytest.fixture(autouse=True)
def put_services_back(moto_stack: MotoStack) -> Iterator[None]:
    """The backend is shared: after each test, every service runs the revision it ran before."""
    before = {name: running_revision(moto_stack, name) for name in moto_stack.outputs["services"]}
    yield
    ecs = moto_stack.clients("ecs")
    for name, revision in before.items():
        service = moto_stack.outputs["services"][name]
        ecs.update_service(cluster=service["clusterName"], service=service["serviceName"], taskDefinition=revision)


def test_rolls_back_to_the_previous_revision_and_waits_until_steady(
    moto_stack: MotoStack, steady_ecs: Callable[..., None]
) -> None:
    """Seam (steady_ecs): moto never runs tasks; once updated, the service reports the new revision steady."""
    steady_ecs()
    family = moto_stack.outputs["services"]["api"]["taskDefinitionFamily"]
    seen: list[str] = []
    options = rollback.Options(poll_seconds=0, clock=FAST.clock, progress=lambda _, status: seen.append(status))
    result = rollback.run(moto_stack.stack_outputs, moto_stack.clients, "api", options)
    assert (result.previous, result.current) == (f"{family}:3", f"{family}:2")
    assert running_revision(moto_stack, "api") == f"{family}:2"
    assert seen == [f"2/2 tasks running, deployment COMPLETED ({family}:2)"]  # DescribeServices


def test_rolls_back_to_a_named_revision(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    family = moto_stack.outputs["services"]["web"]["taskDefinitionFamily"]
    options = rollback.Options(revision=1, poll_seconds=0, clock=FAST.clock)
    result = rollback.run(moto_stack.stack_outputs, moto_stack.clients, "web", options)
    assert result.current == f"{family}:1" == running_revision(moto_stack, "web")


def test_a_revision_that_does_not_exist_or_is_current_is_refused(moto_stack: MotoStack) -> None:
    family = moto_stack.outputs["services"]["api"]["taskDefinitionFamily"]
    with pytest.raises(rollback.RollbackError, match=f"task definition {family}:99 does not exist"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "api", rollback.Options(revision=99))
    with pytest.raises(rollback.RollbackError, match=f"the service already runs {family}:3"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "api", rollback.Options(revision=3))
    assert running_revision(moto_stack, "api") == f"{family}:3"


def test_no_earlier_active_revision_is_a_clear_error(moto_stack: MotoStack) -> None:
    """The worker's older revisions are deregistered, as `pulumi up` does when it replaces a task definition."""
    family = moto_stack.outputs["services"]["worker"]["taskDefinitionFamily"]
    ecs = moto_stack.clients("ecs")
    for revision in (1, 2):
        ecs.deregister_task_definition(taskDefinition=f"{family}:{revision}")
    with pytest.raises(rollback.RollbackError, match=f"no earlier ACTIVE revision of {family} than the current 3"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "worker", FAST)
    with pytest.raises(rollback.RollbackError, match=f"{family}:1 is INACTIVE: ECS cannot roll a service back"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "worker", rollback.Options(revision=1))
    assert running_revision(moto_stack, "worker") == f"{family}:3"


def test_a_failed_rollout_stops_the_wait(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    """Seam: the deployment circuit breaker marks the PRIMARY deployment FAILED."""
    api = moto_stack.outputs["services"]["api"]["serviceName"]
    failed = {"status": "PRIMARY", "rolloutState": "FAILED", "rolloutStateReason": "tasks failed to start"}
    steady_ecs(**{api: {"deployments": [failed]}})
    with pytest.raises(rollback.RollbackError, match="failed: tasks failed to start"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "api", FAST)


def test_a_service_that_never_settles_times_out(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    api = moto_stack.outputs["services"]["api"]["serviceName"]
    steady_ecs(**{api: {"runningCount": 0}})
    clock_state = {"t": 0.0}

    def sleep(seconds: float) -> None:
        clock_state["t"] += seconds

    clock = Clock(sleep=sleep, monotonic=lambda: clock_state["t"])
    options = rollback.Options(timeout_minutes=5, poll_seconds=60, clock=clock)
    with pytest.raises(WaitTimeoutError, match=r"not done after 5\.0 min \(last status: running 0 of desired 2"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "api", options)


def test_an_unknown_service_names_the_known_ones(moto_stack: MotoStack) -> None:
    with pytest.raises(OutputsError, match=r"service `billing` is not in stack output `services` .*known: api, web"):
        rollback.run(moto_stack.stack_outputs, moto_stack.clients, "billing", FAST)


def test_family_mismatch_between_outputs_and_aws_is_refused(moto_stack: MotoStack) -> None:
    outputs = moto_stack.with_outputs(services__api__taskDefinitionFamily="app-staging-other")
    with pytest.raises(rollback.RollbackError, match="runs family app-staging-api, but the stack outputs say"):
        rollback.run(outputs, moto_stack.clients, "api", FAST)


def test_task_definition_revisions_parse() -> None:
    arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app-api:12"
    assert task_definition_revision(arn) == ("app-api", 12) == task_definition_revision("app-api:12")
    with pytest.raises(ValueError, match="not a task definition revision"):
        task_definition_revision("app-api")
