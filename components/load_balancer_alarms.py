"""Alarms on the Application Load Balancer (5xx rate and count) and on each web service's target group
(latency p95/p99, unhealthy hosts). Dimensions are `arnSuffix` values, never ARNs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import metrics
from components.alarms import AlarmSet, AlarmSpec, Notify, alarm_name, panel
from components.metrics import Panel, Signal

ANCHORS = ("alb-5xx-rate", "alb-5xx-count")
TARGET_ANCHORS = ("target-latency-p95", "target-latency-p99", "unhealthy-hosts")


@dataclass(frozen=True)
class LoadBalancerThresholds:
    """Alarm thresholds of the load balancer and its target groups; the presets set them per environment (see
    docs/config-reference.md)."""

    error_rate_percent: float
    """Share of requests answered with a 5xx (by the ELB or a target), in percent, above which (3 of 5 minutes)
    a warning fires."""
    errors_per_minute: int
    """5xx answers (ELB or target) per minute above which (2 of 3 minutes) the critical alarm pages."""
    latency_p95_seconds: float
    """Target response time p95, in seconds, above which (4 of 5 minutes) a warning fires, per service."""
    latency_p99_seconds: float
    """Target response time p99, in seconds, above which (4 of 5 minutes) a warning fires, per service."""


@dataclass(frozen=True)
class TargetGroup:
    """One web service's target group(s), as the alarms and graphs see them."""

    arn_suffix: pulumi.Input[str]
    """The target group's `arnSuffix` (`targetgroup/<name>/<id>`), the CloudWatch dimension; required."""
    paged_by: str | None = None
    """Name of the composite alarm that pages for this service's unhealthy hosts; default None = the
    unhealthy-hosts alarm pages itself."""
    alternate_arn_suffix: pulumi.Input[str] | None = None
    """The service's second target group (blue/green, canary, linear), None when it rolls. With one, the alarms
    judge both groups together (either may serve production after a release) and the graphs show each."""


@dataclass(frozen=True)
class LoadBalancerAlarmsArgs:
    """Arguments of `LoadBalancerAlarms`."""

    notify: Notify
    """Topics per severity and the runbook base URL; required."""
    name_prefix: str
    """Prefix of every alarm name (`<prefix>-alb-5xx-rate`, `<prefix>-<service>-unhealthy-hosts`, ...); required,
    fixed names are what runbooks and composite alarms refer to."""
    tags: Mapping[str, str]
    """Tags on every alarm (plus Severity and Runbook); required."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """The load balancer's `arnSuffix` (`app/<name>/<id>`), the CloudWatch dimension; required."""
    target_groups: Mapping[str, TargetGroup]
    """Web service name -> its target group(s): latency and unhealthy-host alarms per service; required (may be
    empty: then only the load balancer's 5xx alarms)."""
    thresholds: LoadBalancerThresholds
    """The alarm thresholds; required."""
    errors_paged_by: str | None = None
    """Name(s) of the composite alarm(s) that page for the 5xx count; default None = the 5xx-count alarm pages
    itself."""


class LoadBalancerAlarms(AlarmSet):
    """The runbook's load balancer alarms: 5xx rate and count of the ALB, and per web service target latency
    (p95, p99) and unhealthy hosts."""

    panels: list[Panel]
    """Dashboard graphs of the load balancer: 5xx rate and 5xx per minute, with the alarms' thresholds."""
    service_panels: dict[str, list[Panel]]
    """Web service name -> its graphs: target latency and targets (and per-group 5xx with two target groups)."""

    def __init__(self, name: str, args: LoadBalancerAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        rate, count = _error_specs(args)
        specs = [rate, count]
        self.panels = [panel("5xx rate (%)", [rate]), panel("5xx per minute", [count])]
        self.service_panels = {}
        for service, group in sorted(args.target_groups.items()):
            p95, p99, unhealthy = _target_specs(args, service, group)
            specs += [p95, p99, unhealthy]
            self.service_panels[service] = _target_panels(args.load_balancer_arn_suffix, group, p95, p99, unhealthy)
        self._create(specs, args.notify)
        self._finish()


def _error_specs(args: LoadBalancerAlarmsArgs) -> tuple[AlarmSpec, AlarmSpec]:
    """The load balancer's 5xx rate and count. ELB-generated 5xx have no TargetGroup dimension: the error
    signals are the load balancer's. Missing data: the ALB publishes nothing without traffic or errors, and no
    traffic is not an error."""
    lb, t = args.load_balancer_arn_suffix, args.thresholds
    rate = AlarmSpec(
        "alb-5xx-rate", alarm_name(args.name_prefix, "alb-5xx-rate"), "warning",
        f"more than {t.error_rate_percent:g}% of requests got a 5xx (ELB or target) in 3 of the last 5 minutes.",
        metrics.alb_5xx_rate(lb), "GreaterThanThreshold", t.error_rate_percent, 5, 3,
        "notBreaching", "no requests means no rate, not a failing service",
    )  # fmt: skip
    count = AlarmSpec(
        "alb-5xx-count", alarm_name(args.name_prefix, "alb-5xx-count"), "critical",
        f"more than {t.errors_per_minute} 5xx answers (ELB or target) per minute in 2 of the last 3 minutes.",
        metrics.alb_5xx_count(lb), "GreaterThanThreshold", float(t.errors_per_minute), 3, 2,
        "notBreaching", "the ALB publishes no 5xx datapoint when there are no errors",
        paged_by=args.errors_paged_by,
    )  # fmt: skip
    return rate, count


def _target_signals(lb: pulumi.Input[str], group: TargetGroup) -> tuple[Signal, Signal, Signal]:
    """Latency p95, p99 and unhealthy hosts: of the one group, or of both when the service has two."""
    tg, alternate = group.arn_suffix, group.alternate_arn_suffix
    if alternate is None:
        return (
            metrics.target_latency(lb, tg, "p95"),
            metrics.target_latency(lb, tg, "p99"),
            metrics.target_unhealthy(lb, tg),
        )
    return (
        metrics.target_latency_worse(lb, tg, alternate, "p95"),
        metrics.target_latency_worse(lb, tg, alternate, "p99"),
        metrics.target_unhealthy_both(lb, tg, alternate),
    )


def _target_specs(
    args: LoadBalancerAlarmsArgs, service: str, group: TargetGroup
) -> tuple[AlarmSpec, AlarmSpec, AlarmSpec]:
    t, prefix = args.thresholds, args.name_prefix
    latency_p95, latency_p99, unhealthy_hosts = _target_signals(args.load_balancer_arn_suffix, group)
    p95 = AlarmSpec(
        "target-latency-p95", alarm_name(prefix, "target-latency-p95", service), "warning",
        f"{service}: target response time p95 above {t.latency_p95_seconds:g}s in 4 of the last 5 minutes.",
        latency_p95, "GreaterThanThreshold", t.latency_p95_seconds, 5, 4,
        "notBreaching", "without requests there is no latency to judge",
    )  # fmt: skip
    p99 = AlarmSpec(
        "target-latency-p99", alarm_name(prefix, "target-latency-p99", service), "warning",
        f"{service}: target response time p99 above {t.latency_p99_seconds:g}s in 4 of the last 5 minutes.",
        latency_p99, "GreaterThanThreshold", t.latency_p99_seconds, 5, 4,
        "notBreaching", "without requests there is no latency to judge",
    )  # fmt: skip
    unhealthy = AlarmSpec(
        "unhealthy-hosts", alarm_name(prefix, "unhealthy-hosts", service), "critical",
        f"{service}: targets failing the load balancer health check for 5 minutes.",
        unhealthy_hosts, "GreaterThanThreshold", 0.0, 5, 5,
        "notBreaching", "a gap in the count is not an unhealthy target; the uptime check covers silence",
        paged_by=group.paged_by,
    )  # fmt: skip
    return p95, p99, unhealthy


def _target_panels(
    lb: pulumi.Input[str], group: TargetGroup, p95: AlarmSpec, p99: AlarmSpec, unhealthy: AlarmSpec
) -> list[Panel]:
    """Latency and targets; with two groups each metric per group (a graph shows one expression at most), plus
    each group's 5xx, so a release shows old and new revision side by side."""
    tg, alternate = group.arn_suffix, group.alternate_arn_suffix
    if alternate is None:
        return [
            panel("Target latency", [p95, p99]),
            Panel("Targets", [metrics.target_healthy(lb, tg), unhealthy.signal], [("critical 0", 0.0)]),
        ]
    pairs = (("primary", tg), ("alternate", alternate))
    thresholds = [(f"{s.severity} {s.threshold:g}", s.threshold) for s in (p95, p99)]
    latency = [metrics.per_group(metrics.target_latency(lb, g, p), name) for p in ("p95", "p99") for name, g in pairs]
    targets = [
        metrics.per_group(metric(lb, g), name)
        for metric in (metrics.target_healthy, metrics.target_unhealthy)
        for name, g in pairs
    ]
    errors = [metrics.per_group(metrics.target_5xx(lb, g), name) for name, g in pairs]
    return [
        Panel("Target latency (both groups)", latency, thresholds),
        Panel("Targets (both groups)", targets, [("critical 0", 0.0)]),
        Panel("Target 5xx (both groups)", errors),
    ]
