"""Edge settings: CloudFront in front of the load balancer, and its WAF."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from infra.config.sections.base import Section


class EdgeConfig(Section):
    origin_mode: Literal["vpcOrigin", "publicAlb"] = Field(
        default="vpcOrigin",
        description="`vpcOrigin`: internal ALB in private subnets reached through a CloudFront VPC origin (no "
        "public exposure). `publicAlb`: internet-facing ALB admitting only CloudFront's origin-facing prefix "
        "list and requiring a secret origin header.",
    )
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        description="Edge locations served: 100 (NA+EU, cheapest), 200, or All."
    )
    origin_shield: bool = Field(description="Origin Shield in the stack's region (fewer requests reach the ALB).")
    waf_enabled: bool = Field(description="Attach a WAFv2 web ACL (required in production).")
    rate_limit_per_ip: int = Field(
        default=2000, ge=10, le=2_000_000_000, description="Requests per IP per 5 minutes before WAF blocks it."
    )
    waf_max_request_body_kb: Literal[8, 16, 32, 48, 64] = Field(
        default=16,
        description="Largest request body the WAF admits, in KB. 8 keeps the managed rule SizeRestrictions_BODY "
        "as AWS ships it (blocks bodies over 8 KB, too small for many APIs). 16 (default: every admitted byte is "
        "inspected at no extra charge), 32, 48 or 64: that rule only counts and a rule of ours blocks larger "
        "bodies; above 16, CloudFront forwards that much body to WAF at extra cost.",
    )
    static_paths: list[str] = Field(
        default=["/static/*"], description="Path patterns cached at the edge (everything else is not cached)."
    )
    error_caching_seconds: int = Field(
        default=10, ge=0, le=300, description="How long CloudFront caches an origin error before retrying."
    )
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$",
        description="Imported us-east-1 ACM certificate for CloudFront (default: DNS-validated in tls.hostedZoneId).",
    )

    @field_validator("static_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or path.startswith("/maintenance"):
                raise ValueError(f"{path!r}: start with '/', and /maintenance/* is reserved for the outage page")
        return value
