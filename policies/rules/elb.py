"""Elastic Load Balancing v2: the ALB, its listeners and target groups, and what protects it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import get, is_false, is_true, items, known, label, require_true
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    FsbpStatus,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    StackRule,
    declared,
    strings,
)
from .ec2 import SG, SUBNET, group_rules
from .stack import StackView

LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUP = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LISTENER_RULE = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
DOCS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application"

TLS_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
]


C032 = Control(
    id="C032",
    title="HTTP listener redirects to HTTPS",
    severity=Severity.MEDIUM,
    fsbp="ELB.1",
    cdk_nag=("R5:ALBHttpToHttpsRedirection",),
    checkov=("CKV2_AWS_20",),
    awsguard=("alb-http-to-https-redirection",),
)


def _application(args: ResourceValidationArgs) -> bool:
    return str(get(args.props, "loadBalancerType", default="application")) == "application"


@ResourceRule(
    name="elb-access-logs-enabled",
    control=Control(
        id="C026",
        title="Access logs enabled to S3",
        severity=Severity.MEDIUM,
        fsbp="ELB.5",
        cdk_nag=("AwsSolutions-ELB2",),
        checkov=("CKV_AWS_91",),
        awsguard=("elb-logging-enabled",),
    ),
    types=LB,
    inputs=("accessLogs",),
    description="Load balancers write access logs to S3.",
    remediation="Set access_logs={'bucket': <log bucket>, 'enabled': True}; the bucket must use SSE-S3 (see the S3 "
    "rules).",
    enforcement=MANDATORY,
)
def access_logs(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    logs = get(args.props, "accessLogs")
    if not is_true(get(logs, "enabled")) or not get(logs, "bucket"):
        report("Access logs are not enabled (accessLogs.enabled with an S3 bucket).")


@ResourceRule(
    name="elb-deletion-protection",
    control=Control(
        id="C027",
        title="Deletion protection enabled",
        severity=Severity.MEDIUM,
        fsbp="ELB.6",
        cdk_nag=("R5:ELBDeletionProtectionEnabled",),
        checkov=("CKV_AWS_150",),
        awsguard=("elb-deletion-protection-enabled",),
    ),
    types=LB,
    inputs=("enableDeletionProtection",),
    description="Load balancers have deletion protection.",
    remediation="Set enable_deletion_protection=True.",
    enforcement=MANDATORY,
)
def deletion_protection(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    require_true(args, report, "enableDeletionProtection")


@ResourceRule(
    name="elb-drop-invalid-headers",
    control=Control(
        id="C028",
        title="dropInvalidHeaderFields true",
        severity=Severity.MEDIUM,
        fsbp="ELB.4",
        cdk_nag=("PCI/HIPAA:ALBHttpDropInvalidHeaderEnabled",),
        checkov=("CKV_AWS_131",),
    ),
    types=LB,
    inputs=("dropInvalidHeaderFields",),
    description="Application Load Balancers drop requests with invalid HTTP headers.",
    remediation="Set drop_invalid_header_fields=True.",
    enforcement=MANDATORY,
)
def drop_invalid_headers(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not _application(args):
        args.not_applicable("Not an Application Load Balancer: invalid header dropping is an ALB setting.")
    require_true(args, report, "dropInvalidHeaderFields", ": requests with invalid HTTP headers reach the targets")


@ResourceRule(
    name="elb-desync-mitigation",
    control=Control(
        id="C029",
        title="desyncMitigationMode defensive or strictest",
        severity=Severity.MEDIUM,
        fsbp="ELB.12",
        checkov=("CKV_AWS_328",),
    ),
    types=LB,
    inputs=("desyncMitigationMode",),
    description="Application Load Balancers mitigate HTTP desync in defensive or strictest mode.",
    remediation="Leave desync_mitigation_mode unset (defensive) or set 'strictest'.",
    enforcement=ADVISORY,
    config={"allowedModes": strings(["defensive", "strictest"], "Accepted desync mitigation modes.")},
)
def desync_mitigation(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not _application(args):
        args.not_applicable("Not an Application Load Balancer: desync mitigation is an ALB setting.")
    mode = str(get(args.props, "desyncMitigationMode", default="defensive"))
    if mode not in settings["allowedModes"]:
        report(f"desyncMitigationMode is {mode}; allowed: {', '.join(settings['allowedModes'])}.")


@ResourceRule(
    name="elb-multi-az",
    control=Control(id="C030", title="Subnets span at least two AZs", severity=Severity.MEDIUM, fsbp="ELB.13"),
    types=LB,
    inputs=("subnets", "subnetMappings"),
    description="Load balancers span at least two Availability Zones.",
    remediation="Pass subnets from at least two Availability Zones.",
    enforcement=ADVISORY,
)
def multi_az(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    subnets = {str(s) for s in items(get(args.props, "subnets"))}
    subnets |= {str(get(m, "subnetId")) for m in items(get(args.props, "subnetMappings"))}
    if len(subnets) < 2:
        report(f"The load balancer is placed in {len(subnets)} subnet(s); it needs subnets in at least two AZs.")


def _public_albs(stack: StackView) -> list[PolicyResource]:
    return [
        lb
        for lb in stack.of_type(*LB)
        if not is_true(known(lb.props, "internal"))
        and str(known(lb.props, "loadBalancerType") or "application") == "application"
    ]


def _cloudfront_only(stack: StackView, lb: PolicyResource, prefix_lists: set[str]) -> bool:
    """Every ingress rule of every security group of the ALB admits only the CloudFront origin-facing prefix list
    (configured ids): then nothing but CloudFront reaches it. A distribution depending on the ALB proves nothing."""
    groups = [g for g in stack.of_type(SG) if stack.references(lb, "securityGroups", g)]
    ingress = [r for g in groups for r in group_rules(stack, g) if r.direction == "ingress"]
    return bool(groups) and all(
        not r.sources and r.prefix_lists and set(r.prefix_lists) <= prefix_lists for r in ingress
    )


@StackRule(
    name="elb-internet-facing-behind-waf",
    control=Control(
        id="C031",
        title="Internet-facing ALB protected by WAF (directly or behind CloudFront)",
        severity=Severity.MEDIUM,
        fsbp="ELB.16",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("R5:ALBWAFEnabled",),
        checkov=("CKV2_AWS_28",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=LB,
    description="An internet-facing ALB has a WAFv2 web ACL association, or admits only CloudFront (its security "
    "groups accept nothing but the CloudFront origin-facing prefix list; CloudFront's WAF is checked there).",
    remediation="Associate a REGIONAL web ACL with aws.wafv2.WebAclAssociation, or front the ALB with CloudFront and "
    "accept only the CloudFront origin-facing prefix list on its security group.",
    enforcement=MANDATORY,
    config={
        "cloudFrontPrefixListIds": strings(
            [], "Ids of the com.amazonaws.global.cloudfront.origin-facing prefix list in the stack's Regions."
        )
    },
    url=f"{DOCS}/application-load-balancers.html#load-balancer-waf",
)
def alb_protected(stack: StackView, report: ReportViolation, settings: Settings) -> None:
    allowed = {str(p) for p in settings["cloudFrontPrefixListIds"]}
    for lb in _public_albs(stack):
        if stack.referencing(lb, [WAF_ASSOCIATION], "resourceArn") or _cloudfront_only(stack, lb, allowed):
            continue
        report(
            f"{label(lb)} is internet-facing with neither a WAFv2 web ACL association nor ingress limited to the "
            "CloudFront origin-facing prefix list.",
            lb.urn,
        )


def redirects_to_https(props: Any, read: Callable[..., Any] = get) -> bool:
    """Every default action is a redirect to HTTPS. `read` is `get` for resource rules (an unknown action is
    "not evaluated") or `known` for stack rules (an unknown action is simply not a redirect)."""
    actions = list(items(read(props, "defaultActions")))
    return bool(actions) and all(
        str(read(a, "type")) == "redirect" and str(read(a, "redirect", "protocol") or "").upper() == "HTTPS"
        for a in actions
    )


def _redirects_to_https(args: ResourceValidationArgs) -> bool:
    return redirects_to_https(args.props)


@ResourceRule(
    name="elb-http-redirects-to-https",
    control=C032,
    types=LISTENER,
    inputs=("protocol",),
    description="Plain-HTTP listeners only redirect to HTTPS.",
    remediation="Make the HTTP listener's default action a redirect with protocol='HTTPS', status_code='HTTP_301'.",
    enforcement=MANDATORY,
)
def http_redirect(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "protocol", default="HTTP")).upper() != "HTTP":
        args.not_applicable("Not an HTTP listener: the redirect rule judges plain-HTTP listeners.")
    if not _redirects_to_https(args):
        report("The HTTP listener's default action does not redirect to HTTPS.")


@StackRule(
    name="elb-http-listener-rules-redirect-only",
    control=C032,
    types=LISTENER_RULE,
    description="Rules of plain-HTTP listeners only redirect to HTTPS (a forwarding rule serves plain HTTP even when "
    "the default action redirects).",
    remediation="Move the rule to the HTTPS listener; on the HTTP listener keep only the redirect.",
    enforcement=MANDATORY,
    url=f"{DOCS}/listener-update-rules.html",
)
def http_listener_rules(stack: StackView, report: ReportViolation, _: Settings) -> None:
    http = [lt for lt in stack.of_type(*LISTENER) if str(known(lt.props, "protocol") or "HTTP").upper() == "HTTP"]
    for rule in stack.of_type(*LISTENER_RULE):
        listener = next((lt for lt in http if stack.references(rule, "listenerArn", lt)), None)
        kinds = [str(known(a, "type")) for a in items(known(rule.props, "actions"))]
        serving = [k for k in kinds if k != "redirect"]
        if listener is not None and serving:
            report(f"{label(rule)} on HTTP {label(listener)} answers with {', '.join(serving)}.", rule.urn)


@StackRule(
    name="elb-subnets-in-distinct-azs",
    control=Control(
        id="C030",
        title="ALB spans multiple AZs",
        severity=Severity.MEDIUM,
        fsbp="ELB.13",
    ),
    types=LB,
    description="Load balancers are placed in subnets of at least two distinct Availability Zones (two subnets of "
    "one AZ are one AZ).",
    remediation="Pass one subnet per Availability Zone, in at least two zones.",
    enforcement=MANDATORY,
    url=f"{DOCS}/application-load-balancers.html#availability-zones",
)
def distinct_azs(stack: StackView, report: ReportViolation, _: Settings) -> None:
    subnets = stack.of_type(SUBNET)
    for lb in stack.of_type(*LB):
        placed = [s for s in subnets if stack.references(lb, "subnets", s)]
        zones = {str(known(s.props, "availabilityZone") or known(s.props, "availabilityZoneId")) for s in placed}
        if placed and len(zones - {"None"}) < 2:
            report(f"{label(lb)} is placed in {len(zones)} Availability Zone(s) ({', '.join(sorted(zones))}).", lb.urn)


@ResourceRule(
    name="elb-listener-https",
    control=Control(
        id="C033",
        title="Listeners use HTTPS (HTTP only for the redirect)",
        severity=Severity.MEDIUM,
        fsbp="ELB.18",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_2",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=LISTENER,
    inputs=("protocol",),
    description="Listeners serve HTTPS (a plain-HTTP listener may only redirect).",
    remediation="Serve HTTPS with an ACM certificate; keep port 80 as a redirect only.",
    enforcement=MANDATORY,
    url=f"{DOCS}/create-https-listener.html",
)
def listener_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    protocol = str(get(args.props, "protocol", default="HTTP")).upper()
    if protocol in ("HTTPS", "TLS"):
        return
    if protocol == "HTTP" and _redirects_to_https(args):
        return
    report(f"The listener serves {protocol} without redirecting to HTTPS.")


@ResourceRule(
    name="elb-listener-tls-policy",
    control=Control(
        id="C034",
        title="Listener sslPolicy is a recommended TLS 1.2/1.3 policy",
        severity=Severity.MEDIUM,
        fsbp="ELB.17",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_103", "CKV2_AWS_74"),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=LISTENER,
    inputs=("sslPolicy", "protocol"),
    description="HTTPS listeners negotiate TLS 1.2 or newer with strong ciphers.",
    remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' (or another allowed policy).",
    enforcement=MANDATORY,
    config={"allowedSslPolicies": strings(TLS_POLICIES, "ELB security policies with TLS 1.2+ and strong ciphers.")},
    url=f"{DOCS}/describe-ssl-policies.html",
)
def listener_tls_policy(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if str(get(args.props, "protocol", default="HTTP")).upper() not in ("HTTPS", "TLS"):
        args.not_applicable("Not an HTTPS/TLS listener: no TLS policy to judge.")
    policy = str(get(args.props, "sslPolicy", default="ELBSecurityPolicy-2016-08 (AWS default)"))
    if policy not in settings["allowedSslPolicies"]:
        report(f"sslPolicy {policy} is not one of the allowed TLS 1.2+/1.3 policies.")


@ResourceRule(
    name="elb-listener-acm-certificate",
    control=Control(
        id="C035",
        title="HTTPS listener certificate comes from ACM",
        severity=Severity.MEDIUM,
        cdk_nag=("R5:ELBv2ACMCertificateRequired",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=LISTENER,
    inputs=("certificateArn", "protocol"),
    description="HTTPS listeners use a certificate managed by ACM.",
    remediation="Issue the certificate with aws.acm.Certificate (DNS validation) and pass its ARN.",
    enforcement=ADVISORY,
    url=f"{DOCS}/https-listener-certificates.html",
)
def listener_acm(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "protocol", default="HTTP")).upper() not in ("HTTPS", "TLS"):
        args.not_applicable("Not an HTTPS/TLS listener: no certificate to judge.")
    certificate = str(get(args.props, "certificateArn", default=""))
    if not certificate.startswith("arn:aws:acm:"):
        report(f"certificateArn {certificate or '(none)'} is not an ACM certificate.")


@ResourceRule(
    name="elb-target-group-https",
    control=Control(
        id="C036",
        title="Target group protocol HTTPS",
        severity=Severity.MEDIUM,
        fsbp="ELB.22",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_378",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=TARGET_GROUP,
    inputs=("targetType", "protocol"),
    description="Target groups receive HTTPS from the load balancer.",
    remediation="Set protocol='HTTPS' on the target group and serve TLS in the container.",
    enforcement=ADVISORY,
    url=f"{DOCS}/load-balancer-target-groups.html",
)
def target_group_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "targetType", default="instance")) == "lambda":
        args.not_applicable("Lambda target groups have no protocol.")
    protocol = str(get(args.props, "protocol", default="HTTP")).upper()
    if protocol not in ("HTTPS", "TLS"):
        report(f"Target group protocol is {protocol}: traffic from the load balancer to targets is not encrypted.")


@ResourceRule(
    name="elb-target-group-health-check",
    control=Control(
        id="C037",
        title="Target group health check defined",
        severity=Severity.LOW,
        checkov=("CKV_AWS_261",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=TARGET_GROUP,
    inputs=("healthCheck",),
    description="Target groups check their targets' health.",
    remediation="Set health_check with enabled=True and the service's health path.",
    enforcement=ADVISORY,
    url=f"{DOCS}/target-group-health-checks.html",
)
def health_check(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    check = get(args.props, "healthCheck")
    if check is None or is_false(get(check, "enabled")):
        report("No health check is configured.")
    elif str(get(check, "protocol", default="HTTP")).upper() in ("HTTP", "HTTPS") and not get(check, "path"):
        report("The HTTP health check names no path.")


POLICIES: list[Policy] = declared(__name__)
