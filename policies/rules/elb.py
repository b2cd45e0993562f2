"""Elastic Load Balancing v2: the ALB, its listeners and target groups, and what protects it."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    get,
    is_false,
    is_true,
    items,
    known,
    label,
    resource_policy,
    stack_policy,
    strings,
)

LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUP = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
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

C026 = Control(
    "C026",
    "Access logs enabled to S3",
    Severity.MEDIUM,
    "ELB.5",
    cdk_nag=("AwsSolutions-ELB2",),
    checkov=("CKV_AWS_91",),
    awsguard=("elb-logging-enabled",),
)
C027 = Control(
    "C027",
    "Deletion protection enabled",
    Severity.MEDIUM,
    "ELB.6",
    cdk_nag=("R5:ELBDeletionProtectionEnabled",),
    checkov=("CKV_AWS_150",),
    awsguard=("elb-deletion-protection-enabled",),
)
C028 = Control(
    "C028",
    "dropInvalidHeaderFields true",
    Severity.MEDIUM,
    "ELB.4",
    cdk_nag=("PCI/HIPAA:ALBHttpDropInvalidHeaderEnabled",),
    checkov=("CKV_AWS_131",),
)
C029 = Control(
    "C029", "desyncMitigationMode defensive or strictest", Severity.MEDIUM, "ELB.12", checkov=("CKV_AWS_328",)
)
C030 = Control("C030", "Subnets span at least two AZs", Severity.MEDIUM, "ELB.13")
C031 = Control(
    "C031",
    "Internet-facing ALB protected by WAF (directly or behind CloudFront)",
    Severity.MEDIUM,
    "ELB.16",
    "unverified",
    cdk_nag=("R5:ALBWAFEnabled",),
    checkov=("CKV2_AWS_28",),
    severity_source="third-party",
)
C032 = Control(
    "C032",
    "HTTP listener redirects to HTTPS",
    Severity.MEDIUM,
    "ELB.1",
    cdk_nag=("R5:ALBHttpToHttpsRedirection",),
    checkov=("CKV2_AWS_20",),
    awsguard=("alb-http-to-https-redirection",),
)
C033 = Control(
    "C033",
    "Listeners use HTTPS (HTTP only for the redirect)",
    Severity.MEDIUM,
    "ELB.18",
    "unverified",
    checkov=("CKV_AWS_2",),
    severity_source="third-party",
)
C034 = Control(
    "C034",
    "Listener sslPolicy is a recommended TLS 1.2/1.3 policy",
    Severity.MEDIUM,
    "ELB.17",
    "unverified",
    checkov=("CKV_AWS_103", "CKV2_AWS_74"),
    severity_source="third-party",
)
C035 = Control(
    "C035",
    "HTTPS listener certificate comes from ACM",
    Severity.MEDIUM,
    cdk_nag=("R5:ELBv2ACMCertificateRequired",),
    severity_source="suggested",
)
C036 = Control(
    "C036",
    "Target group protocol HTTPS",
    Severity.MEDIUM,
    "ELB.22",
    "unverified",
    checkov=("CKV_AWS_378",),
    severity_source="third-party",
)
C037 = Control(
    "C037", "Target group health check defined", Severity.LOW, checkov=("CKV_AWS_261",), severity_source="suggested"
)


def _application(args: ResourceValidationArgs) -> bool:
    return str(get(args.props, "loadBalancerType", default="application")) == "application"


def access_logs(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    logs = get(args.props, "accessLogs")
    if not is_true(get(logs, "enabled")) or not get(logs, "bucket"):
        report("Access logs are not enabled (accessLogs.enabled with an S3 bucket).")


def deletion_protection(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "enableDeletionProtection")):
        report("enableDeletionProtection is not true.")


def drop_invalid_headers(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not _application(args):
        args.not_applicable("Not an Application Load Balancer: invalid header dropping is an ALB setting.")
    if not is_true(get(args.props, "dropInvalidHeaderFields")):
        report("dropInvalidHeaderFields is not true: requests with invalid HTTP headers reach the targets.")


def desync_mitigation(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not _application(args):
        args.not_applicable("Not an Application Load Balancer: desync mitigation is an ALB setting.")
    mode = str(get(args.props, "desyncMitigationMode", default="defensive"))
    if mode not in settings["allowedModes"]:
        report(f"desyncMitigationMode is {mode}; allowed: {', '.join(settings['allowedModes'])}.")


def multi_az(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    subnets = {str(s) for s in items(get(args.props, "subnets"))}
    subnets |= {str(get(m, "subnetId")) for m in items(get(args.props, "subnetMappings"))}
    if len(subnets) < 2:
        report(f"The load balancer is placed in {len(subnets)} subnet(s); it needs subnets in at least two AZs.")


def alb_protected(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for lb in stack.of_type(*LB):
        if is_true(known(lb.props, "internal")) or str(known(lb.props, "loadBalancerType") or "application") != (
            "application"
        ):
            continue
        waf = stack.referencing(lb, [WAF_ASSOCIATION], "resourceArn")
        fronted = [d for d in stack.of_type(DISTRIBUTION) if stack.depends_on(d, lb)]
        if not waf and not fronted:
            report(
                f"{label(lb)} is internet-facing with neither a WAFv2 web ACL association nor a CloudFront "
                "distribution in front of it.",
                lb.urn,
            )


def _redirects_to_https(args: ResourceValidationArgs) -> bool:
    actions = list(items(get(args.props, "defaultActions")))
    return bool(actions) and all(
        str(get(a, "type")) == "redirect" and str(get(a, "redirect", "protocol", default="")).upper() == "HTTPS"
        for a in actions
    )


def http_redirect(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "protocol", default="HTTP")).upper() != "HTTP":
        args.not_applicable("Not an HTTP listener: the redirect rule judges plain-HTTP listeners.")
    if not _redirects_to_https(args):
        report("The HTTP listener's default action does not redirect to HTTPS.")


def listener_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    protocol = str(get(args.props, "protocol", default="HTTP")).upper()
    if protocol in ("HTTPS", "TLS"):
        return
    if protocol == "HTTP" and _redirects_to_https(args):
        return
    report(f"The listener serves {protocol} without redirecting to HTTPS.")


def listener_tls_policy(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if str(get(args.props, "protocol", default="HTTP")).upper() not in ("HTTPS", "TLS"):
        args.not_applicable("Not an HTTPS/TLS listener: no TLS policy to judge.")
    policy = str(get(args.props, "sslPolicy", default="ELBSecurityPolicy-2016-08 (AWS default)"))
    if policy not in settings["allowedSslPolicies"]:
        report(f"sslPolicy {policy} is not one of the allowed TLS 1.2+/1.3 policies.")


def listener_acm(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "protocol", default="HTTP")).upper() not in ("HTTPS", "TLS"):
        args.not_applicable("Not an HTTPS/TLS listener: no certificate to judge.")
    certificate = str(get(args.props, "certificateArn", default=""))
    if not certificate.startswith("arn:aws:acm:"):
        report(f"certificateArn {certificate or '(none)'} is not an ACM certificate.")


def target_group_https(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "targetType", default="instance")) == "lambda":
        args.not_applicable("Lambda target groups have no protocol.")
    protocol = str(get(args.props, "protocol", default="HTTP")).upper()
    if protocol not in ("HTTPS", "TLS"):
        report(f"Target group protocol is {protocol}: traffic from the load balancer to targets is not encrypted.")


def health_check(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    check = get(args.props, "healthCheck")
    if check is None or is_false(get(check, "enabled")):
        report("No health check is configured.")
    elif str(get(check, "protocol", default="HTTP")).upper() in ("HTTP", "HTTPS") and not get(check, "path"):
        report("The HTTP health check names no path.")


POLICIES: list[Policy] = [
    resource_policy(
        "elb-access-logs-enabled",
        C026,
        LB,
        "Load balancers write access logs to S3.",
        "Set access_logs={'bucket': <log bucket>, 'enabled': True}; the bucket must use SSE-S3 (see the S3 rules).",
        access_logs,
        promoted=True,
    ),
    resource_policy(
        "elb-deletion-protection",
        C027,
        LB,
        "Load balancers have deletion protection.",
        "Set enable_deletion_protection=True.",
        deletion_protection,
        promoted=True,
    ),
    resource_policy(
        "elb-drop-invalid-headers",
        C028,
        LB,
        "Application Load Balancers drop requests with invalid HTTP headers.",
        "Set drop_invalid_header_fields=True.",
        drop_invalid_headers,
        promoted=True,
    ),
    resource_policy(
        "elb-desync-mitigation",
        C029,
        LB,
        "Application Load Balancers mitigate HTTP desync in defensive or strictest mode.",
        "Leave desync_mitigation_mode unset (defensive) or set 'strictest'.",
        desync_mitigation,
        config={"allowedModes": strings(["defensive", "strictest"], "Accepted desync mitigation modes.")},
    ),
    resource_policy(
        "elb-multi-az",
        C030,
        LB,
        "Load balancers span at least two Availability Zones.",
        "Pass subnets from at least two Availability Zones.",
        multi_az,
    ),
    stack_policy(
        "elb-internet-facing-behind-waf",
        C031,
        LB,
        "An internet-facing ALB has a WAFv2 web ACL, or sits behind a CloudFront distribution (whose WAF the "
        "CloudFront rules check).",
        "Associate a REGIONAL web ACL with aws.wafv2.WebAclAssociation, or front the ALB with CloudFront and "
        "accept only the CloudFront origin-facing prefix list on its security group.",
        alb_protected,
        promoted=True,
        url=f"{DOCS}/application-load-balancers.html#load-balancer-waf",
    ),
    resource_policy(
        "elb-http-redirects-to-https",
        C032,
        LISTENER,
        "Plain-HTTP listeners only redirect to HTTPS.",
        "Make the HTTP listener's default action a redirect with protocol='HTTPS', status_code='HTTP_301'.",
        http_redirect,
        promoted=True,
    ),
    resource_policy(
        "elb-listener-https",
        C033,
        LISTENER,
        "Listeners serve HTTPS (a plain-HTTP listener may only redirect).",
        "Serve HTTPS with an ACM certificate; keep port 80 as a redirect only.",
        listener_https,
        promoted=True,
        url=f"{DOCS}/create-https-listener.html",
    ),
    resource_policy(
        "elb-listener-tls-policy",
        C034,
        LISTENER,
        "HTTPS listeners negotiate TLS 1.2 or newer with strong ciphers.",
        "Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' (or another allowed policy).",
        listener_tls_policy,
        config={"allowedSslPolicies": strings(TLS_POLICIES, "ELB security policies with TLS 1.2+ and strong ciphers.")},
        promoted=True,
        url=f"{DOCS}/describe-ssl-policies.html",
    ),
    resource_policy(
        "elb-listener-acm-certificate",
        C035,
        LISTENER,
        "HTTPS listeners use a certificate managed by ACM.",
        "Issue the certificate with aws.acm.Certificate (DNS validation) and pass its ARN.",
        listener_acm,
        url=f"{DOCS}/https-listener-certificates.html",
    ),
    resource_policy(
        "elb-target-group-https",
        C036,
        TARGET_GROUP,
        "Target groups receive HTTPS from the load balancer.",
        "Set protocol='HTTPS' on the target group and serve TLS in the container.",
        target_group_https,
        url=f"{DOCS}/load-balancer-target-groups.html",
    ),
    resource_policy(
        "elb-target-group-health-check",
        C037,
        TARGET_GROUP,
        "Target groups check their targets' health.",
        "Set health_check with enabled=True and the service's health path.",
        health_check,
        url=f"{DOCS}/target-group-health-checks.html",
    ),
]
