"""CloudFront rules on the recorded distribution, VPC origin and response headers policy."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, drop, put, reference

DIST = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
HEADERS = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
CUSTOM = {
    "originId": "legacy",
    "domainName": "legacy.example.com",
    "customOriginConfig": {
        "httpPort": 80,
        "httpsPort": 443,
        "originProtocolPolicy": "https-only",
        "originSslProtocols": ["TLSv1.2"],
    },
}


def with_custom(**config: object):  # type: ignore[no-untyped-def]
    def change(inputs: dict[str, object]) -> None:
        origin = {**CUSTOM, "customOriginConfig": {**CUSTOM["customOriginConfig"], **config}}  # type: ignore[dict-item]
        inputs["origins"] = [*inputs["origins"], origin]  # type: ignore[misc]

    return change


def serve_root_from_bucket(root_object: str | None):  # type: ignore[no-untyped-def]
    """Point the default behavior at the S3 (maintenance page) origin, with or without a root object."""

    def change(inputs: dict[str, object]) -> None:
        inputs["defaultCacheBehavior"] = {**inputs["defaultCacheBehavior"], "targetOriginId": "maintenance-page"}  # type: ignore[dict-item]
        inputs.pop("defaultRootObject", None)
        if root_object is not None:
            inputs["defaultRootObject"] = root_object

    return change


def without_log_delivery() -> Plan:
    plan = reference()
    plan.resources = [r for r in plan.resources if r.type != "aws:cloudwatch/logDeliverySource:LogDeliverySource"]
    return plan


CASES = [
    Case("cloudfront-viewer-https", DIST, None, None, "pass"),
    Case(
        "cloudfront-viewer-https",
        DIST,
        None,
        put("orderedCacheBehaviors.0.viewerProtocolPolicy", "allow-all"),
        "violation",
    ),
    Case("cloudfront-viewer-tls", DIST, None, None, "pass"),
    Case(
        "cloudfront-viewer-tls", DIST, None, put("viewerCertificate.minimumProtocolVersion", "TLSv1_2016"), "violation"
    ),
    Case("cloudfront-custom-certificate-sni", DIST, None, None, "pass"),
    Case(
        "cloudfront-custom-certificate-sni", DIST, None, put("viewerCertificate.sslSupportMethod", "vip"), "violation"
    ),
    Case("cloudfront-origin-https", VPC_ORIGIN, None, None, "pass"),
    Case(
        "cloudfront-origin-https",
        VPC_ORIGIN,
        None,
        put("vpcOriginEndpointConfig.originProtocolPolicy", "http-only"),
        "violation",
    ),
    Case("cloudfront-origin-https", DIST, None, None, "not-applicable"),
    Case("cloudfront-origin-https", DIST, None, with_custom(originProtocolPolicy="match-viewer"), "violation"),
    Case("cloudfront-origin-tls", DIST, None, with_custom(), "pass"),
    Case("cloudfront-origin-tls", DIST, None, with_custom(originSslProtocols=["TLSv1", "TLSv1.2"]), "violation"),
    Case("cloudfront-origin-tls", VPC_ORIGIN, None, None, "pass"),
    Case(
        "cloudfront-origin-tls",
        VPC_ORIGIN,
        None,
        put("vpcOriginEndpointConfig.originSslProtocols", {"items": ["SSLv3"], "quantity": 1}),
        "violation",
    ),
    Case("cloudfront-access-logging", DIST, None, None, "pass"),
    Case("cloudfront-access-logging", DIST, None, None, "violation", build=without_log_delivery),
    Case("cloudfront-waf", DIST, None, None, "pass"),
    Case("cloudfront-waf", DIST, None, drop("webAclId"), "violation"),
    # `/` is answered by the ALB (a custom origin): CloudFront.1 is about S3 origins.
    Case("cloudfront-default-root-object", DIST, None, None, "not-applicable"),
    Case("cloudfront-default-root-object", DIST, None, serve_root_from_bucket(None), "violation"),
    Case("cloudfront-default-root-object", DIST, None, serve_root_from_bucket("index.html"), "pass"),
    Case(
        "cloudfront-origin-failover",
        DIST,
        None,
        put("originGroups", [{"originId": "g", "members": [], "failoverCriteria": {"statusCodes": [502]}}]),
        "pass",
    ),
    Case("cloudfront-origin-failover", DIST, None, drop("originGroups"), "violation"),
    Case("cloudfront-s3-origin-access-control", DIST, None, None, "pass"),
    Case(
        "cloudfront-s3-origin-access-control",
        DIST,
        None,
        lambda i: [o.pop("originAccessControlId", None) for o in i["origins"]],
        "violation",
    ),
    Case(
        "cloudfront-geo-restriction",
        DIST,
        None,
        put("restrictions.geoRestriction", {"restrictionType": "blacklist", "locations": ["KP"]}),
        "pass",
    ),
    Case(
        "cloudfront-geo-restriction",
        DIST,
        None,
        put("restrictions.geoRestriction", {"restrictionType": "none"}),
        "violation",
    ),
    Case("cloudfront-security-headers", DIST, None, None, "pass"),
    Case("cloudfront-security-headers", DIST, None, drop("defaultCacheBehavior.responseHeadersPolicyId"), "violation"),
    Case("cloudfront-security-headers", HEADERS, None, None, "pass"),
    Case(
        "cloudfront-security-headers",
        HEADERS,
        None,
        put("securityHeadersConfig.strictTransportSecurity.accessControlMaxAgeSec", 300),
        "violation",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
