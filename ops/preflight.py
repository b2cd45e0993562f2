"""`ops preflight`: before `pulumi up`, hold the stack file (what the change asks for) against what runs on AWS.

A service that leaves blue/green, canary or linear for rolling routes through the target group the stack declared
first. After every other non-rolling release, ECS has moved its tasks and production traffic to the alternate group
(`<service>-alt`), and switching then points the listener rule at a group with no tasks until the rolling deployment
fills it: 503s for minutes. The plan diff flags the change (BACK TO ROLLING) but cannot know where the tasks run;
this reads it from ECS (after each such release the new revision's group becomes the service's
`loadBalancers[0].targetGroupArn`: hashicorp/terraform-provider-aws#45678, which components/container_service.py
cites for the same fact) and refuses. The way out is docs/runbooks/deploy.md's: release once more with the
current strategy, then switch.

It reads; it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.ecs import ServiceNotFoundError, describe_service
from ops.outputs import StackOutputs

RUNBOOK = "docs/runbooks/deploy.md#changing-the-strategy-of-a-deployed-service"


class StackFileInvalidError(Exception):
    """The stack file cannot be read or validated; the message names the file, key and line."""


@dataclass(frozen=True)
class Refusal:
    """A rolling service whose production traffic is on another group than the one the stack declared first."""

    service: str
    serving: str
    declared: str

    def message(self) -> str:
        return (
            f"{self.service}: the stack file makes it rolling, but production traffic is on "
            f"{group_name(self.serving)}, not on {group_name(self.declared)} (the group a rolling service uses); "
            "`pulumi up` now would route production to a group with no tasks. Release once more with the current "
            f"strategy (the traffic moves back to {group_name(self.declared)}), then switch: {RUNBOOK}"
        )


@dataclass(frozen=True)
class Result:
    refusals: list[Refusal]
    notes: list[str]


def group_name(arn: str) -> str:
    """`arn:...:targetgroup/api-alt-1a2b3c4/0123...` -> `api-alt-1a2b3c4` (the ARN itself if it has no name)."""
    parts = arn.split(":targetgroup/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 and parts[1] else arn


def rolling_services(stack: str, stack_file: Path | None = None) -> set[str]:
    """The services the stack file releases with the rolling strategy, as the program would read it."""
    from infra.config import ConfigError, load_config
    from offline.project import StackFileError, explain, load_stack

    try:
        settings = load_stack(stack, stack_file=stack_file)
    except StackFileError as exc:
        raise StackFileInvalidError(str(exc)) from None
    try:
        config = load_config(settings.config, set(settings.secret_keys))
    except ConfigError as exc:
        raise StackFileInvalidError(explain(exc.problems, settings)) from None
    return {name for name, service in config.services.items() if service.release.rolling}


def check(outputs: StackOutputs, ecs: Any, rolling: Iterable[str]) -> Result:
    """Refusals for the `rolling` services that run on another group than their declared one; notes for those it
    could not judge (not deployed yet, no load balancer, not found in ECS)."""
    deployed: Mapping[str, Any] = outputs.mapping("services") if outputs.optional("services") is not None else {}
    refusals: list[Refusal] = []
    notes: list[str] = []
    for name in sorted(rolling):
        entry = deployed.get(name)
        if not isinstance(entry, Mapping) or not entry.get("targetGroupArn"):
            notes.append(f"{name}: not deployed behind the load balancer yet: nothing to check")
            continue
        declared = outputs.text(f"services.{name}.targetGroupArn")
        try:
            live = describe_service(
                ecs, outputs.text(f"services.{name}.clusterName"), outputs.text(f"services.{name}.serviceName")
            )
        except ServiceNotFoundError as exc:
            notes.append(f"{name}: {exc}: `pulumi up` creates it again, on {group_name(declared)}")
            continue
        serving = [str(lb["targetGroupArn"]) for lb in live.get("loadBalancers", []) if lb.get("targetGroupArn")]
        if serving and declared not in serving:
            refusals.append(Refusal(name, serving[0], declared))
    return Result(refusals, notes)
