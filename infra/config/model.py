"""The stack config model: everything a stack can set, with its meaning. Defaults live in presets.py."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.logs import ALLOWED_RETENTION_DAYS
from components.subnets import SubnetPrefixes, plan_subnets
from infra.config.errors import FieldError
from infra.config.windows import overlap_day, parse_daily, parse_weekly

# Fargate task sizes AWS accepts (Linux): CPU units -> allowed memory in MiB.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# Performance Insights keeps 7 days free, or whole months (31-day multiples) up to two years.
PI_RETENTION_DAYS: tuple[int, ...] = (7, *range(31, 732, 31))
SECRET_WORDS = ("password", "passwd", "token", "secret", "key", "credential", "credentials")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def looks_secret(key: str) -> bool:
    """True for keys such as dbPassword, api_token, stripeApiKey: their values must be Pulumi secrets."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key).replace("_", " ").replace("-", " ").lower().split()
    return any(word in SECRET_WORDS for word in words)


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, validate_default=True
    )


class NetworkConfig(Section):
    cidr: str = Field(description="IPv4 CIDR of the VPC (/16 to /24), e.g. 10.20.0.0/16.")
    az_count: int = Field(ge=1, le=6, description="How many availability zones to spread subnets over.")
    availability_zones: list[str] | None = Field(
        default=None,
        description="Explicit AZ names; default: the region's first `azCount` zones (a, b, c...).",
    )
    nat_gateways: Literal["single", "perAz"] = Field(
        description="One shared NAT gateway (cheap) or one per AZ (survives an AZ outage)."
    )
    interface_endpoints: bool = Field(
        description="Private endpoints for ECR, CloudWatch Logs and Secrets Manager (traffic stays in the VPC)."
    )
    public_prefix: int = Field(default=24, ge=16, le=28, description="Prefix length of each public subnet.")
    private_prefix: int = Field(default=20, ge=16, le=28, description="Prefix length of each private subnet.")
    isolated_prefix: int = Field(default=24, ge=16, le=28, description="Prefix length of each isolated subnet.")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network address with prefix ({exc})") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError("the VPC prefix must be between /16 and /24 (AWS limits)")
        if not network.is_private:
            raise ValueError("use a private (RFC 1918) range")
        return value

    @model_validator(mode="after")
    def _fits(self) -> NetworkConfig:
        if self.availability_zones is not None and len(self.availability_zones) != self.az_count:
            raise FieldError(
                "availabilityZones",
                f"lists {len(self.availability_zones)} zones but azCount is "
                f"{self.az_count}; give exactly azCount zones",
            )
        try:
            plan_subnets(self.cidr, self.az_count, self.prefixes)
        except ValueError as exc:
            raise FieldError("cidr", f"{exc}; use a larger VPC or smaller subnet prefixes") from None
        return self

    @property
    def prefixes(self) -> SubnetPrefixes:
        return SubnetPrefixes(public=self.public_prefix, private=self.private_prefix, isolated=self.isolated_prefix)


class ImageConfig(Section):
    context: str | None = Field(
        default=None, description="Docker build context (relative to the project), built and pushed to ECR."
    )
    uri: str | None = Field(default=None, description="A prebuilt image URI to run instead of building one.")

    @model_validator(mode="after")
    def _one_source(self) -> ImageConfig:
        if (self.context is None) == (self.uri is None):
            raise FieldError("context", "set exactly one of image.context (build) or image.uri (prebuilt)")
        return self


class ServiceConfig(Section):
    image: ImageConfig = Field(description="What to run: a build context or an image URI.")
    cpu: int = Field(description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int = Field(description="Fargate memory in MiB; must be a size AWS pairs with `cpu`.")
    desired_count: int = Field(ge=0, le=1000, description="Tasks to run at deploy time (autoscaling adjusts it).")
    min_count: int = Field(ge=0, le=1000, description="Autoscaling floor.")
    max_count: int = Field(ge=1, le=1000, description="Autoscaling ceiling.")
    container_port: int | None = Field(
        default=None, ge=1024, le=65535, description="Port the container serves HTTP on; unset for a worker."
    )
    health_check_path: str = Field(default="/health", pattern=r"^/", description="Path the ALB health check calls.")
    path_patterns: list[str] = Field(default=["/*"], description="ALB listener path patterns routed to it.")
    architecture: Literal["ARM64", "X86_64"] = Field(default="ARM64", description="CPU architecture of the task.")
    deploy_owner: Literal["pulumi", "ci"] = Field(
        default="pulumi",
        description="Who sets the image and task count: `pulumi` deploys them; `ci` owns releases and Pulumi "
        "ignores those fields.",
    )
    environment: dict[str, str] = Field(default={}, description="Plain, non-secret environment variables.")

    @model_validator(mode="after")
    def _sizes(self) -> ServiceConfig:
        if self.cpu not in FARGATE_SIZES:
            raise FieldError("cpu", f"allowed CPU units: {', '.join(map(str, FARGATE_SIZES))}")
        allowed = FARGATE_SIZES[self.cpu]
        if self.memory not in allowed:
            raise FieldError(
                "memory",
                f"Fargate with cpu {self.cpu} accepts memory {allowed[0]}..{allowed[-1]} MiB "
                f"in steps of {allowed[1] - allowed[0]} (got {self.memory})",
            )
        if not self.min_count <= self.desired_count <= self.max_count:
            raise FieldError("desiredCount", f"must lie within minCount..maxCount ({self.min_count}..{self.max_count})")
        for key in self.environment:
            if looks_secret(key):
                raise FieldError(
                    "environment",
                    f"{key!r} looks like a secret; put it in `secrets` (Secrets Manager), not in plain environment",
                )
        return self


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


class TlsConfig(Section):
    https: bool = Field(description="Serve HTTPS (HTTP only redirects). Required in production.")
    hosted_zone_id: str | None = Field(
        default=None,
        pattern=r"^Z[A-Z0-9]{4,32}$",
        description="Route 53 zone for DNS-validated certificates.",
    )
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$",
        description="Imported regional ACM certificate for the load balancer (instead of DNS validation).",
    )

    @model_validator(mode="after")
    def _source(self) -> TlsConfig:
        if self.https and self.hosted_zone_id is None and self.certificate_arn is None:
            raise FieldError("https", "HTTPS needs tls.hostedZoneId (DNS validation) or tls.certificateArn")
        return self


class NotificationsConfig(Section):
    critical_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = Field(
        default=[], description="Email subscriptions of the critical (paging) topic."
    )
    warning_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = Field(
        default=[], description="Email subscriptions of the warning topic."
    )
    critical_https_endpoints: list[Annotated[str, Field(pattern=r"^https://")]] = Field(
        default=[], description="HTTPS subscriptions (a paging service) of the critical topic."
    )


class StackConfig(Section):
    environment: Literal["staging", "production"] = Field(description="Selects the preset; see presets.py.")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="`aws:region` of the stack.")
    owner: str = Field(min_length=1, description="Team that owns the stack (tag Owner).")
    cost_center: str = Field(min_length=1, description="Cost allocation code (tag CostCenter).")
    domain: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", description="Public host name of the stack."
    )
    log_retention_days: int = Field(description="Retention of every log group, a value CloudWatch accepts.")
    network: NetworkConfig = Field(description="VPC layout.")
    tls: TlsConfig = Field(description="Certificates and HTTPS.")
    services: dict[str, ServiceConfig] = Field(description="Container services by short name.")
    database: DatabaseConfig = Field(description="The PostgreSQL instance.")
    notifications: NotificationsConfig = Field(description="Who hears about alarms.")
    secrets: dict[str, SecretStr] = Field(
        default={}, description="Application credentials; set each with `pulumi config set --secret --path`."
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in ALLOWED_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts {', '.join(map(str, ALLOWED_RETENTION_DAYS))}")
        return value

    @field_validator("services")
    @classmethod
    def _service_names(cls, value: dict[str, ServiceConfig]) -> dict[str, ServiceConfig]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"service name {name!r}: lowercase letters, digits and '-', 1-20 characters")
        return value

    @property
    def is_production(self) -> bool:
        return self.environment == "production"
