"""SNS topics and topic policies."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    denies_insecure_transport,
    document,
    get,
    has_restricting_condition,
    is_public_principal,
    known,
    label,
    resource_policy,
    stack_policy,
    statements,
)

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
DOCS = "https://docs.aws.amazon.com/sns/latest/dg"

C100 = Control(
    "C100",
    "Topic encrypted with KMS",
    Severity.MEDIUM,
    "SNS.1",
    cdk_nag=("R5:SNSEncryptedKMS",),
    checkov=("CKV_AWS_26",),
)
C101 = Control(
    "C101",
    "Topic policy not public",
    Severity.HIGH,
    "SNS.4",
    "unverified",
    checkov=("CKV_AWS_169", "CKV_AWS_385"),
    severity_source="third-party",
)
C102 = Control(
    "C102", "Publish requires TLS", Severity.MEDIUM, cdk_nag=("AwsSolutions-SNS3",), severity_source="suggested"
)
C103 = Control("C103", "Delivery-status logging", Severity.MEDIUM, "SNS.2")

FEEDBACK_ROLES = (
    "applicationFailureFeedbackRoleArn",
    "firehoseFailureFeedbackRoleArn",
    "httpFailureFeedbackRoleArn",
    "lambdaFailureFeedbackRoleArn",
    "sqsFailureFeedbackRoleArn",
)


def encrypted(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsMasterKeyId"):
        report("kmsMasterKeyId is not set: messages are stored unencrypted.")


def not_public(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in statements(document(get(args.props, "policy"))):
        if (
            statement.get("Effect") == "Allow"
            and is_public_principal(statement)
            and not has_restricting_condition(statement)
        ):
            report(
                f"Statement {statement.get('Sid', '(no Sid)')} lets anyone use the topic without a source condition."
            )


def _policies(stack: StackView, topic: PolicyResource) -> list[Any]:
    docs = [document(known(topic.props, "policy"))] if known(topic.props, "policy") else []
    docs += [document(known(p.props, "policy")) for p in stack.referencing(topic, [TOPIC_POLICY], "arn")]
    return docs


def tls_only(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for topic in stack.of_type(TOPIC):
        if not any(denies_insecure_transport(d) for d in _policies(stack, topic)):
            report(
                f"{label(topic)}: no topic policy denies publishing without TLS (aws:SecureTransport false).", topic.urn
            )


def delivery_logging(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not any(get(args.props, key) for key in FEEDBACK_ROLES):
        report("No delivery-status logging: no *FailureFeedbackRoleArn is set.")


POLICIES: list[Policy] = [
    resource_policy(
        "sns-topic-kms",
        C100,
        [TOPIC],
        "Topics encrypt messages at rest with KMS.",
        "Set kms_master_key_id to a customer managed key that CloudWatch (cloudwatch.amazonaws.com) may use.",
        encrypted,
        promoted=True,
    ),
    resource_policy(
        "sns-topic-policy-not-public",
        C101,
        [TOPIC, TOPIC_POLICY],
        "Topic policies do not let anyone publish or subscribe without a source condition.",
        "Name the publishing service or account, and add aws:SourceAccount / aws:SourceArn conditions.",
        not_public,
    ),
    stack_policy(
        "sns-topic-tls-only",
        C102,
        [TOPIC],
        "Topic policies deny requests that do not use TLS.",
        "Add a Deny statement for Principal '*' with Condition Bool aws:SecureTransport 'false'.",
        tls_only,
        promoted=True,
        url=f"{DOCS}/sns-security-best-practices.html",
    ),
    resource_policy(
        "sns-delivery-status-logging",
        C103,
        [TOPIC],
        "Topics log the delivery status of notifications.",
        "Set the *_failure_feedback_role_arn (and success role and sample rate) for the protocols used.",
        delivery_logging,
    ),
]
