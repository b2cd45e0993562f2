"""LoadBalancer: ALB attributes, its access-log bucket, HTTPS-only listeners and the certificate."""

from __future__ import annotations

import json

import pytest

from offline.plan import Plan
from offline.project import load_stack
from tests.helpers import policy


# -- load balancer ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("stack", "protected"), [("staging", False), ("production", True)])
def test_alb_attributes(stack: str, protected: bool, staging_plan: Plan, production_plan: Plan) -> None:
    plan = staging_plan if stack == "staging" else production_plan
    lb = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["loadBalancerType"] == "application"
    assert len(lb["subnets"]) >= 2
    assert lb["dropInvalidHeaderFields"] is True
    assert lb["desyncMitigationMode"] in ("defensive", "strictest")
    assert lb["enableDeletionProtection"] is protected
    assert lb["idleTimeout"] == 60
    assert lb["accessLogs"]["enabled"] is True and lb["accessLogs"]["prefix"] == "alb"


def test_access_log_bucket_is_private_tls_only_sse_s3(plan: Plan) -> None:
    bucket_name = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]["bucket"]
    block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "alb-logs").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert block["bucket"] == bucket_name
    sse = plan.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "alb-logs")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    statements = policy(plan.one("aws:s3/bucketPolicy:BucketPolicy", "alb-logs"))["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Principal"] == "*"
    delivery = [s for s in statements if s["Effect"] == "Allow"]
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in [s["Principal"] for s in delivery]
    assert all(s["Action"] == "s3:PutObject" and s["Resource"].endswith("/alb/AWSLogs/*") for s in delivery)
    lifecycle = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "alb-logs").inputs
    rule = lifecycle["rules"][0]
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] >= 1
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
    ownership = plan.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "alb-logs").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_https_listener_with_modern_tls_and_http_redirect(plan: Plan) -> None:
    listeners = {r.name: r.inputs for r in plan.of_type("aws:lb/listener:Listener")}
    https, http = listeners["alb-https"], listeners["alb-http"]
    assert https["protocol"] == "HTTPS" and https["port"] == 443
    assert https["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-")
    assert https["certificateArn"].startswith("arn:aws:acm:eu-west-1:")
    assert http["port"] == 80
    assert http["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]


def test_certificate_is_dns_validated_in_the_zone(plan: Plan) -> None:
    domain = load_stack(plan.stack).config["app-platform:domain"]
    cert = plan.one("aws:acm/certificate:Certificate", "alb-certificate").inputs
    assert cert["domainName"] == domain and cert["validationMethod"] == "DNS"
    zone = json.loads(load_stack(plan.stack).config["app-platform:tls"])["hostedZoneId"]
    assert {r.inputs["zoneId"] for r in plan.of_type("aws:route53/record:Record") if "validation" in r.name} == {zone}
