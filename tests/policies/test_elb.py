"""Load balancer, listener and target group rules on the recorded ALB."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, drop, put, record, reference

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"


def internet_facing(front: bool, waf: bool = False) -> Plan:
    plan = reference()
    lb = plan.one(LB)
    lb.inputs["internal"] = False
    if not front:
        plan.resources = [r for r in plan.resources if r.type != "aws:cloudfront/distribution:Distribution"]
    if waf:
        association = record("aws:wafv2/webAclAssociation:WebAclAssociation", "alb-waf", {"resourceArn": "arn:alb"})
        association.property_dependencies = {"resourceArn": [lb.urn]}
        plan.resources.append(association)
    return plan


def listener_rule(listener: str) -> Plan:
    plan = reference()
    rule = record(RULE, "extra", {"listenerArn": "arn:l", "actions": [{"type": "forward", "targetGroupArn": "arn:tg"}]})
    rule.property_dependencies = {"listenerArn": [plan.one(LISTENER, listener).urn]}
    plan.resources.append(rule)
    return plan


def one_zone() -> Plan:
    plan = reference()
    for subnet in plan.of_type("aws:ec2/subnet:Subnet"):
        subnet.inputs["availabilityZone"] = "eu-west-1a"
    return plan


CASES = [
    Case("elb-access-logs-enabled", LB, None, None, "pass"),
    Case("elb-access-logs-enabled", LB, None, put("accessLogs.enabled", False), "violation"),
    Case("elb-deletion-protection", LB, None, None, "pass"),
    Case("elb-deletion-protection", LB, None, put("enableDeletionProtection", False), "violation"),
    Case("elb-drop-invalid-headers", LB, None, None, "pass"),
    Case("elb-drop-invalid-headers", LB, None, drop("dropInvalidHeaderFields"), "violation"),
    Case("elb-drop-invalid-headers", LB, None, put("loadBalancerType", "network"), "not-applicable"),
    Case("elb-desync-mitigation", LB, None, None, "pass"),
    Case("elb-desync-mitigation", LB, None, put("desyncMitigationMode", "monitor"), "violation"),
    Case("elb-multi-az", LB, None, None, "pass"),
    Case("elb-multi-az", LB, None, lambda i: i.update(subnets=i["subnets"][:1]), "violation"),
    # A distribution in front proves nothing (the ALB's own ingress may still be open): a WAF association does.
    Case("elb-internet-facing-behind-waf", LB, None, None, "violation", build=lambda: internet_facing(front=True)),
    Case("elb-internet-facing-behind-waf", LB, None, None, "pass", build=lambda: internet_facing(True, waf=True)),
    Case(
        "elb-http-listener-rules-redirect-only", RULE, "extra", None, "pass", build=lambda: listener_rule("alb-https")
    ),
    Case(
        "elb-http-listener-rules-redirect-only",
        RULE,
        "extra",
        None,
        "violation",
        build=lambda: listener_rule("alb-http"),
    ),
    Case("elb-subnets-in-distinct-azs", LB, None, None, "pass"),
    Case("elb-subnets-in-distinct-azs", LB, None, None, "violation", build=one_zone),
    Case("elb-internet-facing-behind-waf", LB, None, None, "violation", build=lambda: internet_facing(front=False)),
    Case("elb-http-redirects-to-https", LISTENER, "alb-http", None, "pass"),
    Case(
        "elb-http-redirects-to-https",
        LISTENER,
        "alb-http",
        put("defaultActions", [{"type": "forward", "targetGroupArn": "arn:tg"}]),
        "violation",
    ),
    Case("elb-http-redirects-to-https", LISTENER, "alb-https", None, "not-applicable"),
    Case("elb-listener-https", LISTENER, "alb-https", None, "pass"),
    Case(
        "elb-listener-https",
        LISTENER,
        "alb-http",
        put("defaultActions", [{"type": "forward", "targetGroupArn": "arn:tg"}]),
        "violation",
    ),
    Case("elb-listener-tls-policy", LISTENER, "alb-https", None, "pass"),
    Case("elb-listener-tls-policy", LISTENER, "alb-https", put("sslPolicy", "ELBSecurityPolicy-2016-08"), "violation"),
    Case(
        "elb-listener-tls-policy",
        LISTENER,
        "alb-https",
        None,
        "violation",
        config={"allowedSslPolicies": ["ELBSecurityPolicy-TLS13-1-3-2021-06"]},
    ),
    Case("elb-listener-acm-certificate", LISTENER, "alb-https", None, "pass"),
    Case(
        "elb-listener-acm-certificate",
        LISTENER,
        "alb-https",
        put("certificateArn", "arn:aws:iam::123456789012:server-certificate/legacy"),
        "violation",
    ),
    Case("elb-target-group-https", TG, "api", put("protocol", "HTTPS"), "pass"),
    Case("elb-target-group-https", TG, "api", None, "violation"),
    Case("elb-target-group-health-check", TG, "api", None, "pass"),
    Case("elb-target-group-health-check", TG, "api", put("healthCheck.enabled", False), "violation"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
