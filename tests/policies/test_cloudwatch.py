"""Alarm rules: each alarm notifies someone, and the load balancer and database are watched."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, plan_of, put, record, reference

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LB, DB = "aws:lb/loadBalancer:LoadBalancer", "aws:rds/instance:Instance"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:alerts"


def alarm(**extra: object) -> Plan:
    inputs = {"alarmActions": [TOPIC_ARN], "comparisonOperator": "GreaterThanThreshold", "metricName": "CPUUtilization"}
    return plan_of(record(ALARM, "db-cpu", {**inputs, **extra}))


def watched(*targets: str) -> Plan:
    """The production plan with its own alarms removed, then one alarm on each of `targets`."""
    plan = reference()
    plan.resources = [
        r for r in plan.resources if r.type not in (ALARM, "aws:cloudwatch/compositeAlarm:CompositeAlarm")
    ]
    for type_ in targets:
        target = plan.one(type_)
        plan.resources.append(
            record(ALARM, f"{target.name}-alarm", {"alarmActions": [TOPIC_ARN]}, deps=[target.urn], stack="production")
        )
    return plan


CASES = [
    Case("cloudwatch-alarm-has-action", ALARM, None, None, "pass", build=alarm),
    Case("cloudwatch-alarm-has-action", ALARM, None, put("alarmActions", []), "violation", build=alarm),
    Case("cloudwatch-alarm-actions-enabled", ALARM, None, None, "pass", build=alarm),
    Case("cloudwatch-alarm-actions-enabled", ALARM, None, put("actionsEnabled", False), "violation", build=alarm),
    Case("cloudwatch-load-balancers-and-databases-alarmed", DB, None, None, "pass"),  # the real alarm set
    Case("cloudwatch-load-balancers-and-databases-alarmed", LB, None, None, "pass"),
    Case("cloudwatch-load-balancers-and-databases-alarmed", DB, None, None, "pass", build=lambda: watched(LB, DB)),
    Case("cloudwatch-load-balancers-and-databases-alarmed", DB, None, None, "violation", build=lambda: watched(LB)),
    Case("cloudwatch-load-balancers-and-databases-alarmed", LB, None, None, "violation", build=lambda: watched(DB)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
