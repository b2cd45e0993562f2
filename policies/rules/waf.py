"""WAFv2 web ACLs: rules, logging, metrics and the known-bad-inputs rule set."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    document,
    get,
    is_true,
    items,
    label,
    resource_policy,
    stack_policy,
    strings,
)

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
DOCS = "https://docs.aws.amazon.com/waf/latest/developerguide"

C051 = Control(
    "C051", "Web ACL has at least one rule", Severity.MEDIUM, "WAF.10", checkov=("CKV_AWS_175", "CKV_AWS_342")
)
C052 = Control(
    "C052",
    "Web ACL logging enabled",
    Severity.LOW,
    "WAF.11",
    "unverified",
    cdk_nag=("R5:WAFv2LoggingEnabled",),
    checkov=("CKV2_AWS_31",),
)
C053 = Control(
    "C053",
    "CloudWatch metrics on ACL and rules",
    Severity.MEDIUM,
    "WAF.12",
    "unverified",
    severity_source="third-party",
)
C054 = Control(
    "C054",
    "Managed known-bad-inputs (Log4j) rule group present",
    Severity.HIGH,
    checkov=("CKV_AWS_192", "CKV2_AWS_47", "CKV2_AWS_76"),
    severity_source="suggested",
)


def rules(args: ResourceValidationArgs) -> list[Any]:
    declared = list(items(get(args.props, "rules")))
    raw = get(args.props, "ruleJson")
    if raw:
        parsed: Any = document('{"r": ' + raw + "}").get("r", []) if isinstance(raw, str) else raw
        declared += [r for r in items(parsed) if isinstance(r, dict)]
    return declared


def _managed_names(rule: Any) -> list[str]:
    statement = get(rule, "statement", default=get(rule, "Statement"))
    managed = get(statement, "managedRuleGroupStatement", default=get(statement, "ManagedRuleGroupStatement"))
    name = get(managed, "name", default=get(managed, "Name"))
    return [str(name)] if name else []


def has_rules(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not rules(args):
        report("The web ACL has no rules: only its default action applies.")


def acl_logging(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for acl in stack.of_type(WEB_ACL):
        if not stack.referencing(acl, [LOGGING], "resourceArn"):
            report(f"{label(acl)} has no logging configuration.", acl.urn)


def metrics(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "visibilityConfig", "cloudwatchMetricsEnabled")):
        report("The web ACL's visibilityConfig.cloudwatchMetricsEnabled is not true.")
    for rule in rules(args):
        config = get(rule, "visibilityConfig", default=get(rule, "VisibilityConfig"))
        enabled = get(config, "cloudwatchMetricsEnabled", default=get(config, "CloudWatchMetricsEnabled"))
        if not is_true(enabled):
            report(f"Rule {get(rule, 'name', default=get(rule, 'Name'))}: CloudWatch metrics are not enabled.")


def known_bad_inputs(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    present = {n for rule in rules(args) for n in _managed_names(rule)}
    for required in settings["requiredManagedRuleGroups"]:
        if required not in present:
            report(f"The managed rule group {required} is not used.")


POLICIES: list[Policy] = [
    resource_policy(
        "waf-web-acl-has-rules",
        C051,
        [WEB_ACL],
        "Web ACLs contain at least one rule or rule group.",
        "Add AWS managed rule groups (AWSManagedRulesCommonRuleSet, KnownBadInputs, rate limiting).",
        has_rules,
        promoted=True,
    ),
    stack_policy(
        "waf-web-acl-logging",
        C052,
        [WEB_ACL],
        "Web ACLs log the requests they inspect.",
        "Add aws.wafv2.WebAclLoggingConfiguration to a log group named aws-waf-logs-*.",
        acl_logging,
        url=f"{DOCS}/logging.html",
    ),
    resource_policy(
        "waf-cloudwatch-metrics",
        C053,
        [WEB_ACL],
        "Web ACLs and their rules publish CloudWatch metrics.",
        "Set visibility_config.cloudwatch_metrics_enabled=True on the web ACL and every rule.",
        metrics,
        url=f"{DOCS}/waf-metrics.html",
    ),
    resource_policy(
        "waf-known-bad-inputs",
        C054,
        [WEB_ACL],
        "Web ACLs include the managed rule groups that block known bad inputs such as Log4j exploits.",
        "Add a rule with managed_rule_group_statement name='AWSManagedRulesKnownBadInputsRuleSet', vendor 'AWS'.",
        known_bad_inputs,
        config={
            "requiredManagedRuleGroups": strings(
                ["AWSManagedRulesKnownBadInputsRuleSet"], "AWS managed rule groups every web ACL must use."
            )
        },
        url=f"{DOCS}/aws-managed-rule-groups-baseline.html",
    ),
]
