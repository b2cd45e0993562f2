"""ACM certificates: key strength."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import get
from .declare import MANDATORY, Control, Report, ResourceRule, Settings, SeveritySource, declared, integer

CERTIFICATE = "aws:acm/certificate:Certificate"
DOCS = "https://docs.aws.amazon.com/acm/latest/userguide"


@ResourceRule(
    name="acm-rsa-key-length",
    control=Control(
        id="P003",
        title="RSA certificates use keys of at least 2048 bits",
        # FSBP ACM.2 (AWS Config acm-certificate-rsa-check, checked 2026-12-03); the pages read did not state the
        # severity, so ours is a suggestion.
        severity=Severity.HIGH,
        fsbp="ACM.2",
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[CERTIFICATE],
    inputs=("certificateBody", "privateKey", "keyAlgorithm"),
    description="Certificates requested from ACM use RSA keys of at least 2048 bits, or ECDSA keys.",
    remediation="Leave key_algorithm unset (RSA_2048) or set RSA_2048 / EC_prime256v1 / EC_secp384r1.",
    enforcement=MANDATORY,
    config={"minimumRsaBits": integer(2048, "Shortest RSA key accepted (ACM.2).", 2048)},
    url=f"{DOCS}/acm-certificate.html",
)
def rsa_key_length(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if get(args.props, "certificateBody") or get(args.props, "privateKey"):
        args.not_applicable("Imported certificate: its key length is in the certificate body; Security Hub checks it.")
    algorithm = str(get(args.props, "keyAlgorithm", default="RSA_2048"))  # ACM's default for requested certificates
    family, _, size = algorithm.partition("_")
    minimum = int(settings["minimumRsaBits"])
    if family.upper() == "RSA" and (not size.isdigit() or int(size) < minimum):
        report(f"keyAlgorithm is {algorithm}: RSA keys need at least {minimum} bits.")


POLICIES: list[Policy] = declared(__name__)
