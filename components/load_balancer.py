"""The Application Load Balancer: HTTPS only (HTTP redirects), strict parsing, access logs, locked ingress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws
from components.base import PlatformComponent
from components.secure_bucket import SecureBucket, SecureBucketArgs
from components.security_groups import Peer, tcp_rule

# TLS 1.3 and 1.2 with forward-secret AEAD ciphers only; the SDK default is a 2016 policy with TLS 1.0.
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
# The test listener of blue/green, canary and linear releases. 8443: the conventional alternate HTTPS port (AWS's
# own example for a blue/green test listener), above 1024, and neither 80 nor 443, the two ports anything outside
# the VPC is ever admitted on (CloudFront's origin-facing prefix list and the VPC origin reach 443 only). The
# listener gets no ingress rule here: the ALB's security group admits nobody on it until the smoke-test hook adds
# its own group (components/smoke_test_hook.py), so the port is unreachable from outside the VPC whatever the
# ALB's scheme. ALB listener ports: 1..65535 (ELB API CreateListener).
TEST_LISTENER_PORT = 8443
PRODUCTION_PORTS = (80, 443)


@dataclass(frozen=True)
class OriginHeader:
    """A secret header the edge adds to every origin request; without it the ALB answers 403."""

    name: str
    """The header's name (e.g. `X-Origin-Verify`); required."""
    value: pulumi.Input[str]
    """The header's secret value, shared with the CDN only; required (a secret Output, never in plain text)."""


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Arguments of `LoadBalancer`."""

    vpc_id: pulumi.Input[str]
    """The VPC of the load balancer's security group; required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets of the load balancer's nodes, one per Availability Zone (at least two); required (public subnets
    for an internet-facing ALB, private ones for an internal one)."""
    tags: Mapping[str, str]
    """Tags on every taggable child (plus a `Name`); required."""
    certificate_arn: pulumi.Input[str] | None
    """ACM certificate of the HTTPS listener; required, None = plain HTTP on port 80 (local tests and stacks
    reached only through the CDN's VPC origin)."""
    internal: bool = True
    """Whether the ALB is internal (no public IPs); default True: the edge reaches it through a VPC origin, and
    nothing else should."""
    deletion_protection: bool = True
    """ELB deletion protection; default True, so a stray `destroy` cannot take production's entry point away."""
    idle_timeout_seconds: int = 60
    """Seconds a connection may stay idle before the ALB closes it; default 60, the ALB's own default (the
    services' keep-alive timeouts must be longer)."""
    access_log_days: int = 90
    """Days access logs are kept before expiry; default 90: enough for an incident's investigation, short
    enough to keep the bucket cheap."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """TLS policy of the HTTPS (and test) listener; default TLS 1.3 and 1.2 with forward-secret AEAD ciphers
    (`ELBSecurityPolicy-TLS13-1-2-Res-2021-06`), where the SDK default still allows TLS 1.0."""
    ingress_prefix_list_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Managed prefix lists (CloudFront origin-facing) admitted on the listener's port; default none."""
    ingress_cidrs: Sequence[str] = field(default_factory=tuple)
    """IPv4 CIDRs admitted on the listener's port; default none: nobody is admitted unless named."""
    origin_header: OriginHeader | None = None
    """The edge's secret header the service rules require; default None = no header check (the unclaimed
    requests then get 404 rather than 403)."""
    log_delivery_account_arn: pulumi.Input[str] | None = None
    """The Region's ELB account, for Regions older than August 2022 that deliver logs as it; default None: the
    log-delivery service principal alone, as newer Regions use."""
    protect_logs: bool = False
    """Pulumi `protect` on the access-log bucket; default False (production turns it on)."""
    test_listener_port: int | None = None
    """Port of the test listener non-rolling releases smoke-test through (same protocol, certificate and TLS
    policy as the production listener; no ingress of its own). Default None: no test listener, since only
    blue/green, canary and linear releases use one (the services tier passes TEST_LISTENER_PORT then)."""

    def __post_init__(self) -> None:
        port = self.test_listener_port
        if port is not None and (not 1 <= port <= 65535 or port in PRODUCTION_PORTS):
            raise ValueError(f"test listener port {port}: 1..65535 and neither of {PRODUCTION_PORTS}")


class LoadBalancer(PlatformComponent):
    """An Application Load Balancer: HTTPS only (HTTP redirects) with a modern TLS policy, strict header parsing
    and desync mitigation, access logs to a locked bucket, ingress only from the named peers, and a fixed 403 or
    404 for anything no service rule claims."""

    load_balancer: aws.lb.LoadBalancer
    """The ALB (escape hatch)."""
    security_group: aws.ec2.SecurityGroup
    """The ALB's security group (escape hatch); services admit it on their container port."""
    listener: aws.lb.Listener
    """The production listener (HTTPS on 443, or HTTP on 80 without a certificate) the services' rules sit on
    (escape hatch)."""
    test_listener: aws.lb.Listener | None
    """The test listener (escape hatch); None without `test_listener_port`."""
    log_bucket: SecureBucket
    """The access-log bucket (escape hatch)."""
    arn: pulumi.Output[str]
    """The ALB's ARN."""
    arn_suffix: pulumi.Output[str]
    """The ALB's `arnSuffix` (`app/<name>/<id>`), the CloudWatch dimension."""
    dns_name: pulumi.Output[str]
    """The ALB's DNS name (the CDN's origin)."""
    zone_id: pulumi.Output[str]
    """The ALB's canonical hosted zone ID, for Route 53 alias records."""
    security_group_id: pulumi.Output[str]
    """The ALB's security group ID."""
    listener_port: int
    """The production listener's port: 443 with a certificate, 80 without."""
    listener_arn: pulumi.Output[str]
    """The production listener's ARN."""
    log_bucket_name: pulumi.Output[str]
    """Name of the access-log bucket (logs under `alb/`)."""
    origin_header: OriginHeader | None
    """The edge's secret header, as given; None without one."""
    https: bool
    """Whether the listener is HTTPS (a certificate was given)."""
    test_listener_arn: pulumi.Output[str] | None
    """ARN of the test listener (None without one): ECS's test listener rules live on it."""
    test_listener_port: int | None
    """Its port (None without one): the smoke-test hook's security-group rules open exactly this port."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("alb", name, args.tags, opts)
        self.origin_header = args.origin_header
        self.https = args.certificate_arn is not None
        self.listener_port = 443 if self.https else 80
        self.log_bucket = self._log_bucket(name, args)
        self.security_group = self._security_group(name, args, self.listener_port)
        self.load_balancer = self._load_balancer(name, args, self.security_group, self.log_bucket)
        if self.https:
            self._http_redirect(name, self.load_balancer)
        self.listener = self._listener(name, args, self.load_balancer, self.listener_port)
        self.test_listener_port = args.test_listener_port
        self.test_listener = (
            self._test_listener(args, self.load_balancer) if args.test_listener_port is not None else None
        )
        self.test_listener_arn = self.test_listener.arn if self.test_listener is not None else None
        self.arn = self.load_balancer.arn
        self.arn_suffix = self.load_balancer.arn_suffix
        self.dns_name = self.load_balancer.dns_name
        self.zone_id = self.load_balancer.zone_id
        self.security_group_id = self.security_group.id
        self.listener_arn = self.listener.arn
        self.log_bucket_name = self.log_bucket.bucket_name
        self.register_declared_outputs()

    def _log_bucket(self, name: str, args: LoadBalancerArgs) -> SecureBucket:
        # ALB access logs can only be written to SSE-S3 buckets (AWS ELB docs), hence no KMS key here.
        delivery_principals: list[object] = [{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]
        if args.log_delivery_account_arn is not None:
            delivery_principals.append({"AWS": args.log_delivery_account_arn})
        return SecureBucket(
            f"{name}-logs",
            SecureBucketArgs(
                purpose="ALB access logs",
                tags=args.tags,
                expire_after_days=args.access_log_days,
                kms_key_arn=None,
                policy_statements=[
                    {
                        "Sid": f"ElbLogDelivery{index}",
                        "Effect": "Allow",
                        "Principal": principal,
                        "Action": "s3:PutObject",
                        "Resource": "{bucket_arn}/alb/AWSLogs/*",
                    }
                    for index, principal in enumerate(delivery_principals)
                ],
                protect=args.protect_logs,
            ),
            opts=self.child(),
        )

    def _security_group(self, name: str, args: LoadBalancerArgs, port: int) -> aws.ec2.SecurityGroup:
        """The ALB's group: the listener's port from the named prefix lists and CIDRs only."""
        sg = aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            description=f"ALB {name}: HTTPS from the edge only; egress only to its services",
            revoke_rules_on_delete=True,
            tags=self.tags_for(),
            opts=self.child(),
        )
        for index, prefix_list in enumerate(args.ingress_prefix_list_ids):
            tcp_rule(
                f"{name}-https-pl-{index}",
                "ingress",
                security_group_id=sg.id,
                port=port,
                peer=Peer(prefix_list_id=prefix_list),
                description=f"Port {port} from CloudFront origin-facing servers (managed prefix list)",
                tags=self.tags_for("https-edge"),
                parent=self,
            )
        for index, cidr in enumerate(args.ingress_cidrs):
            tcp_rule(
                f"{name}-https-cidr-{index}",
                "ingress",
                security_group_id=sg.id,
                port=port,
                peer=Peer(cidr=cidr),
                description=f"Port {port} from {cidr}",
                tags=self.tags_for("https-cidr"),
                parent=self,
            )
        return sg

    def _load_balancer(
        self, name: str, args: LoadBalancerArgs, sg: aws.ec2.SecurityGroup, logs: SecureBucket
    ) -> aws.lb.LoadBalancer:
        return aws.lb.LoadBalancer(
            name,
            load_balancer_type="application",
            internal=args.internal,
            subnets=list(args.subnet_ids),
            security_groups=[sg.id],
            ip_address_type="ipv4",
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=args.deletion_protection,
            enable_http2=True,
            enable_waf_fail_open=False,
            idle_timeout=args.idle_timeout_seconds,
            xff_header_processing_mode="append",
            access_logs={"bucket": logs.bucket_name, "prefix": "alb", "enabled": True},
            tags=self.tags_for(),
            opts=self.child(depends_on=[logs.policy]),
        )

    def _http_redirect(self, name: str, lb: aws.lb.LoadBalancer) -> aws.lb.Listener:
        """Port 80 answers a permanent redirect to HTTPS (only with a certificate)."""
        return aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=lb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
                }
            ],
            tags=self.tags_for("http"),
            opts=self.child(),
        )

    def _listener(self, name: str, args: LoadBalancerArgs, lb: aws.lb.LoadBalancer, port: int) -> aws.lb.Listener:
        """The production listener. Requests no service rule claims get a plain answer: 403 when the edge's
        header is required (so only CloudFront gets past it), 404 otherwise."""
        https = args.certificate_arn is not None
        default_status = "403" if args.origin_header is not None else "404"
        return aws.lb.Listener(
            f"{name}-https" if https else f"{name}-http",
            load_balancer_arn=lb.arn,
            port=port,
            protocol="HTTPS" if https else "HTTP",
            ssl_policy=args.ssl_policy if https else None,
            certificate_arn=args.certificate_arn,
            default_actions=[_fixed_response(default_status)],
            tags=self.tags_for("https" if https else "http"),
            opts=self.child(),
        )

    def _test_listener(self, args: LoadBalancerArgs, lb: aws.lb.LoadBalancer) -> aws.lb.Listener:
        """The listener ECS's test listener rules sit on: the production listener's protocol, certificate and TLS
        policy on another port, answering 404 to anything no test rule claims. Nobody is admitted to the port
        here (see TEST_LISTENER_PORT)."""
        https = args.certificate_arn is not None
        return aws.lb.Listener(
            f"{self._name}-test",
            load_balancer_arn=lb.arn,
            port=args.test_listener_port,
            protocol="HTTPS" if https else "HTTP",
            ssl_policy=args.ssl_policy if https else None,
            certificate_arn=args.certificate_arn,
            default_actions=[_fixed_response("404")],
            tags=self.tags_for("test"),
            opts=self.child(),
        )

    def allow_from_security_group(self, name: str, security_group_id: pulumi.Input[str], description: str) -> None:
        """Admit another security group (e.g. CloudFront's VPC-origin group, known only after it exists)."""
        tcp_rule(
            f"{self._name}-{name}",
            "ingress",
            security_group_id=self.security_group.id,
            port=self.listener_port,
            peer=Peer(security_group_id=security_group_id),
            description=description,
            tags=self.tags_for(name),
            parent=self,
        )


def _fixed_response(status: str) -> Any:
    """What a listener answers when no rule claims a request: 403 where only the edge may come in, else 404."""
    body = '{"error": "not found"}' if status == "404" else '{"error": "forbidden"}'
    return {
        "type": "fixed-response",
        "fixed_response": {"content_type": "application/json", "message_body": body, "status_code": status},
    }
