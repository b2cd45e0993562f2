"""The evasion corpus (issue #16): each way of writing a violation that the obvious check would miss, in a failing
and a passing form, as the engine would record it.

All failing forms go into one plan and all passing forms into another, so the whole corpus costs two runs of the
pack (each start of `python -m pulumi.policy` costs about a second). Names are unique across the corpus, so each
result is traced back to its shape. The config makes every policy the corpus tests mandatory and everything else
advisory: a passing form must pass the policies under test, not the whole pack.
"""

from __future__ import annotations

import json
from typing import Any

from offline.plan import UNKNOWN, Plan, ResourceRecord
from tests.policies.corpus import ANY, PROJECT, STACK, Shape, allow, doc, rec
from tests.policies.evasion_release import function, release_shapes

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
BUCKET_ARN = "arn:aws:s3:::app-data/*"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ACCOUNT_ROOT = {"AWS": "arn:aws:iam::123456789012:root"}
TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})


def _iam(shape: str, policy: str, type_: str, bad: Any, good: Any, *, key: str = "policy") -> Shape:
    def form(kind: str, document: Any) -> list[ResourceRecord]:
        name = f"{shape}-{kind}"
        if key == "inlinePolicies":
            return [
                rec(type_, name, {"assumeRolePolicy": TRUST, "inlinePolicies": [{"name": "p", "policy": document}]})
            ]
        return [rec(type_, name, {key: document, "role": "r", "user": "u", "group": "g"})]

    return Shape(shape, policy, form("fail", bad), form("pass", good))


def iam_shapes() -> list[Shape]:
    scoped = doc(allow("s3:GetObject", BUCKET_ARN))
    admin = "iam-no-admin-statements"
    wide = "iam-no-service-wide-actions-on-any-resource"
    exfil = "iam-no-data-exfiltration-on-any-resource"
    return [
        _iam("iam-policy-json", admin, POLICY, doc(allow("*")), scoped),
        _iam("iam-rolepolicy-dict", admin, "aws:iam/rolePolicy:RolePolicy", doc(allow("*"), as_json=False), scoped),
        _iam("iam-userpolicy", admin, "aws:iam/userPolicy:UserPolicy", doc(allow(["*"], [ANY])), scoped),
        _iam("iam-grouppolicy", admin, "aws:iam/groupPolicy:GroupPolicy", doc(allow("*"), allow("s3:*")), scoped),
        _iam("iam-role-inline", admin, ROLE, doc(allow("*")), scoped, key="inlinePolicies"),
        _iam("iam-notaction", admin, POLICY, doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), scoped),
        _iam("iam-arn-star", admin, POLICY, doc(allow("*", "arn:*")), scoped),
        _iam("iam-service-wide", wide, POLICY, doc(allow("ec2:*")), doc(allow("ec2:DescribeInstances"))),
        _iam(
            "iam-notresource",
            wide,
            POLICY,
            doc({"Effect": "Allow", "Action": "EC2:*", "NotResource": "arn:aws:ec2:*:*:instance/keep"}),
            doc(allow("ec2:StartInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1")),
        ),
        _iam(
            "iam-secrets-all",
            exfil,
            POLICY,
            doc(allow("secretsmanager:GetSecretValue")),
            doc(allow("secretsmanager:GetSecretValue", SECRET_ARN)),
        ),
        _iam(
            "iam-ssm-all",
            exfil,
            "aws:iam/rolePolicy:RolePolicy",
            doc(allow(["ssm:GetParameter*"], "arn:aws:*")),
            doc(allow("ssm:GetParameters", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/*")),
        ),
        _iam(
            "iam-decrypt-all",
            "iam-no-kms-decrypt-on-all-keys",
            POLICY,
            doc(allow("kms:Decrypt")),
            doc(allow("kms:Decrypt", KEY_ARN)),
        ),
        *[
            Shape(
                f"iam-attach-{kind}",
                "iam-no-aws-managed-policies",
                [rec(type_, f"iam-attach-{kind}-fail", {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})],
                [rec(type_, f"iam-attach-{kind}-pass", {"policyArn": "arn:aws:iam::123456789012:policy/app-read"})],
            )
            for kind, type_ in (
                ("user", "aws:iam/userPolicyAttachment:UserPolicyAttachment"),
                ("group", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"),
                ("any", "aws:iam/policyAttachment:PolicyAttachment"),
            )
        ],
    ]


CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
AURORA_OK = {
    "engine": "aurora-postgresql",
    "storageEncrypted": True,
    "kmsKeyId": KEY_ARN,
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
}


def rds_shapes() -> list[Shape]:
    """RDS rules judge Aurora too: the cluster holds storage and backups, its instances hold public access."""

    def cluster(shape: str, kind: str, **change: Any) -> list[ResourceRecord]:
        return [rec(CLUSTER, f"{shape}-{kind}", {**AURORA_OK, **change})]

    return [
        Shape(
            "aurora-unencrypted",
            "rds-storage-encrypted",
            cluster("aurora-unencrypted", "fail", storageEncrypted=False),
            cluster("aurora-unencrypted", "pass"),
        ),
        Shape(
            "aurora-short-backups",
            "rds-backup-retention",
            cluster("aurora-short-backups", "fail", backupRetentionPeriod=1),
            cluster("aurora-short-backups", "pass"),
        ),
        Shape(
            "aurora-no-deletion-protection",
            "rds-deletion-protection",
            cluster("aurora-no-deletion-protection", "fail", deletionProtection=False),
            cluster("aurora-no-deletion-protection", "pass"),
        ),
        Shape(
            "aurora-public-instance",
            "rds-not-publicly-accessible",
            [
                rec(
                    CLUSTER_INSTANCE,
                    "aurora-public-instance-fail",
                    {"engine": "aurora-postgresql", "publiclyAccessible": True},
                )
            ],
            [
                rec(
                    CLUSTER_INSTANCE,
                    "aurora-public-instance-pass",
                    {"engine": "aurora-postgresql", "publiclyAccessible": False},
                )
            ],
        ),
    ]


KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


def kms_shapes() -> list[Shape]:
    public = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"})
    own = doc({"Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "kms:*", "Resource": "*"})
    key_fail = rec(KEY, "kms-policy-resource-key-fail", {"enableKeyRotation": True})
    key_pass = rec(KEY, "kms-policy-resource-key-pass", {"enableKeyRotation": True, "policy": own})
    return [
        Shape(
            "kms-keypolicy-public",
            "kms-key-policy-not-public",
            [key_fail, rec(KEY_POLICY, "kms-keypolicy-public-fail", {"keyId": "k", "policy": public}, keyId=key_fail)],
            [key_pass, rec(KEY_POLICY, "kms-keypolicy-public-pass", {"keyId": "k", "policy": own}, keyId=key_pass)],
        ),
        Shape(
            "kms-key-bypass",
            "kms-key-policy-lockout-safety-check",
            [rec(KEY, "kms-key-bypass-fail", {"policy": own, "bypassPolicyLockoutSafetyCheck": True})],
            [rec(KEY, "kms-key-bypass-pass", {"policy": own, "bypassPolicyLockoutSafetyCheck": False})],
        ),
        Shape(
            "kms-keypolicy-bypass",
            "kms-key-policy-lockout-safety-check",
            [
                rec(
                    KEY_POLICY,
                    "kms-keypolicy-bypass-fail",
                    {"keyId": "k", "policy": own, "bypassPolicyLockoutSafetyCheck": True},
                )
            ],
            [rec(KEY_POLICY, "kms-keypolicy-bypass-pass", {"keyId": "k", "policy": own})],
        ),
    ]


VPC = "aws:ec2/vpc:Vpc"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _ssh(*cidrs: str) -> dict[str, Any]:
    return {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": list(cidrs)}]}


def network_shapes() -> list[Shape]:
    split = "ec2-no-public-ingress-high-risk-ports"
    vpc_fail = rec(VPC, "net-default-rule-vpc-fail", {"cidrBlock": "10.0.0.0/16"})
    vpc_pass = rec(VPC, "net-default-rule-vpc-pass", {"cidrBlock": "10.0.0.0/16"})
    own_sg = rec(SG, "net-default-rule-sg-pass", {"vpcId": "vpc-1", "description": "app"}, vpcId=vpc_pass)
    joined_fail = rec(SG, "net-joined-fail", {"vpcId": "vpc-1", "description": "split"})
    joined_pass = rec(SG, "net-joined-pass", {"vpcId": "vpc-1", "description": "split"})

    def half(group: ResourceRecord, name: str, cidr: str) -> ResourceRecord:
        inputs = {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": cidr}
        return rec(INGRESS, name, inputs, securityGroupId=group)

    return [
        Shape(
            "net-split-halves",
            split,
            [rec(SG, "net-split-halves-fail", _ssh("0.0.0.0/1", "128.0.0.0/1"))],
            [rec(SG, "net-split-halves-pass", _ssh("10.0.0.0/8", "192.168.0.0/16"))],
        ),
        Shape(
            "net-ipv6-spelling",
            split,
            [
                rec(
                    INGRESS,
                    "net-ipv6-spelling-fail",
                    {
                        "securityGroupId": "sg-1",
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrIpv6": "0:0:0:0:0:0:0:0/0",
                    },
                )
            ],
            [
                rec(
                    INGRESS,
                    "net-ipv6-spelling-pass",
                    {
                        "securityGroupId": "sg-1",
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrIpv6": "fd00::/8",
                    },
                )
            ],
        ),
        Shape(
            "net-joined-rules",
            "ec2-no-public-ingress-high-risk-ports-joined",
            [
                half(joined_fail, "net-joined-a-fail", "0.0.0.0/1"),
                half(joined_fail, "net-joined-b-fail", "128.0.0.0/1"),
                joined_fail,
            ],
            [
                half(joined_pass, "net-joined-a-pass", "10.0.0.0/9"),
                half(joined_pass, "net-joined-b-pass", "10.128.0.0/9"),
                joined_pass,
            ],
        ),
        Shape(
            "net-default-sg-rule",
            "ec2-default-security-group-no-rule-resources",
            [
                vpc_fail,
                rec(
                    SG_RULE,
                    "net-default-rule-fail",
                    {
                        "type": "ingress",
                        "protocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "securityGroupId": "sg-default",
                        "cidrBlocks": ["10.0.0.0/16"],
                    },
                    securityGroupId=vpc_fail,
                ),
            ],
            [
                vpc_pass,
                own_sg,
                rec(
                    SG_RULE,
                    "net-default-rule-pass",
                    {
                        "type": "ingress",
                        "protocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "securityGroupId": "sg-app",
                        "cidrBlocks": ["10.0.0.0/16"],
                    },
                    securityGroupId=own_sg,
                ),
            ],
        ),
    ]


LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
SUBNET = "aws:ec2/subnet:Subnet"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def _subnets(prefix: str, *zones: str) -> list[ResourceRecord]:
    return [rec(SUBNET, f"{prefix}-{i}", {"vpcId": "vpc-1", "availabilityZone": z}) for i, z in enumerate(zones)]


def _alb(name: str, subnets: list[ResourceRecord], internal: bool = True) -> ResourceRecord:
    inputs = {"internal": internal, "loadBalancerType": "application", "subnets": [f"subnet-{s.name}" for s in subnets]}
    return rec(LB, name, inputs, subnets=subnets)


def lb_shapes() -> list[Shape]:
    two_zones_fail = _subnets("lb-waf-net-fail", "eu-west-1a", "eu-west-1b")
    two_zones_pass = _subnets("lb-waf-net-pass", "eu-west-1a", "eu-west-1b")
    public_fail = _alb("lb-public-fail", two_zones_fail, internal=False)
    public_pass = _alb("lb-public-pass", two_zones_pass, internal=False)
    cdn = rec(
        DISTRIBUTION, "lb-public-cdn-fail", {"enabled": True, "origins": [{"domainName": "alb"}]}, origins=public_fail
    )
    waf = rec(
        WAF_ASSOCIATION,
        "lb-public-waf-pass",
        {"resourceArn": "arn:alb", "webAclArn": "arn:acl"},
        resourceArn=public_pass,
    )
    one_zone = _subnets("lb-az-net-fail", "eu-west-1a", "eu-west-1a")
    two_zones = _subnets("lb-az-net-pass", "eu-west-1a", "eu-west-1b")

    def rule(name: str, listener: ResourceRecord, action: str) -> ResourceRecord:
        actions = (
            [{"type": action, "targetGroupArn": "arn:tg"}]
            if action == "forward"
            else [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
        )
        return rec(
            LISTENER_RULE, name, {"listenerArn": "arn:l", "priority": 10, "actions": actions}, listenerArn=listener
        )

    http_fail = rec(
        LISTENER,
        "lb-rule-http-fail",
        {
            "protocol": "HTTP",
            "port": 80,
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
            ],
        },
    )
    http_pass = rec(
        LISTENER,
        "lb-rule-http-pass",
        {
            "protocol": "HTTP",
            "port": 80,
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
            ],
        },
    )
    return [
        Shape(
            "lb-public-cloudfront-dependency",
            "elb-internet-facing-behind-waf",
            [*two_zones_fail, cdn, public_fail],
            [*two_zones_pass, waf, public_pass],
        ),
        Shape(
            "lb-one-zone",
            "elb-subnets-in-distinct-azs",
            [*one_zone, _alb("lb-az-fail", one_zone)],
            [*two_zones, _alb("lb-az-pass", two_zones)],
        ),
        Shape(
            "lb-http-rule-forwards",
            "elb-http-listener-rules-redirect-only",
            [http_fail, rule("lb-rule-fail", http_fail, "forward")],
            [http_pass, rule("lb-rule-pass", http_pass, "redirect")],
        ),
    ]


TASK = "aws:ecs/taskDefinition:TaskDefinition"
LAMBDA = "aws:lambda/function:Function"


def _task(name: str, *env: tuple[str, str]) -> ResourceRecord:
    container = {
        "name": "app",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "a" * 64,
        "environment": [{"name": k, "value": v} for k, v in env],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET_ARN}],
    }
    return rec(TASK, name, {"family": name, "containerDefinitions": json.dumps([container])})


def secret_shapes() -> list[Shape]:
    policy = "ecs-task-no-secrets-in-environment"
    return [
        Shape(
            "env-db-pass",
            policy,
            [_task("env-db-pass-fail", ("DB_PASS", "hunter2"))],
            [_task("env-db-pass-pass", ("DB_PASS_SECRET_ARN", SECRET_ARN))],
        ),
        Shape(
            "env-key-suffix",
            policy,
            [_task("env-key-suffix-fail", ("SIGNING_KEY", "abc"))],
            [_task("env-key-suffix-pass", ("KEY_ID", "alias/app"))],
        ),
        Shape(
            "env-credential-value",
            policy,
            [_task("env-credential-value-fail", ("CONFIG", "AKIAIOSFODNN7EXAMPLE"))],
            [_task("env-credential-value-pass", ("CONFIG", "postgres://app@db:5432/app"))],
        ),
        Shape(
            "env-url-password",
            policy,
            [_task("env-url-password-fail", ("DATABASE_URL", "postgres://app:s3cr3t-Pa55@db:5432/app"))],
            [_task("env-url-password-pass", ("DATABASE_URL", "postgres://app@db:5432/app"))],
        ),
        Shape(
            "env-lambda-pwd",
            policy,
            [rec(LAMBDA, "env-lambda-pwd-fail", {"environment": {"variables": {"PWD": "hunter2"}}})],
            # A function that passes the Lambda rules too: the pass plan is judged by every policy under test.
            function("env-lambda-pwd-pass", environment={"variables": {"LOG_LEVEL": "info"}}),
        ),
    ]


def missing_control_shapes() -> list[Shape]:
    cert = "aws:acm/certificate:Certificate"
    service = "aws:ecs/service:Service"
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    return [
        Shape(
            "acm-rsa-1024",
            "acm-rsa-key-length",
            [rec(cert, "acm-rsa-1024-fail", {"domainName": "app.example.com", "keyAlgorithm": "RSA_1024"})],
            [rec(cert, "acm-rsa-1024-pass", {"domainName": "app.example.com", "keyAlgorithm": "EC_prime256v1"})],
        ),
        Shape(
            "ecs-no-rollback",
            "ecs-service-deployment-circuit-breaker",
            [rec(service, "ecs-no-rollback-fail", {"deploymentCircuitBreaker": {"enable": True, "rollback": False}})],
            [rec(service, "ecs-no-rollback-pass", breaker)],
        ),
        Shape(
            "ecs-no-breaker",
            "ecs-service-deployment-circuit-breaker",
            [rec(service, "ecs-no-breaker-fail", {})],
            [rec(service, "ecs-no-breaker-pass", {**breaker, "deploymentController": {"type": "ECS"}})],
        ),
    ]


def unknown_shapes() -> list[Shape]:
    """Offline, an unknown input on a mandatory control blocks unless the policy config accepts it by name."""
    return [
        Shape(
            "unknown-encryption",
            "rds-storage-encrypted",
            [rec(CLUSTER, "unknown-encryption-fail", {**AURORA_OK, "storageEncrypted": UNKNOWN})],
            [rec(CLUSTER, "unknown-encryption-pass", {**AURORA_OK, "storageEncrypted": UNKNOWN})],
            accept=["unknown-encryption-pass:storageEncrypted"],
        ),
        Shape(
            "unknown-policy-document",
            "iam-no-admin-statements",
            [rec(POLICY, "unknown-policy-document-fail", {"policy": UNKNOWN})],
            [rec(POLICY, "unknown-policy-document-pass", {"policy": UNKNOWN})],
            accept=["unknown-policy-document-pass:policy"],
        ),
    ]


SHAPES: list[Shape] = [
    *iam_shapes(),
    *rds_shapes(),
    *kms_shapes(),
    *network_shapes(),
    *lb_shapes(),
    *secret_shapes(),
    *missing_control_shapes(),
    *unknown_shapes(),
    *release_shapes(),
]


def plan(form: str) -> Plan:
    """All failing forms (`form="fail"`) or all passing forms in one plan."""
    records = [r for s in SHAPES for r in (s.fail if form == "fail" else s.passing)]
    return Plan(PROJECT, STACK, records, {})


def config() -> dict[str, Any]:
    """Every policy the corpus tests mandatory, all others advisory. The passing forms' unknowns are accepted by
    name for every policy under test (acceptance is per policy: each policy that reads the input must accept it)."""
    accepted = [a for s in SHAPES for a in s.accept]
    out: dict[str, Any] = {"all": "advisory"}
    for shape in SHAPES:
        out[shape.policy] = {"enforcementLevel": "mandatory", "acceptUnknown": accepted}
    return out
