"""An external check of the public health endpoint through CloudFront (a Route 53 HTTPS health check), with an
availability SLO alarm over 24 hours and a fast "service down" alarm. Route 53 health check metrics exist only
in us-east-1: create this component with that region's provider and topics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components import aws, metrics
from components.alarms import AlarmSet, AlarmSpec, Notify, alarm_name
from components.metrics import Panel

ANCHORS = ("uptime-slo", "service-down")
# The SLO window: 1440 one-minute periods. PutMetricAlarm allows at most one day in total for periods under an
# hour (60 s x 1440 = 86,400 s), so the window slides minute by minute over exactly the last 24 hours.
SLO_PERIODS = 1440
# Route 53 marks the endpoint unhealthy after this many consecutive failed checks from a checker.
FAILURE_THRESHOLD = 3


def slo_datapoints(slo_percent: float, periods: int = SLO_PERIODS) -> int:
    """Unhealthy minutes that break the SLO: the error budget (e.g. 1% of 1440 = 14.4 minutes) plus one."""
    return math.floor(periods * (100 - slo_percent) / 100) + 1


@dataclass(frozen=True)
class UptimeArgs:
    """Arguments of `Uptime` (create the component with the us-east-1 provider and that Region's topics)."""

    notify: Notify
    """Topics per severity (in us-east-1) and the runbook base URL; required."""
    name_prefix: str
    """Prefix of the alarm names; required."""
    tags: Mapping[str, str]
    """Tags on the health check and the alarms; required."""
    domain: str
    """The public domain checked over HTTPS (through CloudFront, as users reach it); required."""
    path: str
    """The health endpoint's path (e.g. `/health`); required."""
    regions: Sequence[str]
    """Route 53 checker Regions (at least three, Route 53's minimum); required."""
    request_interval_seconds: int
    """Seconds between checks from each checker, 10 or 30 (Route 53's two; 10 costs more); required."""
    slo_percent: float
    """Availability objective over 24 hours, in percent (e.g. 99.0); required. Its error budget sets the SLO
    alarm's datapoints."""


class Uptime(AlarmSet):
    """A Route 53 HTTPS health check through CloudFront, with a 24-hour SLO alarm and a fast service-down alarm."""

    health_check: aws.route53.HealthCheck
    """The Route 53 health check (escape hatch)."""
    health_check_id: pulumi.Output[str]
    """The health check's ID (its metrics' dimension)."""
    panels: list[Panel]
    """Dashboard graphs of the health-check status and of the share of checkers reporting healthy."""

    def __init__(self, name: str, args: UptimeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        check = aws.route53.HealthCheck(
            name,
            type="HTTPS",
            fqdn=args.domain,
            port=443,
            resource_path=args.path,
            enable_sni=True,
            measure_latency=True,
            regions=list(args.regions),
            request_interval=args.request_interval_seconds,
            failure_threshold=FAILURE_THRESHOLD,
            reference_name=name[:64],
            tags=self.tags_for(),
            opts=self.child(),
        )
        self.health_check = check
        self.health_check_id = check.id
        status = metrics.health_status(check.id)
        budget = slo_datapoints(args.slo_percent)
        specs = [
            AlarmSpec(
                "uptime-slo", alarm_name(args.name_prefix, "uptime-slo"), "critical",
                f"https://{args.domain}{args.path} was unhealthy for {budget} or more of the last 1440 minutes: "
                f"availability over 24 h is below the {args.slo_percent:g}% SLO.",
                status, "LessThanThreshold", 1.0, SLO_PERIODS, budget,
                "missing", "gaps do not burn the error budget; the service-down alarm already treats them as down",
            ),
            AlarmSpec(
                "service-down", alarm_name(args.name_prefix, "service-down"), "critical",
                f"https://{args.domain}{args.path} does not answer successfully from outside (Route 53 health "
                "checkers through CloudFront) for 1 minute.",
                status, "LessThanThreshold", 1.0, 1, 1,
                "breaching", "an external check that stops reporting cannot prove the service is up: page",
            ),
        ]  # fmt: skip
        self._create(specs, args.notify)
        self.panels = [
            Panel("Uptime: health check status (1 = healthy)", [status], [("healthy", 1.0)]),
            Panel("Uptime: checkers reporting healthy (%)", [metrics.health_percentage(check.id)]),
        ]
        self._finish()
