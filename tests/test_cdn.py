"""Cdn: CloudFront in front of the ALB, origin locked down, TLS, caching, headers, logs, failure page, DNS."""

from __future__ import annotations

import pytest

from offline.plan import Plan, ResourceRecord
from offline.project import load_stack
from tests.helpers import EDGE_REGION, distribution, policy, region_of, stack_setting


def test_distribution_tls_and_protocols(plan: Plan) -> None:
    d = distribution(plan)
    assert d["aliases"] == [load_stack(plan.stack).config["app-platform:domain"]]
    cert = d["viewerCertificate"]
    assert cert["sslSupportMethod"] == "sni-only" and cert["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert cert["acmCertificateArn"].startswith(f"arn:aws:acm:{EDGE_REGION}:")
    assert d["httpVersion"] == "http2and3" and d["isIpv6Enabled"] is True and d["enabled"] is True


def test_edge_certificate_lives_in_us_east_1(plan: Plan) -> None:
    cert = plan.one("aws:acm/certificate:Certificate", "edge-certificate")
    assert region_of(plan, cert.urn) == EDGE_REGION and cert.inputs["validationMethod"] == "DNS"


@pytest.mark.parametrize(
    ("stack", "price", "shield"), [("staging", "PriceClass_100", False), ("production", "PriceClass_All", True)]
)
def test_price_class_and_origin_shield(
    stack: str, price: str, shield: bool, staging_plan: Plan, production_plan: Plan
) -> None:
    plan = staging_plan if stack == "staging" else production_plan
    d = distribution(plan)
    assert d["priceClass"] == price
    alb_origin = next(o for o in d["origins"] if o["originId"] == "alb")
    if shield:
        assert alb_origin["originShield"] == {"enabled": True, "originShieldRegion": "eu-west-1"}
    else:
        assert "originShield" not in alb_origin


def test_every_behavior_redirects_to_https_and_compresses(plan: Plan) -> None:
    d = distribution(plan)
    behaviors = [d["defaultCacheBehavior"], *d["orderedCacheBehaviors"]]
    assert {b["viewerProtocolPolicy"] for b in behaviors} == {"redirect-to-https"}
    assert all(b["compress"] is True for b in behaviors)


def test_api_is_not_cached_and_static_paths_are(plan: Plan) -> None:
    d = distribution(plan)
    api = d["defaultCacheBehavior"]
    static = next(b for b in d["orderedCacheBehaviors"] if b["pathPattern"] == "/static/*")
    assert api["cachePolicyId"] != static["cachePolicyId"]
    assert api["targetOriginId"] == static["targetOriginId"] == "alb"
    assert set(api["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    assert api["originRequestPolicyId"] == static["originRequestPolicyId"]  # AllViewer: Host reaches the ALB


def test_security_headers(plan: Plan) -> None:
    headers = plan.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs["securityHeadersConfig"]
    hsts = headers["strictTransportSecurity"]
    assert (
        hsts["accessControlMaxAgeSec"] >= 31_536_000 and hsts["includeSubdomains"] is True and hsts["override"] is True
    )
    assert headers["contentTypeOptions"]["override"] is True
    assert headers["frameOptions"]["frameOption"] in ("DENY", "SAMEORIGIN")
    assert headers["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    d = distribution(plan)
    assert {b["responseHeadersPolicyId"] for b in [d["defaultCacheBehavior"], *d["orderedCacheBehaviors"]]} != {None}


def test_origin_is_https_only_tls12(plan: Plan, public_alb_plan: Plan) -> None:
    endpoint = plan.one("aws:cloudfront/vpcOrigin:VpcOrigin").inputs["vpcOriginEndpointConfig"]
    assert endpoint["originProtocolPolicy"] == "https-only"
    assert endpoint["originSslProtocols"] == {"items": ["TLSv1.2"], "quantity": 1}
    # In publicAlb mode the origins carry the secret header, so the whole property is a secret in the plan.
    assert distribution(public_alb_plan)["origins"] == "[secret]"
    assert "origins" in public_alb_plan.one("aws:cloudfront/distribution:Distribution").secret_paths


# -- origin protection ------------------------------------------------------------------------------------
def ingress_to_alb(plan: Plan) -> list[ResourceRecord]:
    alb_sg_id = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["securityGroups"][0]
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    # Port 443 only: a blue/green stack also admits its smoke-test hook on the test listener's port.
    return [r for r in rules if r.inputs["securityGroupId"] == alb_sg_id and r.inputs["fromPort"] == 443]


def test_vpc_origin_mode_keeps_the_alb_private(plan: Plan) -> None:
    lb = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["internal"] is True
    assert sorted(lb["subnets"]) == sorted(plan.outputs["privateSubnetIds"])
    origin = next(o for o in distribution(plan)["origins"] if o["originId"] == "alb")
    assert "vpcOriginConfig" in origin and "customOriginConfig" not in origin
    vpc_origin = plan.one("aws:cloudfront/vpcOrigin:VpcOrigin")
    assert vpc_origin.inputs["vpcOriginEndpointConfig"]["arn"].startswith("arn:aws:elasticloadbalancing:eu-west-1:")
    # The only way in: one rule, from the security group CloudFront creates for the VPC origin.
    (rule,) = ingress_to_alb(plan)
    assert rule.name == "alb-vpc-origin"
    assert rule.inputs["fromPort"] == rule.inputs["toPort"] == 443
    assert "cidrIpv4" not in rule.inputs and "prefixListId" not in rule.inputs
    assert rule.inputs["referencedSecurityGroupId"].startswith("sg-")
    # The group is looked up only after CloudFront created it along with the VPC origin.
    assert vpc_origin.urn in rule.dependencies


def test_public_alb_mode_admits_only_cloudfront_with_the_secret_header(public_alb_plan: Plan) -> None:
    plan = public_alb_plan
    lb = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["internal"] is False
    assert sorted(lb["subnets"]) == sorted(plan.outputs["publicSubnetIds"])
    ingress = [r.inputs for r in ingress_to_alb(plan)]
    assert ingress and all(r["prefixListId"] == "pl-a3a144ca" and r["fromPort"] == 443 for r in ingress)
    assert not any("cidrIpv4" in r or "referencedSecurityGroupId" in r for r in ingress)
    # The listener's default answer is 403; only rules that also match the secret header forward.
    https = plan.one("aws:lb/listener:Listener", "alb-https").inputs
    assert https["defaultActions"][0]["fixedResponse"]["statusCode"] == "403"
    # Both sides carry the secret header value, so the plan masks them whole.
    assert "conditions" in plan.one("aws:lb/listenerRule:ListenerRule", "api").secret_paths
    assert "origins" in plan.one("aws:cloudfront/distribution:Distribution").secret_paths
    secret = plan.one("aws:secretsmanager/secret:Secret", "edge-origin-originVerify")
    assert secret.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert secret.inputs["namePrefix"].startswith("app-platform/staging/edge/")


# -- logs -------------------------------------------------------------------------------------------------
def test_standard_logging_v2_to_cloudwatch(plan: Plan, staging_plan: Plan) -> None:
    source = plan.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source.inputs["logType"] == "ACCESS_LOGS"
    assert source.inputs["resourceArn"].startswith("arn:aws:cloudfront::123456789012:distribution/")
    assert region_of(plan, source.urn) == EDGE_REGION
    destination = plan.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination").inputs
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "cdn-access-logs").inputs
    assert (
        destination["deliveryDestinationConfiguration"]["destinationResourceArn"].endswith(
            f":log-group:{group.get('name') or ''}"
        )
        or ":log-group:cdn-access-logs-" in destination["deliveryDestinationConfiguration"]["destinationResourceArn"]
    )
    assert group["retentionInDays"] == (90 if plan is staging_plan else 365)  # CloudFront access logs: security
    delivery = plan.one("aws:cloudwatch/logDelivery:LogDelivery").inputs
    assert delivery["deliverySourceName"] == source.inputs["name"]
    assert "logging" not in distribution(plan) and "loggingConfig" not in distribution(plan)  # no legacy ACL logging


# -- failure page -----------------------------------------------------------------------------------------
def test_outage_page_for_5xx_from_a_private_bucket(plan: Plan) -> None:
    d = distribution(plan)
    responses = {r["errorCode"]: r for r in d["customErrorResponses"]}
    assert sorted(responses) == [502, 503, 504]
    assert all(
        r["responsePagePath"] == "/maintenance/index.html" and r["errorCachingMinTtl"] <= 30 for r in responses.values()
    )
    page_origin = next(o for o in d["origins"] if o["originId"] == "maintenance-page")
    assert page_origin["originAccessControlId"] and page_origin["domainName"].startswith("cdn-page-")
    behavior = next(b for b in d["orderedCacheBehaviors"] if b["targetOriginId"] == "maintenance-page")
    assert behavior["pathPattern"] == "/maintenance/*"
    oac = plan.one("aws:cloudfront/originAccessControl:OriginAccessControl").inputs
    assert (oac["originAccessControlOriginType"], oac["signingBehavior"], oac["signingProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    statements = policy(plan.one("aws:s3/bucketPolicy:BucketPolicy", "cdn-page"))["Statement"]
    read = next(s for s in statements if s["Effect"] == "Allow")
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"} and read["Action"] == "s3:GetObject"
    assert read["Condition"]["StringEquals"]["AWS:SourceArn"].startswith(
        "arn:aws:cloudfront::123456789012:distribution/E"
    )
    block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "cdn-page").inputs
    assert block["blockPublicPolicy"] is True and block["restrictPublicBuckets"] is True
    page = plan.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs
    assert page["key"] == "maintenance/index.html" and page["contentType"].startswith("text/html")
    assert "<title>" in page["content"]


# -- DNS and outputs --------------------------------------------------------------------------------------
def test_alias_records(plan: Plan) -> None:
    zone = stack_setting(plan.stack, "tls")["hostedZoneId"]
    domain = load_stack(plan.stack).config["app-platform:domain"]
    records = {
        r.inputs["type"]: r.inputs for r in plan.of_type("aws:route53/record:Record") if r.name.startswith("cdn-")
    }
    assert sorted(records) == ["A", "AAAA"]
    for record in records.values():
        assert record["zoneId"] == zone and record["name"] == domain
        (alias,) = record["aliases"]
        assert alias["name"].endswith(".cloudfront.net") and alias["zoneId"] == "Z2FDTNDATAQYW2"


def test_edge_outputs(plan: Plan) -> None:
    domain = load_stack(plan.stack).config["app-platform:domain"]
    assert plan.outputs["publicUrl"] == f"https://{domain}"
    assert plan.outputs["healthUrl"] == f"https://{domain}/health"
    assert plan.outputs["distributionId"].startswith("E")
    assert plan.outputs["distributionDomain"].endswith(".cloudfront.net")


def test_dns_records_are_unique_and_validation_is_shared(plan: Plan) -> None:
    """ACM publishes one validation CNAME per domain and account, whatever the region: the regional (ALB) and
    us-east-1 (CloudFront) certificates must not both manage it, or deleting one would break the other."""
    keys = [(r.inputs["zoneId"], r.inputs["name"], r.inputs["type"]) for r in plan.of_type("aws:route53/record:Record")]
    assert len(keys) == len(set(keys))
    validations = {v.name: v.inputs for v in plan.of_type("aws:acm/certificateValidation:CertificateValidation")}
    assert validations["alb-certificate"]["validationRecordFqdns"]
    assert "validationRecordFqdns" not in validations["edge-certificate"]


def test_account_wide_cloudfront_names_differ_between_stacks(staging_plan: Plan, production_plan: Plan) -> None:
    """Origin access controls and VPC origins are named per account: two stacks must not collide."""

    def names(plan: Plan) -> set[str]:
        oac = plan.one("aws:cloudfront/originAccessControl:OriginAccessControl").inputs["name"]
        vpc_origin = plan.one("aws:cloudfront/vpcOrigin:VpcOrigin").inputs["vpcOriginEndpointConfig"]["name"]
        return {oac, vpc_origin}

    assert not names(staging_plan) & names(production_plan)
