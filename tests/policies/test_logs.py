"""CloudWatch Logs rules on the recorded log groups: retention by log class (CloudWatch.16) and encryption."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.policy_runner import CONFIG_DIR
from tests.policies.support import Case, both, drop, outcome, plan_of, put, record

GROUP = "aws:cloudwatch/logGroup:LogGroup"
NATIVE = "aws-native:logs:LogGroup"
PRODUCTION: dict[str, Any] = json.loads((CONFIG_DIR / "production.json").read_text())["logs-retention"]
SECURITY = "network-flow-logs"  # VPC flow logs, tagged LogClass=security by components/network.py
APPLICATION = "api-logs"  # the api service's logs, tagged LogClass=application


def tag(value: str | None, key: str = "LogClass") -> Any:
    def change(inputs: dict[str, Any]) -> None:
        inputs["tags"] = {k: v for k, v in inputs["tags"].items() if k != "LogClass"}
        if value is not None:
            inputs["tags"][key] = value

    return change


CASES = [
    # security logs: 365 days in production, whatever the application exception says
    Case("logs-retention", GROUP, SECURITY, None, "pass", config=PRODUCTION),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 3653), "pass", config=PRODUCTION),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 0), "pass", config=PRODUCTION),  # never expire
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", "365"), "pass", config=PRODUCTION),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 180), "violation", config=PRODUCTION),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 90), "violation", config=PRODUCTION),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 366), "violation"),  # not a CloudWatch value
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 365.5), "violation"),
    Case("logs-retention", GROUP, SECURITY, drop("retentionInDays"), "violation"),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 30), "violation"),
    Case("logs-retention", GROUP, SECURITY, put("retentionInDays", 30), "pass", config={"minimumRetentionDays": 30}),
    # application logs: the exception applies only where configured, and only to the exact tag
    Case("logs-retention", GROUP, APPLICATION, None, "pass", config=PRODUCTION),
    Case("logs-retention", GROUP, APPLICATION, put("retentionInDays", 60), "violation", config=PRODUCTION),
    Case("logs-retention", GROUP, APPLICATION, None, "violation"),  # no exception configured: judged at 365
    # evasions: a short-lived group that does not say it is an application log is judged as security logs
    Case("logs-retention", GROUP, APPLICATION, tag(None), "violation", config=PRODUCTION),  # untagged
    Case("logs-retention", GROUP, APPLICATION, drop("tags"), "violation", config=PRODUCTION),
    Case("logs-retention", GROUP, APPLICATION, tag("Application"), "violation", config=PRODUCTION),
    Case("logs-retention", GROUP, APPLICATION, tag("app"), "violation", config=PRODUCTION),
    Case("logs-retention", GROUP, APPLICATION, tag("application", key="logclass"), "violation", config=PRODUCTION),
    Case(
        "logs-retention",
        GROUP,
        SECURITY,
        both(tag("security"), put("retentionInDays", 90)),
        "violation",
        config=PRODUCTION,
    ),
    Case("logs-kms-encrypted", GROUP, SECURITY, None, "pass"),
    Case("logs-kms-encrypted", GROUP, SECURITY, drop("kmsKeyId"), "violation"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def test_violations_name_the_class_and_the_minimum() -> None:
    short = plan_of(record(GROUP, "g", {"retentionInDays": 90, "tags": {"Team": "x"}}))
    result, messages = outcome("logs-retention", short, GROUP, "g", config=PRODUCTION)
    assert result == "violation"
    assert messages == ["retentionInDays is 90; no LogClass tag, so judged as security logs need at least 365 days."]


@pytest.mark.parametrize(
    ("tags", "days", "expected"),
    [
        ([{"key": "LogClass", "value": "application"}], 90, "pass"),
        ([{"key": "LogClass", "value": "security"}], 90, "violation"),
        ([], 90, "violation"),
        ([{"key": "LogClass", "value": "security"}], 365, "pass"),
        ([{"key": "LogClass", "value": "application"}], 7, "violation"),
    ],
)
def test_aws_native_log_groups_are_judged_the_same_way(tags: list[dict[str, str]], days: int, expected: str) -> None:
    """Another provider's log group type (CloudFormation shape: tags as a key/value list) cannot walk around."""
    native = plan_of(record(NATIVE, "native", {"logGroupName": "x", "retentionInDays": days, "tags": tags}))
    assert outcome("logs-retention", native, NATIVE, "native", config=PRODUCTION)[0] == expected


def test_production_names_the_application_exception_with_its_reason() -> None:
    exception = PRODUCTION["applicationLogs"]
    assert exception["minimumRetentionDays"] == 90 and "runbook" in exception["reason"]
    assert PRODUCTION["minimumRetentionDays"] == 365
