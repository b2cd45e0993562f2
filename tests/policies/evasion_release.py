"""Evasion shapes of the release rules (issue #22): the smoke-test Lambda, the traffic-shifting ECS service, the
roles ECS assumes and the test listener, each as the obvious violation, another resource type, another spelling
and an unknown value, in a failing and a passing form. Input names are pulumi-aws 7.51's (camelCase, as the
engine records them)."""

from __future__ import annotations

from typing import Any

from offline.plan import UNKNOWN, ResourceRecord
from tests.policies.corpus import Shape, allow, doc, rec

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
URL = "aws:lambda/functionUrl:FunctionUrl"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ELB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012"
ECS_TRUST = {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}


# -- the smoke-test Lambda -------------------------------------------------------------------------------------------
def function(
    name: str,
    *,
    zones: tuple[str, str] = ("eu-west-1a", "eu-west-1b"),
    group: str | None = None,
    explicit: bool = True,
    logs: dict[str, Any] | None = None,
    **inputs: Any,
) -> list[ResourceRecord]:
    """A function that passes every Lambda rule unless told otherwise, with its subnets, security group and log
    group (named `group`; None: no log group). The function is the last record."""
    subnets = [rec(SUBNET, f"{name}-net-{i}", {"vpcId": "vpc-1", "availabilityZone": z}) for i, z in enumerate(zones)]
    sg = rec(SG, f"{name}-sg", {"vpcId": "vpc-1", "description": "function"})
    group = f"/aws/lambda/{name}" if group is None else group
    log_group = rec(
        LOG_GROUP, f"{name}-logs", {"name": group, "retentionInDays": 90, "kmsKeyId": KEY_ARN, **(logs or {})}
    )
    body: dict[str, Any] = {
        "name": name,
        "runtime": "python3.13",
        "handler": "handler.handle",
        "vpcConfig": {"subnetIds": [f"subnet-{name}-{i}" for i in range(2)], "securityGroupIds": ["sg-fn"]},
        **inputs,
    }
    links: dict[str, Any] = {"vpcConfig": [*subnets, sg]}
    if explicit:
        body.setdefault("loggingConfig", {"logFormat": "JSON", "logGroup": group})
        links["loggingConfig"] = log_group
    body = {k: v for k, v in body.items() if v is not None}
    return [*subnets, sg, log_group, rec(FUNCTION, name, body, **links)]


def _no_logs(records: list[ResourceRecord]) -> list[ResourceRecord]:
    return [r for r in records if r.type != LOG_GROUP]


def _invoke(name: str, **inputs: Any) -> list[ResourceRecord]:
    return [rec(PERMISSION, name, {"action": "lambda:InvokeFunction", "function": "smoke", **inputs})]


def lambda_shapes() -> list[Shape]:
    runtime, logs, public = "lambda-runtime-supported", "lambda-log-group-retention-kms", "lambda-not-public"
    return [
        Shape(
            "fn-deprecated",
            runtime,
            function("fn-deprecated-fail", runtime="python3.9"),
            function("fn-deprecated-pass"),
        ),
        Shape(
            "fn-runtime-case",
            runtime,
            function("fn-runtime-case-fail", runtime="Python3.13"),
            function("fn-runtime-case-pass", runtime="python3.13"),
        ),
        Shape(
            "fn-runtime-unlisted",
            runtime,
            function("fn-runtime-unlisted-fail", runtime="python4.0"),
            function("fn-runtime-unlisted-pass", runtime="nodejs22.x"),
        ),
        Shape(
            "fn-runtime-unknown",
            runtime,
            function("fn-runtime-unknown-fail", runtime=UNKNOWN),
            function("fn-runtime-unknown-pass", runtime=UNKNOWN),
            accept=["fn-runtime-unknown-pass:runtime"],
        ),
        Shape("fn-no-vpc", "lambda-in-vpc", function("fn-no-vpc-fail", vpcConfig=None), function("fn-no-vpc-pass")),
        Shape(
            "fn-one-zone",
            "lambda-vpc-multi-az",
            function("fn-one-zone-fail", zones=("eu-west-1a", "eu-west-1a")),
            function("fn-one-zone-pass"),
        ),
        Shape(
            "fn-default-group-missing",
            logs,
            _no_logs(function("fn-default-group-missing-fail", explicit=False)),
            function("fn-default-group-missing-pass", explicit=False),
        ),
        Shape(
            "fn-other-group",
            logs,
            function("fn-other-group-fail", explicit=False, group="/aws/lambda/another"),
            function("fn-other-group-pass", explicit=True, group="/app/smoke-test"),
        ),
        Shape(
            "fn-group-no-key",
            logs,
            function("fn-group-no-key-fail", logs={"kmsKeyId": None}),
            function("fn-group-no-key-pass"),
        ),
        Shape(
            "fn-invoke-anyone",
            public,
            _invoke("fn-invoke-anyone-fail", principal="*"),
            _invoke("fn-invoke-anyone-pass", principal="*", principalOrgId="o-abc123"),
        ),
        Shape(
            "fn-invoke-s3",
            public,
            _invoke("fn-invoke-s3-fail", principal="s3.amazonaws.com"),
            _invoke("fn-invoke-s3-pass", principal="s3.amazonaws.com", sourceAccount="123456789012"),
        ),
        Shape(
            "fn-url-none",
            public,
            [rec(URL, "fn-url-none-fail", {"functionName": "smoke", "authorizationType": "NONE"})],
            [rec(URL, "fn-url-none-pass", {"functionName": "smoke", "authorizationType": "AWS_IAM"})],
        ),
        Shape(
            "fn-url-auth-case",
            public,
            _invoke(
                "fn-url-auth-case-fail",
                action="lambda:InvokeFunctionUrl",
                principal="*",
                sourceAccount="123456789012",
                functionUrlAuthType="none",
            ),
            _invoke(
                "fn-url-auth-case-pass",
                action="lambda:InvokeFunctionUrl",
                principal="*",
                sourceAccount="123456789012",
                functionUrlAuthType="AWS_IAM",
            ),
        ),
    ]


# -- the traffic-shifting ECS service and the roles ECS assumes -----------------------------------------------------
def _role(name: str, statement: dict[str, Any]) -> ResourceRecord:
    return rec(ROLE, name, {"assumeRolePolicy": doc(statement)})


def service(
    name: str,
    strategy: str = "BLUE_GREEN",
    *,
    role: ResourceRecord | None = None,
    advanced: bool = True,
    bake: Any = "15",
    alarms: bool = True,
) -> ResourceRecord:
    """A service that passes every release rule unless told otherwise."""
    config: dict[str, Any] = {"strategy": strategy, "bakeTimeInMinutes": bake}
    if strategy.upper() == "CANARY":
        config["canaryConfiguration"] = {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"}
    if strategy.upper() == "LINEAR":
        config["linearConfiguration"] = {"stepPercent": 25.0, "stepBakeTimeInMinutes": "5"}
    balancer: dict[str, Any] = {
        "containerName": "app",
        "containerPort": 8080,
        "targetGroupArn": f"{ELB}:targetgroup/blue/1",
    }
    if advanced:
        balancer["advancedConfiguration"] = {
            "alternateTargetGroupArn": f"{ELB}:targetgroup/green/2",
            "productionListenerRule": f"{ELB}:listener-rule/app/alb/1/2/3",
            "roleArn": "arn:aws:iam::123456789012:role/ecs-infrastructure",
        }
    inputs: dict[str, Any] = {
        "deploymentController": {"type": "ECS"},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentConfiguration": {k: v for k, v in config.items() if v is not None},
        "loadBalancers": [balancer],
    }
    if alarms:
        inputs["alarms"] = {"alarmNames": ["app-5xx"], "enable": True, "rollback": True}
    return rec(SERVICE, name, inputs, **({"loadBalancers": role} if role else {}))


def ecs_shapes() -> list[Shape]:
    wiring, trusts = "ecs-service-release-strategy-wiring", "ecs-role-trusts-only-ecs"
    tasks_trust = {**ECS_TRUST, "Principal": {"Service": "ecs-tasks.amazonaws.com"}}
    joined_fail, joined_pass = _role("ecs-joined-role-fail", tasks_trust), _role("ecs-joined-role-pass", ECS_TRUST)
    return [
        Shape(
            "ecs-bg-no-advanced",
            wiring,
            [service("ecs-bg-no-advanced-fail", advanced=False)],
            [service("ecs-bg-no-advanced-pass")],
        ),
        Shape(
            "ecs-bg-spelling",
            wiring,
            [service("ecs-bg-spelling-fail", "blue-green", advanced=False)],
            [service("ecs-bg-spelling-pass", "BLUE_GREEN")],
        ),
        Shape(
            "ecs-strategy-unknown",
            wiring,
            [service("ecs-strategy-unknown-fail", "BLUEGREEN")],
            [service("ecs-strategy-unknown-pass", "LINEAR")],
        ),
        Shape(
            "ecs-canary-no-alarms",
            "ecs-service-deployment-alarms",
            [service("ecs-canary-no-alarms-fail", "CANARY", alarms=False)],
            [service("ecs-canary-no-alarms-pass", "CANARY")],
        ),
        Shape(
            "ecs-bake-missing",
            "ecs-service-bake-time",
            [service("ecs-bake-missing-fail", "LINEAR", bake=None)],
            [service("ecs-bake-missing-pass", "LINEAR")],
        ),
        Shape(
            "ecs-bake-not-a-number",
            "ecs-service-bake-time",
            [service("ecs-bake-not-a-number-fail", bake="ten")],
            [service("ecs-bake-not-a-number-pass", bake="10")],
        ),
        Shape(
            "ecs-role-two-services",
            trusts,
            [
                _role(
                    "ecs-role-two-services-fail",
                    {**ECS_TRUST, "Principal": {"Service": ["ecs.amazonaws.com", "lambda.amazonaws.com"]}},
                )
            ],
            [_role("ecs-role-two-services-pass", ECS_TRUST)],
        ),
        # Found only through the service's advancedConfiguration: its own trust does not name ECS at all.
        Shape(
            "ecs-joined-role",
            trusts,
            [service("ecs-joined-svc-fail", role=joined_fail), joined_fail],
            [service("ecs-joined-svc-pass", role=joined_pass), joined_pass],
        ),
    ]


def scoped_action_shapes() -> list[Shape]:
    policy = "iam-resource-scoped-actions-not-on-any-resource"
    listener_rule = f"{ELB}:listener-rule/app/alb/1/2/3"
    return [
        Shape(
            "iam-modify-rule-any",
            policy,
            [
                rec(
                    "aws:iam/policy:Policy",
                    "iam-modify-rule-any-fail",
                    {"policy": doc(allow("elasticloadbalancing:ModifyRule"))},
                )
            ],
            [
                rec(
                    "aws:iam/policy:Policy",
                    "iam-modify-rule-any-pass",
                    {"policy": doc(allow("elasticloadbalancing:ModifyRule", listener_rule))},
                )
            ],
        ),
        Shape(
            "iam-modify-wildcard-spelling",
            policy,
            [
                rec(
                    "aws:iam/policy:Policy",
                    "iam-modify-wildcard-spelling-fail",
                    {"policy": doc(allow("ElasticLoadBalancing:Modify*", "arn:aws:elasticloadbalancing:*:*:*"))},
                )
            ],
            [
                rec(
                    "aws:iam/policy:Policy",
                    "iam-modify-wildcard-spelling-pass",
                    {"policy": doc(allow("elasticloadbalancing:Describe*"))},
                )
            ],
        ),
        Shape(
            "iam-invoke-inline",
            policy,
            [
                rec(
                    "aws:iam/rolePolicy:RolePolicy",
                    "iam-invoke-inline-fail",
                    {"role": "r", "policy": doc(allow(["lambda:InvokeFunction"]))},
                )
            ],
            [
                rec(
                    "aws:iam/rolePolicy:RolePolicy",
                    "iam-invoke-inline-pass",
                    {
                        "role": "r",
                        "policy": doc(
                            allow("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:123456789012:function:smoke")
                        ),
                    },
                )
            ],
        ),
    ]


# -- the test listener ---------------------------------------------------------------------------------------------
def listener(
    name: str, *rules: dict[str, Any], internal: bool = True, port: Any = 8443, inline: Any = None, kind: str = INGRESS
) -> list[ResourceRecord]:
    """An ALB with its security group (inline `inline` ingress), standalone `rules` and a test listener (last)."""
    group = rec(
        SG, f"{name}-alb-sg", {"vpcId": "vpc-1", "description": "alb", **({"ingress": [inline]} if inline else {})}
    )
    lb = rec(
        LB,
        f"{name}-alb",
        {"internal": internal, "loadBalancerType": "application", "securityGroups": ["sg-alb"]},
        securityGroups=group,
    )
    standalone = [
        rec(kind, f"{name}-rule-{i}", {"securityGroupId": "sg-alb", "description": "r", **r}, securityGroupId=group)
        for i, r in enumerate(rules)
    ]
    test = rec(
        LISTENER,
        name,
        {
            "loadBalancerArn": "arn:alb",
            "port": port,
            "protocol": "HTTPS",
            "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
        },
        loadBalancerArn=lb,
    )
    return [group, lb, *standalone, test]


def _tcp(low: int, high: int, **source: Any) -> dict[str, Any]:
    return {"ipProtocol": "tcp", "fromPort": low, "toPort": high, **source}


HOOK_ONLY = _tcp(8443, 8443, referencedSecurityGroupId="sg-hook")


def listener_shapes() -> list[Shape]:
    policy = "elb-test-listener-not-public"
    everyone = {"protocol": "tcp", "fromPort": 8443, "toPort": 8443, "cidrBlocks": ["0.0.0.0/0"]}
    ranged = {"type": "ingress", "protocol": "tcp", "fromPort": 8000, "toPort": 9000, "ipv6CidrBlocks": ["::/0"]}
    return [
        Shape(
            "tl-inline-open",
            policy,
            listener("tl-inline-open-fail", inline=everyone),
            listener("tl-inline-open-pass", HOOK_ONLY),
        ),
        Shape(
            "tl-sg-rule-range",
            policy,
            listener("tl-sg-rule-range-fail", ranged, kind=SG_RULE),
            listener("tl-sg-rule-range-pass", {**ranged, "ipv6CidrBlocks": ["fd00::/8"]}, kind=SG_RULE),
        ),
        Shape(
            "tl-all-traffic-v6",
            policy,
            listener("tl-all-traffic-v6-fail", {"ipProtocol": "-1", "cidrIpv6": "0:0:0:0:0:0:0:0/0"}),
            listener("tl-all-traffic-v6-pass", {"ipProtocol": "-1", "cidrIpv6": "fd00::/8"}),
        ),
        Shape(
            "tl-prefix-list",
            policy,
            listener("tl-prefix-list-fail", _tcp(8443, 8443, prefixListId="pl-3b927c52")),
            listener("tl-prefix-list-pass", _tcp(443, 443, prefixListId="pl-3b927c52")),
        ),
        Shape(
            "tl-split-halves",
            policy,
            listener(
                "tl-split-halves-fail", _tcp(8443, 8443, cidrIpv4="0.0.0.0/1"), _tcp(8443, 8443, cidrIpv4="128.0.0.0/1")
            ),
            listener(
                "tl-split-halves-pass",
                _tcp(8443, 8443, cidrIpv4="10.0.0.0/9"),
                _tcp(8443, 8443, cidrIpv4="10.128.0.0/9"),
            ),
        ),
        Shape(
            "tl-internet-facing",
            policy,
            listener("tl-internet-facing-fail", HOOK_ONLY, internal=False),
            listener("tl-internet-facing-pass", HOOK_ONLY),
        ),
        Shape(
            "tl-port-unknown",
            policy,
            listener("tl-port-unknown-fail", HOOK_ONLY, port=UNKNOWN),
            listener("tl-port-unknown-pass", HOOK_ONLY, port=8443),
        ),
    ]


def release_shapes() -> list[Shape]:
    return [*lambda_shapes(), *ecs_shapes(), *scoped_action_shapes(), *listener_shapes()]


__all__ = ["function", "release_shapes"]
