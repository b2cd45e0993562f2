"""CloudFront in front of the load balancer: TLS at the edge, locked origin, caching, headers, logs, DNS."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi

from components import aws
from components.base import AwsContext, PlatformComponent
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, ServiceGrant
from components.logs import LogClass, LogSettings, encrypted_log_group
from components.secure_bucket import SecureBucket, SecureBucketArgs

ALB_ORIGIN = "alb"
PAGE_ORIGIN = "maintenance-page"
MAINTENANCE_PATH = "/maintenance/*"
MAINTENANCE_PAGE = "/maintenance/index.html"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # every CloudFront distribution's hosted zone (Route 53 alias target)
ONE_YEAR = 31_536_000


@dataclass(frozen=True)
class ManagedPolicies:
    """AWS managed cache/origin-request policy ids, looked up by name by the caller."""

    caching_disabled: pulumi.Input[str]
    caching_optimized: pulumi.Input[str]
    all_viewer: pulumi.Input[str]


@dataclass(frozen=True)
class CdnArgs:
    tags: Mapping[str, str]
    domain: str
    certificate_arn: pulumi.Input[str]
    origin_domain: pulumi.Input[str]
    load_balancer_arn: pulumi.Input[str]
    origin_mode: Literal["vpcOrigin", "publicAlb"]
    policies: ManagedPolicies
    price_class: str
    stack_region: str
    logs: LogSettings
    maintenance_page: Path
    # Where the page bucket and its key live (us-east-1, with the rest of the edge).
    context: AwsContext
    content_key_alias: str
    origin_shield: bool = False
    web_acl_arn: pulumi.Input[str] | None = None
    origin_header: tuple[str, pulumi.Input[str]] | None = None
    static_paths: Sequence[str] = field(default_factory=tuple)
    hosted_zone_id: str | None = None
    error_caching_seconds: int = 10
    protect: bool = False


class Cdn(PlatformComponent):
    """All public traffic enters here. In `vpcOrigin` mode the ALB has no public address at all; in
    `publicAlb` mode it answers only requests carrying the secret origin header."""

    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    domain_name: pulumi.Output[str]
    public_url: str
    vpc_origin_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cdn", name, args.tags, opts)
        self.public_url = f"https://{args.domain}"
        headers = self._response_headers(name)
        # The page bucket's policy names this distribution, which needs the bucket first: resolve it later.
        distribution_arn: pulumi.Output[str]
        resolve_distribution_arn: Callable[[pulumi.Output[str]], None]
        distribution_arn, resolve_distribution_arn = pulumi.deferred_output()
        page_bucket, oac = self._maintenance_origin(name, args, distribution_arn)

        origin: Any = {"origin_id": ALB_ORIGIN, "domain_name": args.origin_domain}
        self.vpc_origin_id = None
        if args.origin_mode == "vpcOrigin":
            vpc_origin = aws.cloudfront.VpcOrigin(
                name,
                vpc_origin_endpoint_config={
                    "name": _unique_name(args.domain, "alb"),
                    "arn": args.load_balancer_arn,
                    "http_port": 80,
                    "https_port": 443,
                    "origin_protocol_policy": "https-only",
                    "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},
                },
                tags=self.tags_for("vpc-origin"),
                opts=self.child(),
            )
            self.vpc_origin_id = vpc_origin.id
            origin["vpc_origin_config"] = {
                "vpc_origin_id": vpc_origin.id,
                "origin_keepalive_timeout": 5,
                "origin_read_timeout": 30,
            }
        else:
            origin["custom_origin_config"] = {
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": ["TLSv1.2"],
                "origin_keepalive_timeout": 5,
                "origin_read_timeout": 30,
            }
        if args.origin_header is not None:
            origin["custom_headers"] = [{"name": args.origin_header[0], "value": args.origin_header[1]}]
        if args.origin_shield:
            origin["origin_shield"] = {"enabled": True, "origin_shield_region": args.stack_region}

        static_behaviors: list[Any] = [
            {
                "path_pattern": path,
                "target_origin_id": ALB_ORIGIN,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": args.policies.caching_optimized,
                "origin_request_policy_id": args.policies.all_viewer,
                "response_headers_policy_id": headers.id,
                "compress": True,
            }
            for path in args.static_paths
        ]
        page_behavior: Any = {
            "path_pattern": MAINTENANCE_PATH,
            "target_origin_id": PAGE_ORIGIN,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD"],
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": args.policies.caching_optimized,
            "response_headers_policy_id": headers.id,
            "compress": True,
        }
        distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=f"{args.domain}: API behind CloudFront",
            aliases=[args.domain],
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=args.price_class,
            web_acl_id=args.web_acl_arn,
            origins=[
                origin,
                {
                    "origin_id": PAGE_ORIGIN,
                    "domain_name": page_bucket.regional_domain_name,
                    "origin_access_control_id": oac.id,
                    "s3_origin_config": {"origin_access_identity": ""},
                },
            ],
            default_cache_behavior={
                "target_origin_id": ALB_ORIGIN,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ALL_METHODS,
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": args.policies.caching_disabled,
                "origin_request_policy_id": args.policies.all_viewer,
                "response_headers_policy_id": headers.id,
                "compress": True,
            },
            ordered_cache_behaviors=[page_behavior, *static_behaviors],
            # During an outage users get a page instead of a raw 502/503/504, re-checked every few seconds.
            custom_error_responses=[
                {
                    "error_code": code,
                    "response_code": 503,
                    "response_page_path": MAINTENANCE_PAGE,
                    "error_caching_min_ttl": args.error_caching_seconds,
                }
                for code in (502, 503, 504)
            ],
            restrictions={"geo_restriction": {"restriction_type": "none", "locations": []}},
            viewer_certificate={
                "acm_certificate_arn": args.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
            wait_for_deployment=False,
            retain_on_delete=False,
            tags=self.tags_for(),
            opts=self.child(),
        )
        resolve_distribution_arn(distribution.arn)
        self._access_logs(name, args, distribution)
        if args.hosted_zone_id is not None:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-{record_type.lower()}",
                    zone_id=args.hosted_zone_id,
                    name=args.domain,
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": CLOUDFRONT_ZONE_ID,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=self.child(),
                )
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.domain_name = distribution.domain_name
        self.register_outputs({"distribution_id": self.distribution_id, "domain_name": self.domain_name})

    def _response_headers(self, name: str) -> aws.cloudfront.ResponseHeadersPolicy:
        return aws.cloudfront.ResponseHeadersPolicy(
            name,
            comment="Security headers on every response",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": ONE_YEAR,
                    "include_subdomains": True,
                    "preload": False,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
            },
            opts=self.child(),
        )

    def _maintenance_origin(
        self, name: str, args: CdnArgs, distribution_arn: pulumi.Output[str]
    ) -> tuple[SecureBucket, aws.cloudfront.OriginAccessControl]:
        """A private, KMS-encrypted bucket holding the outage page, readable only by this distribution (OAC,
        SigV4): the bucket policy and the key policy both name the distribution."""
        key = EncryptionKey(
            f"{name}-content",
            EncryptionKeyArgs(
                purpose="Maintenance page encryption (read by CloudFront through OAC)",
                alias=args.content_key_alias,
                context=args.context,
                tags=args.tags,
                service_grants=[
                    ServiceGrant(
                        service="cloudfront.amazonaws.com",
                        actions=("kms:Decrypt",),
                        conditions={"StringEquals": {"AWS:SourceArn": distribution_arn}},
                    )
                ],
                protect=args.protect,
            ),
            opts=self.child(),
        )
        bucket = SecureBucket(
            f"{name}-page",
            SecureBucketArgs(
                purpose="Maintenance page served by CloudFront during outages",
                tags=args.tags,
                expire_after_days=3650,
                kms_key_arn=key.key_arn,
                policy_statements=[
                    {
                        "Sid": "CloudFrontReadsPage",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": "{bucket_arn}/maintenance/*",
                        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                    }
                ],
                protect=args.protect,
            ),
            opts=self.child(),
        )
        aws.s3.BucketObjectv2(
            f"{name}-page",
            bucket=bucket.bucket_name,
            key=MAINTENANCE_PAGE.lstrip("/"),
            content=args.maintenance_page.read_text(),
            content_type="text/html; charset=utf-8",
            cache_control="max-age=60",
            tags=self.tags_for("page"),
            # Uploaded after default encryption is set, so the object is encrypted with the content key.
            opts=self.child(depends_on=[bucket.encryption]),
        )
        oac = aws.cloudfront.OriginAccessControl(
            name,
            name=_unique_name(args.domain, "page"),
            description="CloudFront reads the maintenance page bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self.child(),
        )
        return bucket, oac

    def _access_logs(self, name: str, args: CdnArgs, distribution: aws.cloudfront.Distribution) -> None:
        """Standard logging v2 (vended logs to CloudWatch Logs): no S3 ACLs needed, unlike legacy logging."""
        group = encrypted_log_group(
            f"{name}-access-logs",
            logs=args.logs,
            log_class=LogClass.SECURITY,
            tags=self.tags_for("access-logs"),
            parent=self,
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-logs",
            name=pulumi.Output.concat(name, "-", distribution.id),
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            tags=self.tags_for("access-logs"),
            opts=self.child(),
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-logs",
            name=pulumi.Output.concat(name, "-", distribution.id, "-cwl"),
            output_format="json",
            delivery_destination_configuration={"destination_resource_arn": group.arn},
            tags=self.tags_for("access-logs"),
            opts=self.child(),
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-logs",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            tags=self.tags_for("access-logs"),
            opts=self.child(),
        )


def _unique_name(domain: str, suffix: str) -> str:
    """CloudFront names (VPC origins, origin access controls) are unique per account, not per stack: derive
    them from the stack's domain so staging and production can share an account."""
    return f"{domain.replace('.', '-')}-{suffix}"[-64:]
