"""`release`: move a CI-owned service's release pointer to an image, apply the stack, wait until it is steady.

Order and guarantees:
1. The image must exist in the service's ECR repository (a tag is resolved to its digest); otherwise nothing
   changes.
2. The pointer is written (skipped when it already holds the image: re-running a release is harmless), then the
   stack is applied with `pulumi up --target <task definition> --target <service>` (ops/apply.py), so Pulumi's state
   and AWS agree and the daily drift check stays green.
3. The service deployment the apply started must end SUCCESSFUL, whatever the service's strategy (rolling,
   blue/green, canary, linear): each lifecycle stage is printed as it is entered (ops/deployment_watch.py). If the
   apply fails, the deployment fails (circuit breaker, alarm, a lifecycle hook such as the smoke test: ECS rolls
   back), or the wait times out, the previous pointer is written back and applied again, and the error says what
   happened and how it ended. A blue/green, canary or linear deployment that timed out is first stopped with a
   rollback, so traffic returns to the previous revision at once rather than after another whole deployment.

`rollback` of a CI-owned service is a release of an earlier pointer version (its history in SSM), unless a blue/green,
canary or linear deployment is still in progress: then ECS rolls that one back (ops/deployment_rollback.py) and
`point_back` sets the pointer to the image the service runs again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ops import deployment_rollback, pointer
from ops import service_deployments as sd
from ops.apply import Apply, ApplyError, pulumi_up
from ops.aws import AWS_ERRORS, Clients, Clock, Progress, WaitTimeoutError, format_elapsed
from ops.deployment_watch import DeploymentTimeoutError, wait_for_deployment
from ops.ecs import Rollout, describe_service, is_failed_rollout
from ops.outputs import StackOutputs
from ops.pointer import ReleaseError, Target
from ops.rollback import service_outputs


class DeploymentFailedError(Exception):
    """The applied release did not become steady (rollout FAILED, rolled back, or the wrong image)."""


class ReleaseFailedError(Exception):
    """The release was written and applied but failed; the message says whether the previous one was restored."""


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    timeout_minutes: float = 20.0
    timeout_plus_bake: bool = False  # add the bake times of the deployment's strategy to the timeout (CLI default)
    poll_seconds: float = 15.0
    clock: Clock = field(default_factory=Clock)
    progress: Progress | None = None
    say: Callable[[str], None] = _quiet  # one line per stage
    apply: Apply = pulumi_up


@dataclass(frozen=True)
class Result:
    service: str
    image: str  # what the service runs now (or would, with --dry-run)
    previous: str
    version: int | None  # pointer version written; None when it already held the image or in a dry run
    task_definition: str | None
    seconds: float
    dry_run: bool = False


def release(
    outputs: StackOutputs, clients: Clients, service: str, image: str, options: Options | None = None
) -> Result:
    options = options or Options()
    target = pointer.release_target(outputs, service)
    resolved = pointer.resolve_image(clients("ecr"), target, image)
    before = pointer.current(clients("ssm"), target)
    options.say(f"{service}: pointer {target.parameter} is at version {before.number} ({before.image})")
    if options.dry_run:
        action = "nothing to write" if before.image == resolved else f"would write {resolved}"
        options.say(f"dry run: {action}, then apply {len(target.targets)} resources: {', '.join(target.targets)}")
        return Result(service, resolved, before.image, None, None, 0.0, dry_run=True)
    return _Release(outputs, clients, target, options).deploy(resolved, before, restore=True)


def rollback(
    outputs: StackOutputs, clients: Clients, service: str, version: int | None, options: Options | None = None
) -> Result:
    """Release the image of an earlier pointer version (default: the newest one that differs from the current)."""
    options = options or Options()
    target = pointer.release_target(outputs, service)
    ssm = clients("ssm")
    versions = pointer.history(ssm, target)
    chosen = pointer.previous_release(versions, version)
    image = pointer.resolve_image(clients("ecr"), target, chosen.image)  # lifecycle rules may have expired it
    options.say(f"{service}: rolling back to pointer version {chosen.number} ({image})")
    if options.dry_run:
        return Result(service, image, versions[-1].image, None, None, 0.0, dry_run=True)
    # Restoring the release being rolled back from on failure would redeploy what was just judged bad.
    return _Release(outputs, clients, target, options).deploy(image, pointer.current(ssm, target), restore=False)


@dataclass(frozen=True)
class _Release:
    outputs: StackOutputs
    clients: Clients
    target: Target
    options: Options

    def deploy(self, image: str, before: pointer.Version, *, restore: bool) -> Result:
        service = self.target.service
        version: int | None = None
        if before.image == image:
            self.options.say(f"{service}: the pointer already holds {image}; applying to make sure the service runs it")
        else:
            version = pointer.write(self.clients("ssm"), self.target, image)
            self.options.say(f"{service}: pointer set to {image} (version {version})")
        try:
            task_definition, seconds = self.apply_and_wait(image)
        except (ApplyError, DeploymentFailedError, WaitTimeoutError) as exc:
            failed = f"release of {image} to {service} failed: {exc}"
            if not restore or before.image == image:
                raise ReleaseFailedError(failed) from None
            if isinstance(exc, DeploymentTimeoutError):
                self.stop_stuck(exc.deployment)
            raise ReleaseFailedError(self.restore(failed, before)) from None
        return Result(service, image, before.image, version, task_definition, seconds)

    def stop_stuck(self, deployment: sd.Deployment | None) -> None:
        """A blue/green, canary or linear deployment that timed out still has the previous revision running: ECS
        returns traffic to it at once (StopServiceDeployment, ROLLBACK) before the previous release is applied."""
        if deployment is None or deployment.strategy == sd.DEFAULT_STRATEGY or deployment.status not in sd.STOPPABLE:
            return
        service_name, cluster, _ = service_outputs(self.outputs, self.target.service)
        ecs, say = self.clients("ecs"), self.options.say
        try:
            found = deployment_rollback.in_progress(ecs, cluster, service_name, deployment)
            say(deployment_rollback.plan(found))
            deployment_rollback.stop(ecs, found, self.options, say)
        except (
            deployment_rollback.StopFailedError,
            WaitTimeoutError,
            sd.DeploymentsUnavailableError,
            *AWS_ERRORS,
        ) as exc:
            say(f"{self.target.service}: stopping the timed-out deployment did not work ({exc}); restoring anyway")

    def restore(self, failed: str, before: pointer.Version) -> str:
        """Write the previous pointer back and apply it; the message for the operator, whatever happens."""
        self.options.say(f"{failed}; restoring the previous release {before.image}")
        try:
            restored = pointer.write(self.clients("ssm"), self.target, before.image)
            _, seconds = self.apply_and_wait(before.image)
        except (ApplyError, DeploymentFailedError, WaitTimeoutError, ReleaseError) as again:
            return (
                f"{failed}. Restoring the previous release {before.image} failed too: {again}. Follow "
                "docs/runbooks/rollback.md"
            )
        return (
            f"{failed}. The pointer is back at the previous release {before.image} (version {restored}), applied: "
            f"{self.target.service} is steady on it again after {format_elapsed(seconds)}"
        )

    def apply_and_wait(self, image: str) -> tuple[str, float]:
        target, options = self.target, self.options
        options.say(f"{target.service}: applying the stack ({self.outputs.stack})")
        options.apply(self.outputs.stack, target.targets)
        service_name, cluster, _ = service_outputs(self.outputs, target.service)
        ecs = self.clients("ecs")
        task_definition = str(describe_service(ecs, cluster, service_name)["taskDefinition"])
        revision = task_definition.rsplit("/", 1)[-1]
        images = _images(ecs, task_definition)
        if image not in images:
            raise DeploymentFailedError(
                f"after `pulumi up`, {service_name} uses {revision} with {images}, not {image}: the program did not "
                "pick the pointer up (is the service still CI-owned in this stack's config?)"
            )
        options.say(f"{target.service}: waiting for the deployment of {revision}")
        rollout = Rollout(
            cluster,
            service_name,
            task_definition,
            lambda state: _failure(state, task_definition),
            DeploymentFailedError,
        )
        seconds = wait_for_deployment(ecs, rollout, options, options.say, f"release of {target.service}")
        return task_definition, seconds


def point_back(outputs: StackOutputs, clients: Clients, service: str, task_definition: str) -> str:
    """After ECS rolled an in-progress deployment back: point at the image the service runs again, so that the next
    `pulumi up` or release does not bring the rolled-back image back. Returns what it did, for the operator."""
    target = pointer.release_target(outputs, service)
    ours = [i for i in _images(clients("ecs"), task_definition) if i.startswith(f"{target.repository_url}@")]
    if not ours:
        return f"pointer unchanged: {task_definition} runs no image of {target.repository_url} by digest"
    ssm = clients("ssm")
    if pointer.current(ssm, target).image == ours[0]:
        return f"the pointer already holds {ours[0]}"
    version = pointer.write(ssm, target, ours[0])
    return f"pointer set back to {ours[0]} (version {version})"


def _images(ecs: Any, task_definition: str) -> list[str]:
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    return [str(c.get("image")) for c in definition.get("containerDefinitions", [])]


def _failure(service: Mapping[str, Any], task_definition: str) -> str | None:
    """Why the rollout of `task_definition` failed, or None while it is fine or still going."""
    revision = task_definition.rsplit("/", 1)[-1]
    for deployment in service.get("deployments", []):
        ours = str(deployment.get("taskDefinition", "")).rsplit("/", 1)[-1] == revision
        if ours and deployment.get("rolloutState") == "FAILED":
            return f"the rollout of {revision} FAILED: {deployment.get('rolloutStateReason') or 'no reason given'}"
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    if primary is not None and str(primary.get("taskDefinition", "")).rsplit("/", 1)[-1] != revision:
        running = str(primary.get("taskDefinition")).rsplit("/", 1)[-1]
        return f"ECS rolled the service back to {running} (deployment circuit breaker or alarm)"
    return is_failed_rollout(service)
