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
    notify: Notify
    alarm_name: str
    service: str
    members: Sequence[str]
    tags: Mapping[str, str]
    # The member alarms' resources: the composite can only be created once they exist.
    depends_on: Sequence[pulumi.Resource] = ()


class ServiceHealth(PlatformComponent):
    alarm: aws.cloudwatch.CompositeAlarm
    name: str

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
        self.register_outputs({"alarm_name": self.name})
