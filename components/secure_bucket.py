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
    """Arguments of `SecureBucket`."""

    purpose: str
    """What the bucket holds, in words (e.g. `ALB access logs`); required."""
    tags: Mapping[str, str]
    """Tags on the bucket; required, the platform's mandatory tag set."""
    expire_after_days: int
    """Days after which current objects expire (noncurrent versions after 7 more); required, because every
    platform bucket holds logs or artefacts that must not be kept forever by accident."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key for SSE-KMS (with an S3 bucket key); default None = SSE-S3 (AES256), the only
    option for ALB access logs, which cannot be written to SSE-KMS buckets."""
    policy_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    """Extra bucket-policy statements (service log delivery, CloudFront OAC reads), `{bucket_arn}` filled in;
    default none: only the deny-plain-HTTP statement."""
    access_log_bucket: pulumi.Input[str] | None = None
    """Name of the bucket that receives this bucket's S3 server access logs (prefix `s3/<name>/`); default None
    = not logged (a log bucket does not log into itself)."""
    protect: bool = False
    """Pulumi `protect` on the bucket; default False (staging: emptied and deleted on destroy); production
    protects it and never empties it."""


class SecureBucket(PlatformComponent):
    """Public access blocked four ways, ACLs disabled, a policy that denies plain HTTP, versioning and a
    lifecycle that ends what the bucket keeps: the defaults every platform bucket needs."""

    bucket: aws.s3.Bucket
    """The S3 bucket (escape hatch)."""
    bucket_name: pulumi.Output[str]
    """The bucket's name (auto-named)."""
    arn: pulumi.Output[str]
    """The bucket's ARN."""
    regional_domain_name: pulumi.Output[str]
    """The bucket's regional domain name (what a CloudFront S3 origin names)."""
    public_access_block: aws.s3.BucketPublicAccessBlock
    """The four-way public access block (escape hatch)."""
    versioning: aws.s3.BucketVersioning
    """The bucket's versioning configuration (escape hatch)."""
    policy: aws.s3.BucketPolicy
    """The bucket policy: deny plain HTTP plus `policy_statements` (escape hatch)."""
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    """The default-encryption configuration (escape hatch)."""

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("storage", name, args.tags, opts)
        # S3 deletes only empty buckets; these hold logs (and their old versions). An unprotected (staging)
        # bucket is emptied on destroy so that a stack teardown completes; a protected one never is.
        self.bucket = aws.s3.Bucket(
            name, force_destroy=not args.protect, tags=self.tags_for(), opts=self.child(protect=args.protect)
        )
        self.public_access_block = self._private(name, self.bucket.id)
        self.encryption = self._encryption(name, self.bucket.id, args.kms_key_arn)
        self.versioning = self._retention(name, self.bucket.id, args)
        self.policy = self._policy(name, self.bucket, self.public_access_block, args.policy_statements)
        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.regional_domain_name = self.bucket.bucket_regional_domain_name
        self.register_declared_outputs()

    def _private(self, name: str, bucket_id: pulumi.Output[str]) -> aws.s3.BucketPublicAccessBlock:
        """Public access blocked four ways and ACLs disabled (the bucket owner owns every object)."""
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
        return block

    def _encryption(
        self, name: str, bucket_id: pulumi.Output[str], kms_key_arn: pulumi.Input[str] | None
    ) -> aws.s3.BucketServerSideEncryptionConfiguration:
        default: dict[str, Any] = (
            {"sse_algorithm": "AES256"}
            if kms_key_arn is None
            else {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
        )
        return aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket_id,
            rules=[_sse_rule(default, bucket_key=kms_key_arn is not None)],
            opts=self.child(),
        )

    def _retention(self, name: str, bucket_id: pulumi.Output[str], args: SecureBucketArgs) -> aws.s3.BucketVersioning:
        """Versioning, a lifecycle that ends what the bucket keeps, and (optionally) server access logging."""
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
        return versioning

    def _policy(
        self,
        name: str,
        bucket: aws.s3.Bucket,
        block: aws.s3.BucketPublicAccessBlock,
        extra: Sequence[Mapping[str, Any]],
    ) -> aws.s3.BucketPolicy:
        """Deny plain HTTP to everyone, plus the caller's statements; after the public access block, which
        S3 checks the policy against."""
        arn = bucket.arn
        statements: list[Mapping[str, Any]] = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, arn.apply(lambda a: f"{a}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            *(_fill(statement, arn) for statement in extra),
        ]
        return aws.s3.BucketPolicy(
            name,
            bucket=bucket.id,
            policy=iam.document(statements),
            opts=self.child(depends_on=[block]),
        )


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
