"""SNS topics and topic policies."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    denies_insecure_transport,
    document,
    get,
    has_restricting_condition,
    is_public_principal,
    known,
    label,
    statements,
)
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    FsbpStatus,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    StackRule,
    declared,
)
from .stack import StackView

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
DOCS = "https://docs.aws.amazon.com/sns/latest/dg"


FEEDBACK_ROLES = (
    "applicationFailureFeedbackRoleArn",
    "firehoseFailureFeedbackRoleArn",
    "httpFailureFeedbackRoleArn",
    "lambdaFailureFeedbackRoleArn",
    "sqsFailureFeedbackRoleArn",
)


@ResourceRule(
    name="sns-topic-kms",
    control=Control(
        id="C100",
        title="Topic encrypted with KMS",
        severity=Severity.MEDIUM,
        fsbp="SNS.1",
        cdk_nag=("R5:SNSEncryptedKMS",),
        checkov=("CKV_AWS_26",),
    ),
    types=[TOPIC],
    inputs=("kmsMasterKeyId",),
    description="Topics encrypt messages at rest with KMS.",
    remediation="Set kms_master_key_id to a customer managed key that CloudWatch (cloudwatch.amazonaws.com) may use.",
    enforcement=MANDATORY,
)
def encrypted(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsMasterKeyId"):
        report("kmsMasterKeyId is not set: messages are stored unencrypted.")


@ResourceRule(
    name="sns-topic-policy-not-public",
    control=Control(
        id="C101",
        title="Topic policy not public",
        severity=Severity.HIGH,
        fsbp="SNS.4",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_169", "CKV_AWS_385"),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[TOPIC, TOPIC_POLICY],
    inputs=("policy",),
    description="Topic policies do not let anyone publish or subscribe without a source condition.",
    remediation="Name the publishing service or account, and add aws:SourceAccount / aws:SourceArn conditions.",
    enforcement=MANDATORY,
)
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


@StackRule(
    name="sns-topic-tls-only",
    control=Control(
        id="C102",
        title="Publish requires TLS",
        severity=Severity.MEDIUM,
        cdk_nag=("AwsSolutions-SNS3",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[TOPIC],
    description="Topic policies deny requests that do not use TLS.",
    remediation="Add a Deny statement for Principal '*' with Condition Bool aws:SecureTransport 'false'.",
    enforcement=MANDATORY,
    url=f"{DOCS}/sns-security-best-practices.html",
)
def tls_only(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for topic in stack.of_type(TOPIC):
        if not any(denies_insecure_transport(d) for d in _policies(stack, topic)):
            report(
                f"{label(topic)}: no topic policy denies publishing without TLS (aws:SecureTransport false).", topic.urn
            )


@ResourceRule(
    name="sns-delivery-status-logging",
    control=Control(id="C103", title="Delivery-status logging", severity=Severity.MEDIUM, fsbp="SNS.2"),
    types=[TOPIC],
    description="Topics log the delivery status of notifications.",
    remediation="Set the *_failure_feedback_role_arn (and success role and sample rate) for the protocols used.",
    enforcement=ADVISORY,
)
def delivery_logging(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not any(get(args.props, key) for key in FEEDBACK_ROLES):
        report("No delivery-status logging: no *FailureFeedbackRoleArn is set.")


POLICIES: list[Policy] = declared(__name__)
