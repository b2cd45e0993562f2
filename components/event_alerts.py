"""Event-driven alerts to the critical topic: AWS Backup job failures (an EventBridge rule) and RDS events of
the instance, its parameter group and DB security groups (RDS event subscriptions, FSBP RDS.20-22)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components import aws
from components.alarms import describe
from components.base import PlatformComponent

BACKUP_FAILED_STATES: tuple[str, ...] = ("FAILED", "ABORTED", "EXPIRED")
BACKUP_DETAIL_TYPES: tuple[str, ...] = ("Backup Job State Change", "Copy Job State Change")
# (source type, categories): RDS.20 instance (maintenance, configuration change, failure) plus what on-call needs
# (failover, low storage, backup, notification); RDS.21 parameter group; RDS.22 DB security group.
RDS_SUBSCRIPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("db-instance", ("availability", "backup", "configuration change", "failover", "failure", "low storage",
                     "maintenance", "notification", "recovery")),
    ("db-parameter-group", ("configuration change",)),
    ("db-security-group", ("configuration change", "failure")),
)  # fmt: skip


@dataclass(frozen=True)
class EventAlertsArgs:
    tags: Mapping[str, str]
    topic_arn: pulumi.Input[str]
    backup_rule_name: str
    backup_runbook: str
    db_instance_identifier: pulumi.Input[str]
    db_parameter_group_name: pulumi.Input[str]
    subscription_prefix: str


class EventAlerts(PlatformComponent):
    rule_arn: pulumi.Output[str]
    subscription_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: EventAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        rule = aws.cloudwatch.EventRule(
            f"{name}-backup",
            name=args.backup_rule_name,
            description=describe("critical", "an AWS Backup job or copy job failed.", args.backup_runbook)[:512],
            event_pattern=json.dumps(
                {
                    "source": ["aws.backup"],
                    "detail-type": list(BACKUP_DETAIL_TYPES),
                    "detail": {"state": list(BACKUP_FAILED_STATES)},
                },
                sort_keys=True,
            ),
            state="ENABLED",
            tags=self.tags_for("backup"),
            opts=self.child(),
        )
        template = (
            f"CRITICAL: AWS Backup <detailType> for <resource> is <state>: <message> (job <job>, account <account>, "
            f"region <region>). Runbook: {args.backup_runbook}"
        )
        aws.cloudwatch.EventTarget(
            f"{name}-backup",
            rule=rule.name,
            arn=args.topic_arn,
            input_transformer={
                "input_paths": {
                    "detailType": "$.detail-type",
                    "resource": "$.detail.resourceArn",
                    "state": "$.detail.state",
                    "message": "$.detail.statusMessage",
                    "job": "$.id",
                    "account": "$.account",
                    "region": "$.region",
                },
                "input_template": json.dumps(template),
            },
            opts=self.child(),
        )
        self.rule_arn = rule.arn
        sources: dict[str, Sequence[pulumi.Input[str]] | None] = {
            "db-instance": [args.db_instance_identifier],
            "db-parameter-group": [args.db_parameter_group_name],
            "db-security-group": None,  # every DB security group of the account (there should be none)
        }
        self.subscription_names = []
        for source_type, categories in RDS_SUBSCRIPTIONS:
            short = source_type.removeprefix("db-")
            subscription = aws.rds.EventSubscription(
                f"{name}-{short}",
                name=f"{args.subscription_prefix}-{short}",
                sns_topic=args.topic_arn,
                source_type=source_type,
                source_ids=sources[source_type],
                event_categories=list(categories),
                enabled=True,
                tags=self.tags_for(short),
                opts=self.child(),
            )
            self.subscription_names.append(subscription.name)
        self.register_outputs({"rule_arn": self.rule_arn})
