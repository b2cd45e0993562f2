"""The smoke test ECS runs as a deployment lifecycle hook: a small VPC-attached Lambda that calls a service's health
and configured paths through the load balancer's test listener and fails the deployment on errors or slow answers.

One per stack, shared by every service: what to check travels in each service's `hookDetails` (`hook_details`).
The function reaches nothing but the load balancer's test port: its security group has that one egress rule, and
the load balancer's group admits it (and only it) on that port. DNS needs no rule: security groups cannot block
DNS requests to the VPC's Route 53 Resolver (https://docs.aws.amazon.com/AWSEC2/latest/WindowsGuide/security-group-rules.html;
and https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Security.html: security groups "don't filter traffic to or
from link-local addresses ... or AWS-reserved IPv4 addresses"), which is where the function resolves the internal
load balancer's name; so no 0.0.0.0/0 rule exists at all. Logs need none either: Lambda, not the
function's network interface, delivers them.

Wiring, per service (the service's `deployment_configuration`)::

    lifecycle_hooks=[ServiceDeploymentConfigurationLifecycleHookArgs(
        lifecycle_stages=["POST_TEST_TRAFFIC_SHIFT"],  # test listener -> new revision, production untouched
        hook_target_arn=hook.function_arn,
        role_arn=hook.invoke_role_arn,
        hook_details=hook_details(base_url=..., host_header=..., paths=[health, *smoke_paths], ...),
    )]

POST_TEST_TRAFFIC_SHIFT is the stage at which "the green service revision handles 100% of the test traffic"
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html); a FAILED answer rolls
back before any production traffic moves. ECS does not re-run hooks of that stage during a rollback (it re-runs
TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT hooks only,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).

Trust: both roles come from `iam.role_with_policy`, whose trust names the service principal and requires
aws:SourceAccount, as every service role of the platform does. AWS documents the ECS hook role's trust
(blue-green-permissions.html) and Lambda's execution role trust without conditions and documents no aws:SourceArn
value for either assumption, so no SourceArn condition is set: one that ECS or Lambda does not send would deny every
assumption. Unverified here (no AWS account): if the first deployment shows Lambda refusing the execution role
("cannot be assumed by Lambda") or the hook failing to start, the SourceAccount condition is the first suspect.

Left out on purpose: a dead-letter queue (ECS invokes the hook synchronously and reads the answer; DLQs only catch
asynchronous invocations), environment variables and so their KMS key (nothing is configured that way: all settings
come in hookDetails), code signing (the package is built from this repository by the program), and active X-Ray
tracing (see TRACING_MODE).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.logs import LogClass, LogSettings, encrypted_log_group
from components.security_groups import EgressTarget, Peer, task_security_group, tcp_rule
from hooks.smoke_test import handler

HANDLER_FILE = Path(handler.__file__)
"""The whole deployed package: stdlib only, zipped as `handler.py` (entry point `handler.handler`)."""

RUNTIME = "python3.14"
"""Lambda's newest Python runtime. Source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (read
2026-12-03, as stored: identifier `python3.14`, Amazon Linux 2023); released 2025-11-18 and supported until at least
2029-06-30 per https://endoflife.date/aws-lambda; the AgentCore table that follows Lambda's deprecation policy
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-code-deploy-supported-runtimes.html) forecasts
deprecation 2030-06-30 and blocked updates 2030-08-31. The two sources disagree on the year; both are after today.
The handler also runs on Python 3.11 (the tests run it there)."""

ARCHITECTURE = "arm64"
"""Graviton: arm64 duration costs 20% less than x86_64 (eu-west-1: 0.0000133334 vs 0.0000166667 USD per GB-second,
offline/cost/prices.json), and the pure-Python handler needs no native build. Lambda's Python runtimes offer arm64
since python3.8 (runtime table of https://docs.aws.amazon.com/toolkit-for-jetbrains/latest/userguide/lambda-runtimes.html,
which stops at python3.11); python3.14 on arm64 is not confirmed by a stored source: unverified, checked at the first
deploy (CreateFunction refuses an unsupported pair)."""

FUNCTION_TIMEOUT_SECONDS = 120
"""Lambda allows 1-900 s (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html; the provider
validates IntBetween(1, 900), internal/service/lambda/function.go at 0156d84e). The checks run one
after another, each bounded by timeoutSeconds, so `hook_details` refuses a set whose worst case (paths x timeout +
the handler's answer margin) does not fit: a function Lambda stops answers nothing and the log does not say why."""

MEMORY_MB = 256
"""Lambda allocates CPU in proportion to memory (128-10,240 MB, https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html;
the provider validates IntBetween(128, 10240)). 128 MB would hold the handler, but the TLS handshake each check makes
runs on that CPU share and counts in the measured latency: twice the smallest size keeps the function from
measuring itself (a judgement, not measured here: there is no AWS account to measure on)."""

TRACING_MODE = "PassThrough"
"""No active X-Ray tracing: the handler calls no AWS service, each check's latency is already in its log line, and
active tracing needs xray:PutTraceSegments on Resource "*" plus a network path to X-Ray that this function's security
group deliberately does not have. PassThrough keeps a trace header ECS sends, without sampling on its own."""


@dataclass(frozen=True)
class SmokeTestHookArgs:
    """Arguments of `SmokeTestHook` (one per stack)."""

    context: AwsContext
    """Account, region and partition: they scope the execution role's network-interface grant."""

    tags: Mapping[str, str]
    """The stack's common tags; every taggable child gets them plus a `Name`."""

    vpc_id: pulumi.Input[str]
    """The VPC of the load balancer: the function's security group is created there."""

    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets the function's network interfaces go in (1-16, Lambda's limit); one per AZ keeps the hook
    available when an AZ is not."""

    logs: LogSettings
    """The stack's log key and retention: the function's log group is encrypted with it and kept as application
    logs (the deployment record itself is ECS's service deployment history)."""

    load_balancer_security_group_id: pulumi.Input[str]
    """The load balancer's security group: the hook adds its ingress rule from the function's group there."""

    test_listener_port: int
    """The load balancer's test listener port (1-65535): the only port the function may connect to."""

    reserved_concurrency: int | None = None
    """Concurrent executions set aside for the hook, or None (default) to draw from the account's unreserved pool.
    Default None because "You can reserve up to the Unreserved account concurrency value that is shown, minus 100"
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), so a reservation fails on new
    accounts with a low concurrency quota, and because it is also a ceiling: ECS may invoke the hook for every
    service deploying at once, and a throttled invocation fails that deployment. Set it (>= 1) where other functions
    could exhaust the pool. 0 is refused: it would throttle every invocation and so fail every deployment."""

    def __post_init__(self) -> None:
        if not 1 <= self.test_listener_port <= 65535:
            raise ValueError(f"test_listener_port {self.test_listener_port} is not a TCP port (1-65535)")
        if not 1 <= len(self.subnet_ids) <= 16:
            raise ValueError(f"subnet_ids: Lambda takes 1 to 16 subnets, got {len(self.subnet_ids)}")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 1:
            raise ValueError("reserved_concurrency must be None or at least 1 (0 throttles every deployment's hook)")


class SmokeTestHook(PlatformComponent):
    """The Lambda ECS invokes at a service's lifecycle stage (POST_TEST_TRAFFIC_SHIFT), and the role ECS invokes it
    with. Children: the function, its security group and rules, its log group, its execution role, the invoke role."""

    function_arn: pulumi.Output[str]
    """The function's unqualified ARN: a service's `lifecycle_hooks[].hook_target_arn`."""

    function_name: pulumi.Output[str]
    """The function's physical name (auto-named), for `aws lambda invoke` and the console."""

    security_group_id: pulumi.Output[str]
    """The function's own security group (egress to the load balancer's test port only)."""

    invoke_role_arn: pulumi.Output[str]
    """The role ECS assumes to invoke the hook (`lifecycle_hooks[].role_arn`); ready only once its policy, which
    allows lambda:InvokeFunction on this function alone, is attached."""

    log_group_name: pulumi.Output[str]
    """Where every check's JSON line goes (release tooling reads failures from here)."""

    def __init__(self, name: str, args: SmokeTestHookArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smoke_test_hook", name, args.tags, opts)
        security_group = self._network(name, args)
        log_group = encrypted_log_group(
            f"{name}-logs", logs=args.logs, log_class=LogClass.APPLICATION, tags=self.tags_for("logs"), parent=self
        )
        role = iam.role_with_policy(
            f"{name}-exec",
            service="lambda.amazonaws.com",
            account_id=args.context.account_id,
            statements=execution_statements(args.context, log_group.arn),
            description="Smoke-test hook: its own log group and its VPC network interfaces",
            tags=self.tags_for("exec"),
            parent=self,
        )
        function = self._function(name, args, role.arn, security_group.id, log_group.name)
        invoke = iam.role_with_policy(
            f"{name}-invoke",
            service="ecs.amazonaws.com",
            account_id=args.context.account_id,
            statements=[invoke_statement(function.arn)],
            description="ECS deployments invoke the smoke-test hook",
            tags=self.tags_for("invoke"),
            parent=self,
        )
        self.function_arn = function.arn
        self.function_name = function.name
        self.security_group_id = security_group.id
        self.invoke_role_arn = invoke.arn
        self.log_group_name = log_group.name
        self.register_declared_outputs()

    def _network(self, name: str, args: SmokeTestHookArgs) -> aws.ec2.SecurityGroup:
        """The function's group (one egress rule: the test port of the load balancer's group) and the load
        balancer's ingress rule from it. The test listener has no other ingress: only the hook reaches it."""
        security_group = task_security_group(
            name,
            vpc_id=args.vpc_id,
            description="Smoke-test hook: out to the load balancer's test listener only",
            https_cidrs=[],
            https_description="",
            targets=[
                EgressTarget(
                    name="alb-test",
                    security_group_id=args.load_balancer_security_group_id,
                    port=args.test_listener_port,
                    description="Smoke-test hook to the load balancer's test listener",
                )
            ],
            tags_for=self.tags_for,
            parent=self,
        )
        tcp_rule(
            f"{name}-alb-test-in",
            "ingress",
            security_group_id=args.load_balancer_security_group_id,
            port=args.test_listener_port,
            peer=Peer(security_group_id=security_group.id),
            description="Test listener: the smoke-test hook only",
            tags=self.tags_for("alb-test-in"),
            parent=self,
        )
        return security_group

    def _function(
        self,
        name: str,
        args: SmokeTestHookArgs,
        role_arn: pulumi.Input[str],
        security_group_id: pulumi.Input[str],
        log_group_name: pulumi.Input[str],
    ) -> aws.lambda_.Function:
        return aws.lambda_.Function(
            name,
            description="ECS deployment lifecycle hook: smoke test through the test listener",
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler="handler.handler",
            code=package(),
            role=role_arn,
            timeout=FUNCTION_TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            reserved_concurrent_executions=args.reserved_concurrency,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                security_group_ids=[security_group_id],
                ipv6_allowed_for_dual_stack=False,
            ),
            # Text: the handler writes its own JSON lines, which Lambda keeps as they are.
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group_name),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode=TRACING_MODE),
            tags=self.tags_for(),
            opts=self.child(),
        )


def package() -> pulumi.AssetArchive:
    """The deployment package: the handler file alone, at the archive's root."""
    return pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER_FILE))})


def execution_statements(context: AwsContext, log_group_arn: pulumi.Input[str]) -> list[iam.Statement]:
    """Least privilege for a VPC function that calls no AWS API: write its own log group, manage its network
    interfaces. The EC2 actions are the ones AWSLambdaVPCAccessExecutionRole grants (v3, edited 2024-01-05,
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html), without
    its logs:* on Resource "*" and with the mutating ones confined to this account and region, as
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html recommends for DeleteNetworkInterface
    ("arn:aws:ec2:<region>:<account>:*/*"). The Describe actions only work on Resource "*" (same page)."""
    ec2_in_region = pulumi.Output.concat(
        "arn:", context.partition, ":ec2:", context.region, ":", context.account_id, ":*/*"
    )
    return [
        {
            "Sid": "WriteOwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, pulumi.Output.concat(log_group_arn, ":*")],
        },
        {
            "Sid": "ManageVpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:AssignPrivateIpAddresses",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": ec2_in_region,
        },
        {
            "Sid": "DescribeVpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
    ]


def invoke_statement(function_arn: pulumi.Input[str]) -> iam.Statement:
    """What ECS needs to run a Lambda hook: lambda:InvokeFunction
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html, whose example allows
    every function; here only this one, unqualified, as `hook_target_arn` names it)."""
    return {"Sid": "InvokeHook", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn}


def hook_details(
    *,
    base_url: pulumi.Input[str],
    host_header: pulumi.Input[str],
    paths: Sequence[str],
    timeout_seconds: int,
    max_latency_ms: int,
) -> pulumi.Output[str]:
    """The JSON text of a service's `hookDetails`: where the test listener is (`https://<ALB DNS>:<test port>`), the
    service's host name (SNI, certificate and Host header: a name the listener's certificate covers), the paths to
    check (the health path first), the per-request timeout and the slowest acceptable answer. The static values are
    checked at once, before any resource is declared; the endpoint when it resolves (`details_document`)."""
    checked = list(handler.parse_paths(list(paths)))
    timeout, latency = check_budget(len(checked), timeout_seconds, max_latency_ms)
    return pulumi.Output.all(base_url, host_header).apply(
        lambda values: details_document(values[0], values[1], checked, timeout, latency)
    )


def check_budget(path_count: int, timeout_seconds: int, max_latency_ms: int) -> tuple[int, int]:
    """The limits, valid on their own and together: every path may take its full timeout and the hook still answers
    before Lambda stops it (FUNCTION_TIMEOUT_SECONDS)."""
    timeout, latency = handler.parse_limits(timeout_seconds, max_latency_ms)
    if path_count * timeout * 1000 + handler.ANSWER_MARGIN_MS > FUNCTION_TIMEOUT_SECONDS * 1000:
        raise handler.DetailsError(
            f"hookDetails: {path_count} paths x timeoutSeconds {timeout} s, plus {handler.ANSWER_MARGIN_MS} ms to "
            f"answer, exceeds the hook's {FUNCTION_TIMEOUT_SECONDS} s timeout; check fewer paths or lower the timeout"
        )
    return timeout, latency


def details_document(
    base_url: str, host_header: str, paths: Sequence[str], timeout_seconds: int, max_latency_ms: int
) -> str:
    """hookDetails as compact, key-sorted JSON (stable text: no spurious plan diffs), validated by the handler's own
    parser, so the program cannot write details the function would refuse; https only (the handler's loopback
    exception is for its tests)."""
    check_budget(len(paths), timeout_seconds, max_latency_ms)
    document = {
        "version": handler.SCHEMA_VERSION,
        "baseUrl": base_url,
        "hostHeader": host_header,
        "paths": list(paths),
        "timeoutSeconds": timeout_seconds,
        "maxLatencyMs": max_latency_ms,
    }
    if handler.parse_details(document).endpoint.scheme != "https":
        raise handler.DetailsError(f"hookDetails.baseUrl must use https, got {base_url!r}")
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
