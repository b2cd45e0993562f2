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
    """Data loss, in minutes, restoring in the stack's Region: the transaction-log upload interval (5)."""
    rto_minutes: int
    """Minutes to restore in the stack's Region: restore, (Multi-AZ) standby build, cut-over."""
    region_loss_rpo_minutes: int | None
    """Data loss, in minutes, restoring in the DR Region: replicated logs plus lag, or a day of AWS Backup
    copies; None when no backup leaves the Region."""
    region_loss_rto_minutes: int | None
    """Minutes to serve from the DR Region: rebuild the stack there plus the restore; None when no backup
    leaves the Region."""


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
    """Arguments of `DisasterRecovery`: at least one of `cross_region_backups` and `aws_backup`."""

    context: AwsContext
    """Account and Region of the database; required."""
    dr_context: AwsContext | None
    """Account and Region backups are copied to; required for `cross_region_backups`, None keeps everything in
    the stack's Region (staging)."""
    dr_provider: pulumi.ProviderResource | None
    """The AWS provider of the DR Region (resources declared there use it); None with `dr_context` None."""
    alias_prefix: str
    """Prefix of the KMS key aliases (`alias/<prefix>-vault`, ...); required, usually the database identifier."""
    db_instance_arn: pulumi.Input[str]
    """ARN of the RDS instance to back up; required."""
    db_storage_key_arn: pulumi.Input[str]
    """ARN of the instance's storage key: the backup role must decrypt its snapshots to copy them; required."""
    cross_region_backups: bool
    """Replicate RDS automated backups (snapshots and transaction logs) to the DR Region, for point-in-time
    restore there; required, a cost-versus-RPO choice (production on)."""
    replicated_retention_days: int
    """Days the replicated automated backups are kept in the DR Region (RDS: 1-35); required."""
    aws_backup: bool
    """Run an AWS Backup plan (daily and weekly snapshots in a vault, copied to the DR Region when there is
    one): a second, independent path; required."""
    daily_retention_days: int
    """Days a daily AWS Backup recovery point (and its copy) is kept; required."""
    weekly_retention_days: int
    """Days a weekly AWS Backup recovery point (and its copy) is kept; required."""
    tags: Mapping[str, str]
    """Tags on keys, vaults, plan and recovery points; required."""
    daily_schedule: str = DAILY_SCHEDULE
    """Cron (UTC) of the daily backup; default 06:00, after the RDS backup window."""
    weekly_schedule: str = WEEKLY_SCHEDULE
    """Cron (UTC) of the weekly backup; default Sunday 09:00, after the Sunday maintenance window."""
    protect: bool = False
    """Pulumi `protect` on keys, vaults and the replication; default False (staging: vaults empty themselves on
    destroy); production protects them."""


class DisasterRecovery(PlatformComponent):
    """Replicated automated backups and/or an AWS Backup plan, with a KMS key per vault and per region."""

    replication: aws.rds.InstanceAutomatedBackupsReplication | None
    """The cross-Region automated-backups replication (escape hatch); None without `cross_region_backups`."""
    replication_arn: pulumi.Output[str] | None
    """ARN of the replicated automated backups in the DR Region; None without `cross_region_backups`."""
    vault: aws.backup.Vault | None
    """The AWS Backup vault in the stack's Region (escape hatch); None without `aws_backup`."""
    vault_name: pulumi.Output[str] | None
    """Name of the AWS Backup vault; None without `aws_backup`."""
    vault_arn: pulumi.Output[str] | None
    """ARN of the AWS Backup vault; None without `aws_backup`."""
    dr_vault: aws.backup.Vault | None
    """The vault receiving copies in the DR Region (escape hatch); None without `aws_backup` and a DR Region."""
    dr_vault_arn: pulumi.Output[str] | None
    """ARN of the DR-Region vault; None without `aws_backup` and a DR Region."""
    plan: aws.backup.Plan | None
    """The AWS Backup plan (escape hatch); None without `aws_backup`."""
    plan_id: pulumi.Output[str] | None
    """ID of the AWS Backup plan; None without `aws_backup`."""
    backup_role_arn: pulumi.Output[str] | None
    """ARN of the role AWS Backup assumes (narrowed to this instance and its snapshots); None without
    `aws_backup`."""

    def __init__(self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("backup", name, args.tags, opts)
        if not (args.cross_region_backups or args.aws_backup):
            raise ValueError("DisasterRecovery needs cross_region_backups or aws_backup")
        if args.cross_region_backups and (args.dr_context is None or args.dr_provider is None):
            raise ValueError("cross-Region backups need the DR region's context and provider")
        self.replication = self._replicate_automated_backups(name, args) if args.cross_region_backups else None
        self.replication_arn = self.replication.id if self.replication is not None else None
        self.vault = self.dr_vault = self.plan = None
        self.vault_name = self.vault_arn = self.dr_vault_arn = self.plan_id = self.backup_role_arn = None
        if args.aws_backup:
            self.vault, self.dr_vault, dr_key = self._vaults(name, args)
            self.plan = self._plan(name, args, self.vault, self.dr_vault)
            role = self._select(name, args, vault=self.vault, dr_vault=self.dr_vault, dr_key=dr_key, plan=self.plan)
            self.vault_name, self.vault_arn, self.plan_id = self.vault.name, self.vault.arn, self.plan.id
            self.dr_vault_arn = self.dr_vault.arn if self.dr_vault is not None else None
            self.backup_role_arn = role.arn
        self.register_declared_outputs()

    def _key(self, name: str, args: DisasterRecoveryArgs, suffix: str, purpose: str, dr_region: bool) -> EncryptionKey:
        context = args.dr_context if dr_region and args.dr_context is not None else args.context
        return EncryptionKey(
            f"{name}-{suffix}",
            EncryptionKeyArgs(
                purpose=purpose,
                alias=f"alias/{args.alias_prefix}-{suffix}",
                context=context,
                tags=args.tags,
                protect=args.protect,
            ),
            self.child(providers=[args.dr_provider]) if dr_region and args.dr_provider is not None else self.child(),
        )

    def _replicate_automated_backups(
        self, name: str, args: DisasterRecoveryArgs
    ) -> aws.rds.InstanceAutomatedBackupsReplication:
        key = self._key(name, args, "replicated-backups", "Replicated RDS automated backups (DR region)", True)
        # Declared in the DR region: RDS starts the replication from the destination.
        return aws.rds.InstanceAutomatedBackupsReplication(
            name,
            source_db_instance_arn=args.db_instance_arn,
            kms_key_id=key.key_arn,
            retention_period=args.replicated_retention_days,
            opts=self.child(provider=args.dr_provider, protect=args.protect),
        )

    def _vaults(
        self, name: str, args: DisasterRecoveryArgs
    ) -> tuple[aws.backup.Vault, aws.backup.Vault | None, EncryptionKey | None]:
        """The vault, and (with a DR Region) the vault its copies go to, each with its own key."""
        vault_key = self._key(name, args, "vault", "AWS Backup vault", False)
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
        if args.dr_context is None or args.dr_provider is None:
            return vault, None, None
        dr_key = self._key(name, args, "copies", "AWS Backup copies (DR region)", True)
        dr_vault = aws.backup.Vault(
            f"{name}-copies",
            kms_key_arn=dr_key.key_arn,
            force_destroy=not args.protect,
            tags=self.tags_for("copies"),
            opts=self.child(provider=args.dr_provider, protect=args.protect),
        )
        return vault, dr_vault, dr_key

    def _plan(
        self, name: str, args: DisasterRecoveryArgs, vault: aws.backup.Vault, dr_vault: aws.backup.Vault | None
    ) -> aws.backup.Plan:
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

        return aws.backup.Plan(
            name,
            rules=[
                rule("daily", args.daily_schedule, args.daily_retention_days),
                rule("weekly", args.weekly_schedule, args.weekly_retention_days),
            ],
            tags=self.tags_for("plan"),
            opts=self.child(),
        )

    def _select(
        self,
        name: str,
        args: DisasterRecoveryArgs,
        *,
        vault: aws.backup.Vault,
        dr_vault: aws.backup.Vault | None,
        dr_key: EncryptionKey | None,
        plan: aws.backup.Plan,
    ) -> iam.GrantedRole:
        """The instance assigned to the plan, under a role allowed to snapshot it and copy its snapshots."""
        key_arns: list[pulumi.Input[str]] = [args.db_storage_key_arn]
        if dr_key is not None:
            key_arns.append(dr_key.key_arn)
        role = iam.role_with_policy(
            f"{name}-backup",
            service="backup.amazonaws.com",
            account_id=args.context.account_id,
            statements=_backup_statements(args, vault, dr_vault, key_arns),
            description=f"AWS Backup snapshots the database and copies them to the DR region ({name})",
            tags=self.tags_for("backup-role"),
            parent=self,
        )
        aws.backup.Selection(
            name,
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[args.db_instance_arn],
            opts=self.child(),
        )
        return role


def _backup_snapshot_arns(args: DisasterRecoveryArgs) -> list[pulumi.Output[str]]:
    """The snapshots AWS Backup makes (`awsbackup:*`), in the stack's Region and the DR Region."""
    ctx = args.context

    def snapshots(region: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(f"arn:{ctx.partition}:rds:{region}:", ctx.account_id, ":snapshot:awsbackup:*")

    return [snapshots(ctx.region), *([snapshots(args.dr_context.region)] if args.dr_context is not None else [])]


def _backup_statements(
    args: DisasterRecoveryArgs,
    vault: aws.backup.Vault,
    dr_vault: aws.backup.Vault | None,
    key_arns: list[pulumi.Input[str]],
) -> list[dict[str, Any]]:
    """What AWSBackupServiceRolePolicyForBackup grants for RDS, narrowed to this instance and its snapshots."""
    snapshot_arns = _backup_snapshot_arns(args)
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
            "Action": ["kms:DescribeKey", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
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
    return statements
