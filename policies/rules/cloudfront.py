"""CloudFront: viewer and origin TLS, certificates, logging, WAF, origins, headers."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import get, is_true, items, known, label
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    FsbpStatus,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    StackRule,
    boolean,
    declared,
    integer,
    strings,
)
from .stack import StackView

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
DOCS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide"


VIEWER_PROTOCOLS = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]


def behaviors(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    out = [("defaultCacheBehavior", get(args.props, "defaultCacheBehavior"))]
    for i, behavior in enumerate(items(get(args.props, "orderedCacheBehaviors"))):
        out.append((f"orderedCacheBehaviors[{get(behavior, 'pathPattern', default=i)}]", behavior))
    return [(where, b) for where, b in out if b is not None]


def _s3_origin(origin: Any) -> bool:
    domain = str(get(origin, "domainName", default=""))
    return get(origin, "s3OriginConfig") is not None or (
        (".s3." in domain or domain.endswith(".s3.amazonaws.com")) and get(origin, "customOriginConfig") is None
    )


@ResourceRule(
    name="cloudfront-viewer-https",
    control=Control(
        id="C038",
        title="Viewers use HTTPS on every cache behavior",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.3",
        checkov=("CKV_AWS_34",),
    ),
    types=[DISTRIBUTION],
    description="Every cache behavior sends viewers to HTTPS.",
    remediation="Set viewer_protocol_policy='redirect-to-https' (or 'https-only') on every cache behavior.",
    enforcement=MANDATORY,
)
def viewer_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, behavior in behaviors(args):
        policy = str(get(behavior, "viewerProtocolPolicy", default="allow-all"))
        if policy not in ("redirect-to-https", "https-only"):
            report(f"{where}: viewerProtocolPolicy is {policy}.")


@ResourceRule(
    name="cloudfront-viewer-tls",
    control=Control(
        id="C039",
        title="Viewer minimum protocol TLSv1.2_2021 or newer",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.15",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("AwsSolutions-CFR4",),
        checkov=("CKV_AWS_174",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[DISTRIBUTION],
    inputs=("viewerCertificate",),
    description="Viewers negotiate TLS 1.2 or newer.",
    remediation="Use a custom ACM certificate (us-east-1) with minimum_protocol_version='TLSv1.2_2021'.",
    enforcement=MANDATORY,
    config={"allowedMinimumProtocolVersions": strings(VIEWER_PROTOCOLS, "Accepted viewer TLS security policies.")},
    url=f"{DOCS}/secure-connections-supported-viewer-protocols-ciphers.html",
)
def viewer_tls(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    certificate = get(args.props, "viewerCertificate")
    if is_true(get(certificate, "cloudfrontDefaultCertificate")):
        report("The default *.cloudfront.net certificate is used: viewers may negotiate TLSv1.")
        return
    version = str(get(certificate, "minimumProtocolVersion", default="TLSv1 (AWS default)"))
    if version not in settings["allowedMinimumProtocolVersions"]:
        report(
            f"minimumProtocolVersion is {version}; allowed: {', '.join(settings['allowedMinimumProtocolVersions'])}."
        )


@ResourceRule(
    name="cloudfront-custom-certificate-sni",
    control=Control(
        id="C040",
        title="Custom ACM certificate served with SNI",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.7, CloudFront.8",
        checkov=("CKV2_AWS_42",),
    ),
    types=[DISTRIBUTION],
    inputs=("viewerCertificate",),
    description="The distribution serves its own ACM certificate with SNI.",
    remediation="Set viewer_certificate={'acm_certificate_arn': <us-east-1 cert>, 'ssl_support_method': 'sni-only'}.",
    enforcement=ADVISORY,
)
def custom_certificate(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    certificate = get(args.props, "viewerCertificate")
    if not get(certificate, "acmCertificateArn"):
        report("No custom ACM certificate (viewerCertificate.acmCertificateArn) for the distribution's domain.")
    method = get(certificate, "sslSupportMethod")
    if get(certificate, "acmCertificateArn") and method != "sni-only":
        report(f"sslSupportMethod is {method}; use sni-only (dedicated IP costs and serves no purpose).")


def _custom_origins(args: ResourceValidationArgs) -> list[Any]:
    custom = [o for o in items(get(args.props, "origins")) if get(o, "customOriginConfig") is not None]
    if not custom:
        vpc = any(get(o, "vpcOriginConfig") is not None for o in items(get(args.props, "origins")))
        args.not_applicable(
            "The distribution has no custom origin; its VPC origins are judged on aws:cloudfront/vpcOrigin:VpcOrigin."
            if vpc
            else "The distribution has no custom origin."
        )
    return custom


@ResourceRule(
    name="cloudfront-origin-https",
    control=Control(
        id="C041",
        title="Custom origins use https-only",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.9",
        checkov=("CKV2_AWS_72",),
    ),
    types=[DISTRIBUTION, VPC_ORIGIN],
    inputs=("vpcOriginEndpointConfig.originProtocolPolicy",),
    description="CloudFront reaches custom origins over HTTPS only.",
    remediation="Set custom_origin_config.origin_protocol_policy='https-only'.",
    enforcement=MANDATORY,
)
def origin_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if args.resource_type == VPC_ORIGIN:
        policy = str(get(args.props, "vpcOriginEndpointConfig", "originProtocolPolicy", default=""))
        if policy != "https-only":
            report(f"The VPC origin's originProtocolPolicy is {policy}.")
        return
    for origin in _custom_origins(args):
        policy = str(get(origin, "customOriginConfig", "originProtocolPolicy", default=""))
        if policy != "https-only":
            report(f"Origin {get(origin, 'originId')}: originProtocolPolicy is {policy}.")


@ResourceRule(
    name="cloudfront-origin-tls",
    control=Control(
        id="C042",
        title="Origin SSL protocols exclude SSLv3 and old TLS",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.10",
        cdk_nag=("AwsSolutions-CFR5",),
        checkov=("CKV2_AWS_54",),
    ),
    types=[DISTRIBUTION, VPC_ORIGIN],
    inputs=("vpcOriginEndpointConfig.originSslProtocols.items",),
    description="CloudFront offers custom origins TLS 1.2 only.",
    remediation="Set custom_origin_config.origin_ssl_protocols=['TLSv1.2'].",
    enforcement=MANDATORY,
    config={"allowedOriginSslProtocols": strings(["TLSv1.2"], "Protocols CloudFront may use to origins.")},
)
def origin_tls(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    allowed = set(settings["allowedOriginSslProtocols"])
    if args.resource_type == VPC_ORIGIN:
        protocols = [str(p) for p in items(get(args.props, "vpcOriginEndpointConfig", "originSslProtocols", "items"))]
        weak = [p for p in protocols if p not in allowed]
        if weak or not protocols:
            report(f"The VPC origin's originSslProtocols include {weak or 'nothing'}.")
        return
    for origin in _custom_origins(args):
        protocols = [str(p) for p in items(get(origin, "customOriginConfig", "originSslProtocols"))]
        weak = [p for p in protocols if p not in allowed]
        if weak or not protocols:
            report(f"Origin {get(origin, 'originId')}: originSslProtocols include {weak or 'nothing'}.")


@StackRule(
    name="cloudfront-access-logging",
    control=Control(
        id="C043",
        title="Standard (access) logging enabled",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.5",
        cdk_nag=("AwsSolutions-CFR3",),
        checkov=("CKV_AWS_86",),
    ),
    types=[DISTRIBUTION],
    description="Distributions log viewer requests (standard logging, legacy or v2).",
    remediation="Prefer standard logging v2 (aws.cloudwatch.LogDeliverySource/Destination/Delivery, no bucket ACLs); "
    "legacy logging_config needs a bucket with ACLs enabled.",
    enforcement=MANDATORY,
)
def logging(stack: StackView, report: ReportViolation, _: Settings) -> None:
    sources = stack.of_type(LOG_SOURCE)
    for distribution in stack.of_type(DISTRIBUTION):
        legacy = known(distribution.props, "loggingConfig", "bucket")
        v2 = [
            s
            for s in sources
            if stack.references(s, "resourceArn", distribution) and str(known(s.props, "logType")) == "ACCESS_LOGS"
        ]
        if not legacy and not v2:
            report(
                f"{label(distribution)} has no standard logging: neither loggingConfig (legacy) nor a log delivery "
                "source of type ACCESS_LOGS (v2).",
                distribution.urn,
            )


@ResourceRule(
    name="cloudfront-waf",
    control=Control(
        id="C044",
        title="Distribution has a WAFv2 web ACL",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.6",
        cdk_nag=("AwsSolutions-CFR2",),
        checkov=("CKV_AWS_68",),
    ),
    types=[DISTRIBUTION],
    inputs=("webAclId",),
    description="Distributions are protected by a WAFv2 web ACL.",
    remediation="Create a CLOUDFRONT-scope aws.wafv2.WebAcl in us-east-1 and pass its ARN as web_acl_id.",
    enforcement=MANDATORY,
)
def web_acl(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "webAclId"):
        report("webAclId is not set: the distribution has no WAFv2 web ACL.")


@ResourceRule(
    name="cloudfront-default-root-object",
    control=Control(
        id="C045",
        title="defaultRootObject set",
        severity=Severity.CRITICAL,
        fsbp="CloudFront.1",
        checkov=("CKV_AWS_305",),
    ),
    types=[DISTRIBUTION],
    inputs=("defaultCacheBehavior.targetOriginId", "defaultRootObject", "origins"),
    description="Distributions name a default root object.",
    remediation="Set default_root_object (e.g. 'index.html') when the default behavior serves an S3 origin; "
    "not applicable when / is answered by a custom origin (FSBP CloudFront.1 scope).",
    enforcement=MANDATORY,
)
def default_root_object(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    """FSBP CloudFront.1 guards S3 origins (a bare / must not list a bucket); it does not apply to custom
    origins. What matters is the origin that answers `/`: the default cache behavior's target."""
    target = get(args.props, "defaultCacheBehavior", "targetOriginId")
    origin = next((o for o in items(get(args.props, "origins")) if get(o, "originId") == target), None)
    if origin is not None and not _s3_origin(origin):
        args.not_applicable(
            f"The root URL is served by custom origin {target!r} (an application, not a bucket); CloudFront.1 "
            "does not apply to custom origins."
        )
        return
    if not get(args.props, "defaultRootObject"):
        report("defaultRootObject is not set: a request for / reaches the S3 origin as is.")


@ResourceRule(
    name="cloudfront-origin-failover",
    control=Control(
        id="C046",
        title="Origin group with failover",
        severity=Severity.LOW,
        fsbp="CloudFront.4",
        checkov=("CKV_AWS_310",),
    ),
    types=[DISTRIBUTION],
    inputs=("originGroups",),
    description="Distributions fail over to a second origin.",
    remediation="Add an origin group with a primary and a secondary origin and failover status codes.",
    enforcement=ADVISORY,
)
def origin_failover(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not items(get(args.props, "originGroups")):
        report("No origin group: the distribution has no failover origin.")


@ResourceRule(
    name="cloudfront-s3-origin-access-control",
    control=Control(
        id="C047",
        title="S3 origins use origin access control",
        severity=Severity.MEDIUM,
        fsbp="CloudFront.13",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("AwsSolutions-CFR7",),
        checkov=("CKV2_AWS_46",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[DISTRIBUTION],
    inputs=("origins",),
    description="S3 origins are read through origin access control.",
    remediation="Create aws.cloudfront.OriginAccessControl and set origin_access_control_id on the S3 origin.",
    enforcement=ADVISORY,
)
def s3_oac(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    s3 = [o for o in items(get(args.props, "origins")) if _s3_origin(o)]
    if not s3:
        args.not_applicable("The distribution has no S3 origin.")
    for origin in s3:
        if not get(origin, "originAccessControlId"):
            report(f"S3 origin {get(origin, 'originId')} has no origin access control.")


@ResourceRule(
    name="cloudfront-geo-restriction",
    control=Control(
        id="C048",
        title="Geo restriction configured",
        severity=Severity.LOW,
        cdk_nag=("AwsSolutions-CFR1",),
        checkov=("CKV_AWS_374",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[DISTRIBUTION],
    inputs=("restrictions.geoRestriction.restrictionType",),
    description="Distributions restrict viewers by geography.",
    remediation="Set restrictions.geo_restriction to a whitelist or blacklist of countries.",
    enforcement=ADVISORY,
    url=f"{DOCS}/georestrictions.html",
)
def geo_restriction(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    kind = str(get(args.props, "restrictions", "geoRestriction", "restrictionType", default="none"))
    if kind == "none":
        report("restrictions.geoRestriction.restrictionType is none.")


@ResourceRule(
    name="cloudfront-security-headers",
    control=Control(
        id="C049",
        title="Response headers policy attached and enforces HSTS",
        severity=Severity.MEDIUM,
        checkov=("CKV2_AWS_32", "CKV_AWS_259"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[DISTRIBUTION, HEADERS_POLICY],
    inputs=("securityHeadersConfig.strictTransportSecurity",),
    description="Every cache behavior attaches a response headers policy, and those policies enforce HSTS.",
    remediation="Attach an aws.cloudfront.ResponseHeadersPolicy with strict_transport_security (max-age >= 1 year, "
    "include subdomains, override=True) to every cache behavior.",
    enforcement=ADVISORY,
    config={
        "minimumHstsMaxAgeSeconds": integer(31536000, "Minimum HSTS max-age in seconds.", 1),
        # Recorded decision (policies/README.md): preload is off by default. A domain on the browsers' preload
        # list stays HTTPS-only for every subdomain for months after removal, so it is the domain owner's call.
        "requirePreload": boolean(False, "Require HSTS preload and includeSubdomains (hstspreload.org)."),
    },
    url=f"{DOCS}/understanding-response-headers-policies.html",
)
def security_headers(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if args.resource_type == DISTRIBUTION:
        for where, behavior in behaviors(args):
            if not get(behavior, "responseHeadersPolicyId"):
                report(f"{where}: no response headers policy.")
        return
    hsts = get(args.props, "securityHeadersConfig", "strictTransportSecurity")
    if hsts is None:
        report("The response headers policy sets no Strict-Transport-Security header.")
        return
    age = get(hsts, "accessControlMaxAgeSec", default=0)
    minimum = int(settings["minimumHstsMaxAgeSeconds"])
    if float(age) < minimum:
        report(f"HSTS max-age is {int(float(age))} s; at least {minimum} s is required.")
    if not is_true(get(hsts, "override")):
        report("HSTS override is not true: an origin header could weaken it.")
    if settings["requirePreload"] and not (is_true(get(hsts, "preload")) and is_true(get(hsts, "includeSubdomains"))):
        report("HSTS preload (with includeSubdomains) is required by the policy config and not set.")


POLICIES: list[Policy] = declared(__name__)
