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
    emails: Sequence[str] = field(default_factory=tuple)
    # HTTPS endpoints must confirm the subscription themselves (paging services such as PagerDuty do).
    https_endpoints: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class NotificationsArgs:
    context: AwsContext
    name_prefix: str
    key_alias: str
    tags: Mapping[str, str]
    subscribers: Mapping[str, Subscribers]
    # EventBridge rules (by name, in this region) allowed to publish to the critical topic.
    event_rule_names: Sequence[str] = field(default_factory=tuple)
    # RDS event subscriptions of this account and region may publish to the critical topic.
    rds_events: bool = False
    # Delivery-status logs (FSBP SNS.2) go to log groups created here, encrypted and retained like every other.
    delivery_logs: LogSettings | None = None
    protect: bool = False


class Notifications(PlatformComponent):
    topic_arns: dict[str, pulumi.Output[str]]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("notifications", name, args.tags, opts)
        ctx = args.context
        publishers = [CLOUDWATCH]
        if args.event_rule_names:
            publishers.append(EVENTBRIDGE)
        if args.rds_events:
            publishers.append(RDS_EVENTS)
        key = EncryptionKey(
            f"{name}-topics",
            EncryptionKeyArgs(
                purpose=f"Alarm notification topics ({ctx.region})",
                alias=args.key_alias,
                context=ctx,
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
        self.key_arn = key.key_arn
        self.topic_arns = {}
        feedback = self._delivery_logging(name, args) if args.delivery_logs is not None else None
        for severity in SEVERITIES:
            topic = aws.sns.Topic(
                f"{name}-{severity}",
                name=f"{args.name_prefix}-{severity}",
                display_name=f"{args.name_prefix} {severity} alarms",
                kms_master_key_id=key.key_arn,
                # Failed (and a sample of successful) deliveries to HTTPS subscribers, such as the pager.
                http_failure_feedback_role_arn=feedback,
                http_success_feedback_role_arn=feedback,
                http_success_feedback_sample_rate=100 if feedback is not None else None,
                tags=self.tags_for(severity),
                opts=self.child(),
            )
            statements = self._policy(ctx, topic.arn, severity, args)
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
            self.topic_arns[severity] = topic.arn
        self.register_outputs({"topic_arns": self.topic_arns})

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

    @staticmethod
    def _policy(
        ctx: AwsContext, topic_arn: pulumi.Output[str], severity: str, args: NotificationsArgs
    ) -> list[dict[str, Any]]:
        account = {"aws:SourceAccount": ctx.account_id}
        arn_prefix = pulumi.Output.concat("arn:", ctx.partition, ":{service}:", ctx.region, ":", ctx.account_id)
        statements: list[dict[str, Any]] = [
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
            {
                "Sid": "CloudWatchAlarms",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": account,
                    "ArnLike": {
                        "aws:SourceArn": arn_prefix.apply(lambda p: p.format(service="cloudwatch") + ":alarm:*")
                    },
                },
            },
        ]
        if severity == "critical" and args.event_rule_names:
            statements.append(
                {
                    "Sid": "EventBridgeRules",
                    "Effect": "Allow",
                    "Principal": {"Service": EVENTBRIDGE},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {
                        "StringEquals": account,
                        "ArnEquals": {
                            "aws:SourceArn": [
                                arn_prefix.apply(lambda p: p.format(service="events")).apply(
                                    lambda p, n=rule: f"{p}:rule/{n}"  # type: ignore[misc]
                                )
                                for rule in args.event_rule_names
                            ]
                        },
                    },
                }
            )
        if severity == "critical" and args.rds_events:
            statements.append(
                {
                    "Sid": "RdsEventSubscriptions",
                    "Effect": "Allow",
                    "Principal": {"Service": RDS_EVENTS},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {
                        "StringEquals": account,
                        "ArnLike": {"aws:SourceArn": arn_prefix.apply(lambda p: p.format(service="rds") + ":es:*")},
                    },
                }
            )
        return statements
