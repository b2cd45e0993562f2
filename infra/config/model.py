"""The stack config model: everything a stack can set, with its meaning. Defaults live in presets.py.

Each tier's settings live in their own module under sections/; this one assembles them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from components.database_alarms import INSTANCE_MEMORY_GIB
from components.logs import ALLOWED_RETENTION_DAYS
from infra.config.aws_facts import region_problem, zone_problems
from infra.config.errors import FieldError
from infra.config.sections.base import Section, checked, looks_secret
from infra.config.sections.database import PI_RETENTION_DAYS, DatabaseConfig
from infra.config.sections.edge import EdgeConfig
from infra.config.sections.load_balancer import LoadBalancerConfig
from infra.config.sections.network import NetworkConfig
from infra.config.sections.notifications import NotificationsConfig
from infra.config.sections.observability import ObservabilityConfig
from infra.config.sections.services import FARGATE_SIZES, ImageConfig, ServiceConfig
from infra.config.sections.tls import TlsConfig
from infra.config.syntax import (
    CONDITION_VALUES_PER_RULE,
    RULES_PER_ALB_DEFAULT,
    TARGET_GROUPS_PER_ALB,
    tag_value_problem,
)
from policies.log_retention import NEVER_EXPIRE

__all__ = [
    "FARGATE_SIZES",
    "PI_RETENTION_DAYS",
    "DatabaseConfig",
    "EdgeConfig",
    "ImageConfig",
    "LoadBalancerConfig",
    "NetworkConfig",
    "NotificationsConfig",
    "ObservabilityConfig",
    "ServiceConfig",
    "StackConfig",
    "TlsConfig",
    "looks_secret",
]

TagValue = Annotated[str, checked(tag_value_problem)]
SECURITY_MINIMUM_DAYS = 365  # CloudWatch.16; the pack's logs-retention minimumRetentionDays in production
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_SECRET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


class StackConfig(Section):
    environment: Literal["staging", "production"] = Field(description="Selects the preset; see presets.py.")
    region: Annotated[str, checked(region_problem)] = Field(
        description="`aws:region` of the stack: a region listed in infra/config/data/aws_regions.json. The only "
        "source of the region (`app-platform:region` is refused)."
    )
    owner: TagValue = Field(min_length=1, description="Team that owns the stack (tag Owner; AWS tag value rules).")
    cost_center: TagValue = Field(
        min_length=1, description="Cost allocation code (tag CostCenter; AWS tag value rules)."
    )
    domain: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", description="Public host name of the stack."
    )
    log_retention_days: int = Field(
        description="Retention of application log groups (`LogClass=application`), a value CloudWatch accepts. "
        "Production keeps the runbook's 90 days: the configured exception to CloudWatch.16 "
        "(policies/config/production.json, `logs-retention`)."
    )
    security_log_retention_days: int = Field(
        description="Retention of security and audit log groups (`LogClass=security`: VPC flow, WAF, CloudFront, "
        "ECS Exec, database exports, SNS delivery status), a value CloudWatch accepts or 0 (never expire); "
        f"production needs at least {SECURITY_MINIMUM_DAYS} (CloudWatch.16)."
    )
    network: NetworkConfig = Field(description="VPC layout.")
    tls: TlsConfig = Field(description="Certificates and HTTPS.")
    services: dict[str, ServiceConfig] = Field(description="Container services by short name.")
    load_balancer: LoadBalancerConfig = Field(description="The Application Load Balancer in front of web services.")
    edge: EdgeConfig = Field(description="CloudFront in front of the load balancer.")
    database: DatabaseConfig = Field(description="The PostgreSQL instance.")
    notifications: NotificationsConfig = Field(description="Who hears about alarms.")
    observability: ObservabilityConfig = Field(description="Alarm thresholds, the uptime check, runbook links.")
    secrets: dict[str, SecretStr] = Field(
        default={}, description="Application credentials; set each with `pulumi config set --secret --path`."
    )
    app_secrets: list[str] = Field(
        default=["sessionSigningKey"],
        description="The service's own credentials kept in Secrets Manager: each takes its value from "
        "`secrets.<name>` or, when that is unset, is generated once and kept. Every `secrets` entry is stored too.",
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in ALLOWED_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts {', '.join(map(str, ALLOWED_RETENTION_DAYS))}")
        return value

    @field_validator("security_log_retention_days")
    @classmethod
    def _security_retention(cls, value: int) -> int:
        if value != NEVER_EXPIRE and value not in ALLOWED_RETENTION_DAYS:
            raise ValueError(
                f"CloudWatch Logs accepts {', '.join(map(str, ALLOWED_RETENTION_DAYS))}, or 0 to never expire"
            )
        return value

    @model_validator(mode="after")
    def _security_logs_outlive_application_logs(self) -> StackConfig:
        days = self.security_log_retention_days
        if days == NEVER_EXPIRE:
            return self
        if days < self.log_retention_days:
            raise FieldError(
                "securityLogRetentionDays",
                f"{days} is shorter than logRetentionDays ({self.log_retention_days}): audit logs outlive app logs",
            )
        if self.is_production and days < SECURITY_MINIMUM_DAYS:
            raise FieldError(
                "securityLogRetentionDays",
                f"{days} days; production keeps security and audit logs at least {SECURITY_MINIMUM_DAYS} days "
                "(CloudWatch.16, policy logs-retention), or 0 to never expire",
            )
        return self

    @field_validator("services")
    @classmethod
    def _service_names(cls, value: dict[str, ServiceConfig]) -> dict[str, ServiceConfig]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"service name {name!r}: lowercase letters, digits and '-', 1-20 characters")
        return value

    @field_validator("app_secrets")
    @classmethod
    def _app_secret_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _SECRET_NAME.match(name):
                raise ValueError(f"secret name {name!r}: a letter, then letters and digits, at most 64 characters")
        return value

    @model_validator(mode="after")
    def _names_and_regions(self) -> StackConfig:
        for name in self.secrets:
            if not _SECRET_NAME.match(name):
                raise FieldError(f"secrets.{name}", "a letter, then letters and digits, at most 64 characters")
        dr_region = self.database.disaster_recovery.region
        if dr_region is not None and (problem := region_problem(dr_region)):
            raise FieldError("database.disasterRecovery.region", problem)
        if dr_region == self.region:
            raise FieldError(
                "database.disasterRecovery.region", f"must differ from aws:region ({self.region}) to survive its loss"
            )
        known = sorted({*self.app_secrets, *self.secrets})
        for service_name, service in self.services.items():
            unknown = [name for name in service.secrets if name not in known]
            if unknown:
                raise FieldError(
                    f"services.{service_name}.secrets",
                    f"{unknown} are not application secrets; known: {known} (add them to appSecrets or secrets)",
                )
        return self

    @model_validator(mode="after")
    def _zones(self) -> StackConfig:
        network = self.network
        for key, message in zone_problems(self.region, network.az_count, network.availability_zones):
            raise FieldError(f"network.{key}", message)
        return self

    @model_validator(mode="after")
    def _listener_rules(self) -> StackConfig:
        owners: dict[int, str] = {}
        for name, priority in self.listener_priorities().items():
            if priority in owners:
                other = owners[priority]
                raise FieldError(
                    f"services.{name}.priority",
                    f"listener priority {priority} is also services.{other}'s "
                    f"({'set' if self.services[other].priority else 'its default'}); priorities must be unique "
                    f"on the listener (defaults are 10, 20, ... by service name)",
                )
            owners[priority] = name
        if self.edge.origin_mode == "publicAlb":  # the origin-header condition takes one more value per rule
            for name, service in self.services.items():
                used = len(service.path_patterns) + len(service.host_headers) + 1
                if service.container_port is not None and used > CONDITION_VALUES_PER_RULE:
                    raise FieldError(
                        f"services.{name}.pathPatterns",
                        f"with edge.originMode publicAlb each rule also matches the origin header: "
                        f"{used} condition values, at most {CONDITION_VALUES_PER_RULE}",
                    )
        return self

    @model_validator(mode="after")
    def _load_balancer_quotas(self) -> StackConfig:
        """Every web service puts one target group and one listener rule on the stack's ALB, and a second of each
        when it does not roll (the alternate group, the test listener's rule). ELB refuses the 101st target group
        (a quota AWS does not raise) and, by default, the 101st rule."""
        web = [service for service in self.services.values() if service.container_port is not None]
        needed = sum(1 if service.release.rolling else 2 for service in web)
        if needed > min(TARGET_GROUPS_PER_ALB, RULES_PER_ALB_DEFAULT):
            raise FieldError(
                "services",
                f"{len(web)} web services need {needed} target groups and {needed} listener rules on the one load "
                f"balancer (two each for blue_green, canary and linear); an ALB takes at most "
                f"{TARGET_GROUPS_PER_ALB} target groups (not adjustable) and {RULES_PER_ALB_DEFAULT} rules by "
                "default: roll some services (release.strategy rolling) or split the stack",
            )
        return self

    def listener_priorities(self) -> dict[str, int]:
        """Listener rule priority of each web service: its own, or 10, 20, ... by service name."""
        web = sorted(name for name, service in self.services.items() if service.container_port is not None)
        return {name: self.services[name].priority or (index + 1) * 10 for index, name in enumerate(web)}

    @model_validator(mode="after")
    def _alarmable_database(self) -> StackConfig:
        # The connection and freeable-memory alarms derive from the class's memory: no guessing.
        if self.database.instance_class not in INSTANCE_MEMORY_GIB:
            raise FieldError(
                "database.instanceClass",
                f"{self.database.instance_class} has no known memory size for the alarms; use one of "
                f"{', '.join(sorted(INSTANCE_MEMORY_GIB))} (or add it to components/database_alarms.py)",
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"
