"""What an operator reads while a service deployment runs: one line per lifecycle stage entered, per traffic step,
per hook result and per status change, each with the time seen and the time since the deployment started; a
progress line per poll (tasks, traffic, bake time left); and the reason when it fails.

ECS gives no per-stage timestamps: the time printed is when this tool first saw the stage (at most one poll
interval late), so the bake time left is an estimate that errs on the long side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ops.aws import format_elapsed
from ops.service_deployments import Deployment, Hook, Outcome

# What each ServiceDeploymentLifecycleStage means for the operator (ServiceDeployment.lifecycleStage, ECS API
# reference). PRE_PRODUCTION_TRAFFIC_SHIFT is described there but missing from the model's enum in botocore 1.44.8;
# it is listed so that it reads well if ECS reports it.
STAGES = {
    "RECONCILE_SERVICE": "reconciling: more than one revision was ACTIVE when the deployment started",
    "PRE_SCALE_UP": "new revision not started yet; all production traffic on the current one",
    "SCALE_UP": "starting the new revision's tasks; they get no traffic yet",
    "POST_SCALE_UP": "new revision's tasks started; no traffic on them yet",
    "TEST_TRAFFIC_SHIFT": "moving the test listener to the new revision; production still on the current one",
    "POST_TEST_TRAFFIC_SHIFT": "test listener on the new revision; hooks of this stage run now (the smoke test)",
    "PRE_PRODUCTION_TRAFFIC_SHIFT": "about to move production traffic (before every canary or linear step)",
    "PRODUCTION_TRAFFIC_SHIFT": "moving production traffic to the new revision",
    "POST_PRODUCTION_TRAFFIC_SHIFT": "all production traffic on the new revision",
    "BAKE_TIME": "both revisions kept running; a rollback is immediate until the bake time ends",
    "CLEAN_UP": "scaling the old revision down to 0 tasks",
}
HOOK_FAILURES = ("FAILED", "TIMED_OUT")
# The program attaches the smoke test at POST_TEST_TRAFFIC_SHIFT (issue #22): a hook failing there is the smoke test.
SMOKE_TEST = " (the smoke test: its log says which path failed or was too slow)"


def stage_meaning(stage: str) -> str:
    return STAGES.get(stage, "a stage this tool does not know (newer than botocore 1.44.8's model); see the console")


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{value:g}%"


@dataclass
class StageReport:
    """Remembers what was already said about one deployment, so each stage, step and status is said once."""

    started: datetime  # when the watch began; the deployment's own startedAt wins when ECS reports it
    stage: str | None = None
    stage_seen: datetime | None = None
    status: str | None = None
    weight: float | None = None
    weight_seen: datetime | None = None
    hooks: dict[str, Hook] = field(default_factory=dict)  # hookId -> as last seen (ECS may drop it after a rollback)
    hook_stages: dict[str, str] = field(default_factory=dict)  # hookId -> stage it was first seen in

    def _stamp(self, deployment: Deployment, now: datetime) -> str:
        since = deployment.started_at or self.started
        elapsed = max((now - since).total_seconds(), 0.0)
        return f"{now.strftime('%Y-%m-%dT%H:%M:%SZ')} (+{format_elapsed(elapsed)})"

    def observe(self, deployment: Deployment, now: datetime) -> list[str]:
        """The lines worth printing for this snapshot (empty when nothing changed)."""
        stamp, lines = self._stamp(deployment, now), []
        if deployment.status != self.status:
            self.status = deployment.status
            reason = f": {deployment.reason}" if deployment.reason else ""
            lines.append(f"{stamp} status {deployment.status}{reason}")
        if deployment.stage and deployment.stage != self.stage:
            self.stage, self.stage_seen = deployment.stage, now
            lines.append(f"{stamp} stage {deployment.stage}: {stage_meaning(deployment.stage)}{self._bake(deployment)}")
        lines += [f"{stamp} {line}" for line in self._traffic(deployment, now) + self._hooks(deployment)]
        return lines

    def _bake(self, deployment: Deployment) -> str:
        if deployment.stage == "BAKE_TIME" and deployment.bake_minutes is not None:
            return f" (bake time {deployment.bake_minutes} min)"
        return ""

    def _traffic(self, deployment: Deployment, now: datetime) -> list[str]:
        weight = deployment.production_weight
        if deployment.stage != "PRODUCTION_TRAFFIC_SHIFT" or weight is None or weight == self.weight:
            return []
        self.weight, self.weight_seen = weight, now
        step = ""
        if weight < 100 and deployment.step_bake_minutes is not None:
            kind = "canary" if deployment.strategy == "CANARY" else "linear step"
            step = f" ({kind}; {deployment.step_bake_minutes} min until the next shift)"
        return [f"production traffic on the new revision: {_percent(weight)}{step}"]

    def _hooks(self, deployment: Deployment) -> list[str]:
        lines = []
        for hook in deployment.hooks:
            self.hook_stages.setdefault(hook.hook_id, self.stage or "?")
            seen = self.hooks.get(hook.hook_id)
            self.hooks[hook.hook_id] = hook
            if seen is None or seen.status != hook.status:
                where = self.hook_stages[hook.hook_id]
                lines.append(f"lifecycle hook {hook.target} ({hook.target_type}) at {where}: {hook.status}")
        return lines

    def left(self, deployment: Deployment, now: datetime) -> str:
        """Time left of the bake (or canary/linear step bake) in progress, '' when none is."""
        if deployment.stage == "BAKE_TIME" and deployment.bake_minutes is not None and self.stage_seen:
            end = self.stage_seen + timedelta(minutes=deployment.bake_minutes)
            return f"bake time {format_elapsed(max((end - now).total_seconds(), 0))} left"
        weight = deployment.production_weight
        if (
            deployment.stage == "PRODUCTION_TRAFFIC_SHIFT"
            and weight is not None
            and weight < 100
            and deployment.step_bake_minutes is not None
            and self.weight_seen
        ):
            end = self.weight_seen + timedelta(minutes=deployment.step_bake_minutes)
            return f"next traffic shift in {format_elapsed(max((end - now).total_seconds(), 0))}"
        return ""

    def progress(self, deployment: Deployment, now: datetime) -> str:
        """One line for the per-poll progress callback."""
        parts = [f"deployment {deployment.id} {deployment.status}"]
        if deployment.stage:
            parts.append(f"stage {deployment.stage}")
        if deployment.running is not None and deployment.requested is not None:
            parts.append(f"new revision {deployment.running}/{deployment.requested} tasks")
        if deployment.production_weight is not None or deployment.test_weight is not None:
            weights = f"production {_percent(deployment.production_weight)}, test {_percent(deployment.test_weight)}"
            parts.append(weights)
        if left := self.left(deployment, now):
            parts.append(left)
        return "; ".join(parts)

    def stuck(self, deployment: Deployment, now: datetime) -> str:
        """For a timeout: the status and the stage it is stuck in, and since when."""
        if not deployment.stage:
            return f"deployment {deployment.id} still {deployment.status} (ECS reports no lifecycle stage)"
        since = ""
        if self.stage_seen is not None:
            ago = format_elapsed((now - self.stage_seen).total_seconds())
            since = f", entered {self.stage_seen.strftime('%H:%M:%SZ')}, {ago} ago"
        return f"deployment {deployment.id} still {deployment.status}, stuck in stage {deployment.stage}{since}"

    def failure(self, deployment: Deployment) -> str:
        """Why the deployment did not succeed, from every structured field ECS filled in."""
        why = [f"service deployment {deployment.id} ended {deployment.status}"]
        if deployment.outcome is Outcome.UNKNOWN:
            why[0] += " (a status this tool does not know: check the deployment in the ECS console)"
        hooks = {**self.hooks, **{hook.hook_id: hook for hook in deployment.hooks}}
        for hook in hooks.values():
            if hook.status in HOOK_FAILURES:
                where = self.hook_stages.get(hook.hook_id) or self.stage or "?"
                smoke = SMOKE_TEST if where == "POST_TEST_TRAFFIC_SHIFT" else ""
                why.append(f"lifecycle hook {hook.target} {hook.status} at {where}{smoke}")
        if deployment.circuit_breaker:
            why.append(f"deployment circuit breaker {deployment.circuit_breaker}")
        if deployment.triggered_alarms:
            why.append(f"alarms in ALARM: {', '.join(deployment.triggered_alarms)}")
        if deployment.reason:
            why.append(f"ECS says: {deployment.reason.rstrip('.')}")
        if deployment.rollback_reason or deployment.rollback_revision:
            rolled = deployment.rollback_revision.rsplit("/", 1)[-1] if deployment.rollback_revision else "?"
            reason = deployment.rollback_reason or ""
            said = f": {reason.rstrip('.')}" if reason and reason != deployment.reason else ""
            why.append(f"rolled back to service revision {rolled}{said}")
        return "; ".join(why)
