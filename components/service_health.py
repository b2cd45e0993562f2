"""The composite "service unhealthy" alarm of one service: any of its critical signals (5xx, unhealthy hosts,
running tasks below minimum) pages once, through the critical topic, instead of once per signal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components import aws
from components.alarms import Notify, describe
from components.base import PlatformComponent

ANCHOR = "service-unhealthy"


def alarm_rule(members: Sequence[str]) -> str:
    """OR of the members' ALARM states; names are quoted as CloudWatch's rule syntax allows."""
    return " OR ".join(f'ALARM("{member}")' for member in members)


@dataclass(frozen=True)
class ServiceHealthArgs:
    """Arguments of `ServiceHealth`."""

    notify: Notify
    """Topics and runbook base URL; the composite pages the critical topic on ALARM and OK; required."""
    alarm_name: str
    """The composite alarm's name, fixed (not auto-named) so ECS deployment rollback can name it before it
    exists; required."""
    service: str
    """Name of the service the alarm watches, used in its description; required."""
    members: Sequence[str]
    """Names of the member alarms, ORed; required and non-empty (CloudWatch rejects an empty rule)."""
    tags: Mapping[str, str]
    """Tags on the composite alarm (plus Severity and Runbook); required."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The member alarms' resources; default none. The composite can only be created once its members exist,
    and the rule names them by string only, so the dependency must be stated."""


class ServiceHealth(PlatformComponent):
    """One composite alarm per service: any critical signal pages once instead of once per signal."""

    alarm: aws.cloudwatch.CompositeAlarm
    """The composite alarm (escape hatch)."""
    name: str
    """The composite alarm's name (what deployment rollback and dashboards refer to)."""

    def __init__(self, name: str, args: ServiceHealthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        if not args.members:
            raise ValueError("a composite alarm needs member alarms")
        topic = args.notify.topic("critical")
        meaning = f"{args.service} is unhealthy: " + ", ".join(args.members) + " in ALARM."
        self.name = args.alarm_name
        self.alarm = aws.cloudwatch.CompositeAlarm(
            name,
            alarm_name=args.alarm_name,
            alarm_description=describe("critical", meaning, args.notify.runbook(ANCHOR)),
            alarm_rule=alarm_rule(args.members),
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={**self._tags, "Severity": "critical", "Runbook": ANCHOR},
            opts=self.child(depends_on=list(args.depends_on)),
        )
        self.register_declared_outputs()
