"""An S3 bucket that is private, TLS-only, encrypted, versioned and expires what it stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws, iam
from components.base import PlatformComponent


@dataclass(frozen=True)
class SecureBucketArgs:
    purpose: str
    tags: Mapping[str, str]
    expire_after_days: int
    # None means SSE-S3 (AES256): the only option for ALB access logs, which cannot write to SSE-KMS buckets.
    kms_key_arn: pulumi.Input[str] | None = None
    # Extra bucket-policy statements (service log delivery, CloudFront OAC reads); `{bucket_arn}` is filled in.
    policy_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    access_log_bucket: pulumi.Input[str] | None = None
    protect: bool = False


class SecureBucket(PlatformComponent):
    """Public access blocked four ways, ACLs disabled, a policy that denies plain HTTP, versioning and a
    lifecycle that ends what the bucket keeps: the defaults every platform bucket needs."""

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    policy: aws.s3.BucketPolicy
    encryption: aws.s3.BucketServerSideEncryptionConfiguration

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("storage", name, args.tags, opts)
        # S3 deletes only empty buckets; these hold logs (and their old versions). An unprotected (staging)
        # bucket is emptied on destroy so that a stack teardown completes; a protected one never is.
        self.bucket = aws.s3.Bucket(
            name, force_destroy=not args.protect, tags=self.tags_for(), opts=self.child(protect=args.protect)
        )
        bucket_id = self.bucket.id
        block = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self.child(),
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self.child(),
        )
        default: dict[str, Any] = (
            {"sse_algorithm": "AES256"}
            if args.kms_key_arn is None
            else {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket_id,
            rules=[_sse_rule(default, bucket_key=args.kms_key_arn is not None)],
            opts=self.child(),
        )
        versioning = aws.s3.BucketVersioning(
            name, bucket=bucket_id, versioning_configuration={"status": "Enabled"}, opts=self.child()
        )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket_id,
            rules=[
                {
                    "id": "expire-objects",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": args.expire_after_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=self.child(depends_on=[versioning]),
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                name,
                bucket=bucket_id,
                target_bucket=args.access_log_bucket,
                target_prefix=f"s3/{name}/",
                opts=self.child(),
            )
        arn = self.bucket.arn
        statements: list[Mapping[str, Any]] = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, arn.apply(lambda a: f"{a}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            *(_fill(statement, arn) for statement in args.policy_statements),
        ]
        self.policy = aws.s3.BucketPolicy(
            name, bucket=bucket_id, policy=iam.document(statements), opts=self.child(depends_on=[block])
        )
        self.bucket_name = self.bucket.bucket
        self.arn = arn
        self.regional_domain_name = self.bucket.bucket_regional_domain_name
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})


def _fill(statement: Mapping[str, Any], arn: pulumi.Output[str]) -> dict[str, Any]:
    """Replace `{bucket_arn}` in a statement's Resource with the bucket's ARN."""

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and "{bucket_arn}" in value:
            template: str = value
            return arn.apply(lambda a: template.replace("{bucket_arn}", a))
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return {key: resolve(value) for key, value in statement.items()}


def _sse_rule(default: dict[str, Any], *, bucket_key: bool) -> Any:
    return {"apply_server_side_encryption_by_default": default, "bucket_key_enabled": bucket_key}
