"""A TLS certificate: DNS-validated in ACM when we own the hosted zone, or an imported ARN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components import aws
from components.base import PlatformComponent


@dataclass(frozen=True)
class CertificateArgs:
    domain: str
    tags: Mapping[str, str]
    alternative_names: Sequence[str] = field(default_factory=tuple)
    hosted_zone_id: str | None = None
    imported_arn: str | None = None
    # ACM's validation record for a domain is the same in every region of an account: when another
    # Certificate (another region, same names) already manages it, this one only waits for issuance.
    manage_validation_records: bool = True


class Certificate(PlatformComponent):
    """`arn` is only usable once validation finished, so listeners and distributions wait for it."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: CertificateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tls", name, args.tags, opts)
        if args.imported_arn is not None:
            self.arn = pulumi.Output.from_input(args.imported_arn)
            self.register_outputs({"arn": self.arn})
            return
        if args.hosted_zone_id is None:
            raise ValueError("a certificate needs a hosted zone for DNS validation or an imported ARN")
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
                zone_id=args.hosted_zone_id,
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
        self.arn = validation.certificate_arn
        self.register_outputs({"arn": self.arn})
