"""Secrets Manager rules on the recorded application secret."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, plan_of, put, record, reference

SECRET, ROTATION = "aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretRotation:SecretRotation"


def rotated(rules: dict[str, object]) -> Plan:
    plan = reference()
    secret = plan.one(SECRET)
    plan.resources.append(
        record(
            ROTATION,
            "session-key",
            {"secretId": "arn:secret", "rotationRules": rules},
            deps=[secret.urn],
            stack="production",
        )
    )
    return plan


def rotation_only(rules: dict[str, object]) -> Plan:
    return plan_of(record(ROTATION, "session-key", {"secretId": "arn:secret", "rotationRules": rules}))


CASES = [
    Case("secrets-rotation-enabled", SECRET, None, None, "pass", build=lambda: rotated({"automaticallyAfterDays": 30})),
    Case("secrets-rotation-enabled", SECRET, None, None, "violation"),
    Case(
        "secrets-rotation-interval",
        ROTATION,
        None,
        None,
        "pass",
        build=lambda: rotation_only({"automaticallyAfterDays": 30}),
    ),
    Case(
        "secrets-rotation-interval",
        ROTATION,
        None,
        None,
        "violation",
        build=lambda: rotation_only({"automaticallyAfterDays": 365}),
    ),
    Case(
        "secrets-rotation-interval",
        ROTATION,
        None,
        None,
        "violation",
        build=lambda: rotation_only({"scheduleExpression": "rate(120 days)"}),
    ),
    Case(
        "secrets-rotation-interval",
        ROTATION,
        None,
        None,
        "not-applicable",
        build=lambda: rotation_only({"scheduleExpression": "cron(0 4 1 * ? *)"}),
    ),
    Case("secrets-customer-managed-key", SECRET, None, None, "pass"),
    Case("secrets-customer-managed-key", SECRET, None, put("kmsKeyId", "alias/aws/secretsmanager"), "violation"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
