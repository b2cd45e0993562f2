"""Wait for the service deployment an update started and report it stage by stage (release, restore, rollback).

The deployment is the service's `currentServiceDeployment` (DescribeServices) once its target revision runs the
task definition the update set; until then ECS has not started it yet. Success is the deployment's status
SUCCESSFUL, whatever the strategy; any other completed status fails with the reason ECS recorded. Where service
deployments cannot be read (UnsupportedFeatureException, AccessDeniedException, no record), the wait falls back to
DescribeServices steady state, as before service deployments existed, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ops import service_deployments as sd
from ops.aws import WaitTimeoutError, poll
from ops.deployment_report import StageReport
from ops.ecs import Rollout, WaitOptions, describe_service, wait_until_steady

Say = Callable[[str], None]
MIN_LINEAR_STEP = 3.0  # LinearConfiguration.stepPercent: multiples of 0.1 from 3.0 to 100.0 (ECS API reference)


class DeploymentTimeoutError(WaitTimeoutError):
    """The wait ran out while the deployment was still going; `deployment` is it as last seen (None: never started)."""

    def __init__(self, message: str, deployment: sd.Deployment | None) -> None:
        super().__init__(message)
        self.deployment = deployment


def _revision(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1]


def planned_minutes(deployment: sd.Deployment) -> int:
    """The minutes the strategy waits on purpose (bake times), the least a wait must allow."""
    return _strategy_minutes(
        deployment.strategy, deployment.bake_minutes, deployment.step_percent, deployment.step_bake_minutes
    )


def configured_minutes(configuration: Any) -> int:
    """The same from a service's `deploymentConfiguration` (DescribeServices), before any deployment is read:
    what `ops verify` adds to its wait so a release still baking is not reported as a failure."""
    if not isinstance(configuration, dict):
        return 0
    strategy = str(configuration.get("strategy") or "ROLLING")
    step = (
        configuration.get("canaryConfiguration") if strategy == "CANARY" else configuration.get("linearConfiguration")
    )
    step = step if isinstance(step, dict) else {}
    percent = _number(step.get("canaryPercent", step.get("stepPercent")))
    step_bake = _number(step.get("canaryBakeTimeInMinutes", step.get("stepBakeTimeInMinutes")))
    bake = _number(configuration.get("bakeTimeInMinutes"))
    return _strategy_minutes(
        strategy, None if bake is None else int(bake), percent, None if step_bake is None else int(step_bake)
    )


def _number(value: Any) -> float | None:
    """An API number (some SDKs send the bake times as strings); None for anything else."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _strategy_minutes(strategy: str, bake: int | None, step_percent: float | None, step_bake: int | None) -> int:
    total = bake or 0
    if strategy == "CANARY":
        total += step_bake or 0
    elif strategy == "LINEAR" and step_percent and step_percent > 0:
        steps = math.ceil(100 / max(step_percent, MIN_LINEAR_STEP))
        total += (steps - 1) * (step_bake or 0)  # none after the last step
    return total


def describe_strategy(deployment: sd.Deployment) -> str:
    parts = [deployment.strategy]
    step, every = deployment.step_percent, deployment.step_bake_minutes
    percent = "?" if step is None else f"{step:g}"
    if deployment.strategy == "CANARY":
        parts.append(f"canary {percent}% for {every if every is not None else '?'} min")
    if deployment.strategy == "LINEAR":
        parts.append(f"steps of {percent}% every {every if every is not None else '?'} min")
    if deployment.bake_minutes is not None and deployment.strategy != "ROLLING":
        parts.append(f"bake time {deployment.bake_minutes} min")
    return ", ".join(str(p) for p in parts)


@dataclass
class Follow:
    """One wait: find the deployment (unless its ARN is known), then poll it to its end."""

    ecs: Any
    rollout: Rollout
    options: WaitOptions
    say: Say
    arn: str | None = None  # known already (a deployment being rolled back): no need to find it
    expected: tuple[str, ...] = sd.SUCCEEDED  # ROLLBACK_SUCCESSFUL when following a requested rollback
    announced: bool = False  # the caller already said what this deployment is
    last: sd.Deployment | None = None
    report: StageReport = field(init=False)
    revisions: dict[str, str | None] = field(default_factory=dict)
    what: str = "deployment"
    began: float = 0.0

    def __post_init__(self) -> None:
        self.report = StageReport(started=self.options.clock.now())

    def allowed_minutes(self) -> float:
        """The timeout, plus the strategy's bake times when the options ask for that (the CLI's default)."""
        extra = planned_minutes(self.last) if self.last and self.options.timeout_plus_bake else 0
        return self.options.timeout_minutes + extra

    def task_definition_of(self, revision_arn: str) -> str | None:
        """The task definition a service revision runs (asked once per revision)."""
        if revision_arn not in self.revisions:
            self.revisions[revision_arn] = sd.revision_task_definition(self.ecs, revision_arn)
        return self.revisions[revision_arn]

    def find(self) -> sd.Deployment | None:
        """The service's current deployment if it deploys our task definition (else ECS has not started it yet)."""
        rollout = self.rollout
        service = describe_service(self.ecs, rollout.cluster, rollout.service)
        arn = service.get("currentServiceDeployment") or sd.newest(self.ecs, rollout.cluster, rollout.service)
        if not arn:
            return None
        deployment = sd.describe(self.ecs, str(arn))
        target = self.task_definition_of(deployment.target_revision)
        return deployment if target and _revision(target) == _revision(rollout.task_definition) else None

    def announce(self, deployment: sd.Deployment) -> None:
        sources = [self.task_definition_of(arn) or f"service revision {arn}" for arn in deployment.source_revisions]
        self.say(
            f"{self.rollout.service}: service deployment {deployment.id} ({describe_strategy(deployment)}) to "
            f"{_revision(self.rollout.task_definition)}, from {', '.join(map(_revision, sources)) or 'nothing'}"
        )
        planned, allowed = planned_minutes(deployment), self.options.timeout_minutes
        if self.options.timeout_plus_bake:
            self.say(f"  waiting up to {allowed + planned:g} min ({allowed:g} + {planned} min of bake time)")
        elif planned >= allowed:
            self.say(
                f"warning: this strategy waits {planned} min on purpose (bake times) but the wait gives up after "
                f"{allowed:g} min: pass a larger --timeout-minutes, or none (then the bake times are added)"
            )

    def check(self) -> tuple[bool, str]:
        done, status = self.step()
        if not done and self.options.clock.monotonic() - self.began >= self.allowed_minutes() * 60:
            now = self.options.clock.now()
            where = self.report.stuck(self.last, now) if self.last else "ECS never started it"
            message = f"{self.what}: not done after {self.allowed_minutes():g} min: {where}"
            raise DeploymentTimeoutError(message, self.last)
        return done, status

    def step(self) -> tuple[bool, str]:
        deployment = self.find() if self.arn is None else sd.describe(self.ecs, self.arn)
        if deployment is None:
            return False, f"waiting for ECS to start the deployment of {_revision(self.rollout.task_definition)}"
        self.arn = deployment.arn
        if not self.announced:
            self.announce(deployment)
            self.announced = True
        self.last = deployment
        now = self.options.clock.now()
        for line in self.report.observe(deployment, now):
            self.say(f"  {line}")
        ongoing = deployment.outcome is sd.Outcome.ONGOING
        waiting = ongoing or (deployment.outcome is sd.Outcome.UNKNOWN and not deployment.ended)
        return not waiting, self.report.progress(deployment, now)

    def run(self, what: str) -> float:
        """Poll to the end; `check` enforces the timeout itself, since the bake times are known only once found."""
        options, self.what, self.began = self.options, what, self.options.clock.monotonic()
        seconds = poll(
            self.check,
            what=what,
            timeout=math.inf,
            interval=options.poll_seconds,
            clock=options.clock,
            progress=options.progress,
        )
        assert self.last is not None  # poll returns only after check() described the deployment
        if self.last.status not in self.expected:
            raise self.rollout.error(self.report.failure(self.last))
        return seconds


def wait_for_deployment(ecs: Any, rollout: Rollout, options: WaitOptions, say: Say, what: str) -> float:
    """Follow the deployment of `rollout.task_definition`, or wait for steady state where deployments are unreadable.
    Raises `rollout.error(reason)` when it fails, WaitTimeoutError when time runs out; returns the seconds taken."""
    try:
        return Follow(ecs, rollout, options, say).run(what)
    except sd.DeploymentsUnavailableError as exc:
        say(f"{rollout.service}: {exc}; waiting for steady state with DescribeServices instead")
    return wait_until_steady(ecs, rollout, options, what)
