"""A WAFv2 web ACL for CloudFront: AWS managed rule groups, a per-IP rate limit, metrics and logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws
from components.base import PlatformComponent
from components.logs import LogClass, LogSettings, encrypted_log_group

# (rule group, priority): baseline protections every internet-facing API should have.
MANAGED_RULE_GROUPS: tuple[tuple[str, int], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", 10),
    ("AWSManagedRulesCommonRuleSet", 20),
    ("AWSManagedRulesKnownBadInputsRuleSet", 30),
    ("AWSManagedRulesSQLiRuleSet", 40),
)


# Request bodies. AWSManagedRulesCommonRuleSet's SizeRestrictions_BODY blocks every body over 8 KB, which breaks
# APIs taking larger JSON. Above 8 KB this component sets that rule to count and blocks, with a rule of its own,
# bodies above the chosen limit; CloudFront forwards up to 16 KB of body to WAF by default and 32, 48 or 64 KB
# when the web ACL's association config says so, at extra cost (AWS WAF API, RequestBodyAssociatedResourceTypeConfig,
# https://docs.aws.amazon.com/waf/latest/APIReference/API_RequestBodyAssociatedResourceTypeConfig.html). The limit
# is also the inspection size, so every admitted byte is inspected by the other body rules (SQLi, XSS), and
# oversize handling MATCH blocks what WAF could not see (API_Body: OversizeHandling,
# https://docs.aws.amazon.com/waf/latest/APIReference/API_Body.html).
BODY_SIZE_RULE = "SizeRestrictions_BODY"
MANAGED_BODY_LIMIT_KB = 8
CLOUDFRONT_DEFAULT_INSPECTION_KB = 16
BODY_LIMITS_KB: tuple[int, ...] = (8, 16, 32, 48, 64)


@dataclass(frozen=True)
class WebFirewallArgs:
    """Arguments of `WebFirewall`."""

    tags: Mapping[str, str]
    """Tags on the web ACL and its log group; required."""
    rate_limit_per_ip: int
    """Requests per client IP per 5-minute window above which the IP is blocked; required, it depends on the
    API's traffic."""
    logs: LogSettings
    """Key and retention of the WAF log group (a security log); required."""
    log_group_name: str
    """The WAF log group's name; must start with `aws-waf-logs-` (WAF's rule) and be unique per stack, since it
    is a fixed name; required."""
    managed_rule_groups: Sequence[tuple[str, int]] = field(default_factory=lambda: MANAGED_RULE_GROUPS)
    """(AWS managed rule group, priority) pairs; default IP reputation, common rule set, known bad inputs and
    SQL injection: the baseline every internet-facing API should have."""
    max_body_kb: int = MANAGED_BODY_LIMIT_KB
    """Largest request body admitted, in KB: 8, 16, 32, 48 or 64; default 8, the managed common rule set as AWS
    ships it (larger limits cost more WAF inspection)."""


def _managed_group(group: str, larger_bodies: bool) -> Any:
    statement: dict[str, Any] = {"vendor_name": "AWS", "name": group}
    if larger_bodies and group == "AWSManagedRulesCommonRuleSet":
        # Count, not block: its 8 KB cannot be changed; our own body-size rule enforces the configured limit.
        statement["rule_action_overrides"] = [{"name": BODY_SIZE_RULE, "action_to_use": {"count": {}}}]
    return statement


def _body_size_rule(name: str, max_body_kb: int) -> Any:
    """Block bodies over the limit; a body larger than WAF can inspect matches too (oversize handling MATCH)."""
    return {
        "name": "body-size-limit",
        "priority": 2,
        "action": {"block": {}},
        "statement": {
            "size_constraint_statement": {
                "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                "comparison_operator": "GT",
                "size": max_body_kb * 1024,
                "text_transformations": [{"priority": 0, "type": "NONE"}],
            }
        },
        "visibility_config": _visibility(f"{name}-body-size-limit"),
    }


def _inspection_size(max_body_kb: int) -> Any:
    """How much body CloudFront forwards to WAF: the default 16 KB unless the limit is larger."""
    if max_body_kb <= CLOUDFRONT_DEFAULT_INSPECTION_KB:
        return None
    return {"request_bodies": [{"cloudfront": {"default_size_inspection_limit": f"KB_{max_body_kb}"}}]}


def _visibility(metric: str) -> Any:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


class WebFirewall(PlatformComponent):
    """Scope CLOUDFRONT, so it must be created in us-east-1 (pass that region's provider in `opts`)."""

    web_acl: aws.wafv2.WebAcl
    """The web ACL (escape hatch)."""
    log_group: aws.cloudwatch.LogGroup
    """The log group receiving the web ACL's logs (escape hatch)."""
    arn: pulumi.Output[str]
    """The web ACL's ARN (what the distribution's `web_acl_id` takes)."""
    name: pulumi.Output[str]
    """The web ACL's name (its metrics' `WebACL` dimension)."""
    metric_prefix: str
    """Prefix of the web ACL's and its rules' CloudWatch metric names."""

    def __init__(self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("waf", name, args.tags, opts)
        if args.max_body_kb not in BODY_LIMITS_KB:
            raise ValueError(f"max_body_kb must be one of {BODY_LIMITS_KB} (the body sizes WAF can inspect)")
        if not args.log_group_name.startswith("aws-waf-logs-"):
            raise ValueError("WAF only delivers to log groups whose name starts with aws-waf-logs-")
        self.metric_prefix = name
        self.web_acl = aws.wafv2.WebAcl(
            name,
            scope="CLOUDFRONT",
            description=f"Edge protection for {name}: managed rules and a per-IP rate limit",
            default_action={"allow": {}},
            rules=_rules(name, args),
            association_config=_inspection_size(args.max_body_kb),
            visibility_config=_visibility(name),
            tags=self.tags_for(),
            opts=self.child(),
        )
        self.log_group = self._logging(name, args, self.web_acl)
        self.arn = self.web_acl.arn
        self.name = self.web_acl.name
        self.register_declared_outputs()

    def _logging(self, name: str, args: WebFirewallArgs, acl: aws.wafv2.WebAcl) -> aws.cloudwatch.LogGroup:
        """Every request logged to an encrypted group, credentials redacted."""
        group = encrypted_log_group(
            f"{name}-logs",
            log_group_name=args.log_group_name,
            logs=args.logs,
            log_class=LogClass.SECURITY,
            tags=self.tags_for("logs"),
            parent=self,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            name,
            resource_arn=acl.arn,
            log_destination_configs=[group.arn],
            # Credentials never land in logs.
            redacted_fields=[
                {"single_header": {"name": "authorization"}},
                {"single_header": {"name": "cookie"}},
            ],
            opts=self.child(),
        )
        return group


def _rules(name: str, args: WebFirewallArgs) -> list[Any]:
    """The per-IP rate limit first, then (larger bodies) the body-size limit, then the managed rule groups."""
    rules: list[Any] = [
        {
            "name": "rate-limit-per-ip",
            "priority": 1,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": args.rate_limit_per_ip,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": 300,
                }
            },
            "visibility_config": _visibility(f"{name}-rate-limit"),
        }
    ]
    larger_bodies = args.max_body_kb > MANAGED_BODY_LIMIT_KB
    if larger_bodies:
        rules.append(_body_size_rule(name, args.max_body_kb))
    rules += [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": _managed_group(group, larger_bodies)},
            "visibility_config": _visibility(f"{name}-{group}"),
        }
        for group, priority in args.managed_rule_groups
    ]
    return rules
