"""Alarms on one ECS service: CPU, memory (warning and critical) and running tasks below the minimum."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import metrics
from components.alarms import AlarmSet, AlarmSpec, Notify, alarm_name, panel
from components.metrics import Panel

ANCHORS = ("ecs-cpu-high", "ecs-memory-high", "ecs-memory-critical", "ecs-running-tasks-low")


@dataclass(frozen=True)
class ServiceThresholds:
    cpu_percent: float
    memory_warning_percent: float
    memory_critical_percent: float
    min_tasks: int


@dataclass(frozen=True)
class ServiceAlarmsArgs:
    notify: Notify
    name_prefix: str
    service: str
    tags: Mapping[str, str]
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    thresholds: ServiceThresholds
    # The composite alarm that pages for running tasks below the minimum.
    paged_by: str | None = None


class ServiceAlarms(AlarmSet):
    panels: list[Panel]
    running_tasks_low: str

    def __init__(self, name: str, args: ServiceAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        t, svc = args.thresholds, args.service
        cpu, memory = (
            metrics.service_cpu(args.cluster_name, args.service_name),
            metrics.service_memory(args.cluster_name, args.service_name),
        )
        five_minutes = 300

        def name_of(anchor: str) -> str:
            return alarm_name(args.name_prefix, anchor, svc)

        # Missing data for CPU/memory: AWS/ECS publishes them only while tasks run; no tasks is not "too busy"
        # (the running-tasks alarm covers it).
        specs = [
            AlarmSpec(
                "ecs-cpu-high", name_of("ecs-cpu-high"), "warning",
                f"{svc}: average CPU above {t.cpu_percent:g}% for 15 minutes.",
                cpu.with_period(five_minutes), "GreaterThanThreshold", t.cpu_percent, 3, 3,
                "notBreaching", "no tasks publish no CPU; the running-tasks alarm covers that",
            ),
            AlarmSpec(
                "ecs-memory-high", name_of("ecs-memory-high"), "warning",
                f"{svc}: average memory above {t.memory_warning_percent:g}% for 15 minutes.",
                memory.with_period(five_minutes), "GreaterThanThreshold", t.memory_warning_percent, 3, 3,
                "notBreaching", "no tasks publish no memory; the running-tasks alarm covers that",
            ),
            AlarmSpec(
                "ecs-memory-critical", name_of("ecs-memory-critical"), "critical",
                f"{svc}: memory above {t.memory_critical_percent:g}% in 3 of the last 5 minutes; OOM kills are near.",
                memory, "GreaterThanThreshold", t.memory_critical_percent, 5, 3,
                "notBreaching", "no tasks publish no memory; the running-tasks alarm covers that",
            ),
            AlarmSpec(
                "ecs-running-tasks-low", name_of("ecs-running-tasks-low"), "critical",
                f"{svc}: fewer than {t.min_tasks} running tasks (its minimum) for 5 minutes.",
                metrics.service_running_tasks(args.cluster_name, args.service_name), "LessThanThreshold",
                float(t.min_tasks), 5, 5,
                "missing", "Container Insights reports 0 when nothing runs, so a gap is a telemetry gap, not an "
                "outage; keeping the last state avoids failing a first deployment before any data exists",
                paged_by=args.paged_by,
            ),
        ]  # fmt: skip
        self._create(specs, args.notify)
        self.running_tasks_low = name_of("ecs-running-tasks-low")
        self.panels = [
            panel("CPU %", specs[:1]),
            panel("Memory %", specs[1:3]),
            Panel(
                "Running vs desired tasks",
                [specs[3].signal, metrics.service_desired_tasks(args.cluster_name, args.service_name)],
                [("critical minimum", float(t.min_tasks))],
            ),
        ]
        self._finish()
