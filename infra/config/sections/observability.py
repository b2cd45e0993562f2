"""Observability settings: alarm thresholds (defaults from the operations runbooks), the uptime check, the
runbook base URL the alarm descriptions link to."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from infra.config.errors import FieldError
from infra.config.sections.base import Section

# Route 53 needs at least three checker regions; these are the ones it accepts (HealthCheckRegion).
HEALTH_CHECK_REGIONS: tuple[str, ...] = (
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
    "sa-east-1",
)  # fmt: skip


# The committed example: alarm descriptions render with it offline; the real engine refuses it
# (infra/placeholders.py), or on-call would follow every alarm's runbook link to a repository that does not exist.
RUNBOOK_BASE_URL_EXAMPLE = "https://github.com/example-org/app-platform/blob/main"


class ObservabilityConfig(Section):
    runbook_base_url: str = Field(
        default=RUNBOOK_BASE_URL_EXAMPLE,
        pattern=r"^https://[^\s#?]+[^/\s#?]$",
        description="Where the repository is browsed: alarm descriptions link to "
        "`<runbookBaseUrl>/docs/runbooks/alarms.md#<alarm>` (https, no trailing slash).",
    )
    # -- load balancer and targets -------------------------------------------------------------------------
    alb_5xx_rate_percent: float = Field(
        default=5.0, gt=0, le=100, description="Warning: share of 5xx (ELB + target) of all requests, percent."
    )
    alb_5xx_per_minute: int = Field(default=10, ge=1, description="Critical: 5xx answers (ELB + target) per minute.")
    latency_p95_seconds: float = Field(default=1.0, gt=0, description="Warning: target response time p95, seconds.")
    latency_p99_seconds: float = Field(default=2.0, gt=0, description="Warning: target response time p99, seconds.")
    # -- ECS services ---------------------------------------------------------------------------------------
    ecs_cpu_percent: float = Field(default=80.0, gt=0, le=100, description="Warning: service CPU, percent.")
    ecs_memory_warning_percent: float = Field(default=85.0, gt=0, le=100, description="Warning: memory, percent.")
    ecs_memory_critical_percent: float = Field(default=90.0, gt=0, le=100, description="Critical: memory, percent.")
    # -- database -------------------------------------------------------------------------------------------
    rds_cpu_percent: float = Field(default=80.0, gt=0, le=100, description="Warning: database CPU, percent.")
    rds_connections_percent: float = Field(
        default=80.0, gt=0, le=100, description="Warning: connections as a percent of the class's max_connections."
    )
    rds_storage_warning_percent: float = Field(
        default=15.0, gt=0, lt=100, description="Warning: free storage below this percent of allocatedStorage."
    )
    rds_storage_critical_percent: float = Field(
        default=5.0, gt=0, lt=100, description="Critical: free storage below this percent of allocatedStorage."
    )
    rds_freeable_memory_percent: float = Field(
        default=10.0, gt=0, lt=100, description="Warning: freeable memory below this percent of the class's memory."
    )
    rds_read_latency_ms: float = Field(default=20.0, gt=0, description="Warning: average disk read latency, ms.")
    rds_write_latency_ms: float = Field(default=20.0, gt=0, description="Warning: average disk write latency, ms.")
    # -- edge -----------------------------------------------------------------------------------------------
    cloudfront_5xx_rate_percent: float = Field(
        default=5.0, gt=0, le=100, description="Warning: CloudFront 5xxErrorRate, percent."
    )
    waf_blocked_per_5_minutes: int = Field(
        ge=1, description="Warning: requests the web ACL blocks in 5 minutes (a spike: an attack or a false positive)."
    )
    cloudfront_additional_metrics: bool = Field(
        default=True,
        description="CloudFront additional metrics (cache hit rate, origin latency) for the dashboard; billed as "
        "custom metrics.",
    )
    # -- uptime and logs ------------------------------------------------------------------------------------
    uptime_slo_percent: float = Field(
        default=99.0, ge=90, lt=100, description="Critical: availability of https://<domain>/health over 24 h."
    )
    health_check_interval_seconds: int = Field(
        description="Route 53 health check request interval: 10 (fast) or 30 seconds."
    )
    health_check_regions: list[str] = Field(
        default=["us-east-1", "eu-west-1", "ap-southeast-1"],
        min_length=3,
        description="Regions the Route 53 health checkers call from (at least three).",
    )
    app_errors_per_5_minutes: int = Field(
        default=20, ge=1, description="Warning: application log lines with level error per 5 minutes, per service."
    )

    @field_validator("health_check_interval_seconds")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in (10, 30):
            raise ValueError("Route 53 accepts 10 or 30 seconds")
        return value

    @field_validator("health_check_regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in HEALTH_CHECK_REGIONS]
        if unknown:
            raise ValueError(f"{unknown} are not Route 53 health checker regions ({', '.join(HEALTH_CHECK_REGIONS)})")
        if len(set(value)) != len(value):
            raise ValueError("list each region once")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ObservabilityConfig:
        if self.ecs_memory_critical_percent <= self.ecs_memory_warning_percent:
            raise FieldError(
                "ecsMemoryCriticalPercent", f"must be above ecsMemoryWarningPercent ({self.ecs_memory_warning_percent})"
            )
        if self.rds_storage_critical_percent >= self.rds_storage_warning_percent:
            raise FieldError(
                "rdsStorageCriticalPercent",
                f"must be below rdsStorageWarningPercent ({self.rds_storage_warning_percent})",
            )
        if self.latency_p99_seconds < self.latency_p95_seconds:
            raise FieldError("latencyP99Seconds", f"must be at least latencyP95Seconds ({self.latency_p95_seconds})")
        return self
