"""S3 buckets: public access, TLS, encryption, logging, versioning, lifecycle, ownership, policies.

pulumi-aws 7 configures a bucket through separate resources (public access block, policy, encryption,
logging...), so most rules are stack rules joining those resources to their bucket. Two AWS limitations are
encoded explicitly (never as silent passes): ALB access-log buckets accept only SSE-S3, and CloudFront legacy
standard logging needs bucket ACLs.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    BUCKET_TYPES,
    action_matches,
    actions,
    denies_insecure_transport,
    document,
    get,
    has_restricting_condition,
    is_public_principal,
    is_true,
    items,
    known,
    label,
    principals,
    statements,
)
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
)
from .stack import StackView

PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
DOCS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide"
ALB_LOGS_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
ADMIN_ACTIONS = [
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutEncryptionConfiguration",
]
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

C087 = Control(
    id="C087",
    title="Default encryption with KMS",
    severity=Severity.MEDIUM,
    fsbp="S3.17",
    fsbp_status=FsbpStatus.UNVERIFIED,
    cdk_nag=("R5:S3DefaultEncryptionKMS",),
    checkov=("CKV_AWS_19", "CKV_AWS_145"),
    hub_other=("S3.4",),
)
C090 = Control(
    id="C090",
    title="ACLs disabled (BucketOwnerEnforced)",
    severity=Severity.MEDIUM,
    fsbp="S3.12",
    checkov=("CKV2_AWS_65",),
)


def attached(stack: StackView, bucket: PolicyResource, types: tuple[str, ...] | list[str]) -> list[PolicyResource]:
    return stack.referencing(bucket, types, "bucket")


def alb_log_buckets(stack: StackView) -> set[str]:
    """Buckets that receive ALB access logs (which ELB writes only to SSE-S3 buckets)."""
    out = set()
    for lb in stack.of_type(*LB):
        if not is_true(known(lb.props, "accessLogs", "enabled")):
            continue
        out |= {b.urn for b in stack.of_type(*BUCKET_TYPES) if stack.references(lb, "accessLogs.bucket", b)}
    return out


def cloudfront_legacy_log_buckets(stack: StackView) -> set[str]:
    """Buckets that receive CloudFront standard logging (legacy), which needs bucket ACLs."""
    out = set()
    for distribution in stack.of_type(DISTRIBUTION):
        if not known(distribution.props, "loggingConfig"):
            continue
        out |= {
            b.urn for b in stack.of_type(*BUCKET_TYPES) if stack.references(distribution, "loggingConfig.bucket", b)
        }
    return out


@StackRule(
    name="s3-bucket-public-access-block",
    control=Control(
        id="C084",
        title="All four Block Public Access flags true",
        severity=Severity.HIGH,
        fsbp="S3.8",
        cdk_nag=("AwsSolutions-S2",),
        checkov=("CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    ),
    types=BUCKET_TYPES,
    description="Every bucket has a public access block with all four flags on.",
    remediation="Add aws.s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, ignore_public_acls "
    "and "
    "restrict_public_buckets all True.",
    enforcement=MANDATORY,
)
def public_access_block(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        blocks = attached(stack, bucket, [PUBLIC_ACCESS_BLOCK])
        if not blocks:
            report(f"{label(bucket)} has no public access block.", bucket.urn)
            continue
        off = [f for f in FLAGS if not is_true(known(blocks[0].props, f))]
        if off:
            report(f"{label(bucket)}: public access block leaves {', '.join(off)} off.", bucket.urn)


@StackRule(
    name="s3-bucket-access-logging",
    control=Control(
        id="C085",
        title="Server access logging to a separate bucket",
        severity=Severity.MEDIUM,
        fsbp="S3.9",
        cdk_nag=("AwsSolutions-S1",),
        checkov=("CKV_AWS_18",),
        awsguard=("s3-bucket-logging-enabled",),
    ),
    types=BUCKET_TYPES,
    description="Every bucket logs server access to a separate bucket.",
    remediation="Add aws.s3.BucketLogging with target_bucket=<the access-log bucket>; the access-log bucket itself "
    "needs "
    "a recorded exception (it cannot log into itself).",
    enforcement=ADVISORY,
)
def access_logging(stack: StackView, report: ReportViolation, _: Settings) -> None:
    buckets = stack.of_type(*BUCKET_TYPES)
    pairs = []  # (logging, logged bucket urn, target bucket urn or "")
    for log in stack.of_type(*LOGGING):
        for source in [b for b in buckets if stack.references(log, "bucket", b)]:
            target = stack.second_reference(log, "targetBucket", buckets, source)
            pairs.append((log, source.urn, target.urn if target else ""))
    for bucket in buckets:
        own = [p for p in pairs if p[1] == bucket.urn]
        receives = [p for p in pairs if p[2] == bucket.urn and p[1] != bucket.urn]
        if any(p[2] == bucket.urn for p in own):
            report(f"{label(bucket)} writes its access logs into itself (a logging loop).", bucket.urn)
        elif not own and receives:
            report(
                f"{label(bucket)} receives the access logs of {len(receives)} bucket(s) and has no access logging of "
                "its own (it cannot log into itself); record an exception or log it to a separate bucket.",
                bucket.urn,
            )
        elif not own:
            report(f"{label(bucket)} has no server access logging.", bucket.urn)


@StackRule(
    name="s3-bucket-tls-only",
    control=Control(
        id="C086",
        title="Deny requests without TLS",
        severity=Severity.MEDIUM,
        fsbp="S3.5",
        cdk_nag=("AwsSolutions-S10",),
        checkov=("CKV_AWS_379",),
    ),
    types=BUCKET_TYPES,
    description="Every bucket policy denies requests that do not use TLS.",
    remediation="Add a Deny statement for Principal '*' on the bucket and its objects with Condition Bool "
    "aws:SecureTransport 'false'.",
    enforcement=MANDATORY,
)
def tls_only(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        docs = [document(known(p.props, "policy")) for p in attached(stack, bucket, [POLICY])]
        if not any(denies_insecure_transport(d) for d in docs):
            report(
                f"{label(bucket)}: no bucket policy denies requests without TLS (aws:SecureTransport false).",
                bucket.urn,
            )


def _sse_rules(props: Any) -> list[Any]:
    return [get(r, "applyServerSideEncryptionByDefault") for r in items(get(props, "rules"))]


@ResourceRule(
    name="s3-default-encryption-kms",
    control=C087,
    types=SSE,
    description="Bucket default encryption uses a customer managed KMS key (SSE-S3 is recorded as not applicable and "
    "checked against the ALB exception).",
    remediation="Set apply_server_side_encryption_by_default sse_algorithm='aws:kms' with kms_master_key_id and "
    "bucket_key_enabled=True.",
    enforcement=MANDATORY,
    config={"requireCustomerManagedKey": boolean(True, "Require kmsMasterKeyId, not the AWS managed key.")},
)
def default_encryption_kms(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    defaults = [d for d in _sse_rules(args.props) if d is not None]
    if not defaults:
        report("No default encryption rule (applyServerSideEncryptionByDefault).")
        return
    algorithm = str(get(defaults[0], "sseAlgorithm", default=""))
    if algorithm == "AES256":
        args.not_applicable(
            "SSE-S3 (AES256): accepted only for buckets that receive ALB access logs, which ELB can write only to "
            "SSE-S3 buckets; policy s3-sse-s3-only-for-alb-access-logs checks that this bucket is one."
        )
    if not algorithm.startswith("aws:kms"):
        report(f"sseAlgorithm is {algorithm or '(none)'}; aws:kms is required.")
    elif settings["requireCustomerManagedKey"] and not get(defaults[0], "kmsMasterKeyId"):
        report("aws:kms without kmsMasterKeyId uses the AWS managed key; a customer managed key is required.")


@StackRule(
    name="s3-sse-s3-only-for-alb-access-logs",
    control=C087,
    types=BUCKET_TYPES,
    description="Every bucket has default encryption, and only buckets that receive ALB access logs use SSE-S3.",
    remediation="Add aws.s3.BucketServerSideEncryptionConfiguration; use SSE-KMS unless the bucket is an ALB "
    "access-log "
    "destination (ELB supports only SSE-S3 there).",
    enforcement=MANDATORY,
    url=ALB_LOGS_DOC,
)
def sse_s3_only_for_alb_logs(stack: StackView, report: ReportViolation, _: Settings) -> None:
    alb_logs = alb_log_buckets(stack)
    for bucket in stack.of_type(*BUCKET_TYPES):
        configs = attached(stack, bucket, SSE)
        if not configs:
            report(f"{label(bucket)} has no default encryption configuration.", bucket.urn)
            continue
        algorithms = {str(known(d, "sseAlgorithm") or "") for d in _sse_rules(configs[0].props) if d is not None}
        if "AES256" in algorithms and bucket.urn not in alb_logs:
            report(f"{label(bucket)} uses SSE-S3 but receives no ALB access logs: use SSE-KMS.", bucket.urn)


@StackRule(
    name="s3-bucket-versioning",
    control=Control(
        id="C088",
        title="Versioning enabled",
        severity=Severity.LOW,
        fsbp="S3.14",
        fsbp_status=FsbpStatus.NOT_FSBP,
        cdk_nag=("R5:S3BucketVersioningEnabled",),
        checkov=("CKV_AWS_21",),
    ),
    types=BUCKET_TYPES,
    description="Every bucket keeps object versions.",
    remediation="Add aws.s3.BucketVersioning with status 'Enabled'.",
    enforcement=ADVISORY,
)
def versioning(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        configs = attached(stack, bucket, VERSIONING)
        status = str(known(configs[0].props, "versioningConfiguration", "status") or "") if configs else ""
        if status != "Enabled":
            report(f"{label(bucket)}: versioning is {status or 'not configured'}.", bucket.urn)


@StackRule(
    name="s3-bucket-lifecycle",
    control=Control(
        id="C089",
        title="Lifecycle rules",
        severity=Severity.MEDIUM,
        fsbp="S3.13, S3.10",
        checkov=("CKV2_AWS_61", "CKV_AWS_300"),
    ),
    types=BUCKET_TYPES,
    description="Every bucket has lifecycle rules that end what it stores and abort incomplete uploads.",
    remediation="Add aws.s3.BucketLifecycleConfiguration with expiration, noncurrent version expiration and "
    "abort_incomplete_multipart_upload.",
    enforcement=ADVISORY,
)
def lifecycle(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        rules = [
            r
            for c in attached(stack, bucket, LIFECYCLE)
            for r in items(known(c.props, "rules"))
            if str(known(r, "status")) == "Enabled"
        ]
        if not rules:
            report(f"{label(bucket)} has no enabled lifecycle rule.", bucket.urn)
            continue
        ends = ("expiration", "transitions", "noncurrentVersionExpiration", "noncurrentVersionTransitions")
        if not any(known(r, k) for r in rules for k in ends):
            report(f"{label(bucket)}: no lifecycle rule expires or transitions objects.", bucket.urn)
        if not any(known(r, "abortIncompleteMultipartUpload") for r in rules):
            report(f"{label(bucket)}: no lifecycle rule aborts incomplete multipart uploads.", bucket.urn)


@ResourceRule(
    name="s3-acls-disabled",
    control=C090,
    types=[OWNERSHIP],
    inputs=("rule.objectOwnership",),
    description="Bucket ownership controls disable ACLs (BucketOwnerEnforced); kept ACLs are recorded as not "
    "applicable "
    "and checked against the CloudFront legacy logging exception.",
    remediation="Set rule.object_ownership='BucketOwnerEnforced', or use CloudFront standard logging v2 which needs no "
    "ACLs.",
    enforcement=MANDATORY,
)
def acls_disabled(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    ownership = str(get(args.props, "rule", "objectOwnership", default=""))
    if ownership == "BucketOwnerEnforced":
        return
    if ownership in ("BucketOwnerPreferred", "ObjectWriter"):
        args.not_applicable(
            f"objectOwnership {ownership} keeps ACLs enabled: accepted only for buckets that receive CloudFront "
            "standard logging (legacy), which needs ACLs; policy s3-acls-only-for-cloudfront-legacy-logs checks it."
        )
    report(f"objectOwnership is {ownership or '(none)'}; BucketOwnerEnforced disables ACLs.")


@StackRule(
    name="s3-acls-only-for-cloudfront-legacy-logs",
    control=C090,
    types=BUCKET_TYPES,
    description="Only buckets that receive CloudFront legacy standard logs keep ACLs enabled.",
    remediation="Set BucketOwnerEnforced on every other bucket.",
    enforcement=MANDATORY,
    url=f"{DOCS}/about-object-ownership.html",
)
def acls_only_for_cloudfront_logs(stack: StackView, report: ReportViolation, _: Settings) -> None:
    cloudfront_logs = cloudfront_legacy_log_buckets(stack)
    for bucket in stack.of_type(*BUCKET_TYPES):
        controls = attached(stack, bucket, [OWNERSHIP])
        ownership = str(known(controls[0].props, "rule", "objectOwnership") or "") if controls else ""
        acl_resources = attached(stack, bucket, ACL)
        acls_on = (controls and ownership != "BucketOwnerEnforced") or bool(acl_resources)
        if acls_on and bucket.urn not in cloudfront_logs:
            report(
                f"{label(bucket)} keeps ACLs enabled ({ownership or 'bucket ACL resource'}) but receives no "
                "CloudFront legacy logs.",
                bucket.urn,
            )


@ResourceRule(
    name="s3-no-public-acl-or-policy",
    control=Control(
        id="C091",
        title="No public read/write via ACL or policy",
        severity=Severity.CRITICAL,
        fsbp="S3.2, S3.3",
        cdk_nag=("AwsSolutions-S2",),
        checkov=("CKV_AWS_20", "CKV_AWS_57", "CKV_AWS_70"),
    ),
    types=[*BUCKET_TYPES, *ACL, POLICY],
    inputs=("acl", "accessControlPolicy.grants", "policy"),
    description="No bucket is readable or writable by everyone through an ACL or its policy.",
    remediation="Remove public canned ACLs and AllUsers/AuthenticatedUsers grants; give bucket policy statements "
    "specific principals or source conditions (CloudFront OAC: aws:SourceArn).",
    enforcement=MANDATORY,
)
def no_public_access(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    acl = get(args.props, "acl")
    if acl in PUBLIC_ACLS:
        report(f"The canned ACL {acl} makes the bucket's objects public.")
    for grant in items(get(args.props, "accessControlPolicy", "grants")):
        uri = str(get(grant, "grantee", "uri", default=""))
        if uri.endswith(("/global/AllUsers", "/global/AuthenticatedUsers")):
            report(f"An ACL grant gives {uri.rsplit('/', 1)[-1]} {get(grant, 'permission')}.")
    if args.resource_type == POLICY:
        for statement in statements(document(get(args.props, "policy"))):
            if (
                statement.get("Effect") == "Allow"
                and is_public_principal(statement)
                and not has_restricting_condition(statement)
            ):
                report(f"Statement {statement.get('Sid', '(no Sid)')} allows anyone: {', '.join(actions(statement))}.")


@ResourceRule(
    name="s3-no-cross-account-admin",
    control=Control(
        id="C092",
        title="Other accounts cannot change bucket policy or ACLs",
        severity=Severity.HIGH,
        fsbp="S3.6",
        checkov=("CKV_AWS_70",),
    ),
    types=[POLICY],
    inputs=("policy",),
    description="Bucket policies let no other principal change the bucket's policy, ACLs or protections.",
    remediation="Remove s3:* and policy/ACL-changing actions from statements that name non-service principals.",
    enforcement=MANDATORY,
)
def no_cross_account_admin(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for statement in statements(document(get(args.props, "policy"))):
        if statement.get("Effect") != "Allow":
            continue
        if not any(not p.startswith("Service:") for p in principals(statement)):
            continue
        risky = [a for a in actions(statement) if a in ("*", "s3:*") or action_matches(a, ADMIN_ACTIONS)]
        if risky:
            report(
                f"Statement {statement.get('Sid', '(no Sid)')} lets {', '.join(principals(statement))} "
                f"{', '.join(risky)} (policy/ACL changes)."
            )


@StackRule(
    name="s3-bucket-event-notifications",
    control=Control(
        id="C093",
        title="Event notifications configured",
        severity=Severity.MEDIUM,
        fsbp="S3.11",
        checkov=("CKV2_AWS_62",),
    ),
    types=BUCKET_TYPES,
    description="Buckets send event notifications.",
    remediation="Add aws.s3.BucketNotification (for example EventBridge) for object-level events.",
    enforcement=ADVISORY,
)
def notifications(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        if not attached(stack, bucket, [NOTIFICATION]):
            report(f"{label(bucket)} sends no event notifications.", bucket.urn)


@StackRule(
    name="s3-bucket-object-lock",
    control=Control(
        id="C094",
        title="Object Lock enabled",
        severity=Severity.MEDIUM,
        fsbp="S3.15",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_143",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=BUCKET_TYPES,
    description="Buckets lock their objects (WORM) for the retention period.",
    remediation="Create the bucket with object_lock_enabled=True and add aws.s3.BucketObjectLockConfiguration.",
    enforcement=ADVISORY,
    url=f"{DOCS}/object-lock.html",
)
def object_lock(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        enabled = is_true(known(bucket.props, "objectLockEnabled")) or bool(attached(stack, bucket, OBJECT_LOCK))
        if not enabled:
            report(f"{label(bucket)} has no Object Lock.", bucket.urn)


@StackRule(
    name="s3-bucket-replication",
    control=Control(
        id="C095",
        title="Cross-Region replication",
        severity=Severity.LOW,
        fsbp="S3.7",
        fsbp_status=FsbpStatus.NOT_FSBP,
        cdk_nag=("R5:S3BucketReplicationEnabled",),
        checkov=("CKV_AWS_144",),
    ),
    types=BUCKET_TYPES,
    description="Buckets replicate to another Region.",
    remediation="Add aws.s3.BucketReplicationConfig to a bucket in the disaster-recovery Region.",
    enforcement=ADVISORY,
)
def replication(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for bucket in stack.of_type(*BUCKET_TYPES):
        if not attached(stack, bucket, [REPLICATION]):
            report(f"{label(bucket)} is not replicated to another Region.", bucket.urn)


POLICIES: list[Policy] = declared(__name__)
