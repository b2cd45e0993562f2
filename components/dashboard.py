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


@dataclass(frozen=True)
class Section:
    title: str
    panels: Sequence[Panel]


@dataclass(frozen=True)
class DashboardArgs:
    dashboard_name: str
    region: str
    sections: Sequence[Section]
    # Alarm ARNs by region (an alarm status widget per region).
    alarm_arns: Mapping[str, Sequence[pulumi.Input[str]]]
    error_log_groups: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    tags: Mapping[str, str] = field(default_factory=dict)


class Dashboard(PlatformComponent):
    dashboard_name: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        widgets: list[dict[str, Any]] = []
        y = 0

        def header(text: str) -> None:
            nonlocal y
            widgets.append({"type": "text", "x": 0, "y": y, "width": GRID, "height": 1,
                            "properties": {"markdown": f"## {text}"}})  # fmt: skip
            y += 1

        for section in args.sections:
            header(section.title)
            for index, item in enumerate(section.panels):
                x = (index * WIDTH) % GRID
                if index and x == 0:
                    y += HEIGHT
                widgets.append(self._metric_widget(item, args.region, x, y))
            y += HEIGHT
        header("Alarms")
        for region, arns in sorted(args.alarm_arns.items()):
            for start in range(0, len(arns), MAX_ALARMS_PER_WIDGET):
                widgets.append(
                    {
                        "type": "alarm", "x": 0, "y": y, "width": GRID, "height": 6,
                        "properties": {"title": f"Alarm status ({region})", "alarms": list(arns)[start:start + 100],
                                       "sortBy": "stateUpdatedTimestamp"},
                    }
                )  # fmt: skip
                y += 6
        if args.error_log_groups:
            header("Recent application errors")
            sources = pulumi.Output.all(*args.error_log_groups).apply(
                lambda names: " | ".join(f"SOURCE '{n}'" for n in names)
            )
            widgets.append(
                {
                    "type": "log", "x": 0, "y": y, "width": GRID, "height": 8,
                    "properties": {
                        "title": f"Error lines ({ERROR_PATTERN})", "region": args.region, "view": "table",
                        "query": pulumi.Output.concat(sources, " | ", ERRORS_QUERY),
                    },
                }
            )  # fmt: skip
        dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=args.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}),
            opts=self.child(),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})

    @staticmethod
    def _metric_widget(item: Panel, stack_region: str, x: int, y: int) -> dict[str, Any]:
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
