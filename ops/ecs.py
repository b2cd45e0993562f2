"""ECS facts shared by verify and rollback: is a service steady, and which task definition revision it runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ops.aws import Clock, Progress, poll


class ServiceNotFoundError(Exception):
    pass


@dataclass(frozen=True)
class Steadiness:
    steady: bool
    detail: str


def task_definition_revision(arn: str) -> tuple[str, int]:
    """`arn:aws:ecs:...:task-definition/api:7` (or `api:7`) -> ("api", 7)."""
    family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
    if not family or not revision.isdigit():
        raise ValueError(f"not a task definition revision: {arn}")
    return family, int(revision)


def describe_service(ecs: Any, cluster: str, service: str) -> Mapping[str, Any]:
    response = ecs.describe_services(cluster=cluster, services=[service])
    for found in response.get("services", []):
        if found.get("serviceName") == service or str(found.get("serviceArn", "")).endswith(f"/{service}"):
            return dict(found)
    reasons = "; ".join(f"{f.get('arn')}: {f.get('reason')}" for f in response.get("failures", []))
    suffix = f" ({reasons})" if reasons else ""
    raise ServiceNotFoundError(f"service {service} not found in cluster {cluster}{suffix}")


def steadiness(service: Mapping[str, Any], expected_task_definition: str | None = None) -> Steadiness:
    """Steady = ACTIVE, one deployment, the PRIMARY one COMPLETED, running == desired (and on the expected revision)."""
    status = service.get("status")
    running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
    deployments = list(service.get("deployments", []))
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    rollout = primary.get("rolloutState", "UNKNOWN") if primary else "NONE"
    task_definition = str((primary or service).get("taskDefinition", "?")).rsplit("/", 1)[-1]
    problems: list[str] = []
    if status != "ACTIVE":
        problems.append(f"service status {status}")
    if running != desired:
        problems.append(f"running {running} of desired {desired}")
    if primary is None:
        problems.append("no PRIMARY deployment")
    elif rollout != "COMPLETED":
        reason = primary.get("rolloutStateReason")
        problems.append(f"PRIMARY deployment {rollout}" + (f" ({reason})" if reason else ""))
    if len(deployments) > 1:
        problems.append(f"{len(deployments)} deployments (a rollout is still replacing tasks)")
    if expected_task_definition is not None and task_definition != expected_task_definition.rsplit("/", 1)[-1]:
        problems.append(f"PRIMARY runs {task_definition}, expected {expected_task_definition.rsplit('/', 1)[-1]}")
    if problems:
        return Steadiness(False, "; ".join(problems))
    return Steadiness(True, f"{running}/{desired} tasks running, deployment COMPLETED ({task_definition})")


def is_failed_rollout(service: Mapping[str, Any]) -> str | None:
    """The reason when the PRIMARY deployment's rollout FAILED (circuit breaker), else None."""
    for deployment in service.get("deployments", []):
        if deployment.get("status") == "PRIMARY" and deployment.get("rolloutState") == "FAILED":
            return str(deployment.get("rolloutStateReason") or "rollout FAILED")
    return None


class WaitOptions(Protocol):
    """How long and how often to poll (the rollback's and the release's options both qualify)."""

    @property
    def timeout_minutes(self) -> float: ...
    @property
    def timeout_plus_bake(self) -> bool: ...
    @property
    def poll_seconds(self) -> float: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def progress(self) -> Progress | None: ...


@dataclass(frozen=True)
class Rollout:
    """One service's rollout to a task definition, and how a failure is told apart and reported."""

    cluster: str
    service: str
    task_definition: str
    failure: Callable[[Mapping[str, Any]], str | None] = is_failed_rollout
    error: Callable[[str], Exception] = RuntimeError


def wait_until_steady(ecs: Any, rollout: Rollout, options: WaitOptions, what: str) -> float:
    """Poll until the service is steady on the rollout's task definition; raise `rollout.error(reason)` as soon as
    `rollout.failure` finds one, WaitTimeoutError when time runs out. Returns the seconds it took."""

    def steady() -> tuple[bool, str]:
        state = describe_service(ecs, rollout.cluster, rollout.service)
        failure = rollout.failure(state)
        if failure:
            raise rollout.error(failure)
        result = steadiness(state, expected_task_definition=rollout.task_definition)
        return result.steady, result.detail

    return poll(
        steady,
        what=what,
        timeout=options.timeout_minutes * 60,
        interval=options.poll_seconds,
        clock=options.clock,
        progress=options.progress,
    )
