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
    value: pulumi.Input[str]


@dataclass(frozen=True)
class LoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    tags: Mapping[str, str]
    certificate_arn: pulumi.Input[str] | None
    internal: bool = True
    deletion_protection: bool = True
    idle_timeout_seconds: int = 60
    access_log_days: int = 90
    ssl_policy: str = DEFAULT_SSL_POLICY
    # Who may connect on 443: managed prefix lists (CloudFront origin-facing) and/or CIDRs.
    ingress_prefix_list_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    ingress_cidrs: Sequence[str] = field(default_factory=tuple)
    origin_header: OriginHeader | None = None
    log_delivery_account_arn: pulumi.Input[str] | None = None
    protect_logs: bool = False
    test_listener_port: int | None = None
    """Port of the test listener non-rolling releases smoke-test through (same protocol, certificate and TLS
    policy as the production listener; no ingress of its own). Default None: no test listener, since only
    blue/green, canary and linear releases use one (the services tier passes TEST_LISTENER_PORT then)."""

    def __post_init__(self) -> None:
        port = self.test_listener_port
        if port is not None and (not 1 <= port <= 65535 or port in PRODUCTION_PORTS):
            raise ValueError(f"test listener port {port}: 1..65535 and neither of {PRODUCTION_PORTS}")


class LoadBalancer(PlatformComponent):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    log_bucket_name: pulumi.Output[str]
    origin_header: OriginHeader | None
    https: bool
    test_listener_arn: pulumi.Output[str] | None
    """ARN of the test listener (None without one): ECS's test listener rules live on it."""
    test_listener_port: int | None
    """Its port (None without one): the smoke-test hook's security-group rules open exactly this port."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("alb", name, args.tags, opts)
        self.origin_header = args.origin_header
        self.https = args.certificate_arn is not None

        # ALB access logs can only be written to SSE-S3 buckets (AWS ELB docs), hence no KMS key here.
        delivery_principals: list[object] = [{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]
        if args.log_delivery_account_arn is not None:
            delivery_principals.append({"AWS": args.log_delivery_account_arn})
        logs = SecureBucket(
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

        sg = aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            description=f"ALB {name}: HTTPS from the edge only; egress only to its services",
            revoke_rules_on_delete=True,
            tags=self.tags_for(),
            opts=self.child(),
        )
        port = 443 if self.https else 80
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

        lb = aws.lb.LoadBalancer(
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

        if args.certificate_arn is not None:
            aws.lb.Listener(
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
        # Requests no service rule claims get a plain answer: 403 when the edge's header is required (so
        # only CloudFront gets past it), 404 otherwise.
        default_status = "403" if args.origin_header is not None else "404"
        listener = aws.lb.Listener(
            f"{name}-https" if self.https else f"{name}-http",
            load_balancer_arn=lb.arn,
            port=port,
            protocol="HTTPS" if self.https else "HTTP",
            ssl_policy=args.ssl_policy if self.https else None,
            certificate_arn=args.certificate_arn,
            default_actions=[_fixed_response(default_status)],
            tags=self.tags_for("https" if self.https else "http"),
            opts=self.child(),
        )
        self.test_listener_port = args.test_listener_port
        self.test_listener_arn = self._test_listener(args, lb) if args.test_listener_port is not None else None
        self._security_group = sg
        self._port = port
        self.arn = lb.arn
        self.arn_suffix = lb.arn_suffix
        self.dns_name = lb.dns_name
        self.zone_id = lb.zone_id
        self.security_group_id = sg.id
        self.listener_arn = listener.arn
        self.log_bucket_name = logs.bucket_name
        self.register_outputs({"arn": self.arn, "dns_name": self.dns_name})

    def _test_listener(self, args: LoadBalancerArgs, lb: aws.lb.LoadBalancer) -> pulumi.Output[str]:
        """The listener ECS's test listener rules sit on: the production listener's protocol, certificate and TLS
        policy on another port, answering 404 to anything no test rule claims. Nobody is admitted to the port
        here (see TEST_LISTENER_PORT)."""
        listener = aws.lb.Listener(
            f"{self._name}-test",
            load_balancer_arn=lb.arn,
            port=args.test_listener_port,
            protocol="HTTPS" if self.https else "HTTP",
            ssl_policy=args.ssl_policy if self.https else None,
            certificate_arn=args.certificate_arn,
            default_actions=[_fixed_response("404")],
            tags=self.tags_for("test"),
            opts=self.child(),
        )
        return listener.arn

    def allow_from_security_group(self, name: str, security_group_id: pulumi.Input[str], description: str) -> None:
        """Admit another security group (e.g. CloudFront's VPC-origin group, known only after it exists)."""
        tcp_rule(
            f"{self._name}-{name}",
            "ingress",
            security_group_id=self._security_group.id,
            port=self._port,
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
