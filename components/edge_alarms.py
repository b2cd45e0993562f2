"""Alarms at the edge (CloudFront 5xx rate, WAF blocked-request spike), in us-east-1 where those metrics live:
create this component with the us-east-1 provider and that region's topics. Optionally turns on CloudFront's
additional metrics (cache hit rate, origin latency) for the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import aws, metrics
from components.alarms import AlarmSet, AlarmSpec, Notify, alarm_name
from components.metrics import Panel

ANCHORS = ("cloudfront-5xx-rate", "waf-blocked-spike")


@dataclass(frozen=True)
class EdgeAlarmsArgs:
    """Arguments of `EdgeAlarms` (create the component with the us-east-1 provider and that Region's topics)."""

    notify: Notify
    """Topics per severity (in us-east-1) and the runbook base URL; required."""
    name_prefix: str
    """Prefix of every alarm name; required."""
    tags: Mapping[str, str]
    """Tags on every alarm; required."""
    distribution_id: pulumi.Input[str]
    """ID of the CloudFront distribution watched; required."""
    error_rate_percent: float
    """5xx share of viewer requests, in percent, above which (3 of 5 minutes) a warning fires; required."""
    web_acl_name: pulumi.Input[str] | None = None
    """Name of the WAF web ACL whose blocked requests are watched; default None = no WAF alarm."""
    blocked_per_5_minutes: int = 1000
    """Blocked requests per 5 minutes above which (2 of 3 periods) a warning fires; default 1000: well above
    the background of scanners, low enough to catch a rule blocking real users."""
    additional_metrics: bool = True
    """Turn on CloudFront's additional metrics (cache hit rate, origin latency) for the dashboard; default True
    (billed per distribution per month; the dashboard's cache panel needs them)."""


class EdgeAlarms(AlarmSet):
    """CloudFront 5xx rate and WAF blocked-request spike alarms, in us-east-1 where those metrics live."""

    panels: list[Panel]
    """Dashboard graphs: CloudFront requests, error rates, cache hit rate, WAF requests."""
    monitoring_subscription: aws.cloudfront.MonitoringSubscription | None
    """The additional-metrics subscription (escape hatch); None without `additional_metrics`."""

    def __init__(self, name: str, args: EdgeAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        dist = args.distribution_id
        self.monitoring_subscription = None
        if args.additional_metrics:
            self.monitoring_subscription = aws.cloudfront.MonitoringSubscription(
                name,
                distribution_id=dist,
                monitoring_subscription={
                    "realtime_metrics_subscription_config": {"realtime_metrics_subscription_status": "Enabled"}
                },
                opts=self.child(),
            )
        errors = AlarmSpec(
            "cloudfront-5xx-rate", alarm_name(args.name_prefix, "cloudfront-5xx-rate"), "warning",
            f"more than {args.error_rate_percent:g}% of viewer requests got a 5xx at CloudFront in 3 of the last "
            "5 minutes.",
            metrics.cdn_5xx_rate(dist), "GreaterThanThreshold", args.error_rate_percent, 5, 3,
            "notBreaching", "CloudFront publishes no rate without requests; no traffic is not an error",
        )  # fmt: skip
        specs = [errors]
        self.panels = [
            Panel("CloudFront requests", [metrics.cdn_requests(dist)]),
            Panel("CloudFront error rates (%)", [errors.signal, metrics.cdn_4xx_rate(dist)],
                  [("warning 5xx", args.error_rate_percent)]),
        ]  # fmt: skip
        if args.additional_metrics:
            self.panels.append(Panel("CloudFront cache hit rate (%)", [metrics.cdn_cache_hit_rate(dist)]))
        if args.web_acl_name is not None:
            blocked = AlarmSpec(
                "waf-blocked-spike", alarm_name(args.name_prefix, "waf-blocked-spike"), "warning",
                f"the web ACL blocked more than {args.blocked_per_5_minutes} requests per 5 minutes in 2 of the "
                "last 3 periods: an attack, or a rule blocking legitimate traffic.",
                metrics.waf_blocked(args.web_acl_name), "GreaterThanThreshold", float(args.blocked_per_5_minutes),
                3, 2, "notBreaching", "WAF publishes BlockedRequests only when it blocks something",
            )  # fmt: skip
            specs.append(blocked)
            self.panels.append(
                Panel("WAF requests", [blocked.signal, metrics.waf_allowed(args.web_acl_name)],
                      [("warning blocked", float(args.blocked_per_5_minutes))])
            )  # fmt: skip
        self._create(specs, args.notify)
        self._finish()
