"""EC2/VPC rules on recorded production inputs, passing as recorded and failing once mutated."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, both, drop, put, record, reference

VPC, SUBNET, SG = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NACL = "aws:ec2/networkAcl:NetworkAcl"
OPEN = {"cidrIpv4": "0.0.0.0/0"}


def without(type_: str, name: str | None = None):  # type: ignore[no-untyped-def]
    def build():  # type: ignore[no-untyped-def]
        plan = reference()
        plan.resources = [r for r in plan.resources if not (r.type == type_ and (name is None or r.name == name))]
        return plan

    return build


def with_nacl(entry: dict[str, object]):  # type: ignore[no-untyped-def]
    def build():  # type: ignore[no-untyped-def]
        plan = reference()
        vpc = plan.one(VPC)
        nacl = type(vpc)(vpc.urn.replace("ec2/vpc:Vpc", "ec2/networkAcl:NetworkAcl"), NACL, "network", True, None, {})
        nacl.inputs = {"vpcId": "vpc-1", "ingress": [entry]}
        plan.resources.append(nacl)
        return plan

    return build


def attached_workload_to_public_subnet():  # type: ignore[no-untyped-def]
    plan = reference()
    service = plan.one("aws:ecs/service:Service")
    service.dependencies.append(plan.one(SUBNET, "network-public-eu-west-1a").urn)
    return plan


def inline_and_standalone():  # type: ignore[no-untyped-def]
    plan = reference()
    plan.one(SG, "network-endpoints").inputs["ingress"] = [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"], "description": "x"}
    ]
    return plan


def rule_on(target_type: str, target: str | None, *cidrs: str) -> Plan:
    """Standalone ingress rules (port 5432) whose securityGroupId comes from `target` (a VPC: its default group)."""
    plan = reference()
    urn = plan.one(target_type, target).urn
    for i, cidr in enumerate(cidrs):
        rule = record(INGRESS, f"extra-{i}", {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": cidr})
        rule.property_dependencies = {"securityGroupId": [urn]}
        plan.resources.append(rule)
    return plan


CASES = [
    Case("ec2-default-security-group-no-rule-resources", INGRESS, "api-from-alb", None, "pass"),
    Case(
        "ec2-default-security-group-no-rule-resources",
        INGRESS,
        "extra-0",
        None,
        "violation",
        build=lambda: rule_on(VPC, None, "10.0.0.0/16"),
    ),
    Case(
        "ec2-no-public-ingress-high-risk-ports-joined",
        SG,
        "network-endpoints",
        None,
        "pass",
        build=lambda: rule_on(SG, "network-endpoints", "10.0.0.0/9", "10.128.0.0/9"),
    ),
    Case(
        "ec2-no-public-ingress-high-risk-ports-joined",
        SG,
        "network-endpoints",
        None,
        "violation",
        build=lambda: rule_on(SG, "network-endpoints", "0.0.0.0/1", "128.0.0.0/1"),
    ),
    Case(
        "ec2-no-public-ingress-high-risk-ports",
        INGRESS,
        "extra-0",
        None,
        "violation",
        build=lambda: rule_on(SG, "network-endpoints", "::0/0"),
    ),
    Case(
        "ec2-no-public-ingress-high-risk-ports",
        INGRESS,
        "extra-0",
        None,
        "violation",
        build=lambda: rule_on(SG, "network-endpoints", "0.0.0.0/1"),
    ),
    Case(
        "ec2-no-public-ingress-high-risk-ports",
        INGRESS,
        "extra-0",
        None,
        "pass",
        build=lambda: rule_on(SG, "network-endpoints", "100.64.0.0/10"),
    ),
    Case("vpc-flow-logs-enabled", VPC, None, None, "pass"),
    Case("vpc-flow-logs-enabled", VPC, None, None, "violation", build=without(FLOW_LOG)),
    Case("ec2-default-security-group-closed", DEFAULT_SG, None, None, "pass"),
    Case(
        "ec2-default-security-group-closed",
        DEFAULT_SG,
        None,
        put("ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "violation",
    ),
    Case("ec2-subnet-no-auto-public-ip", SUBNET, "network-public-eu-west-1a", None, "pass"),
    Case(
        "ec2-subnet-no-auto-public-ip",
        SUBNET,
        "network-public-eu-west-1a",
        put("mapPublicIpOnLaunch", True),
        "violation",
    ),
    Case("ec2-workload-subnets-no-igw-route", SUBNET, "network-private-eu-west-1a", None, "pass"),
    Case(
        "ec2-workload-subnets-no-igw-route",
        SUBNET,
        "network-public-eu-west-1a",
        None,
        "violation",
        build=attached_workload_to_public_subnet,
    ),
    Case("ec2-no-public-ingress-high-risk-ports", INGRESS, "alb-vpc-origin", None, "pass"),
    Case(
        "ec2-no-public-ingress-high-risk-ports",
        INGRESS,
        "api-from-alb",
        both(put("cidrIpv4", "0.0.0.0/0"), drop("referencedSecurityGroupId")),
        "violation",
        contains="8080",
    ),
    Case("ec2-public-ingress-authorized-ports-only", INGRESS, "network-endpoints-https", None, "pass"),
    Case(
        "ec2-public-ingress-authorized-ports-only",
        INGRESS,
        "network-endpoints-https",
        both(put("cidrIpv4", "0.0.0.0/0"), put("fromPort", 22), put("toPort", 22)),
        "violation",
    ),
    Case("ec2-no-unrestricted-egress", EGRESS, "api-https-out-0", None, "pass"),
    Case("ec2-no-unrestricted-egress", EGRESS, "api-https-out-0", put("ipProtocol", "-1"), "violation"),
    Case("ec2-security-group-described", SG, "api", None, "pass"),
    Case("ec2-security-group-described", SG, "api", put("description", "Managed by Pulumi"), "violation"),
    Case("ec2-security-group-described", INGRESS, "api-from-alb", drop("description"), "violation"),
    Case("ec2-security-group-attached", SG, "db", None, "pass"),
    Case("ec2-security-group-attached", SG, "db", None, "violation", build=without("aws:rds/instance:Instance")),
    Case("ec2-security-group-no-rule-management-conflicts", SG, "network-endpoints", None, "pass"),
    Case(
        "ec2-security-group-no-rule-management-conflicts",
        SG,
        "network-endpoints",
        None,
        "violation",
        build=inline_and_standalone,
    ),
    Case(
        "ec2-nacl-no-public-admin-ports",
        NACL,
        None,
        None,
        "pass",
        build=with_nacl(
            {"action": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "tcp", "fromPort": 443, "toPort": 443}
        ),
    ),
    Case(
        "ec2-nacl-no-public-admin-ports",
        NACL,
        None,
        None,
        "violation",
        build=with_nacl(
            {"action": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "tcp", "fromPort": 0, "toPort": 65535}
        ),
    ),
    Case("ec2-ecr-interface-endpoints", VPC, None, None, "pass"),
    Case("ec2-ecr-interface-endpoints", VPC, None, None, "violation", build=without(ENDPOINT, "network-ecr-dkr")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def rejecting_only():  # type: ignore[no-untyped-def]
    plan = reference()
    plan.one(FLOW_LOG).inputs["trafficType"] = "REJECT"
    return plan


def test_flow_log_traffic_types_come_from_policy_config() -> None:
    """REJECT satisfies EC2.6's default parameter; a stricter config (ALL only) turns it into a violation."""
    Case("vpc-flow-logs-enabled", VPC, None, None, "pass", build=rejecting_only).run()
    strict = {"allowedTrafficTypes": ["ALL"]}
    Case("vpc-flow-logs-enabled", VPC, None, None, "violation", config=strict, build=rejecting_only).run()
