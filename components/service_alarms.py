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
    """Alarm thresholds of one ECS service; the presets set the percentages per environment (see
    docs/config-reference.md), the minimum is the service's own."""

    cpu_percent: float
    """Average CPU utilisation of the service, in percent of its reserved CPU, above which (15 minutes) a warning
    fires."""
    memory_warning_percent: float
    """Average memory utilisation, in percent of the reserved memory, above which (15 minutes) a warning fires."""
    memory_critical_percent: float
    """Memory utilisation, in percent of the reserved memory, above which (3 of 5 minutes) the critical alarm
    pages: out-of-memory kills are near."""
    min_tasks: int
    """Running tasks below which (5 minutes) the critical alarm pages: the service's minimum count."""


@dataclass(frozen=True)
class ServiceAlarmsArgs:
    """Arguments of `ServiceAlarms`."""

    notify: Notify
    """Topics per severity and the runbook base URL; required."""
    name_prefix: str
    """Prefix of every alarm name (`<prefix>-<service>-ecs-cpu-high`, ...); required, fixed names are what
    runbooks, composite alarms and the deployment's rollback alarms refer to."""
    service: str
    """The service's name in the configuration, the scope of the alarm names and descriptions; required."""
    tags: Mapping[str, str]
    """Tags on every alarm (plus Severity and Runbook); required."""
    cluster_name: pulumi.Input[str]
    """The ECS cluster's name, a dimension of the metrics; required."""
    service_name: pulumi.Input[str]
    """The ECS service's name, as an output of the service (so the alarms depend on it); required."""
    thresholds: ServiceThresholds
    """The alarm thresholds; required."""
    paged_by: str | None = None
    """Name of the composite alarm that pages for running tasks below the minimum; default None = the
    running-tasks alarm pages itself (a worker without a load balancer has no composite)."""


class ServiceAlarms(AlarmSet):
    """The runbook's ECS service alarms: CPU, memory (warning and critical) and running tasks below the minimum."""

    panels: list[Panel]
    """Dashboard graphs: CPU, memory (with the alarms' thresholds), running versus desired tasks."""
    running_tasks_low: str
    """Name of the running-tasks-low alarm (a composite's member, known before the alarm exists)."""

    def __init__(self, name: str, args: ServiceAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        specs = _specs(args)
        self._create(specs, args.notify)
        self.running_tasks_low = specs[3].name
        self.panels = [
            panel("CPU %", specs[:1]),
            panel("Memory %", specs[1:3]),
            Panel(
                "Running vs desired tasks",
                [specs[3].signal, metrics.service_desired_tasks(args.cluster_name, args.service_name)],
                [("critical minimum", float(args.thresholds.min_tasks))],
            ),
        ]
        self._finish()


def _specs(args: ServiceAlarmsArgs) -> list[AlarmSpec]:
    """CPU high, memory high, memory critical, running tasks low: in that order."""
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
    return [
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
