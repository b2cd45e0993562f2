"""S3 rules on the recorded buckets (the ALB access-log bucket and the CloudFront maintenance-page bucket),
including the two AWS limitations the pack records as not applicable instead of passing silently."""

from __future__ import annotations

import json

import pytest

from offline.plan import Plan
from tests.policies.support import Case, in_json, put, record, reference

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
LB = "aws:lb/loadBalancer:LoadBalancer"
DIST = "aws:cloudfront/distribution:Distribution"
KMS = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:eu-west-1:123456789012:key/1"}


def edited(type_: str, name: str, change) -> Plan:  # type: ignore[no-untyped-def]
    plan = reference()
    change(plan.one(type_, name).inputs)
    return plan


def kms_page() -> Plan:
    return edited(SSE, "cdn-page", put("rules.0.applyServerSideEncryptionByDefault", KMS))


def sse_s3_page() -> Plan:
    """The page bucket on SSE-S3: only an ALB access-log bucket may do that."""
    return edited(SSE, "cdn-page", put("rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}))


def without(type_: str, name: str) -> Plan:
    plan = reference()
    plan.resources = [r for r in plan.resources if not (r.type == type_ and r.name == name)]
    return plan


def logged(loop: bool = False) -> Plan:
    """cdn-page logs to alb-logs (or, with `loop`, to itself)."""
    plan = reference()
    page, logs = plan.one(BUCKET, "cdn-page"), plan.one(BUCKET, "alb-logs")
    target = page if loop else logs
    plan.resources.append(
        record(
            "aws:s3/bucketLogging:BucketLogging",
            "cdn-page",
            {"bucket": "cdn-page-250f51a", "targetBucket": "x", "targetPrefix": "s3/"},
            deps=sorted({page.urn, target.urn}),
            parent=page.parent,
            stack="production",
        )
    )
    return plan


def legacy_cloudfront_logs(to: str) -> Plan:
    """CloudFront legacy logging into bucket `to`, whose ownership keeps ACLs (BucketOwnerPreferred)."""
    plan = reference()
    distribution, bucket = plan.one(DIST), plan.one(BUCKET, to)
    distribution.inputs["loggingConfig"] = {"bucket": f"{to}.s3.amazonaws.com", "includeCookies": False}
    if bucket.urn not in distribution.dependencies:
        distribution.dependencies.append(bucket.urn)
        distribution.dependencies = [d for d in distribution.dependencies if d.endswith(f"::{to}") or BUCKET not in d]
    plan.one(OWNERSHIP, to).inputs["rule"] = {"objectOwnership": "BucketOwnerPreferred"}
    return plan


def public_read(doc: dict[str, object]) -> None:
    doc["Statement"].append(
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    )  # type: ignore[attr-defined]


def foreign_admin(doc: dict[str, object]) -> None:
    statement = {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}}
    doc["Statement"].append({**statement, "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::b"})  # type: ignore[attr-defined]


CASES = [
    Case("s3-bucket-public-access-block", BUCKET, "alb-logs", None, "pass"),
    Case(
        "s3-bucket-public-access-block", BUCKET, "alb-logs", None, "violation", build=lambda: without(BLOCK, "alb-logs")
    ),
    Case(
        "s3-bucket-public-access-block",
        BUCKET,
        "alb-logs",
        None,
        "violation",
        build=lambda: edited(BLOCK, "alb-logs", put("restrictPublicBuckets", False)),
    ),
    Case("s3-bucket-access-logging", BUCKET, "cdn-page", None, "pass", build=logged),
    Case("s3-bucket-access-logging", BUCKET, "cdn-page", None, "violation"),
    Case(
        "s3-bucket-access-logging",
        BUCKET,
        "cdn-page",
        None,
        "violation",
        build=lambda: logged(loop=True),
        contains="loop",
    ),
    Case(
        "s3-bucket-access-logging",
        BUCKET,
        "alb-logs",
        None,
        "violation",
        build=logged,
        contains="receives the access logs",
    ),
    Case("s3-bucket-tls-only", BUCKET, "cdn-page", None, "pass"),
    Case(
        "s3-bucket-tls-only",
        BUCKET,
        "cdn-page",
        None,
        "violation",
        build=lambda: edited(POLICY, "cdn-page", in_json("policy", lambda d: d["Statement"].pop(0))),
    ),
    Case("s3-default-encryption-kms", SSE, "cdn-page", put("rules.0.applyServerSideEncryptionByDefault", KMS), "pass"),
    Case(
        "s3-default-encryption-kms",
        SSE,
        "cdn-page",
        put("rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "aws:kms"}),
        "violation",
    ),
    Case("s3-default-encryption-kms", SSE, "alb-logs", None, "not-applicable", contains="ALB access logs"),
    Case("s3-sse-s3-only-for-alb-access-logs", BUCKET, "alb-logs", None, "pass"),
    Case("s3-sse-s3-only-for-alb-access-logs", BUCKET, "cdn-page", None, "pass", build=kms_page),
    Case("s3-sse-s3-only-for-alb-access-logs", BUCKET, "cdn-page", None, "pass"),  # KMS, as built
    Case("s3-sse-s3-only-for-alb-access-logs", BUCKET, "cdn-page", None, "violation", build=sse_s3_page),
    Case(
        "s3-sse-s3-only-for-alb-access-logs",
        BUCKET,
        "alb-logs",
        None,
        "violation",
        build=lambda: edited(LB, "alb", put("accessLogs.enabled", False)),
    ),
    Case("s3-bucket-versioning", BUCKET, "alb-logs", None, "pass"),
    Case(
        "s3-bucket-versioning",
        BUCKET,
        "alb-logs",
        None,
        "violation",
        build=lambda: edited(
            "aws:s3/bucketVersioning:BucketVersioning", "alb-logs", put("versioningConfiguration.status", "Suspended")
        ),
    ),
    Case("s3-bucket-lifecycle", BUCKET, "alb-logs", None, "pass"),
    Case(
        "s3-bucket-lifecycle",
        BUCKET,
        "alb-logs",
        None,
        "violation",
        build=lambda: without("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "alb-logs"),
    ),
    Case("s3-acls-disabled", OWNERSHIP, "alb-logs", None, "pass"),
    Case("s3-acls-disabled", OWNERSHIP, "alb-logs", put("rule.objectOwnership", "ObjectWriter"), "not-applicable"),
    Case("s3-acls-disabled", OWNERSHIP, "alb-logs", put("rule", {}), "violation"),
    Case("s3-acls-only-for-cloudfront-legacy-logs", BUCKET, "cdn-page", None, "pass"),
    Case(
        "s3-acls-only-for-cloudfront-legacy-logs",
        BUCKET,
        "cdn-page",
        None,
        "pass",
        build=lambda: legacy_cloudfront_logs("cdn-page"),
    ),
    Case(
        "s3-acls-only-for-cloudfront-legacy-logs",
        BUCKET,
        "alb-logs",
        None,
        "violation",
        build=lambda: edited(OWNERSHIP, "alb-logs", put("rule.objectOwnership", "BucketOwnerPreferred")),
    ),
    Case("s3-no-public-acl-or-policy", POLICY, "cdn-page", None, "pass"),
    Case("s3-no-public-acl-or-policy", POLICY, "cdn-page", in_json("policy", public_read), "violation"),
    Case("s3-no-public-acl-or-policy", BUCKET, "cdn-page", put("acl", "public-read"), "violation"),
    Case("s3-no-cross-account-admin", POLICY, "alb-logs", None, "pass"),
    Case("s3-no-cross-account-admin", POLICY, "alb-logs", in_json("policy", foreign_admin), "violation"),
    Case(
        "s3-bucket-event-notifications",
        BUCKET,
        "alb-logs",
        None,
        "pass",
        build=lambda: _with(
            "aws:s3/bucketNotification:BucketNotification",
            "alb-logs",
            {"bucket": "alb-logs-a4e7bf0", "eventbridge": True},
        ),
    ),
    Case("s3-bucket-event-notifications", BUCKET, "alb-logs", None, "violation"),
    Case("s3-bucket-object-lock", BUCKET, "alb-logs", put("objectLockEnabled", True), "pass"),
    Case("s3-bucket-object-lock", BUCKET, "alb-logs", None, "violation"),
    Case(
        "s3-bucket-replication",
        BUCKET,
        "alb-logs",
        None,
        "pass",
        build=lambda: _with(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "alb-logs", {"bucket": "alb-logs-a4e7bf0"}
        ),
    ),
    Case("s3-bucket-replication", BUCKET, "alb-logs", None, "violation"),
]


def _with(type_: str, name: str, inputs: dict[str, object]) -> Plan:
    plan = reference()
    bucket = plan.one(BUCKET, name)
    plan.resources.append(record(type_, name, inputs, deps=[bucket.urn], parent=bucket.parent, stack="production"))
    return plan


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def test_not_applicable_results_say_why() -> None:
    """The ALB log bucket's SSE-S3 is recorded with the AWS reason, never passed silently."""
    from tests.policies.support import judge

    plan = reference()
    results = [r for r in judge("s3-default-encryption-kms", plan) if r.name == "alb-logs"]
    assert [r.outcome for r in results] == ["not-applicable"]
    assert "SSE-S3" in results[0].message and json.dumps(results[0].message)
