"""Data tier: the PostgreSQL instance, its disaster recovery, and the service's own secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.app_secrets import AppSecrets, AppSecretsArgs, AppSecretSpec
from components.backup import DisasterRecovery, DisasterRecoveryArgs, RecoveryObjectives, recovery_objectives
from components.database import Database, DatabaseArgs
from components.database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs
from infra.config import PROJECT, StackConfig
from infra.stack import StackContext
from infra.tiers.foundation import Foundation
from infra.tiers.services import DatabaseBinding


@dataclass(frozen=True)
class DataTier:
    """What the data tier built, and what the service tier and the stack outputs take from it."""

    database: Database
    """The PostgreSQL instance with its keys, groups and log groups."""
    bootstrap: DatabaseBootstrap
    """The one-off task that creates the application user."""
    app_username: str
    """The application's database user (IAM authentication)."""
    app_connection_limit: int
    """Connections the application user may hold (its CONNECTION LIMIT)."""
    recovery: DisasterRecovery | None
    """Cross-Region backups and/or AWS Backup; None when neither is configured."""
    secrets: AppSecrets
    """The application's own secrets."""
    objectives: RecoveryObjectives
    """RPO and RTO this configuration gives."""
    backup_retention_days: int
    """Days of automated backups (point-in-time restore)."""
    dr_region: str | None
    """The Region backups leave to; None without disaster recovery."""

    # -- what the service tier wires into its task definition and execution role ------------------------
    @property
    def host(self) -> pulumi.Output[str]:
        return self.database.address

    @property
    def port(self) -> int:
        return self.database.port

    @property
    def database_name(self) -> str:
        return self.database.database_name

    @property
    def master_secret_arn(self) -> pulumi.Output[str]:
        """The RDS-managed secret: JSON with `username` and `password` keys."""
        return self.database.master_secret_arn

    @property
    def secrets_key_arn(self) -> pulumi.Output[str]:
        """The one key behind the master secret and every application secret (grant kms:Decrypt on it)."""
        return self.database.secrets_key.key_arn

    @property
    def app_secret_arns(self) -> dict[str, pulumi.Output[str]]:
        return dict(self.secrets.arns)

    @property
    def security_group_id(self) -> pulumi.Output[str]:
        return self.database.security_group_id

    def binding(self) -> DatabaseBinding:
        """Host, port, name and the application user, with the one `rds-db:connect` resource that user is: the
        services authenticate with IAM tokens and never see the master secret (docs/database-credentials.md)."""
        return DatabaseBinding(
            address=self.host,
            port=self.port,
            name=self.database_name,
            username=self.app_username,
            connect_arn=self.database.connect_arn(self.app_username),
            security_group_id=self.security_group_id,
        )

    def admit(self, clients: Mapping[str, pulumi.Input[str]]) -> None:
        """Let these security groups (the service tier's, by service name) reach the database port only."""
        self.database.admit(clients)

    def exports(self) -> dict[str, pulumi.Input[object]]:
        database: dict[str, pulumi.Input[object]] = {
            "identifier": self.database.identifier,
            "address": self.database.address,
            "port": self.database.port,
            "name": self.database.database_name,
            "masterSecretArn": self.database.master_secret_arn,
            "resourceId": self.database.resource_id,
            "appUsername": self.app_username,
            "appConnectionLimit": self.app_connection_limit,
            "bootstrap": {
                "taskDefinitionFamily": self.bootstrap.task_definition_family,
                "securityGroupId": self.bootstrap.security_group_id,
                "containerName": self.bootstrap.container_name,
                "logGroupName": self.bootstrap.log_group_name,
                "logStreamPrefix": self.bootstrap.log_stream_prefix,
            },
            "securityGroupId": self.database.security_group_id,
            "subnetGroupName": self.database.subnet_group_name,
            "kmsKeyArn": self.database.storage_key.key_arn,
            "backupRetentionDays": self.backup_retention_days,
            "rpoMinutes": self.objectives.rpo_minutes,
            "rtoMinutes": self.objectives.rto_minutes,
        }
        if self.dr_region is not None:
            database["drRegion"] = self.dr_region
        return {"database": database}


def identifier(stack: StackContext) -> str:
    """The instance identifier is pinned (not auto-named): its log group names and runbooks depend on it."""
    return f"{PROJECT}-{stack.env}-db"


def objectives_for(config: StackConfig) -> RecoveryObjectives:
    database, dr = config.database, config.database.disaster_recovery
    return recovery_objectives(
        multi_az=database.multi_az,
        cross_region_backups=dr.cross_region_backups,
        aws_backup_copies=dr.aws_backup and dr.region is not None,
    )


def compose(stack: StackContext, base: Foundation, clients: Mapping[str, pulumi.Input[str]] | None = None) -> DataTier:
    """`clients`: security groups by name, the only ones admitted to the database (more via `admit`)."""
    settings, dr = stack.config.database, stack.config.database.disaster_recovery
    database = _database(stack, base, clients or {})
    bootstrap = _bootstrap(stack, base, database)
    database.admit({"bootstrap": bootstrap.security_group_id})
    recovery = _disaster_recovery(stack, database) if dr.cross_region_backups or dr.aws_backup else None
    secrets = _app_secrets(stack, database)
    return DataTier(
        database=database,
        bootstrap=bootstrap,
        app_username=settings.app_username,
        app_connection_limit=settings.app_connection_limit,
        recovery=recovery,
        secrets=secrets,
        objectives=objectives_for(stack.config),
        backup_retention_days=settings.backup_retention_days,
        dr_region=dr.region if recovery is not None else None,
    )


def _database(stack: StackContext, base: Foundation, clients: Mapping[str, pulumi.Input[str]]) -> Database:
    settings = stack.config.database
    return Database(
        "db",
        DatabaseArgs(
            context=stack.context,
            identifier=identifier(stack),
            engine_version=settings.engine_version,
            major_upgrade_from=settings.major_upgrade_from,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage,
            max_allocated_storage=settings.max_allocated_storage,
            multi_az=settings.multi_az,
            backup_retention_days=settings.backup_retention_days,
            backup_window=settings.backup_window,
            maintenance_window=settings.maintenance_window,
            deletion_protection=settings.deletion_protection,
            final_snapshot=settings.final_snapshot,
            performance_insights_retention_days=settings.performance_insights_retention_days,
            vpc_id=base.network.vpc_id,
            subnet_ids=base.network.isolated_subnet_ids,
            clients=dict(clients),
            logs=stack.log_settings(base.logs_key.key_arn),
            tags=stack.tags,
            port=settings.port,
            database_name=settings.database_name,
            master_username=settings.master_username,
            apply_immediately=settings.apply_immediately,
            protect=stack.is_production or settings.deletion_protection,
        ),
        stack.opts(),
    )


def _bootstrap(stack: StackContext, base: Foundation, database: Database) -> DatabaseBootstrap:
    """The one-off task that creates the application user (the only holder of the master secret)."""
    return DatabaseBootstrap(
        "db-bootstrap",
        DatabaseBootstrapArgs(
            context=stack.context,
            tags=stack.tags,
            family=f"{PROJECT}-{stack.env}-db-bootstrap",
            vpc_id=base.network.vpc_id,
            database_address=database.address,
            database_port=database.port,
            database_name=database.database_name,
            database_security_group_id=database.security_group_id,
            master_secret_arn=database.master_secret_arn,
            secret_kms_key_arn=database.secrets_key.key_arn,
            logs=stack.log_settings(base.logs_key.key_arn),
        ),
        stack.opts(),
    )


def _disaster_recovery(stack: StackContext, database: Database) -> DisasterRecovery:
    dr = stack.config.database.disaster_recovery
    dr_region = dr.region
    return DisasterRecovery(
        "db-dr",
        DisasterRecoveryArgs(
            context=stack.context,
            dr_context=stack.context_for(dr_region) if dr_region else None,
            dr_provider=stack.provider_for(dr_region) if dr_region else None,
            alias_prefix=database.identifier,
            db_instance_arn=database.arn,
            db_storage_key_arn=database.storage_key.key_arn,
            cross_region_backups=dr.cross_region_backups,
            replicated_retention_days=dr.replicated_retention_days,
            aws_backup=dr.aws_backup,
            daily_retention_days=dr.daily_retention_days,
            weekly_retention_days=dr.weekly_retention_days,
            tags=stack.tags,
            protect=stack.is_production,
        ),
        stack.opts(),
    )


def _app_secrets(stack: StackContext, database: Database) -> AppSecrets:
    """The declared application secrets (generated) and any given in secret config, under the secrets key."""
    config = stack.config
    specs: dict[str, AppSecretSpec] = {}
    for name in [*config.app_secrets, *(n for n in config.secrets if n not in config.app_secrets)]:
        given = config.secrets.get(name)
        specs[name] = AppSecretSpec(
            description=f"{PROJECT} {stack.env}: {name} ({'from Pulumi secret config' if given else 'generated'})",
            value=pulumi.Output.secret(given.get_secret_value()) if given is not None else None,
        )
    return AppSecrets(
        "app-secrets",
        AppSecretsArgs(
            path_prefix=f"{PROJECT}/{stack.env}",
            secrets=specs,
            kms_key_arn=database.secrets_key.key_arn,
            tags=stack.tags,
            protect=stack.is_production,
        ),
        stack.opts(),
    )
