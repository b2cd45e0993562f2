"""CloudFront: viewer and origin TLS, certificates, logging, WAF, origins, headers."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    get,
    integer,
    is_true,
    items,
    known,
    label,
    resource_policy,
    stack_policy,
    strings,
)

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
DOCS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide"

C038 = Control(
    "C038", "Viewers use HTTPS on every cache behavior", Severity.MEDIUM, "CloudFront.3", checkov=("CKV_AWS_34",)
)
C039 = Control(
    "C039",
    "Viewer minimum protocol TLSv1.2_2021 or newer",
    Severity.MEDIUM,
    "CloudFront.15",
    "unverified",
    cdk_nag=("AwsSolutions-CFR4",),
    checkov=("CKV_AWS_174",),
    severity_source="third-party",
)
C040 = Control(
    "C040",
    "Custom ACM certificate served with SNI",
    Severity.MEDIUM,
    "CloudFront.7, CloudFront.8",
    checkov=("CKV2_AWS_42",),
)
C041 = Control("C041", "Custom origins use https-only", Severity.MEDIUM, "CloudFront.9", checkov=("CKV2_AWS_72",))
C042 = Control(
    "C042",
    "Origin SSL protocols exclude SSLv3 and old TLS",
    Severity.MEDIUM,
    "CloudFront.10",
    cdk_nag=("AwsSolutions-CFR5",),
    checkov=("CKV2_AWS_54",),
)
C043 = Control(
    "C043",
    "Standard (access) logging enabled",
    Severity.MEDIUM,
    "CloudFront.5",
    cdk_nag=("AwsSolutions-CFR3",),
    checkov=("CKV_AWS_86",),
)
C044 = Control(
    "C044",
    "Distribution has a WAFv2 web ACL",
    Severity.MEDIUM,
    "CloudFront.6",
    cdk_nag=("AwsSolutions-CFR2",),
    checkov=("CKV_AWS_68",),
)
C045 = Control("C045", "defaultRootObject set", Severity.CRITICAL, "CloudFront.1", checkov=("CKV_AWS_305",))
C046 = Control("C046", "Origin group with failover", Severity.LOW, "CloudFront.4", checkov=("CKV_AWS_310",))
C047 = Control(
    "C047",
    "S3 origins use origin access control",
    Severity.MEDIUM,
    "CloudFront.13",
    "unverified",
    cdk_nag=("AwsSolutions-CFR7",),
    checkov=("CKV2_AWS_46",),
    severity_source="third-party",
)
C048 = Control(
    "C048",
    "Geo restriction configured",
    Severity.LOW,
    cdk_nag=("AwsSolutions-CFR1",),
    checkov=("CKV_AWS_374",),
    severity_source="suggested",
)
C049 = Control(
    "C049",
    "Response headers policy attached and enforces HSTS",
    Severity.MEDIUM,
    checkov=("CKV2_AWS_32", "CKV_AWS_259"),
    severity_source="suggested",
)

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


def viewer_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for where, behavior in behaviors(args):
        policy = str(get(behavior, "viewerProtocolPolicy", default="allow-all"))
        if policy not in ("redirect-to-https", "https-only"):
            report(f"{where}: viewerProtocolPolicy is {policy}.")


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


def web_acl(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "webAclId"):
        report("webAclId is not set: the distribution has no WAFv2 web ACL.")


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


def origin_failover(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not items(get(args.props, "originGroups")):
        report("No origin group: the distribution has no failover origin.")


def s3_oac(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    s3 = [o for o in items(get(args.props, "origins")) if _s3_origin(o)]
    if not s3:
        args.not_applicable("The distribution has no S3 origin.")
    for origin in s3:
        if not get(origin, "originAccessControlId"):
            report(f"S3 origin {get(origin, 'originId')} has no origin access control.")


def geo_restriction(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    kind = str(get(args.props, "restrictions", "geoRestriction", "restrictionType", default="none"))
    if kind == "none":
        report("restrictions.geoRestriction.restrictionType is none.")


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


POLICIES: list[Policy] = [
    resource_policy(
        "cloudfront-viewer-https",
        C038,
        [DISTRIBUTION],
        "Every cache behavior sends viewers to HTTPS.",
        "Set viewer_protocol_policy='redirect-to-https' (or 'https-only') on every cache behavior.",
        viewer_https,
        promoted=True,
    ),
    resource_policy(
        "cloudfront-viewer-tls",
        C039,
        [DISTRIBUTION],
        "Viewers negotiate TLS 1.2 or newer.",
        "Use a custom ACM certificate (us-east-1) with minimum_protocol_version='TLSv1.2_2021'.",
        viewer_tls,
        config={"allowedMinimumProtocolVersions": strings(VIEWER_PROTOCOLS, "Accepted viewer TLS security policies.")},
        promoted=True,
        url=f"{DOCS}/secure-connections-supported-viewer-protocols-ciphers.html",
    ),
    resource_policy(
        "cloudfront-custom-certificate-sni",
        C040,
        [DISTRIBUTION],
        "The distribution serves its own ACM certificate with SNI.",
        "Set viewer_certificate={'acm_certificate_arn': <us-east-1 cert>, 'ssl_support_method': 'sni-only'}.",
        custom_certificate,
    ),
    resource_policy(
        "cloudfront-origin-https",
        C041,
        [DISTRIBUTION, VPC_ORIGIN],
        "CloudFront reaches custom origins over HTTPS only.",
        "Set custom_origin_config.origin_protocol_policy='https-only'.",
        origin_https,
        promoted=True,
    ),
    resource_policy(
        "cloudfront-origin-tls",
        C042,
        [DISTRIBUTION, VPC_ORIGIN],
        "CloudFront offers custom origins TLS 1.2 only.",
        "Set custom_origin_config.origin_ssl_protocols=['TLSv1.2'].",
        origin_tls,
        config={"allowedOriginSslProtocols": strings(["TLSv1.2"], "Protocols CloudFront may use to origins.")},
        promoted=True,
    ),
    stack_policy(
        "cloudfront-access-logging",
        C043,
        [DISTRIBUTION],
        "Distributions log viewer requests (standard logging, legacy or v2).",
        "Prefer standard logging v2 (aws.cloudwatch.LogDeliverySource/Destination/Delivery, no bucket ACLs); "
        "legacy logging_config needs a bucket with ACLs enabled.",
        logging,
        promoted=True,
    ),
    resource_policy(
        "cloudfront-waf",
        C044,
        [DISTRIBUTION],
        "Distributions are protected by a WAFv2 web ACL.",
        "Create a CLOUDFRONT-scope aws.wafv2.WebAcl in us-east-1 and pass its ARN as web_acl_id.",
        web_acl,
        promoted=True,
    ),
    resource_policy(
        "cloudfront-default-root-object",
        C045,
        [DISTRIBUTION],
        "Distributions name a default root object.",
        "Set default_root_object (e.g. 'index.html') when the default behavior serves an S3 origin; "
        "not applicable when / is answered by a custom origin (FSBP CloudFront.1 scope).",
        default_root_object,
    ),
    resource_policy(
        "cloudfront-origin-failover",
        C046,
        [DISTRIBUTION],
        "Distributions fail over to a second origin.",
        "Add an origin group with a primary and a secondary origin and failover status codes.",
        origin_failover,
    ),
    resource_policy(
        "cloudfront-s3-origin-access-control",
        C047,
        [DISTRIBUTION],
        "S3 origins are read through origin access control.",
        "Create aws.cloudfront.OriginAccessControl and set origin_access_control_id on the S3 origin.",
        s3_oac,
    ),
    resource_policy(
        "cloudfront-geo-restriction",
        C048,
        [DISTRIBUTION],
        "Distributions restrict viewers by geography.",
        "Set restrictions.geo_restriction to a whitelist or blacklist of countries.",
        geo_restriction,
        url=f"{DOCS}/georestrictions.html",
    ),
    resource_policy(
        "cloudfront-security-headers",
        C049,
        [DISTRIBUTION, HEADERS_POLICY],
        "Every cache behavior attaches a response headers policy, and those policies enforce HSTS.",
        "Attach an aws.cloudfront.ResponseHeadersPolicy with strict_transport_security (max-age >= 1 year, "
        "include subdomains, override=True) to every cache behavior.",
        security_headers,
        config={"minimumHstsMaxAgeSeconds": integer(31536000, "Minimum HSTS max-age in seconds.", 1)},
        url=f"{DOCS}/understanding-response-headers-policies.html",
    ),
]
