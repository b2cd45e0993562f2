"""Usage assumptions: what the plan cannot say (traffic, log volume, stored bytes), per stack, with defaults.

`cost/usage.<stack>.yaml` sets only what differs from the defaults below; every line of an estimate that
reads one of these values is marked usage-dependent and names the keys it read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

USAGE_DIR = Path("cost")


class UsageError(ValueError):
    """A usage file that cannot be read or does not match the model; names the file, key and line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class ServiceUsage(_Model):
    average_tasks: float | None = Field(
        default=None, ge=0, description="Average running tasks over the month; default: the service's desiredCount."
    )


class Usage(_Model):
    requests_per_month: float = Field(
        default=1_000_000, ge=0, description="Viewer requests per month (CloudFront requests, WAF-inspected requests)."
    )
    cloudfront_gb_out: float = Field(default=50, ge=0, description="GB per month CloudFront sends to viewers.")
    cloudfront_geography: Literal["europe", "united_states"] = Field(
        default="europe",
        description="Where most viewers are: selects CloudFront's regional request and transfer rates.",
    )
    cache_hit_ratio: float = Field(
        default=0.0, ge=0, le=1, description="Share of requests CloudFront answers from cache (API traffic: ~0)."
    )
    alb_lcu_average: float = Field(
        default=1.0, ge=0, description="Average load balancer capacity units (LCU) per ALB per hour."
    )
    nat_gb_per_month: float = Field(
        default=20, ge=0, description="GB per month processed by all NAT gateways together (split evenly)."
    )
    interface_endpoint_gb_per_month: float = Field(
        default=10, ge=0, description="GB per month through all interface endpoints together (split evenly)."
    )
    log_gb_per_month: dict[str, float] = Field(
        default_factory=lambda: {"default": 0.5},
        description="GB ingested per month per log group (logical name), 'default' for the others.",
    )
    bucket_gb: dict[str, float] = Field(
        default_factory=lambda: {"default": 1.0},
        description="GB stored per bucket (logical name), 'default' for the others.",
    )
    ecr_gb: float = Field(default=1.0, ge=0, description="GB of images kept per ECR repository.")
    secrets_api_calls_per_month: float = Field(
        default=50_000, ge=0, description="Secrets Manager API calls per month per secret."
    )
    kms_requests_per_month: float = Field(
        default=0, ge=0, description="KMS requests per month per key beyond the free allowance."
    )
    kms_key_age_days: float = Field(
        default=0,
        ge=0,
        description="Age of the KMS keys in days: rotations so far (each of the first two adds "
        "$1/month per key); 0 is a new stack, 730 or more the steady state of yearly rotation.",
    )
    rds_backup_gb_beyond_free: float = Field(
        default=0, ge=0, description="RDS backup GB beyond the free allowance (100% of provisioned storage)."
    )
    backup_stored_gb: float | None = Field(
        default=None,
        ge=0,
        description="GB of AWS Backup recovery points per vault; default: the database's allocated storage.",
    )
    cross_region_gb_per_month: float | None = Field(
        default=None,
        ge=0,
        description="GB per month copied to the DR region per copy or replication; default: allocated storage.",
    )
    enhanced_monitoring_gb_per_month: float = Field(
        default=0.5, ge=0, description="GB per month of RDS Enhanced Monitoring logs (RDSOSMetrics) per instance."
    )
    health_check_endpoint: Literal["aws", "nonAws"] = Field(
        default="nonAws",
        description="How Route 53 bills the uptime check: the domain resolves to CloudFront edges, so 'nonAws' "
        "(the dearer rate) unless AWS confirms otherwise.",
    )
    lambda_invocations_per_month: dict[str, float] = Field(
        default_factory=lambda: {"default": 100.0},
        description="Invocations per month per Lambda function (logical name), 'default' for the others. The "
        "stacks' only function is the deployment smoke-test hook: one invocation per non-rolling release.",
    )
    lambda_duration_ms: dict[str, float] = Field(
        default_factory=lambda: {"default": 2_000.0},
        description="Average billed duration per invocation in milliseconds per function (logical name).",
    )
    services: dict[str, ServiceUsage] = Field(default_factory=dict, description="Per service (config name).")
    monthly_budget_usd: float | None = Field(
        default=None, gt=0, description="The stack's monthly budget: `cost` exits 5 above it unless --budget is given."
    )

    def log_gb(self, name: str) -> float:
        return self.log_gb_per_month.get(name, self.log_gb_per_month.get("default", 0.0))

    def lambda_invocations(self, name: str) -> float:
        return _per_name(self.lambda_invocations_per_month, name)

    def lambda_seconds(self, name: str) -> float:
        return _per_name(self.lambda_duration_ms, name) / 1000

    def bucket(self, name: str) -> float:
        return self.bucket_gb.get(name, self.bucket_gb.get("default", 0.0))


def _per_name(values: dict[str, float], name: str) -> float:
    return values.get(name, values.get("default", 0.0))


def default_usage_path(stack: str) -> Path:
    return USAGE_DIR / f"usage.{stack}.yaml"


def load_usage(path: Path | None) -> tuple[Usage, str | None]:
    """The usage model from `path` (None or a missing default file: the documented defaults)."""
    if path is None or not path.is_file():
        return Usage(), None
    try:
        text = path.read_text()
        raw = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read usage file ({exc})") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a mapping of usage keys")
    try:
        return Usage.model_validate(raw), str(path)
    except ValidationError as exc:
        raise UsageError(_describe(exc, path, text)) from None


def _describe(exc: ValidationError, path: Path, text: str) -> str:
    lines = _key_lines(text)
    problems = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"])
        top = str(error["loc"][0]) if error["loc"] else ""
        line = f":{lines[top]}" if top in lines else ""
        allowed = ", ".join(sorted(f.alias or n for n, f in Usage.model_fields.items()))
        hint = f" (allowed keys: {allowed})" if error["type"] == "extra_forbidden" else ""
        problems.append(f"{path}{line}: {key}: {error['msg']}{hint}")
    return "; ".join(problems)


def _key_lines(text: str) -> dict[str, int]:
    """Top-level key -> 1-based line, so an error points into the file."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
