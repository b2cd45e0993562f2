"""Test listeners stay private (issue #22): an ALB listener that is not a production port (443, or 80 that only
redirects to HTTPS) serves a release before it is verified, so nothing outside the VPC may reach it.

Reachability is read from the ALB's security groups in every shape the pack knows (inline ingress,
aws:ec2/securityGroupRule, aws:vpc/securityGroupIngressRule; IPv4 and IPv6 in any spelling, ranges split across
rules, port ranges and all-traffic rules covering the port), plus the scheme: an internet-facing ALB with a test
listener fails whatever its groups say, since one later rule change would expose it. Any prefix list counts as
outside: even the CloudFront origin-facing list would put the test listener behind a public distribution.
ALB security groups filter inbound traffic per listener port:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html
"""

from __future__ import annotations

from pulumi_policy import Policy, PolicyResource, ReportViolation, Severity

from .common import is_true, known, label, number, text
from .declare import MANDATORY, Control, Settings, SeveritySource, StackRule, declared, integers
from .ec2 import SG, Rule, covers_everything, group_rules, public_sources
from .elb import redirects_to_https
from .stack import StackView

LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
DOCS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application"


def is_production(listener: PolicyResource, settings: Settings) -> bool:
    port = number(known(listener.props, "port"))
    if port is None:
        return False
    if int(port) in {int(p) for p in settings["productionPorts"]}:
        return True
    return int(port) in {int(p) for p in settings["redirectPorts"]} and redirects_to_https(listener.props, known)


def exposures(rules: list[Rule], port: int) -> list[str]:
    """How the ingress rules let the outside reach `port`: public ranges, ranges that together are everything,
    and prefix lists."""
    covering = [r for r in rules if r.direction == "ingress" and r.covers(port)]
    found = [f"{r.where}: {r.ports_text()} from {', '.join(public_sources(r.sources))}" for r in covering if r.public]
    if not found and covers_everything(s for r in covering for s in r.sources):
        found.append("rules that together cover all addresses")
    found += [
        f"{r.where}: {r.ports_text()} from prefix list {', '.join(r.prefix_lists)}" for r in covering if r.prefix_lists
    ]
    return found


def _listener_findings(stack: StackView, listener: PolicyResource, lb: PolicyResource) -> list[str]:
    port = number(known(listener.props, "port"))
    if port is None:
        return ["its port is unknown, so it cannot be shown to be private."]
    found = []
    if not is_true(known(lb.props, "internal")):
        found.append(f"{label(lb)} is internet-facing: a test listener belongs on an internal load balancer.")
    groups = [g for g in stack.of_type(SG) if stack.references(lb, "securityGroups", g)]
    if not groups:
        found.append(f"{label(lb)} names no security group of the stack (without one it gets the VPC's default group).")
    for group in groups:
        found += [f"{label(group)} {e}" for e in exposures(group_rules(stack, group), int(port))]
    return found


@StackRule(
    name="elb-test-listener-not-public",
    control=Control(
        id="P010",
        title="Test listeners are reachable only from inside the VPC",
        severity=Severity.HIGH,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=LISTENER,
    description="An ALB listener on a port other than the production ports (443, and 80 when it only redirects to "
    "HTTPS) belongs to an internal ALB whose security groups admit nothing on that port from 0.0.0.0/0, ::/0, a "
    "public range or any prefix list (in every rule shape, split ranges joined).",
    remediation="Put the test listener on the internal ALB and admit its port only from the smoke-test hook's "
    "security group (aws.vpc.SecurityGroupIngressRule with referenced_security_group_id).",
    enforcement=MANDATORY,
    config={
        "productionPorts": integers([443], "Listener ports that serve production traffic."),
        "redirectPorts": integers([80], "Ports that count as production while they only redirect to HTTPS."),
    },
    url=f"{DOCS}/load-balancer-update-security-groups.html",
)
def test_listener_not_public(stack: StackView, report: ReportViolation, settings: Settings) -> None:
    for listener in stack.of_type(*LISTENER):
        if is_production(listener, settings):
            continue
        port = known(listener.props, "port")
        where = f"{label(listener)} (port {'unknown' if port is None else text(port)}, not a production port)"
        balancers = [lb for lb in stack.of_type(*LB) if stack.references(listener, "loadBalancerArn", lb)]
        if not balancers:
            report(f"{where}: its load balancer is not in the stack, so its reachability is unknown.", listener.urn)
        for lb in balancers:
            if str(known(lb.props, "loadBalancerType") or "application") != "application":
                continue
            for finding in _listener_findings(stack, listener, lb):
                report(f"{where}: {finding}", listener.urn)


POLICIES: list[Policy] = declared(__name__)
