"""Certificates and HTTPS."""

from __future__ import annotations

from pydantic import Field, model_validator

from infra.config.errors import FieldError
from infra.config.sections.base import Section


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
