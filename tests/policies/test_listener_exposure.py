"""The test listener of a blue/green release stays private: the recorded production ALB (internal, HTTPS from the
CloudFront VPC origin only) gets a second, synthetic test listener (`alb-trial`, 9443: whether or not the stack
already has its own on 8443), then every rule shape that could open that port."""

from __future__ import annotations

from typing import Any

import pytest

from offline.plan import UNKNOWN, Plan, ResourceRecord
from tests.policies.support import Case, reference

LB, LISTENER = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
POLICY = "elb-test-listener-not-public"
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/1"


def linked(type_: str, name: str, inputs: dict[str, Any], **links: ResourceRecord) -> ResourceRecord:
    urn = f"urn:pulumi:production::app-platform::{type_}::{name}"
    deps = {k: [v.urn] for k, v in links.items()}
    return ResourceRecord(
        urn,
        type_,
        name,
        True,
        None,
        inputs,
        sorted(d[0] for d in deps.values()),
        None,
        False,
        property_dependencies=deps,
    )


def with_test_listener(*rules: dict[str, Any], port: Any = 9443, internal: bool = True, kind: str = INGRESS) -> Plan:
    """The production plan plus an HTTPS test listener on `port` and standalone ingress rules on the ALB's group."""
    plan = reference()
    lb, group = plan.one(LB), plan.one(SG, "alb")
    lb.inputs["internal"] = internal
    listener = {
        "loadBalancerArn": "arn:alb",
        "port": port,
        "protocol": "HTTPS",
        "certificateArn": CERT,
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "defaultActions": [{"type": "forward"}],
    }
    plan.resources.append(linked(LISTENER, "alb-trial", listener, loadBalancerArn=lb))
    for i, rule in enumerate(rules):
        inputs = {"securityGroupId": "sg-alb", "description": "test", **rule}
        plan.resources.append(linked(kind, f"alb-trial-{i}", inputs, securityGroupId=group))
    return plan


def inline(block: dict[str, Any]) -> Plan:
    plan = with_test_listener()
    plan.one(SG, "alb").inputs["ingress"] = [block]
    return plan


def tcp(low: int, high: int, **source: Any) -> dict[str, Any]:
    return {"ipProtocol": "tcp", "fromPort": low, "toPort": high, **source}


CASES = [
    Case(POLICY, LISTENER, "alb-https", None, "pass"),
    Case(POLICY, LISTENER, "alb-http", None, "pass"),
    # Only the smoke-test hook's group is admitted: the contract's shape.
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "pass",
        build=lambda: with_test_listener(tcp(9443, 9443, referencedSecurityGroupId="sg-hook")),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "pass",
        build=lambda: with_test_listener(tcp(9443, 9443, cidrIpv4="10.30.0.0/16")),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(tcp(9443, 9443, cidrIpv4="0.0.0.0/0")),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(tcp(9000, 10000, cidrIpv6="::0/0")),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener({"ipProtocol": "-1", "cidrIpv6": "0:0:0:0:0:0:0:0/0"}),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(tcp(9443, 9443, prefixListId="pl-3b927c52")),
        contains="prefix list",
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(
            tcp(9443, 9443, cidrIpv4="0.0.0.0/1"), tcp(9443, 9443, cidrIpv4="128.0.0.0/1")
        ),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(
            {"type": "ingress", "protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]},
            kind=SG_RULE,
        ),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: inline({"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}),
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(internal=False),
        contains="internet-facing",
    ),
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "violation",
        build=lambda: with_test_listener(port=UNKNOWN),
        contains="unknown",
    ),
    # Port 80 counts as production only while it redirects; a forwarding port 80 is judged like a test port.
    Case(
        POLICY,
        LISTENER,
        "alb-http",
        lambda i: i.update(defaultActions=[{"type": "forward"}]),
        "violation",
        build=lambda: with_test_listener(tcp(80, 80, cidrIpv4="0.0.0.0/0")),
    ),
    # A public rule on another port does not expose the test port.
    Case(
        POLICY,
        LISTENER,
        "alb-trial",
        None,
        "pass",
        build=lambda: with_test_listener(tcp(443, 443, cidrIpv4="0.0.0.0/0")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
