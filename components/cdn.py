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
    """ID of `Managed-CachingDisabled`: the API's default behaviour, never cached."""
    caching_optimized: pulumi.Input[str]
    """ID of `Managed-CachingOptimized`: static paths and the maintenance page."""
    all_viewer: pulumi.Input[str]
    """ID of the `Managed-AllViewer` origin request policy: every header, cookie and query string reaches the
    origin, as the application expects behind a proxy."""


@dataclass(frozen=True)
class CdnArgs:
    """Arguments of `Cdn`."""

    tags: Mapping[str, str]
    """Tags on every taggable child; required."""
    domain: str
    """The public domain name (distribution alias, DNS records), e.g. `app.example.com`; required."""
    certificate_arn: pulumi.Input[str]
    """ARN of an issued ACM certificate for `domain` in us-east-1 (CloudFront's rule); required."""
    origin_domain: pulumi.Input[str]
    """DNS name of the load balancer CloudFront connects to over HTTPS; required."""
    load_balancer_arn: pulumi.Input[str]
    """ARN of the load balancer, the VPC origin's endpoint (`vpcOrigin` mode); required."""
    origin_mode: Literal["vpcOrigin", "publicAlb"]
    """`vpcOrigin`: CloudFront reaches an internal ALB through a VPC origin, the ALB has no public address;
    `publicAlb`: an internet-facing ALB that answers only requests with `origin_header`; required."""
    policies: ManagedPolicies
    """IDs of the AWS managed cache and origin-request policies; required (looked up by the program)."""
    price_class: str
    """CloudFront price class (`PriceClass_100`, `PriceClass_200`, `PriceClass_All`): which edge locations serve;
    required, a cost-versus-latency choice."""
    stack_region: str
    """The stack's Region: where Origin Shield sits, next to the origin; required."""
    logs: LogSettings
    """Key and retention of the access-log group (kept as a security log); required."""
    maintenance_page: Path
    """Path of the HTML file served with a 503 while the origin fails; required."""
    context: AwsContext
    """Account and Region of the page bucket and its key (us-east-1, with the rest of the edge); required."""
    content_key_alias: str
    """Alias of the key that encrypts the maintenance page (`alias/...`); required."""
    origin_shield: bool = False
    """Whether to add Origin Shield in `stack_region`; default False: it adds a per-request charge and pays off
    only with cacheable traffic at many edges."""
    web_acl_arn: pulumi.Input[str] | None = None
    """ARN of the WAF web ACL (CLOUDFRONT scope) attached to the distribution; default None = no WAF (the
    program always passes one; the policy pack requires it)."""
    origin_header: tuple[str, pulumi.Input[str]] | None = None
    """(name, secret value) of the header CloudFront adds to origin requests; default None. Needed in
    `publicAlb` mode, where the ALB rejects requests without it."""
    static_paths: Sequence[str] = field(default_factory=tuple)
    """Path patterns cached at the edge (e.g. `/static/*`); default none: an API is not cacheable unless said."""
    hosted_zone_id: str | None = None
    """Route 53 hosted zone for the A/AAAA alias records of `domain`; default None = DNS managed elsewhere."""
    error_caching_seconds: int = 10
    """Seconds CloudFront caches a 502/503/504 (and serves the maintenance page) before asking the origin
    again; default 10: a recovering origin is seen quickly, yet a failing one is not hammered."""
    protect: bool = False
    """Pulumi `protect` on the page key and bucket; default False (staging); production protects them."""


class Cdn(PlatformComponent):
    """All public traffic enters here. In `vpcOrigin` mode the ALB has no public address at all; in
    `publicAlb` mode it answers only requests carrying the secret origin header."""

    distribution: aws.cloudfront.Distribution
    """The CloudFront distribution (escape hatch)."""
    distribution_id: pulumi.Output[str]
    """The distribution's ID (invalidations, metrics)."""
    distribution_arn: pulumi.Output[str]
    """The distribution's ARN (the page bucket and key policies name it)."""
    domain_name: pulumi.Output[str]
    """The distribution's `*.cloudfront.net` domain name (alias target)."""
    public_url: str
    """`https://<domain>`: where users reach the service."""
    vpc_origin: aws.cloudfront.VpcOrigin | None
    """The VPC origin to the internal ALB (escape hatch); None in `publicAlb` mode."""
    vpc_origin_id: pulumi.Output[str] | None
    """The VPC origin's ID; None in `publicAlb` mode."""
    page_bucket: SecureBucket
    """The bucket holding the maintenance page (escape hatch)."""
    response_headers_policy: aws.cloudfront.ResponseHeadersPolicy
    """The security-headers policy on every behaviour (escape hatch)."""
    access_log_group: aws.cloudwatch.LogGroup
    """The log group receiving the distribution's access logs (escape hatch)."""

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cdn", name, args.tags, opts)
        self.public_url = f"https://{args.domain}"
        self.response_headers_policy = self._response_headers(name)
        # The page bucket's policy names this distribution, which needs the bucket first: resolve it later.
        distribution_arn: pulumi.Output[str]
        resolve_distribution_arn: Callable[[pulumi.Output[str]], None]
        distribution_arn, resolve_distribution_arn = pulumi.deferred_output()
        self.page_bucket, oac = self._maintenance_origin(name, args, distribution_arn)
        self.vpc_origin = self._vpc_origin(name, args) if args.origin_mode == "vpcOrigin" else None
        page_origin = {
            "origin_id": PAGE_ORIGIN,
            "domain_name": self.page_bucket.regional_domain_name,
            "origin_access_control_id": oac.id,
            "s3_origin_config": {"origin_access_identity": ""},
        }
        self.distribution = self._distribution(
            name, args, [_alb_origin(args, self.vpc_origin), page_origin], self.response_headers_policy.id
        )
        resolve_distribution_arn(self.distribution.arn)
        self.access_log_group = self._access_logs(name, args, self.distribution)
        if args.hosted_zone_id is not None:
            self._dns_records(name, args.hosted_zone_id, args.domain, self.distribution)
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.domain_name = self.distribution.domain_name
        self.vpc_origin_id = self.vpc_origin.id if self.vpc_origin is not None else None
        self.register_declared_outputs()

    def _vpc_origin(self, name: str, args: CdnArgs) -> aws.cloudfront.VpcOrigin:
        return aws.cloudfront.VpcOrigin(
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

    def _distribution(
        self, name: str, args: CdnArgs, origins: list[Any], headers_policy_id: pulumi.Output[str]
    ) -> aws.cloudfront.Distribution:
        default_behavior, ordered_behaviors = _behaviors(args, headers_policy_id)
        return aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=f"{args.domain}: API behind CloudFront",
            aliases=[args.domain],
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=args.price_class,
            web_acl_id=args.web_acl_arn,
            origins=origins,
            default_cache_behavior=default_behavior,
            ordered_cache_behaviors=ordered_behaviors,
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

    def _dns_records(
        self, name: str, hosted_zone_id: str, domain: str, distribution: aws.cloudfront.Distribution
    ) -> None:
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-{record_type.lower()}",
                zone_id=hosted_zone_id,
                name=domain,
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

    def _content_key(self, name: str, args: CdnArgs, distribution_arn: pulumi.Output[str]) -> EncryptionKey:
        """The page's key: CloudFront may decrypt with it only for this distribution."""
        return EncryptionKey(
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

    def _maintenance_origin(
        self, name: str, args: CdnArgs, distribution_arn: pulumi.Output[str]
    ) -> tuple[SecureBucket, aws.cloudfront.OriginAccessControl]:
        """A private, KMS-encrypted bucket holding the outage page, readable only by this distribution (OAC,
        SigV4): the bucket policy and the key policy both name the distribution."""
        key = self._content_key(name, args, distribution_arn)
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

    def _access_logs(
        self, name: str, args: CdnArgs, distribution: aws.cloudfront.Distribution
    ) -> aws.cloudwatch.LogGroup:
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
        return group


def _alb_origin(args: CdnArgs, vpc_origin: aws.cloudfront.VpcOrigin | None) -> Any:
    """The load balancer as origin: through the VPC origin, or over the internet (HTTPS only, TLS 1.2)."""
    origin: Any = {"origin_id": ALB_ORIGIN, "domain_name": args.origin_domain}
    if vpc_origin is not None:
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
    return origin


def _behaviors(args: CdnArgs, headers_policy_id: pulumi.Output[str]) -> tuple[Any, list[Any]]:
    """The default behaviour (the API: every method, never cached) and the ordered ones: the maintenance page,
    then the cached static paths."""
    default = {
        "target_origin_id": ALB_ORIGIN,
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ALL_METHODS,
        "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": args.policies.caching_disabled,
        "origin_request_policy_id": args.policies.all_viewer,
        "response_headers_policy_id": headers_policy_id,
        "compress": True,
    }
    page = {
        "path_pattern": MAINTENANCE_PATH,
        "target_origin_id": PAGE_ORIGIN,
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ["GET", "HEAD"],
        "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": args.policies.caching_optimized,
        "response_headers_policy_id": headers_policy_id,
        "compress": True,
    }
    static = [
        {
            "path_pattern": path,
            "target_origin_id": ALB_ORIGIN,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD", "OPTIONS"],
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": args.policies.caching_optimized,
            "origin_request_policy_id": args.policies.all_viewer,
            "response_headers_policy_id": headers_policy_id,
            "compress": True,
        }
        for path in args.static_paths
    ]
    return default, [page, *static]


def _unique_name(domain: str, suffix: str) -> str:
    """CloudFront names (VPC origins, origin access controls) are unique per account, not per stack: derive
    them from the stack's domain so staging and production can share an account."""
    return f"{domain.replace('.', '-')}-{suffix}"[-64:]
