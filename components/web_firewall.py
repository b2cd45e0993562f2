"""A WAFv2 web ACL for CloudFront: AWS managed rule groups, a per-IP rate limit, metrics and logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws
from components.base import PlatformComponent
from components.logs import LogSettings, encrypted_log_group

# (rule group, priority): baseline protections every internet-facing API should have.
MANAGED_RULE_GROUPS: tuple[tuple[str, int], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", 10),
    ("AWSManagedRulesCommonRuleSet", 20),
    ("AWSManagedRulesKnownBadInputsRuleSet", 30),
    ("AWSManagedRulesSQLiRuleSet", 40),
)


@dataclass(frozen=True)
class WebFirewallArgs:
    tags: Mapping[str, str]
    rate_limit_per_ip: int
    logs: LogSettings
    # Must start with aws-waf-logs- (WAF's rule); unique per stack because it is a fixed name.
    log_group_name: str
    managed_rule_groups: Sequence[tuple[str, int]] = field(default_factory=lambda: MANAGED_RULE_GROUPS)


def _visibility(metric: str) -> Any:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


class WebFirewall(PlatformComponent):
    """Scope CLOUDFRONT, so it must be created in us-east-1 (pass that region's provider in `opts`)."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    metric_prefix: str

    def __init__(self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("waf", name, args.tags, opts)
        self.metric_prefix = name
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
        rules += [
            {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                "visibility_config": _visibility(f"{name}-{group}"),
            }
            for group, priority in args.managed_rule_groups
        ]
        acl = aws.wafv2.WebAcl(
            name,
            scope="CLOUDFRONT",
            description=f"Edge protection for {name}: managed rules and a per-IP rate limit",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=_visibility(name),
            tags=self.tags_for(),
            opts=self.child(),
        )
        if not args.log_group_name.startswith("aws-waf-logs-"):
            raise ValueError("WAF only delivers to log groups whose name starts with aws-waf-logs-")
        group = encrypted_log_group(
            f"{name}-logs",
            log_group_name=args.log_group_name,
            logs=args.logs,
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
        self.arn = acl.arn
        self.name = acl.name
        self.register_outputs({"arn": self.arn})
