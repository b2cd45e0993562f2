"""Disaster recovery for one RDS instance: backups that leave the region, and the objectives they give.

Two independent paths, so that one misconfiguration or one compromised copy does not take both:
- RDS cross-Region automated backups: snapshots and transaction logs replicated to the DR region, so the
  instance can be restored there to any point in time of the replicated retention.
- AWS Backup: daily and weekly snapshots in a KMS-encrypted vault, each copied to a vault in the DR region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.encryption_key import EncryptionKey, EncryptionKeyArgs

# --- Recovery objectives: the one place their numbers come from (docs/disaster-recovery.md explains them) ---
# RDS uploads each instance's transaction logs to S3 every five minutes: the latest restorable time lags by that.
LOG_UPLOAD_MINUTES = 5
# Budget for restoring a new instance from the latest snapshot and replaying up to a day of logs.
RESTORE_MINUTES = 30
# A Multi-AZ restore also builds the standby before the instance is available.
MULTI_AZ_RESTORE_MINUTES = 15
# Point the stack at the restored instance (`pulumi up`) and let the service tasks roll.
CUTOVER_MINUTES = 15
# Budget for replicated transaction logs to reach the DR region (AWS publishes no figure).
REPLICATION_LAG_MINUTES = 15
# Stand the network, cluster and services up in the DR region before the database there can serve.
DR_REBUILD_MINUTES = 120
# AWS Backup daily rule (copied to the DR region): without replicated logs, a region loss loses up to a day.
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class RecoveryObjectives:
    """RPO/RTO in minutes. `rpo`/`rto`: restore in the stack's region (data loss, corruption, bad migration).
    `region_loss_*`: restore in the DR region; None when no backup leaves the region."""

    rpo_minutes: int
    rto_minutes: int
    region_loss_rpo_minutes: int | None
    region_loss_rto_minutes: int | None


def recovery_objectives(*, multi_az: bool, cross_region_backups: bool, aws_backup_copies: bool) -> RecoveryObjectives:
    rto = RESTORE_MINUTES + (MULTI_AZ_RESTORE_MINUTES if multi_az else 0) + CUTOVER_MINUTES
    region_rpo: int | None = None
    if cross_region_backups:
        region_rpo = LOG_UPLOAD_MINUTES + REPLICATION_LAG_MINUTES
    elif aws_backup_copies:
        region_rpo = DAY_MINUTES
    region_rto = None if region_rpo is None else DR_REBUILD_MINUTES + rto
    return RecoveryObjectives(LOG_UPLOAD_MINUTES, rto, region_rpo, region_rto)


# --- AWS Backup schedule: after the RDS backup window and the Sunday maintenance window (UTC) ---
DAILY_SCHEDULE = "cron(0 6 * * ? *)"
WEEKLY_SCHEDULE = "cron(0 9 ? * SUN *)"
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 180


@dataclass(frozen=True)
class DisasterRecoveryArgs:
    context: AwsContext
    dr_context: AwsContext | None
    dr_provider: pulumi.ProviderResource | None
    alias_prefix: str
    db_instance_arn: pulumi.Input[str]
    db_storage_key_arn: pulumi.Input[str]
    cross_region_backups: bool
    replicated_retention_days: int
    aws_backup: bool
    daily_retention_days: int
    weekly_retention_days: int
    tags: Mapping[str, str]
    daily_schedule: str = DAILY_SCHEDULE
    weekly_schedule: str = WEEKLY_SCHEDULE
    protect: bool = False


class DisasterRecovery(PlatformComponent):
    """Replicated automated backups and/or an AWS Backup plan, with a KMS key per vault and per region."""

    replication_arn: pulumi.Output[str] | None
    vault_name: pulumi.Output[str] | None
    vault_arn: pulumi.Output[str] | None
    dr_vault_arn: pulumi.Output[str] | None
    plan_id: pulumi.Output[str] | None
    backup_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("backup", name, args.tags, opts)
        if not (args.cross_region_backups or args.aws_backup):
            raise ValueError("DisasterRecovery needs cross_region_backups or aws_backup")
        if args.cross_region_backups and (args.dr_context is None or args.dr_provider is None):
            raise ValueError("cross-Region backups need the DR region's context and provider")
        self._args = args
        self.replication_arn = self.vault_name = self.vault_arn = self.dr_vault_arn = None
        self.plan_id = self.backup_role_arn = None

        if args.cross_region_backups:
            self._replicate_automated_backups(name)
        if args.aws_backup:
            self._aws_backup(name)
        self.register_outputs(
            {"replication_arn": self.replication_arn, "vault_arn": self.vault_arn, "dr_vault_arn": self.dr_vault_arn}
        )

    def _key(
        self, name: str, suffix: str, purpose: str, context: AwsContext, provider: pulumi.ProviderResource | None
    ) -> EncryptionKey:
        return EncryptionKey(
            f"{name}-{suffix}",
            EncryptionKeyArgs(
                purpose=purpose,
                alias=f"alias/{self._args.alias_prefix}-{suffix}",
                context=context,
                tags=self._args.tags,
                protect=self._args.protect,
            ),
            self.child(providers=[provider]) if provider is not None else self.child(),
        )

    def _dr_opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return self.child(provider=self._args.dr_provider, **kwargs)

    def _replicate_automated_backups(self, name: str) -> None:
        args = self._args
        assert args.dr_context is not None
        key = self._key(
            name,
            "replicated-backups",
            "Replicated RDS automated backups (DR region)",
            args.dr_context,
            args.dr_provider,
        )
        # Declared in the DR region: RDS starts the replication from the destination.
        replication = aws.rds.InstanceAutomatedBackupsReplication(
            name,
            source_db_instance_arn=args.db_instance_arn,
            kms_key_id=key.key_arn,
            retention_period=args.replicated_retention_days,
            opts=self._dr_opts(protect=args.protect),
        )
        self.replication_arn = replication.id

    def _aws_backup(self, name: str) -> None:
        args = self._args
        ctx = args.context
        vault_key = self._key(name, "vault", "AWS Backup vault", ctx, None)
        vault = aws.backup.Vault(
            name,
            kms_key_arn=vault_key.key_arn,
            # AWS deletes a vault only once it holds no recovery points ("Delete a backup vault",
            # https://docs.aws.amazon.com/aws-backup/latest/devguide/delete-a-vault.html): an unprotected (staging)
            # stack's vault empties itself on destroy; a protected one never does.
            force_destroy=not args.protect,
            tags=self.tags_for("vault"),
            opts=self.child(protect=args.protect),
        )
        self.vault_name, self.vault_arn = vault.name, vault.arn

        dr_vault: aws.backup.Vault | None = None
        dr_key: EncryptionKey | None = None
        if args.dr_context is not None and args.dr_provider is not None:
            dr_key = self._key(name, "copies", "AWS Backup copies (DR region)", args.dr_context, args.dr_provider)
            dr_vault = aws.backup.Vault(
                f"{name}-copies",
                kms_key_arn=dr_key.key_arn,
                force_destroy=not args.protect,
                tags=self.tags_for("copies"),
                opts=self._dr_opts(protect=args.protect),
            )
            self.dr_vault_arn = dr_vault.arn

        def rule(rule_name: str, schedule: str, days: int) -> aws.backup.PlanRuleArgs:
            copies = []
            if dr_vault is not None:
                copies.append(
                    aws.backup.PlanRuleCopyActionArgs(
                        destination_vault_arn=dr_vault.arn,
                        lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=days),
                    )
                )
            return aws.backup.PlanRuleArgs(
                rule_name=rule_name,
                target_vault_name=vault.name,
                schedule=schedule,
                schedule_expression_timezone="Etc/UTC",
                start_window=START_WINDOW_MINUTES,
                completion_window=COMPLETION_WINDOW_MINUTES,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=days),
                copy_actions=copies,
                recovery_point_tags=self.tags_for(rule_name),
            )

        plan = aws.backup.Plan(
            name,
            rules=[
                rule("daily", args.daily_schedule, args.daily_retention_days),
                rule("weekly", args.weekly_schedule, args.weekly_retention_days),
            ],
            tags=self.tags_for("plan"),
            opts=self.child(),
        )
        self.plan_id = plan.id

        key_arns: list[pulumi.Input[str]] = [args.db_storage_key_arn]
        if dr_key is not None:
            key_arns.append(dr_key.key_arn)
        role = self._backup_role(name, vault, dr_vault, key_arns)
        self.backup_role_arn = role.arn
        aws.backup.Selection(
            name,
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[args.db_instance_arn],
            opts=self.child(),
        )

    def _backup_role(
        self,
        name: str,
        vault: aws.backup.Vault,
        dr_vault: aws.backup.Vault | None,
        key_arns: list[pulumi.Input[str]],
    ) -> iam.GrantedRole:
        """What AWSBackupServiceRolePolicyForBackup grants for RDS, narrowed to this instance and its snapshots."""
        args = self._args
        ctx = args.context

        def snapshots(region: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(f"arn:{ctx.partition}:rds:{region}:", ctx.account_id, ":snapshot:awsbackup:*")

        snapshot_arns = [snapshots(ctx.region)]
        if args.dr_context is not None:
            snapshot_arns.append(snapshots(args.dr_context.region))
        statements: list[dict[str, Any]] = [
            {
                "Sid": "SnapshotTheInstance",
                "Effect": "Allow",
                "Action": [
                    "rds:DescribeDBInstances",
                    "rds:ListTagsForResource",
                    "rds:CreateDBSnapshot",
                    "rds:AddTagsToResource",
                ],
                "Resource": [args.db_instance_arn, *snapshot_arns],
            },
            {
                "Sid": "ManageBackupSnapshots",
                "Effect": "Allow",
                "Action": [
                    "rds:DescribeDBSnapshots",
                    "rds:CopyDBSnapshot",
                    "rds:DeleteDBSnapshot",
                    "rds:ModifyDBSnapshotAttribute",
                ],
                "Resource": snapshot_arns,
            },
            {
                "Sid": "UseBackupKeys",
                "Effect": "Allow",
                "Action": [
                    "kms:DescribeKey",
                    "kms:Decrypt",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": key_arns,
            },
            {
                "Sid": "LetRdsUseTheKeysForTheCopy",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": key_arns,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
        if dr_vault is not None:
            statements.append(
                {
                    "Sid": "CopyToTheDrVault",
                    "Effect": "Allow",
                    "Action": ["backup:DescribeBackupVault", "backup:CopyIntoBackupVault"],
                    "Resource": [vault.arn, dr_vault.arn],
                }
            )
        return iam.role_with_policy(
            f"{name}-backup",
            service="backup.amazonaws.com",
            account_id=ctx.account_id,
            statements=statements,
            description=f"AWS Backup snapshots the database and copies them to the DR region ({name})",
            tags=self.tags_for("backup-role"),
            parent=self,
        )
