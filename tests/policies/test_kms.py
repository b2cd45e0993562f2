"""KMS rules on the recorded production logs key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.support import Case, drop, in_json, put

KEY = "aws:kms/key:Key"


def open_to_everyone(doc: dict[str, Any]) -> None:
    doc["Statement"].append(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    )


def everyone_in_account(doc: dict[str, Any]) -> None:
    doc["Statement"].append(
        {
            "Sid": "AccountOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
        }
    )


CASES = [
    Case("kms-key-rotation", KEY, "logs", None, "pass"),
    Case("kms-key-rotation", KEY, "logs", put("enableKeyRotation", False), "violation"),
    Case("kms-key-rotation", KEY, "logs", put("customerMasterKeySpec", "RSA_2048"), "not-applicable"),
    Case("kms-key-policy-not-public", KEY, "logs", None, "pass"),
    Case("kms-key-policy-not-public", KEY, "logs", in_json("policy", everyone_in_account), "pass"),
    Case("kms-key-policy-not-public", KEY, "logs", in_json("policy", open_to_everyone), "violation"),
    Case("kms-key-policy-lockout-safety-check", KEY, "logs", None, "pass"),
    Case("kms-key-policy-lockout-safety-check", KEY, "logs", put("bypassPolicyLockoutSafetyCheck", True), "violation"),
    Case("kms-key-policy-explicit", KEY, "logs", None, "pass"),
    Case("kms-key-policy-explicit", KEY, "logs", drop("policy"), "violation"),
    Case("kms-key-deletion-protection", KEY, "logs", None, "pass"),
    Case("kms-key-deletion-protection", KEY, "logs", None, "violation", protect=False),
    Case("kms-key-deletion-protection", KEY, "logs", put("deletionWindowInDays", 7), "violation"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
