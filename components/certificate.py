"""A TLS certificate: DNS-validated in ACM when we own the hosted zone, or an imported ARN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components import aws
from components.base import PlatformComponent


@dataclass(frozen=True)
class CertificateArgs:
    """Arguments of `Certificate`: a DNS-validated ACM certificate (`hosted_zone_id`) or an imported one."""

    domain: str
    """The certificate's primary domain name (e.g. `app.example.com`); required."""
    tags: Mapping[str, str]
    """Tags on the certificate; required, the platform's mandatory tag set."""
    alternative_names: Sequence[str] = field(default_factory=tuple)
    """Further names the certificate covers (SANs); default none: one name per certificate unless a service
    really answers on more."""
    hosted_zone_id: str | None = None
    """Route 53 hosted zone that holds the DNS validation records; default None, then `imported_arn` is
    required (one of the two must say where the certificate comes from)."""
    imported_arn: str | None = None
    """ARN of a certificate issued elsewhere (imported into ACM); default None: ACM issues and renews one,
    which needs no human at renewal time."""
    manage_validation_records: bool = True
    """Whether this certificate writes its validation CNAMEs; default True. ACM's validation record for a
    domain is the same in every region of an account: when another Certificate (another region, same names)
    already manages it, set False and this one only waits for issuance."""


class Certificate(PlatformComponent):
    """A TLS certificate for listeners and distributions, usable only once issued."""

    arn: pulumi.Output[str]
    """The certificate ARN, resolved only once validation finished, so listeners and distributions wait for it."""
    certificate: aws.acm.Certificate | None
    """The ACM certificate (escape hatch); None for an imported ARN."""
    validation: aws.acm.CertificateValidation | None
    """The validation waiter (escape hatch: depend on it to wait for issuance); None for an imported ARN."""

    def __init__(self, name: str, args: CertificateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tls", name, args.tags, opts)
        if args.imported_arn is not None:
            self.arn = pulumi.Output.from_input(args.imported_arn)
            self.certificate = self.validation = None
        elif args.hosted_zone_id is None:
            raise ValueError("a certificate needs a hosted zone for DNS validation or an imported ARN")
        else:
            self.certificate, self.validation = self._issued(name, args, args.hosted_zone_id)
            self.arn = self.validation.certificate_arn
        self.register_declared_outputs()

    def _issued(
        self, name: str, args: CertificateArgs, hosted_zone_id: str
    ) -> tuple[aws.acm.Certificate, aws.acm.CertificateValidation]:
        """An ACM certificate, its validation records in the zone and the waiter for its issuance."""
        cert = aws.acm.Certificate(
            name,
            domain_name=args.domain,
            subject_alternative_names=list(args.alternative_names),
            validation_method="DNS",
            key_algorithm="RSA_2048",
            options={"certificate_transparency_logging_preference": "ENABLED"},
            tags=self.tags_for(),
            # A replacement certificate must exist before listeners switch to it.
            opts=self.child(delete_before_replace=False),
        )
        names = [args.domain, *args.alternative_names] if args.manage_validation_records else []
        records = [
            aws.route53.Record(
                f"{name}-validation-{index}",
                zone_id=hosted_zone_id,
                name=cert.domain_validation_options[index].resource_record_name,
                type=cert.domain_validation_options[index].resource_record_type,
                records=[cert.domain_validation_options[index].resource_record_value],
                ttl=300,
                allow_overwrite=True,
                opts=self.child(),
            )
            for index in range(len(names))
        ]
        validation = aws.acm.CertificateValidation(
            name,
            certificate_arn=cert.arn,
            validation_record_fqdns=[record.fqdn for record in records] or None,
            opts=self.child(),
        )
        return cert, validation
