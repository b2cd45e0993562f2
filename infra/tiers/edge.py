"""Edge tier: CloudFront (with its certificate, WAF and logs in us-east-1) in front of the load balancer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components import aws
from components.app_secrets import AppSecrets, AppSecretsArgs, AppSecretSpec
from components.cdn import Cdn, CdnArgs, ManagedPolicies
from components.certificate import Certificate, CertificateArgs
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, logs_grant
from components.load_balancer import OriginHeader
from components.web_firewall import WebFirewall, WebFirewallArgs
from infra.config import PROJECT
from infra.stack import StackContext
from infra.tiers.services import ServiceTier

# CloudFront's certificate, WAF scope CLOUDFRONT and vended-log sources all live in us-east-1.
EDGE_REGION = "us-east-1"
VPC_ORIGIN_SECURITY_GROUP = "CloudFront-VPCOrigins-Service-SG"
ORIGIN_HEADER = "X-Origin-Verify"
MAINTENANCE_PAGE = Path(__file__).resolve().parent.parent / "assets" / "maintenance.html"


@dataclass(frozen=True)
class EdgeTier:
    """What the edge tier built, for the observability tier and the stack outputs."""

    cdn: Cdn
    """The CloudFront distribution and its maintenance page."""
    firewall: WebFirewall | None
    """The WAF web ACL; None when `edge.wafEnabled` is false."""
    logs_key: EncryptionKey
    """The key of the edge's log groups (us-east-1)."""

    def exports(self) -> dict[str, pulumi.Input[object]]:
        return {
            "publicUrl": self.cdn.public_url,
            "healthUrl": f"{self.cdn.public_url}/health",
            "distributionId": self.cdn.distribution_id,
            "distributionDomain": self.cdn.domain_name,
        }


def origin_header(stack: StackContext, secrets_kms_key_arn: pulumi.Input[str]) -> OriginHeader | None:
    """In `publicAlb` mode: a generated secret CloudFront sends and the ALB requires (kept in Secrets Manager).

    Rotation: put a new value with `pulumi config set --secret --path app-platform:secrets.originVerify`
    is not supported for this one on purpose; delete the secret version's value in Secrets Manager and run
    `pulumi up` twice (CloudFront and the ALB rule follow the stored value), see docs/runbooks.
    """
    if stack.config.edge.origin_mode != "publicAlb":
        return None
    secrets = AppSecrets(
        "edge-origin",
        AppSecretsArgs(
            path_prefix=f"{PROJECT}/{stack.env}/edge",
            secrets={
                "originVerify": AppSecretSpec(description=f"{ORIGIN_HEADER}: proves a request came via CloudFront")
            },
            kms_key_arn=secrets_kms_key_arn,
            tags=stack.tags,
            protect=stack.is_production,
        ),
        stack.opts(),
    )
    return OriginHeader(name=ORIGIN_HEADER, value=secrets.current_value("originVerify"))


def compose(stack: StackContext, services: ServiceTier) -> EdgeTier:
    logs_key = _logs_key(stack)
    certificate = _certificate(stack)
    firewall = _firewall(stack, logs_key) if stack.config.edge.waf_enabled else None
    cdn = _cdn(stack, services, logs_key=logs_key, certificate=certificate, firewall=firewall)
    if stack.config.edge.origin_mode == "vpcOrigin":
        _admit_vpc_origin(stack, services, cdn)
    return EdgeTier(cdn=cdn, firewall=firewall, logs_key=logs_key)


def _logs_key(stack: StackContext) -> EncryptionKey:
    edge_context = stack.context_for(EDGE_REGION)
    return EncryptionKey(
        "edge-logs",
        EncryptionKeyArgs(
            purpose="Edge log encryption (WAF and CloudFront logs, us-east-1)",
            alias=f"alias/{PROJECT}-{stack.env}-edge-logs",
            context=edge_context,
            tags=stack.tags,
            service_grants=[logs_grant(edge_context)],
            protect=stack.is_production,
        ),
        stack.opts(region=EDGE_REGION),
    )


def _certificate(stack: StackContext) -> Certificate:
    """CloudFront's certificate, in us-east-1: DNS-validated in the zone, or the configured ARN."""
    config = stack.config
    return Certificate(
        "edge-certificate",
        CertificateArgs(
            domain=config.domain,
            tags=stack.tags,
            hosted_zone_id=config.tls.hosted_zone_id,
            imported_arn=config.edge.certificate_arn,
            # The load balancer's DNS-validated certificate already publishes the (shared) validation record.
            manage_validation_records=not (config.tls.https and config.tls.certificate_arn is None),
        ),
        stack.opts(region=EDGE_REGION),
    )


def _firewall(stack: StackContext, logs_key: EncryptionKey) -> WebFirewall:
    edge = stack.config.edge
    return WebFirewall(
        "edge-waf",
        WebFirewallArgs(
            tags=stack.tags,
            rate_limit_per_ip=edge.rate_limit_per_ip,
            logs=stack.log_settings(logs_key.key_arn),
            log_group_name=f"aws-waf-logs-{PROJECT}-{stack.env}",
            max_body_kb=edge.waf_max_request_body_kb,
        ),
        stack.opts(region=EDGE_REGION),
    )


def _managed_policies(stack: StackContext) -> ManagedPolicies:
    """The AWS managed cache and origin-request policies, looked up by name in us-east-1."""
    invoke = pulumi.InvokeOutputOptions(provider=stack.provider_for(EDGE_REGION))
    return ManagedPolicies(
        caching_disabled=aws.cloudfront.get_cache_policy_output(name="Managed-CachingDisabled", opts=invoke).id,
        caching_optimized=aws.cloudfront.get_cache_policy_output(name="Managed-CachingOptimized", opts=invoke).id,
        all_viewer=aws.cloudfront.get_origin_request_policy_output(name="Managed-AllViewer", opts=invoke).id,
    )


def _cdn(
    stack: StackContext,
    services: ServiceTier,
    *,
    logs_key: EncryptionKey,
    certificate: Certificate,
    firewall: WebFirewall | None,
) -> Cdn:
    config, edge = stack.config, stack.config.edge
    header = services.origin_header
    return Cdn(
        "cdn",
        CdnArgs(
            tags=stack.tags,
            domain=config.domain,
            certificate_arn=certificate.arn,
            origin_domain=services.load_balancer.dns_name,
            load_balancer_arn=services.load_balancer.arn,
            origin_mode=edge.origin_mode,
            policies=_managed_policies(stack),
            price_class=edge.price_class,
            stack_region=config.region,
            logs=stack.log_settings(logs_key.key_arn),
            maintenance_page=MAINTENANCE_PAGE,
            context=stack.context_for(EDGE_REGION),
            content_key_alias=f"alias/{PROJECT}-{stack.env}-edge-content",
            origin_shield=edge.origin_shield,
            web_acl_arn=firewall.arn if firewall else None,
            origin_header=(header.name, header.value) if header else None,
            static_paths=edge.static_paths,
            hosted_zone_id=config.tls.hosted_zone_id,
            error_caching_seconds=edge.error_caching_seconds,
            protect=stack.is_production,
        ),
        stack.opts(region=EDGE_REGION),
    )


def _admit_vpc_origin(stack: StackContext, services: ServiceTier, cdn: Cdn) -> None:
    """CloudFront creates this group in our VPC with the VPC origin; only it may reach the internal ALB."""
    filters: Any = [
        {"name": "group-name", "values": [VPC_ORIGIN_SECURITY_GROUP]},
        {"name": "vpc-id", "values": [services.vpc_id]},
    ]
    origin_group = aws.ec2.get_security_group_output(
        filters=filters,
        opts=pulumi.InvokeOutputOptions(provider=stack.provider, depends_on=[cdn]),
    )
    services.load_balancer.allow_from_security_group(
        "vpc-origin", origin_group.id, "HTTPS from the CloudFront VPC origin only"
    )
