"""`rollback` while a blue/green, canary or linear deployment is still in progress: stop it with
StopServiceDeployment(stopType=ROLLBACK) instead of starting another release.

During such a deployment the previous (blue) revision still runs, so ECS moves traffic back to it at once and
removes the new tasks; a new release would instead queue a whole second deployment behind the bad one. ECS
accepts the stop for PENDING and IN_PROGRESS deployments (they move to ROLLBACK_REQUESTED); one already rolling
back is followed to its end ("Stopping Amazon ECS service deployments", ECS developer guide). A rolling deployment
is not stopped here: a new release (UpdateService) supersedes it, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops import service_deployments as sd
from ops.deployment_watch import Follow, Say
from ops.ecs import Rollout, WaitOptions


class StopFailedError(Exception):
    """The rollback of the in-progress deployment did not end ROLLBACK_SUCCESSFUL."""


@dataclass(frozen=True)
class InProgress:
    cluster: str
    service: str
    deployment: sd.Deployment
    target: str  # task definition (family:revision) being deployed
    source: str  # task definition (family:revision) the rollback returns to

    @property
    def stoppable(self) -> bool:
        return self.deployment.status in sd.STOPPABLE


@dataclass(frozen=True)
class Stopped:
    service: str
    deployment: str
    status: str
    back_to: str  # task definition (family:revision) running after the rollback
    seconds: float


def _revision(ecs: Any, revision_arn: str) -> str:
    task_definition = sd.revision_task_definition(ecs, revision_arn) or ""
    return task_definition.rsplit("/", 1)[-1] or f"service revision {revision_arn.rsplit('/', 1)[-1]}"


def in_progress(ecs: Any, cluster: str, service: str, deployment: sd.Deployment) -> InProgress:
    """`deployment` with the task definitions it deploys and would return to (DescribeServiceRevisions)."""
    sources = deployment.source_revisions
    source = _revision(ecs, deployment.rollback_revision or (sources[0] if sources else ""))
    return InProgress(cluster, service, deployment, _revision(ecs, deployment.target_revision), source)


def find(ecs: Any, cluster: str, service: str, say: Say) -> InProgress | None:
    """The service's deployment to roll back by stopping it, or None (no deployment in progress, a rolling one, or
    service deployments unreadable here: then the caller releases the earlier version as before, and this says why)."""
    try:
        arn = sd.newest(ecs, cluster, service, sd.ONGOING)
        if arn is None:
            return None
        deployment = sd.describe(ecs, arn)
        if deployment.strategy == sd.DEFAULT_STRATEGY:
            say(f"{service}: deployment {deployment.id} ({deployment.status}) is rolling: a new release supersedes it")
            return None
        return in_progress(ecs, cluster, service, deployment)
    except sd.DeploymentsUnavailableError as exc:
        say(f"{service}: cannot check for a deployment in progress ({exc}); releasing the earlier version instead")
        return None


def plan(found: InProgress) -> str:
    """What `rollback` does about it: printed before it acts, and all that `--dry-run` prints."""
    deployment = found.deployment
    where = f"{deployment.status} at stage {deployment.stage or '(none reported)'}"
    if deployment.production_weight is not None:
        where += f", {deployment.production_weight:g}% of production traffic on it"
    if not found.stoppable:
        return (
            f"{found.service}: ECS is already stopping or rolling back deployment {deployment.id} of {found.target} "
            f"({where}): follow it back to {found.source}"
        )
    return (
        f"{found.service}: {deployment.strategy} deployment {deployment.id} of {found.target} is in progress "
        f"({where}): stop it with StopServiceDeployment(stopType=ROLLBACK); ECS moves traffic back to {found.source} "
        "and removes the new tasks"
    )


def stop(ecs: Any, found: InProgress, options: WaitOptions, say: Say) -> Stopped:
    """Stop (unless ECS is rolling back already) and follow the rollback to ROLLBACK_SUCCESSFUL, stage by stage."""
    deployment = found.deployment
    if found.stoppable:
        try:
            sd.stop_with_rollback(ecs, deployment.arn)
        except sd.StopRefusedError as exc:
            raise StopFailedError(f"{exc}. Run `ops rollback` again: it releases the earlier version") from None
        say(f"{found.service}: rollback of {deployment.id} requested")

    def failed(reason: str) -> StopFailedError:
        return StopFailedError(f"the rollback of {found.service} to {found.source} did not succeed: {reason}")

    rollout = Rollout(found.cluster, found.service, found.source, error=failed)
    follow = Follow(ecs, rollout, options, say, arn=deployment.arn, expected=("ROLLBACK_SUCCESSFUL",), announced=True)
    seconds = follow.run(f"rollback of {found.service} to {found.source}")
    status = follow.last.status if follow.last else "?"
    return Stopped(found.service, deployment.id, status, found.source, seconds)
