"""Load balancer settings shared by every web service of the stack."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from infra.config.sections.base import Section

# TLS policies the platform allows on HTTPS listeners: TLS 1.2+ with forward secrecy (FSBP ELB.17).
ALLOWED_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
)

SslPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
]


class LoadBalancerConfig(Section):
    deletion_protection: bool = Field(description="Refuse deletion of the load balancer.")
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000, description="Idle connection timeout.")
    access_log_days: int = Field(ge=1, le=3650, description="Days ALB access logs are kept in S3.")
    ssl_policy: SslPolicy = Field(
        default="ELBSecurityPolicy-TLS13-1-2-Res-2021-06", description="TLS policy of the HTTPS listener."
    )
