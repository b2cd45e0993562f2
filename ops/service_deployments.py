"""ECS service deployments: the record ECS keeps of each deployment of a service, read and rolled back.

A service deployment is created whenever an update needs one (new task definition, forced deployment), for every
strategy of the ECS deployment controller: ROLLING, BLUE_GREEN, CANARY and LINEAR. It carries the `status`, the
current `lifecycleStage`, the traffic weights of the target revision, the lifecycle hooks' results and the rollback
ECS performed ("View service history using Amazon ECS service deployments", ECS developer guide). History is kept
90 days, for deployments created on or after 2024-10-25; older ones answer with the failure reason MISSING.

Field names and values are those of the ECS API model botocore 1.44.8 ships (`botocore/data/ecs/2014-11-13/
service-2.json`, read 2026-12-03); tests/ops/fake_deployments.py checks every fake response against that model.
Calls used: ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions, StopServiceDeployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ops.aws import AWS_ERRORS, error_code

# ServiceDeploymentStatus (model enum). Grouped as the guide groups them: pending/ongoing, and completed, where only
# SUCCESSFUL means the target revision serves the service. ROLLBACK_SUCCESSFUL is a failed deployment whose rollback
# worked; STOPPED one that failed (or was stopped) without rollback.
ONGOING = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
SUCCEEDED = ("SUCCESSFUL",)
FAILED = ("STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
ROLLING_BACK = ("STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
STOPPABLE = ("PENDING", "IN_PROGRESS")  # StopServiceDeployment moves these to ROLLBACK_REQUESTED

# Errors that mean "this account, Region or role cannot use service deployments here": the caller falls back to
# DescribeServices. Both are in the model's error list of the three read operations.
UNAVAILABLE = ("UnsupportedFeatureException", "AccessDeniedException")

DEFAULT_STRATEGY = "ROLLING"  # DeploymentConfiguration.strategy when a service sets none
MAX_PAGES = 20  # ListServiceDeployments pages read at most (2,000 deployments)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a deployment without createdAt sorts first


class Outcome(StrEnum):
    ONGOING = "ongoing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # a status this tool does not know (AWS added one): never taken for success


class DeploymentsUnavailableError(Exception):
    """Service deployments cannot be read for this service; the message says why and what to grant."""


class StopRefusedError(Exception):
    """ECS refused StopServiceDeployment (the deployment ended meanwhile, or it cannot be stopped)."""


@dataclass(frozen=True)
class Hook:
    """One entry of `lifecycleHookDetails`."""

    hook_id: str
    target: str  # the Lambda function name, or the target type for a PAUSE hook
    target_type: str
    status: str  # AWAITING_ACTION | IN_PROGRESS | SUCCEEDED | FAILED | TIMED_OUT


@dataclass(frozen=True)
class Deployment:
    """One DescribeServiceDeployments entry, typed; every field optional in the API has a safe default here."""

    arn: str
    status: str
    stage: str | None
    reason: str
    strategy: str
    bake_minutes: int | None  # bakeTimeInMinutes: after all production traffic moved
    step_percent: float | None  # canaryPercent or linear stepPercent
    step_bake_minutes: int | None  # canaryBakeTimeInMinutes or linear stepBakeTimeInMinutes
    target_revision: str
    source_revisions: tuple[str, ...]
    production_weight: float | None  # % of production traffic on the target revision
    test_weight: float | None
    running: int | None
    requested: int | None
    started_at: datetime | None
    ended: bool  # finishedAt or stoppedAt is set
    hooks: tuple[Hook, ...]
    rollback_reason: str | None
    rollback_revision: str | None
    circuit_breaker: str | None  # "TRIGGERED (3 failed tasks, threshold 3)"
    triggered_alarms: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def outcome(self) -> Outcome:
        if self.status in SUCCEEDED:
            return Outcome.SUCCEEDED
        if self.status in FAILED:
            return Outcome.FAILED
        if self.status in ONGOING:
            return Outcome.ONGOING
        return Outcome.UNKNOWN


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _maps(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _hook(raw: Mapping[str, Any]) -> Hook:
    arn = _text(raw.get("targetArn"))
    target_type = _text(raw.get("targetType")) or "AWS_LAMBDA"  # the API's default target type
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    name = arn.split(":")[6] if arn.count(":") >= 6 else (arn or target_type)
    return Hook(_text(raw.get("hookId")), name, target_type, _text(raw.get("status")) or "UNKNOWN")


def _steps(configuration: Mapping[str, Any]) -> tuple[float | None, int | None]:
    canary, linear = _map(configuration.get("canaryConfiguration")), _map(configuration.get("linearConfiguration"))
    if configuration.get("strategy") == "CANARY":
        return _number(canary.get("canaryPercent")), _integer(canary.get("canaryBakeTimeInMinutes"))
    if configuration.get("strategy") == "LINEAR":
        return _number(linear.get("stepPercent")), _integer(linear.get("stepBakeTimeInMinutes"))
    return None, None


def _monitors(raw: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    breaker = _map(raw.get("deploymentCircuitBreaker"))
    tripped = None
    if breaker.get("status") == "TRIGGERED":
        failed, threshold = breaker.get("failureCount", "?"), breaker.get("threshold", "?")
        tripped = f"TRIGGERED ({failed} failed tasks, threshold {threshold})"
    triggered = _map(raw.get("alarms")).get("triggeredAlarmNames")
    return tripped, tuple(str(name) for name in triggered) if isinstance(triggered, list) else ()


def parse(raw: Mapping[str, Any]) -> Deployment:
    """A Deployment from one `serviceDeployments` entry; missing or odd fields never raise."""
    configuration = _map(raw.get("deploymentConfiguration"))
    target, rollback = _map(raw.get("targetServiceRevision")), _map(raw.get("rollback"))
    step_percent, step_bake = _steps(configuration)
    tripped, alarms = _monitors(raw)
    started = raw.get("startedAt") or raw.get("createdAt")
    return Deployment(
        arn=_text(raw.get("serviceDeploymentArn")),
        status=_text(raw.get("status")) or "UNKNOWN",
        stage=_text(raw.get("lifecycleStage")) or None,
        reason=_text(raw.get("statusReason")),
        strategy=_text(configuration.get("strategy")) or DEFAULT_STRATEGY,
        bake_minutes=_integer(configuration.get("bakeTimeInMinutes")),
        step_percent=step_percent,
        step_bake_minutes=step_bake,
        target_revision=_text(target.get("arn")),
        source_revisions=tuple(_text(s.get("arn")) for s in _maps(raw.get("sourceServiceRevisions"))),
        production_weight=_number(target.get("requestedProductionTrafficWeight")),
        test_weight=_number(target.get("requestedTestTrafficWeight")),
        running=_integer(target.get("runningTaskCount")),
        requested=_integer(target.get("requestedTaskCount")),
        started_at=started if isinstance(started, datetime) else None,
        ended=bool(raw.get("finishedAt") or raw.get("stoppedAt")),
        hooks=tuple(_hook(h) for h in _maps(raw.get("lifecycleHookDetails"))),
        rollback_reason=_text(rollback.get("reason")) or None,
        rollback_revision=_text(rollback.get("serviceRevisionArn")) or None,
        circuit_breaker=tripped,
        triggered_alarms=alarms,
    )


def _unavailable(exc: BaseException, action: str) -> DeploymentsUnavailableError:
    return DeploymentsUnavailableError(
        f"ECS {action} is unavailable ({error_code(exc)}): the role needs ecs:ListServiceDeployments, "
        "ecs:DescribeServiceDeployments and ecs:DescribeServiceRevisions (docs/runbooks/rollback.md)"
    )


def _call(ecs: Any, method: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = getattr(ecs, method)(**kwargs)
    except AWS_ERRORS as exc:
        if error_code(exc) in UNAVAILABLE:
            raise _unavailable(exc, method) from None
        raise
    return response


def describe(ecs: Any, arn: str) -> Deployment:
    response = _call(ecs, "describe_service_deployments", serviceDeploymentArns=[arn])
    for raw in response.get("serviceDeployments") or []:
        if raw.get("serviceDeploymentArn") == arn:
            return parse(raw)
    reasons = "; ".join(f"{f.get('reason')}: {f.get('detail') or f.get('arn')}" for f in response.get("failures") or [])
    raise DeploymentsUnavailableError(
        f"ECS does not describe service deployment {arn} ({reasons or 'no answer'}); deployments created before "
        "2024-10-25 or older than 90 days have no record"
    )


def newest(ecs: Any, cluster: str, service: str, statuses: tuple[str, ...] = ()) -> str | None:
    """The ARN of the service's newest deployment (with one of `statuses`, when given), or None. The API documents
    no order, so every page is read (maxResults 100; 90 days of history at most)."""
    request: dict[str, Any] = {"cluster": cluster, "service": service, "maxResults": 100}
    if statuses:
        request["status"] = list(statuses)
    briefs: list[Mapping[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = _call(ecs, "list_service_deployments", **request)
        briefs += [b for b in _maps(page.get("serviceDeployments")) if b.get("serviceDeploymentArn")]
        if not page.get("nextToken"):
            break
        request["nextToken"] = page["nextToken"]
    if not briefs:
        return None

    def age(numbered: tuple[int, Mapping[str, Any]]) -> tuple[datetime, int]:
        created = numbered[1].get("createdAt")
        return (created if isinstance(created, datetime) else EPOCH), numbered[0]

    return str(max(enumerate(briefs), key=age)[1]["serviceDeploymentArn"])


def revision_task_definition(ecs: Any, revision_arn: str) -> str | None:
    """The task definition ARN a service revision runs (DescribeServiceRevisions), None if ECS does not say."""
    if not revision_arn:
        return None
    response = _call(ecs, "describe_service_revisions", serviceRevisionArns=[revision_arn])
    for revision in response.get("serviceRevisions") or []:
        if revision.get("serviceRevisionArn") == revision_arn:
            return _text(revision.get("taskDefinition")) or None
    return None


def stop_with_rollback(ecs: Any, arn: str) -> None:
    """StopServiceDeployment(stopType=ROLLBACK): ECS moves a PENDING or IN_PROGRESS deployment to ROLLBACK_REQUESTED
    and returns traffic and tasks to the source revision ("Stopping Amazon ECS service deployments")."""
    try:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    except AWS_ERRORS as exc:
        if error_code(exc) in ("ConflictException", "ServiceDeploymentNotFoundException"):
            raise StopRefusedError(f"ECS refused to stop {arn.rsplit('/', 1)[-1]} ({error_code(exc)}): {exc}") from None
        raise
