"""Alarm notification routing for one region: a topic per severity, KMS-encrypted, that only the AWS services
which alert us may publish to (over TLS), with the configured email and HTTPS (paging) subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, ServiceGrant
from components.logs import LogClass, LogSettings, encrypted_log_group

SEVERITIES: tuple[str, ...] = ("critical", "warning")
# What a publishing service needs on the key of an encrypted topic (SNS docs, "compatibility between event
# sources from AWS services and encrypted topics"). Key policies carry no source conditions: AWS documents
# them for CloudWatch as optional and as unsupported for EventBridge; the topic policies below restrict who
# may publish.
PUBLISH_KEY_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey*")
CLOUDWATCH = "cloudwatch.amazonaws.com"
EVENTBRIDGE = "events.amazonaws.com"
RDS_EVENTS = "events.rds.amazonaws.com"


@dataclass(frozen=True)
class Subscribers:
    """Who receives one severity's notifications."""

    emails: Sequence[str] = field(default_factory=tuple)
    """Email addresses subscribed (each must confirm by mail); default none."""
    https_endpoints: Sequence[str] = field(default_factory=tuple)
    """HTTPS endpoints subscribed, e.g. a pager's integration URL; default none. They must confirm the
    subscription themselves (paging services such as PagerDuty do)."""


@dataclass(frozen=True)
class NotificationsArgs:
    """Arguments of `Notifications` (one per Region that alarms: the stack's and us-east-1)."""

    context: AwsContext
    """Account and Region of the topics; required."""
    name_prefix: str
    """Prefix of the topic names (`<prefix>-critical`, `<prefix>-warning`); required, fixed so alarms in other
    stacks and tools can find them."""
    key_alias: str
    """Alias of the topics' KMS key (`alias/...`); required."""
    tags: Mapping[str, str]
    """Tags on key, topics and log groups; required."""
    subscribers: Mapping[str, Subscribers]
    """Severity -> its subscribers; a severity without an entry has none (its alarms still show in the
    console)."""
    event_rule_names: Sequence[str] = field(default_factory=tuple)
    """EventBridge rules (by name, in this Region) allowed to publish to the critical topic; default none."""
    rds_events: bool = False
    """Whether RDS event subscriptions of this account and Region may publish to the critical topic; default
    False (only the Region with the database needs it)."""
    delivery_logs: LogSettings | None = None
    """Key and retention of the delivery-status log groups (FSBP SNS.2), created here so they are encrypted and
    retained; default None = no delivery-status logging."""
    protect: bool = False
    """Pulumi `protect` on the topics' key; default False (staging); production protects it."""


class Notifications(PlatformComponent):
    """A topic per severity, KMS-encrypted, that only the alerting AWS services may publish to, over TLS."""

    key: EncryptionKey
    """The topics' key (escape hatch)."""
    key_arn: pulumi.Output[str]
    """ARN of the topics' key."""
    topics: dict[str, aws.sns.Topic]
    """Severity -> its SNS topic (escape hatch)."""
    topic_arns: dict[str, pulumi.Output[str]]
    """Severity -> its topic's ARN (alarm actions)."""

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("notifications", name, args.tags, opts)
        self.key = self._key(name, args)
        self.key_arn = self.key.key_arn
        feedback = self._delivery_logging(name, args) if args.delivery_logs is not None else None
        self.topics = {severity: self._topic(name, args, severity, self.key_arn, feedback) for severity in SEVERITIES}
        self.topic_arns = {severity: topic.arn for severity, topic in self.topics.items()}
        self.register_declared_outputs()

    def _key(self, name: str, args: NotificationsArgs) -> EncryptionKey:
        """The topics' key, usable by each service that publishes to them."""
        publishers = [CLOUDWATCH]
        if args.event_rule_names:
            publishers.append(EVENTBRIDGE)
        if args.rds_events:
            publishers.append(RDS_EVENTS)
        return EncryptionKey(
            f"{name}-topics",
            EncryptionKeyArgs(
                purpose=f"Alarm notification topics ({args.context.region})",
                alias=args.key_alias,
                context=args.context,
                tags=args.tags,
                service_grants=[
                    ServiceGrant(
                        service,
                        PUBLISH_KEY_ACTIONS,
                        sid="Publish"
                        + "".join(part.capitalize() for part in service.removesuffix(".amazonaws.com").split(".")),
                    )
                    for service in publishers
                ],
                protect=args.protect,
            ),
            self.child(),
        )

    def _topic(
        self,
        name: str,
        args: NotificationsArgs,
        severity: str,
        key_arn: pulumi.Output[str],
        feedback: pulumi.Output[str] | None,
    ) -> aws.sns.Topic:
        """One severity's topic, its policy and its subscriptions."""
        topic = aws.sns.Topic(
            f"{name}-{severity}",
            name=f"{args.name_prefix}-{severity}",
            display_name=f"{args.name_prefix} {severity} alarms",
            kms_master_key_id=key_arn,
            # Failed (and a sample of successful) deliveries to HTTPS subscribers, such as the pager.
            http_failure_feedback_role_arn=feedback,
            http_success_feedback_role_arn=feedback,
            http_success_feedback_sample_rate=100 if feedback is not None else None,
            tags=self.tags_for(severity),
            opts=self.child(),
        )
        statements = topic_policy(args.context, topic.arn, severity, args)
        aws.sns.TopicPolicy(f"{name}-{severity}", arn=topic.arn, policy=iam.document(statements), opts=self.child())
        subscribers = args.subscribers.get(severity, Subscribers())
        for index, email in enumerate(subscribers.emails):
            aws.sns.TopicSubscription(
                f"{name}-{severity}-email-{index}", topic=topic.arn, protocol="email", endpoint=email,
                opts=self.child(),
            )  # fmt: skip
        for index, url in enumerate(subscribers.https_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-{severity}-https-{index}",
                topic=topic.arn,
                protocol="https",
                endpoint=url,
                endpoint_auto_confirms=True,
                confirmation_timeout_in_minutes=5,
                opts=self.child(),
            )
        return topic

    def _delivery_logging(self, name: str, args: NotificationsArgs) -> pulumi.Output[str]:
        """The log groups SNS writes delivery status to (`sns/<region>/<account>/<topic>[/Failure]`), made
        here first so they are encrypted and retained, and a role that may write only to them."""
        ctx, logs = args.context, args.delivery_logs
        assert logs is not None
        groups: list[pulumi.Output[str]] = []
        for severity in SEVERITIES:
            base = pulumi.Output.concat("sns/", ctx.region, "/", ctx.account_id, f"/{args.name_prefix}-{severity}")
            for outcome, group_name in (("success", base), ("failure", pulumi.Output.concat(base, "/Failure"))):
                group = encrypted_log_group(
                    f"{name}-{severity}-delivery-{outcome}",
                    logs=logs,
                    log_class=LogClass.SECURITY,
                    log_group_name=group_name,
                    tags=self.tags_for(f"{severity}-delivery-{outcome}"),
                    parent=self,
                )
                groups.append(group.arn)
        role = iam.role_with_policy(
            f"{name}-delivery-status",
            service="sns.amazonaws.com",
            account_id=ctx.account_id,
            description=f"SNS writes the delivery status of {args.name_prefix} alarm topics ({ctx.region})",
            statements=[
                {
                    # SNS may try to create its groups; they exist already, so this only names them.
                    "Sid": "OwnLogGroups",
                    "Effect": "Allow",
                    "Action": "logs:CreateLogGroup",
                    "Resource": groups,
                },
                {
                    "Sid": "WriteDeliveryStatus",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [arn.apply(lambda a: f"{a}:*") for arn in groups],
                },
            ],
            tags=self.tags_for("delivery-status"),
            parent=self,
        )
        return role.arn


def topic_policy(
    ctx: AwsContext, topic_arn: pulumi.Output[str], severity: str, args: NotificationsArgs
) -> list[dict[str, Any]]:
    """TLS only, the account administers, CloudWatch alarms of this account publish; on the critical topic also
    the named EventBridge rules and the RDS event subscriptions."""
    account = {"aws:SourceAccount": ctx.account_id}
    arn_prefix = pulumi.Output.concat("arn:", ctx.partition, ":{service}:", ctx.region, ":", ctx.account_id)
    statements: list[dict[str, Any]] = [
        *_fixed_statements(ctx, topic_arn),
        _publisher(
            CLOUDWATCH,
            "CloudWatchAlarms",
            topic_arn=topic_arn,
            account=account,
            operator="ArnLike",
            source=arn_prefix.apply(lambda p: p.format(service="cloudwatch") + ":alarm:*"),
        ),
    ]
    if severity == "critical" and args.event_rule_names:
        rules = [
            arn_prefix.apply(lambda p: p.format(service="events")).apply(
                lambda p, n=rule: f"{p}:rule/{n}"  # type: ignore[misc]
            )
            for rule in args.event_rule_names
        ]
        statements.append(
            _publisher(
                EVENTBRIDGE,
                "EventBridgeRules",
                topic_arn=topic_arn,
                account=account,
                operator="ArnEquals",
                source=rules,
            )
        )
    if severity == "critical" and args.rds_events:
        rds = arn_prefix.apply(lambda p: p.format(service="rds") + ":es:*")
        statements.append(
            _publisher(
                RDS_EVENTS,
                "RdsEventSubscriptions",
                topic_arn=topic_arn,
                account=account,
                operator="ArnLike",
                source=rds,
            )
        )
    return statements


def _fixed_statements(ctx: AwsContext, topic_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
    """Every topic: deny plain HTTP, let the account administer (not publish)."""
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["sns:Publish", "sns:Subscribe", "sns:Receive"],
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": pulumi.Output.concat("arn:", ctx.partition, ":iam::", ctx.account_id, ":root")},
            "Action": [
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:Subscribe",
                "sns:DeleteTopic",
            ],
            "Resource": topic_arn,
        },
    ]


def _publisher(
    service: str, sid: str, *, topic_arn: pulumi.Output[str], account: dict[str, Any], operator: str, source: Any
) -> dict[str, Any]:
    """A service may publish, only from this account and only from the named sources."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"StringEquals": account, operator: {"aws:SourceArn": source}},
    }
