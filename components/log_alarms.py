"""Application error lines: a metric filter on a service's log group counting JSON lines with level "error",
and an alarm on spikes of that count."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import aws, metrics
from components.alarms import AlarmSet, AlarmSpec, Notify, alarm_name, panel
from components.metrics import Panel

ANCHORS = ("app-error-logs",)
# The sample app logs one JSON object per line: {"level": "error", ...}. Non-JSON lines never match.
ERROR_PATTERN = '{ $.level = "error" }'


@dataclass(frozen=True)
class LogAlarmsArgs:
    """Arguments of `LogAlarms`."""

    notify: Notify
    """Topics per severity and the runbook base URL; required."""
    name_prefix: str
    """Prefix of the alarm and metric names; required."""
    service: str
    """Name of the service whose log group is filtered; required."""
    tags: Mapping[str, str]
    """Tags on the alarm; required."""
    log_group_name: pulumi.Input[str]
    """The service's application log group; required."""
    errors_per_5_minutes: int
    """Error lines per 5 minutes above which (2 of 3 periods) a warning fires; required, a service-specific
    baseline."""


class LogAlarms(AlarmSet):
    """Counts a service's JSON error log lines into a metric and warns when they spike."""

    panels: list[Panel]
    """Dashboard graph of the error-line count with its threshold."""
    metric_name: str
    """Name of the metric the filter publishes (namespace `metrics.APP_NAMESPACE`)."""
    metric_filter: aws.cloudwatch.LogMetricFilter
    """The log metric filter (escape hatch)."""

    def __init__(self, name: str, args: LogAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        self.metric_name = alarm_name(args.name_prefix, "errors", args.service)
        self.metric_filter = aws.cloudwatch.LogMetricFilter(
            name,
            name=self.metric_name,
            log_group_name=args.log_group_name,
            pattern=ERROR_PATTERN,
            metric_transformation={
                "name": self.metric_name,
                "namespace": metrics.APP_NAMESPACE,
                "value": "1",
                # 0 when the group receives lines but none is an error, so the graph shows a quiet service as 0.
                "default_value": "0",
                "unit": "Count",
            },
            opts=self.child(),
        )
        spec = AlarmSpec(
            "app-error-logs", alarm_name(args.name_prefix, "app-error-logs", args.service), "warning",
            f"{args.service} logged more than {args.errors_per_5_minutes} error lines per 5 minutes in 2 of the last "
            "3 periods.",
            metrics.app_errors(self.metric_name), "GreaterThanThreshold", float(args.errors_per_5_minutes), 3, 2,
            "notBreaching", "no log lines means no errors were logged",
        )  # fmt: skip
        self._create([spec], args.notify)
        self.panels = [panel("Error log lines (per 5 min)", [spec])]
        self._finish()
