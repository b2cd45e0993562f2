"""SNS rules on an alerts topic shaped like the monitoring tier's (KMS, TLS-only policy, CloudWatch publisher)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.plan import Plan
from tests.policies.support import Case, drop, plan_of, put, record

TOPIC, POLICY = "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"
ARN = "arn:aws:sns:eu-west-1:123456789012:alerts"
DENY_PLAIN_HTTP = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sns:Publish",
    "Resource": ARN,
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
CLOUDWATCH_PUBLISHES = {
    "Sid": "CloudWatchAlarms",
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": "sns:Publish",
    "Resource": ARN,
    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
}


def topic_plan(*statements: dict[str, Any]) -> Plan:
    topic = record(
        TOPIC,
        "alerts",
        {
            "kmsMasterKeyId": "arn:aws:kms:eu-west-1:123456789012:key/1",
            "httpFailureFeedbackRoleArn": "arn:aws:iam::1:role/f",
        },
    )
    policy = record(
        POLICY,
        "alerts",
        {"arn": ARN, "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})},
        deps=[topic.urn],
    )
    return plan_of(topic, policy)


def secure() -> Plan:
    return topic_plan(DENY_PLAIN_HTTP, CLOUDWATCH_PUBLISHES)


PUBLIC = {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": ARN}

CASES = [
    Case("sns-topic-kms", TOPIC, None, None, "pass", build=secure),
    Case("sns-topic-kms", TOPIC, None, drop("kmsMasterKeyId"), "violation", build=secure),
    Case("sns-topic-policy-not-public", POLICY, None, None, "pass", build=secure),
    Case(
        "sns-topic-policy-not-public",
        POLICY,
        None,
        None,
        "violation",
        build=lambda: topic_plan(DENY_PLAIN_HTTP, PUBLIC),
    ),
    Case("sns-topic-tls-only", TOPIC, None, None, "pass", build=secure),
    Case("sns-topic-tls-only", TOPIC, None, None, "violation", build=lambda: topic_plan(CLOUDWATCH_PUBLISHES)),
    Case("sns-delivery-status-logging", TOPIC, None, None, "pass", build=secure),
    Case("sns-delivery-status-logging", TOPIC, None, put("httpFailureFeedbackRoleArn", ""), "violation", build=secure),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
