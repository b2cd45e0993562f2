"""`rollback`: point a service at its previous (or a named) task definition revision and follow the deployment.

ECS deploys the revision with the service's own strategy (rolling, blue/green, canary, linear); the wait prints each
lifecycle stage (ops/deployment_watch.py). A blue/green, canary or linear deployment still in progress is stopped
with a rollback instead (ops/deployment_rollback.py, chosen by the CLI before this runs).

Only ACTIVE revisions qualify: ECS refuses to update a service to an INACTIVE (deregistered) revision. The
rollback is a change outside Pulumi: the next `pulumi up` sets the service back to the revision the program
declares, so revert the faulty commit too (docs/runbooks/rollback.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ops.aws import AWS_ERRORS, Clients, Clock, Progress, error_code
from ops.deployment_watch import wait_for_deployment
from ops.ecs import Rollout, describe_service, task_definition_revision
from ops.outputs import OutputsError, StackOutputs


class RollbackError(Exception):
    pass


@dataclass(frozen=True)
class Options:
    revision: int | None = None  # None: the newest ACTIVE revision below the current one
    timeout_minutes: float = 20.0
    timeout_plus_bake: bool = False  # add the bake times of the deployment's strategy to the timeout (CLI default)
    poll_seconds: float = 15.0
    clock: Clock = field(default_factory=Clock)
    progress: Progress | None = None
    say: Callable[[str], None] = lambda _: None  # one line per lifecycle stage
    dry_run: bool = False  # choose the revision and say so; change nothing


@dataclass(frozen=True)
class Result:
    service: str
    cluster: str
    previous: str  # family:revision before the rollback
    current: str  # family:revision after it (with dry_run: the one it would roll back to)
    seconds: float
    dry_run: bool = False


def service_outputs(outputs: StackOutputs, name: str) -> tuple[str, str, str]:
    services = outputs.mapping("services")
    if name not in services:
        known = ", ".join(sorted(services)) or "none"
        raise OutputsError(f"service `{name}` is not in stack output `services` of {outputs.source} (known: {known})")
    key = f"services.{name}"
    cluster = outputs.optional(f"{key}.clusterName") or outputs.text("clusterName")
    return outputs.text(f"{key}.serviceName"), str(cluster), outputs.text(f"{key}.taskDefinitionFamily")


def _active_revisions(ecs: Any, family: str) -> list[int]:
    revisions = []
    paginator = ecs.get_paginator("list_task_definitions")
    for page in paginator.paginate(familyPrefix=family, status="ACTIVE"):
        for arn in page.get("taskDefinitionArns", []):
            found_family, revision = task_definition_revision(arn)
            if found_family == family:  # familyPrefix also matches "api-worker" for "api"
                revisions.append(revision)
    return sorted(revisions)


def choose_revision(ecs: Any, family: str, current: int, wanted: int | None) -> int:
    if wanted is not None:
        if wanted == current:
            raise RollbackError(f"the service already runs {family}:{current}")
        try:
            definition = ecs.describe_task_definition(taskDefinition=f"{family}:{wanted}")["taskDefinition"]
        except AWS_ERRORS as exc:
            if error_code(exc) in ("ClientException", "InvalidParameterException"):
                raise RollbackError(f"task definition {family}:{wanted} does not exist") from None
            raise
        if definition.get("status") != "ACTIVE":
            raise RollbackError(
                f"task definition {family}:{wanted} is {definition.get('status')}: ECS cannot roll a service back "
                "to a deregistered revision"
            )
        return wanted
    earlier = [r for r in _active_revisions(ecs, family) if r < current]
    if not earlier:
        raise RollbackError(
            f"no earlier ACTIVE revision of {family} than the current {current}: nothing to roll back to "
            "(revisions replaced by `pulumi up` are deregistered unless the task definition keeps them with "
            "skipDestroy)"
        )
    return earlier[-1]


def run(outputs: StackOutputs, clients: Clients, service: str, options: Options | None = None) -> Result:
    options = options or Options()
    service_name, cluster, family = service_outputs(outputs, service)
    ecs = clients("ecs")
    described = describe_service(ecs, cluster, service_name)
    running_family, current = task_definition_revision(str(described["taskDefinition"]))
    if running_family != family:
        raise RollbackError(
            f"{service_name} runs family {running_family}, but the stack outputs say {family} ({outputs.source})"
        )
    target = choose_revision(ecs, family, current, options.revision)
    target_ref = f"{family}:{target}"
    if options.dry_run:
        return Result(service_name, cluster, f"{family}:{current}", target_ref, 0.0, dry_run=True)
    ecs.update_service(cluster=cluster, service=service_name, taskDefinition=target_ref)

    def failed(reason: str) -> RollbackError:
        return RollbackError(f"the rollback deployment of {service_name} to {target_ref} failed: {reason}")

    rollout = Rollout(cluster, service_name, target_ref, error=failed)
    seconds = wait_for_deployment(ecs, rollout, options, options.say, f"rollback of {service_name} to {target_ref}")
    return Result(service_name, cluster, f"{family}:{current}", target_ref, seconds)
