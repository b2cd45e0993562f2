"""Database settings: the PostgreSQL instance, its backups and windows, and disaster recovery."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.postgres_versions import SUPPORTED_MAJORS, upgrade_problem
from infra.config.errors import FieldError
from infra.config.sections.base import Section
from infra.config.windows import overlap_day, parse_daily, parse_weekly

# Performance Insights keeps 7 days free, whole months (31-day multiples, 1..23 months), or 731 days (two years).
PI_RETENTION_DAYS: tuple[int, ...] = (7, *range(31, 31 * 23 + 1, 31), 731)

# Names PostgreSQL or RDS reserve, or that every scanner tries first (FSBP RDS.25: no default admin username).
RESERVED_USERNAMES: frozenset[str] = frozenset(
    {"postgres", "rdsadmin", "rdsrepladmin", "rds_superuser", "admin", "administrator", "root", "master", "user"}
    # Role names PostgreSQL reserves or reads as keywords (CREATE ROLE refuses them).
    | {"public", "none", "current_user", "current_role", "session_user"}
)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Burstable classes run on CPU credits: when the credits run out the database slows to a crawl.
BURSTABLE_PREFIX = "db.t"


class DisasterRecoveryConfig(Section):
    """`database.disasterRecovery`: the six settings that were flat `database.*` keys before issue #25 (the old
    keys still work, with a deprecation message: infra/config/renames.py). Named as DisasterRecoveryArgs
    names them."""

    region: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
        description="Region that receives backup copies; must differ from `aws:region`.",
    )
    cross_region_backups: bool = Field(
        description="Replicate automated backups (snapshots and transaction logs) to `region` for "
        "point-in-time restore there."
    )
    replicated_retention_days: int = Field(
        default=7,
        ge=1,
        le=35,
        description="Retention of the replicated backups in `region`, 1..35 days. Kept apart from "
        "`database.backupRetentionDays` because changing it restarts the replication (a replacement).",
    )
    aws_backup: bool = Field(
        description="AWS Backup plan for the instance: daily and weekly snapshots in a KMS vault, copied to "
        "`region` when set."
    )
    daily_retention_days: int = Field(
        default=30, ge=1, le=36500, description="Days AWS Backup keeps each daily snapshot (and its DR copy)."
    )
    weekly_retention_days: int = Field(
        default=365, ge=7, le=36500, description="Days AWS Backup keeps each weekly snapshot (and its DR copy)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> DisasterRecoveryConfig:
        if self.cross_region_backups and self.region is None:
            raise FieldError("region", "crossRegionBackups needs the region to replicate to")
        if self.weekly_retention_days < self.daily_retention_days:
            raise FieldError(
                "weeklyRetentionDays",
                f"weekly snapshots must outlive the daily ones ({self.daily_retention_days} days)",
            )
        return self


class DatabaseConfig(Section):
    engine_version: str = Field(
        description="PostgreSQL major version, pinned (e.g. 16): one of "
        + ", ".join(SUPPORTED_MAJORS)
        + ". Changing it is a major upgrade: set `majorUpgradeFrom` too (docs/runbooks/database-upgrade.md)."
    )
    major_upgrade_from: str | None = Field(
        default=None,
        description="The major version the instance runs now, set only while upgrading it to `engineVersion`: "
        "allows RDS's in-place major upgrade (allowMajorVersionUpgrade) and must be a valid RDS upgrade source "
        "for that target. Remove it once the upgrade is deployed. Runbook: docs/runbooks/database-upgrade.md.",
    )
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="RDS instance class.")
    allocated_storage: int = Field(ge=20, le=65536, description="Initial gp3 storage in GiB.")
    max_allocated_storage: int = Field(ge=20, le=65536, description="Storage autoscaling ceiling in GiB.")
    multi_az: bool = Field(description="Standby in a second AZ with automatic failover.")
    backup_retention_days: int = Field(ge=1, le=35, description="Automated backup (PITR) retention, 1..35 days.")
    backup_window: str = Field(description="Daily backup window, hh24:mi-hh24:mi UTC, at least 30 minutes.")
    maintenance_window: str = Field(description="Weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC.")
    deletion_protection: bool = Field(description="Refuse deletion of the instance (and Pulumi `protect`).")
    performance_insights_retention_days: int = Field(description="7, a multiple of 31 up to 713, or 731.")
    port: int = Field(default=5433, ge=1150, le=65535, description="Listener port (not the engine default).")
    database_name: str = Field(
        default="app", description="Initial database created in the instance (changing it replaces the instance)."
    )
    master_username: str = Field(
        default="app_admin",
        description="Master user name, not a default one; its password is generated and rotated by RDS in "
        "Secrets Manager (changing it replaces the instance).",
    )
    app_username: str = Field(
        default="app_user",
        description="Database user the services connect as, with IAM database authentication (15-minute tokens "
        "from the task role; no password exists). Created by `python -m ops db-bootstrap`.",
    )
    app_connection_limit: int = Field(
        default=100,
        ge=1,
        le=8000,
        description="CONNECTION LIMIT of the application user: leaves the remaining connections of "
        "`max_connections` to the master user and RDS.",
    )
    final_snapshot: bool = Field(default=True, description="Take a final snapshot when the instance is deleted.")
    apply_immediately: bool = Field(
        description="Apply instance modifications now (true) or in the next maintenance window (false)."
    )
    disaster_recovery: DisasterRecoveryConfig = Field(
        description="Backups that leave the Region: replicated automated backups and AWS Backup copies."
    )

    @field_validator("engine_version")
    @classmethod
    def _engine_version(cls, value: str) -> str:
        if value not in SUPPORTED_MAJORS:
            raise ValueError(f"a PostgreSQL major version RDS supports: one of {', '.join(SUPPORTED_MAJORS)}")
        return value

    @field_validator("backup_window")
    @classmethod
    def _backup_window(cls, value: str) -> str:
        parse_daily(value)
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance_window(cls, value: str) -> str:
        parse_weekly(value)
        return value.lower()

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in PI_RETENTION_DAYS:
            raise ValueError("Performance Insights accepts 7, a multiple of 31 from 31 to 713, or 731 days")
        return value

    @field_validator("database_name")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not _IDENTIFIER.match(value) or value in ("postgres", "template0", "template1", "rdsadmin"):
            raise ValueError("lowercase letters, digits and '_', starting with a letter; not a system database")
        return value

    @field_validator("master_username", "app_username")
    @classmethod
    def _username(cls, value: str) -> str:
        # Lowercase only: IAM database authentication matches the user name case-sensitively (RDS User Guide,
        # "Creating a database account using IAM authentication"), so a policy and a role never differ in case.
        if not _IDENTIFIER.match(value):
            raise ValueError("lowercase letters, digits and '_', starting with a letter, at most 63 characters")
        if value in RESERVED_USERNAMES or value.startswith("pg_") or value.startswith("rds"):
            raise ValueError("a reserved or default name; choose the application's own (e.g. app_admin, app_user)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseConfig:
        if self.app_username == self.master_username:
            raise FieldError("appUsername", "must differ from masterUsername: the application never connects as master")
        if self.max_allocated_storage < self.allocated_storage:
            raise FieldError("maxAllocatedStorage", f"must be >= allocatedStorage ({self.allocated_storage})")
        day = overlap_day(self.backup_window, self.maintenance_window)
        if day is not None:
            raise FieldError(
                "maintenanceWindow",
                f"{self.maintenance_window} overlaps the daily backupWindow {self.backup_window} on {day}; "
                "choose windows that never meet",
            )
        if self.major_upgrade_from is not None:
            problem = upgrade_problem(self.major_upgrade_from, self.engine_version)
            if problem is not None:
                raise FieldError("majorUpgradeFrom", problem)
        return self

    @property
    def burstable(self) -> bool:
        return self.instance_class.startswith(BURSTABLE_PREFIX)

    @property
    def backups_leave_region(self) -> bool:
        """Backups leave the region (replicated automated backups or AWS Backup copies)."""
        dr = self.disaster_recovery
        return dr.region is not None and (dr.cross_region_backups or dr.aws_backup)
