"""Database settings: the PostgreSQL instance, its backups and windows."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from infra.config.errors import FieldError
from infra.config.sections.base import Section
from infra.config.windows import overlap_day, parse_daily, parse_weekly

# Performance Insights keeps 7 days free, or whole months (31-day multiples) up to two years.
PI_RETENTION_DAYS: tuple[int, ...] = (7, *range(31, 732, 31))


class DatabaseConfig(Section):
    engine_version: str = Field(description="PostgreSQL major version, pinned (e.g. 16).", pattern=r"^1[3-7]$")
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="RDS instance class.")
    allocated_storage: int = Field(ge=20, le=65536, description="Initial gp3 storage in GiB.")
    max_allocated_storage: int = Field(ge=20, le=65536, description="Storage autoscaling ceiling in GiB.")
    multi_az: bool = Field(description="Standby in a second AZ with automatic failover.")
    backup_retention_days: int = Field(ge=1, le=35, description="Automated backup (PITR) retention, 1..35 days.")
    backup_window: str = Field(description="Daily backup window, hh24:mi-hh24:mi UTC, at least 30 minutes.")
    maintenance_window: str = Field(description="Weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC.")
    deletion_protection: bool = Field(description="Refuse deletion of the instance (and Pulumi `protect`).")
    performance_insights_retention_days: int = Field(description="7, or a multiple of 31 up to 731.")
    port: int = Field(default=5433, ge=1150, le=65535, description="Listener port (not the engine default).")

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
            raise ValueError("Performance Insights accepts 7 or a multiple of 31 from 31 to 731 days")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseConfig:
        if self.max_allocated_storage < self.allocated_storage:
            raise FieldError("maxAllocatedStorage", f"must be >= allocatedStorage ({self.allocated_storage})")
        day = overlap_day(self.backup_window, self.maintenance_window)
        if day is not None:
            raise FieldError(
                "maintenanceWindow",
                f"{self.maintenance_window} overlaps the daily backupWindow {self.backup_window} on {day}; "
                "choose windows that never meet",
            )
        return self
