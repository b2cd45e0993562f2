"""VPC layout settings."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.subnets import SubnetPrefixes, plan_subnets
from infra.config.errors import FieldError
from infra.config.sections.base import Section


class NetworkConfig(Section):
    cidr: str = Field(description="IPv4 CIDR of the VPC (/16 to /24), e.g. 10.20.0.0/16.")
    az_count: int = Field(
        ge=1, le=6, description="How many availability zones to spread subnets over; at most the region's zone count."
    )
    availability_zones: list[str] | None = Field(
        default=None,
        description="Explicit AZ names of `aws:region` (eu-west-1a), `azCount` of them, distinct; default: the "
        "region's first `azCount` zones (a, b, c...). Names map to zone IDs per account in older regions.",
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
