"""WAFv2 web ACLs: rules, logging, metrics and the known-bad-inputs rule set."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import document, get, is_true, items, label
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
from .stack import StackView

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
DOCS = "https://docs.aws.amazon.com/waf/latest/developerguide"


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


@ResourceRule(
    name="waf-web-acl-has-rules",
    control=Control(
        id="C051",
        title="Web ACL has at least one rule",
        severity=Severity.MEDIUM,
        fsbp="WAF.10",
        checkov=("CKV_AWS_175", "CKV_AWS_342"),
    ),
    types=[WEB_ACL],
    description="Web ACLs contain at least one rule or rule group.",
    remediation="Add AWS managed rule groups (AWSManagedRulesCommonRuleSet, KnownBadInputs, rate limiting).",
    enforcement=MANDATORY,
)
def has_rules(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not rules(args):
        report("The web ACL has no rules: only its default action applies.")


@StackRule(
    name="waf-web-acl-logging",
    control=Control(
        id="C052",
        title="Web ACL logging enabled",
        severity=Severity.LOW,
        fsbp="WAF.11",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("R5:WAFv2LoggingEnabled",),
        checkov=("CKV2_AWS_31",),
    ),
    types=[WEB_ACL],
    description="Web ACLs log the requests they inspect.",
    remediation="Add aws.wafv2.WebAclLoggingConfiguration to a log group named aws-waf-logs-*.",
    enforcement=ADVISORY,
    url=f"{DOCS}/logging.html",
)
def acl_logging(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for acl in stack.of_type(WEB_ACL):
        if not stack.referencing(acl, [LOGGING], "resourceArn"):
            report(f"{label(acl)} has no logging configuration.", acl.urn)


@ResourceRule(
    name="waf-cloudwatch-metrics",
    control=Control(
        id="C053",
        title="CloudWatch metrics on ACL and rules",
        severity=Severity.MEDIUM,
        fsbp="WAF.12",
        fsbp_status=FsbpStatus.UNVERIFIED,
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[WEB_ACL],
    inputs=("visibilityConfig.cloudwatchMetricsEnabled",),
    description="Web ACLs and their rules publish CloudWatch metrics.",
    remediation="Set visibility_config.cloudwatch_metrics_enabled=True on the web ACL and every rule.",
    enforcement=ADVISORY,
    url=f"{DOCS}/waf-metrics.html",
)
def metrics(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "visibilityConfig", "cloudwatchMetricsEnabled")):
        report("The web ACL's visibilityConfig.cloudwatchMetricsEnabled is not true.")
    for rule in rules(args):
        config = get(rule, "visibilityConfig", default=get(rule, "VisibilityConfig"))
        enabled = get(config, "cloudwatchMetricsEnabled", default=get(config, "CloudWatchMetricsEnabled"))
        if not is_true(enabled):
            report(f"Rule {get(rule, 'name', default=get(rule, 'Name'))}: CloudWatch metrics are not enabled.")


@ResourceRule(
    name="waf-known-bad-inputs",
    control=Control(
        id="C054",
        title="Managed known-bad-inputs (Log4j) rule group present",
        severity=Severity.HIGH,
        checkov=("CKV_AWS_192", "CKV2_AWS_47", "CKV2_AWS_76"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[WEB_ACL],
    description="Web ACLs include the managed rule groups that block known bad inputs such as Log4j exploits.",
    remediation="Add a rule with managed_rule_group_statement name='AWSManagedRulesKnownBadInputsRuleSet', vendor "
    "'AWS'.",
    enforcement=MANDATORY,
    config={
        "requiredManagedRuleGroups": strings(
            ["AWSManagedRulesKnownBadInputsRuleSet"], "AWS managed rule groups every web ACL must use."
        )
    },
    url=f"{DOCS}/aws-managed-rule-groups-baseline.html",
)
def known_bad_inputs(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    present = {n for rule in rules(args) for n in _managed_names(rule)}
    for required in settings["requiredManagedRuleGroups"]:
        if required not in present:
            report(f"The managed rule group {required} is not used.")


POLICIES: list[Policy] = declared(__name__)
