"""A CloudWatch dashboard built from the same panels (metric definitions and thresholds) the alarms use:
sections of graphs, alarm status per region, and a Logs Insights table of recent application errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import aws
from components.base import PlatformComponent
from components.log_alarms import ERROR_PATTERN
from components.metrics import Panel

GRID = 24
WIDTH, HEIGHT = 8, 6
MAX_ALARMS_PER_WIDGET = 100
ERRORS_QUERY = "fields @timestamp, @log, @message | filter level = 'error' | sort @timestamp desc | limit 100"

Widget = dict[str, Any]


@dataclass(frozen=True)
class Section:
    """A titled row of graphs on the dashboard, three per line."""

    title: str
    """The section's heading (a markdown text widget across the grid); required."""
    panels: Sequence[Panel]
    """The graphs of the section, in order, each 8 of 24 columns wide and 6 rows high; required."""


@dataclass(frozen=True)
class DashboardArgs:
    """Arguments of `Dashboard`."""

    dashboard_name: str
    """The dashboard's name in the CloudWatch console (fixed, so runbooks can link it); required."""
    region: str
    """The Region code of graphs whose panel names none (the stack's Region); required."""
    sections: Sequence[Section]
    """The sections of graphs, top to bottom; required."""
    alarm_arns: Mapping[str, Sequence[pulumi.Input[str]]]
    """Region -> ARNs of its alarms: an alarm status widget per Region (per 100 alarms, the widget's limit),
    sorted by last state change; required."""
    error_log_groups: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Names of the log groups whose error lines the Logs Insights table shows; default none = no table."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the component (a CloudWatch dashboard itself takes no tags); default none."""


class Dashboard(PlatformComponent):
    """One CloudWatch dashboard: the sections' graphs, alarm status per Region, recent application errors."""

    dashboard: aws.cloudwatch.Dashboard
    """The CloudWatch dashboard (escape hatch)."""
    dashboard_name: pulumi.Output[str]
    """The dashboard's name, as created."""

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        widgets, y = _section_widgets(args.sections, args.region, 0)
        alarms, y = _alarm_widgets(args.alarm_arns, y)
        widgets += alarms
        if args.error_log_groups:
            widgets += _error_widgets(args.error_log_groups, args.region, y)
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=args.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}),
            opts=self.child(),
        )
        self.dashboard_name = self.dashboard.dashboard_name
        self.register_declared_outputs()


def _header(text: str, y: int) -> Widget:
    """A one-row markdown heading across the grid."""
    return {"type": "text", "x": 0, "y": y, "width": GRID, "height": 1, "properties": {"markdown": f"## {text}"}}


def _section_widgets(sections: Sequence[Section], region: str, y: int) -> tuple[list[Widget], int]:
    """Each section's heading and its graphs, three per line; returns the widgets and the next free row."""
    widgets: list[Widget] = []
    for section in sections:
        widgets.append(_header(section.title, y))
        y += 1
        for index, item in enumerate(section.panels):
            x = (index * WIDTH) % GRID
            if index and x == 0:
                y += HEIGHT
            widgets.append(_metric_widget(item, region, x, y))
        y += HEIGHT
    return widgets, y


def _alarm_widgets(alarm_arns: Mapping[str, Sequence[pulumi.Input[str]]], y: int) -> tuple[list[Widget], int]:
    """The "Alarms" heading and an alarm status widget per Region and 100 alarms; returns them and the next row."""
    widgets = [_header("Alarms", y)]
    y += 1
    for region, arns in sorted(alarm_arns.items()):
        for start in range(0, len(arns), MAX_ALARMS_PER_WIDGET):
            widgets.append(
                {
                    "type": "alarm", "x": 0, "y": y, "width": GRID, "height": 6,
                    "properties": {"title": f"Alarm status ({region})",
                                   "alarms": list(arns)[start:start + MAX_ALARMS_PER_WIDGET],
                                   "sortBy": "stateUpdatedTimestamp"},
                }
            )  # fmt: skip
            y += 6
    return widgets, y


def _error_widgets(log_groups: Sequence[pulumi.Input[str]], region: str, y: int) -> list[Widget]:
    """The "Recent application errors" heading and a Logs Insights table over the log groups."""
    sources = pulumi.Output.all(*log_groups).apply(lambda names: " | ".join(f"SOURCE '{n}'" for n in names))
    table = {
        "type": "log", "x": 0, "y": y + 1, "width": GRID, "height": 8,
        "properties": {
            "title": f"Error lines ({ERROR_PATTERN})", "region": region, "view": "table",
            "query": pulumi.Output.concat(sources, " | ", ERRORS_QUERY),
        },
    }  # fmt: skip
    return [_header("Recent application errors", y), table]


def _metric_widget(item: Panel, stack_region: str, x: int, y: int) -> Widget:
    """A graph widget of one panel: its signals, in its own Region or the stack's, with threshold lines."""
    properties: dict[str, Any] = {
        "title": item.title,
        "view": item.view,
        "region": item.region or stack_region,
        "metrics": item.rows(),
        "stacked": False,
    }
    if item.thresholds:
        properties["annotations"] = {
            "horizontal": [{"label": label, "value": value} for label, value in item.thresholds]
        }
    return {"type": "metric", "x": x, "y": y, "width": WIDTH, "height": HEIGHT, "properties": properties}
