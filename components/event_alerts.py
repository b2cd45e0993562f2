"""Event-driven alerts to the critical topic: AWS Backup job failures of this stack's vaults (an EventBridge rule)
and RDS events of the instance and its parameter group (RDS event subscriptions, FSBP RDS.20 and RDS.21).

No `db-security-group` subscription (FSBP RDS.22): DB security groups only ever applied to EC2-Classic, which AWS
retired on 2022-08-15 ("EC2-Classic was retired on August 15, 2022", AWS::RDS::DBSecurityGroup,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-rds-security-group.html). An
instance in a VPC uses VPC security groups, whose changes CloudTrail and AWS Config record; the policy pack's
`rds-event-subscriptions` rule requires db-instance and db-parameter-group only (policies/README.md).
"""

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
# Where each detail type names the vault (AWS Backup, "Monitoring AWS Backup events using Amazon EventBridge",
# https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html, example events): a backup job carries
# `backupVaultArn`; a copy job carries `sourceBackupVaultArn` (and `destinationBackupVaultArn`). Without a vault
# filter the rule matches every job of the account and region, so one stack's failures would page another's.
VAULT_FIELDS: tuple[str, ...] = ("backupVaultArn", "sourceBackupVaultArn")
# (source type, categories): RDS.20 instance (maintenance, configuration change, failure) plus what on-call needs
# (failover, low storage, backup, notification); RDS.21 parameter group.
RDS_SUBSCRIPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("db-instance", ("availability", "backup", "configuration change", "failover", "failure", "low storage",
                     "maintenance", "notification", "recovery")),
    ("db-parameter-group", ("configuration change",)),
)  # fmt: skip


@dataclass(frozen=True)
class EventAlertsArgs:
    """Arguments of `EventAlerts`."""

    tags: Mapping[str, str]
    """Tags on the rule and the subscriptions; required."""
    topic_arn: pulumi.Input[str]
    """ARN of the critical topic every event goes to; required (its policy must let EventBridge and RDS publish)."""
    backup_rule_name: str
    """Fixed name of the EventBridge rule for failed backup jobs; required."""
    backup_runbook: str
    """URL of the runbook section linked from each backup-failure message; required."""
    backup_vault_arns: Sequence[pulumi.Input[str]]
    """This stack's AWS Backup vaults in this Region: only their jobs and copy jobs alert; empty = no rule."""
    db_instance_identifier: pulumi.Input[str]
    """Identifier of the RDS instance whose events are subscribed; required."""
    db_parameter_group_name: pulumi.Input[str]
    """Name of the instance's parameter group, whose configuration changes are subscribed; required."""
    subscription_prefix: str
    """Prefix of the RDS event subscription names (`<prefix>-instance`, `<prefix>-parameter-group`); required,
    names are unique per account and Region."""


class EventAlerts(PlatformComponent):
    """Failed AWS Backup jobs of this stack's vaults and the RDS instance's events, to the critical topic."""

    rule_arn: pulumi.Output[str] | None
    """ARN of the backup-failure EventBridge rule; None without vaults."""
    subscriptions: list[aws.rds.EventSubscription]
    """The RDS event subscriptions, instance then parameter group (escape hatch)."""
    subscription_names: list[pulumi.Output[str]]
    """Names of the RDS event subscriptions."""

    def __init__(self, name: str, args: EventAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        # A stack without AWS Backup has no vault, hence no backup jobs of its own to alert on.
        self.rule_arn = self._backup_rule(name, args) if args.backup_vault_arns else None
        sources: dict[str, Sequence[pulumi.Input[str]]] = {
            "db-instance": [args.db_instance_identifier],
            "db-parameter-group": [args.db_parameter_group_name],
        }
        self.subscriptions = []
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
            self.subscriptions.append(subscription)
        self.subscription_names = [subscription.name for subscription in self.subscriptions]
        self.register_declared_outputs()

    def _backup_rule(self, name: str, args: EventAlertsArgs) -> pulumi.Output[str]:
        rule = aws.cloudwatch.EventRule(
            f"{name}-backup",
            name=args.backup_rule_name,
            description=describe("critical", "an AWS Backup job or copy job failed.", args.backup_runbook)[:512],
            event_pattern=backup_failure_pattern(args.backup_vault_arns),
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
        return rule.arn


def backup_failure_pattern(vault_arns: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """Failed, aborted or expired backup and copy jobs of these vaults only. `$or` across the detail fields that
    name a vault (EventBridge content filtering, "Or matching":
    https://docs.aws.amazon.com/eventbridge/latest/userguide/content-filtering-with-event-patterns.html)."""
    arns = pulumi.Output.all(*vault_arns).apply(lambda values: sorted(set(values)))
    return arns.apply(
        lambda values: json.dumps(
            {
                "source": ["aws.backup"],
                "detail-type": list(BACKUP_DETAIL_TYPES),
                "detail": {
                    "state": list(BACKUP_FAILED_STATES),
                    "$or": [{field: values} for field in VAULT_FIELDS],
                },
            },
            sort_keys=True,
        )
    )
