"""Shared by every alarm set: what an alarm is (severity, meaning, runbook, M-of-N, missing-data treatment) and
how it becomes a CloudWatch alarm that notifies the severity's topic on ALARM and on OK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

from components import aws
from components.base import PlatformComponent
from components.metrics import Expression, Metric, Panel, Signal

Severity = Literal["critical", "warning"]
MissingData = Literal["breaching", "notBreaching", "ignore", "missing"]
Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]
RUNBOOK_PATH = "docs/runbooks/alarms.md"


@dataclass(frozen=True)
class Notify:
    """Where alarms of each severity send ALARM and OK notifications (SNS topics of the alarm's own region)."""

    topics: Mapping[str, pulumi.Input[str]]
    """Severity (`critical`, `warning`) -> ARN of its SNS topic; required, every severity an alarm uses."""
    runbook_base_url: str
    """Base URL of the repository's rendered docs; runbook links read `<base>/docs/runbooks/alarms.md#<anchor>`;
    required, on-call needs the link in the notification."""

    def topic(self, severity: Severity) -> pulumi.Input[str]:
        return self.topics[severity]

    def runbook(self, anchor: str) -> str:
        return f"{self.runbook_base_url}/{RUNBOOK_PATH}#{anchor}"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm. `datapoints` of the last `periods` periods must breach (M of N); `missing` is chosen per
    alarm, with the reason in `missing_reason` (kept in the code review, not sent to AWS)."""

    anchor: str
    """The alarm's section in docs/runbooks/alarms.md (also its `Runbook` tag); required."""
    name: str
    """The alarm's fixed name (`alarm_name(...)`); required, rollback and composites refer to it."""
    severity: Severity
    """`critical` pages, `warning` notifies; required."""
    meaning: str
    """What the alarm means, one sentence, first in its description; required."""
    signal: Signal
    """The metric or metric-math expression judged, with its period in seconds; required."""
    comparison: Comparison
    """How the signal is compared with `threshold`; required."""
    threshold: float
    """The threshold, in the signal's unit; required."""
    periods: int
    """Evaluation periods N of the M-of-N rule; required; N x period must fit CloudWatch's limit."""
    datapoints: int
    """Breaching datapoints M of the M-of-N rule, 1 <= M <= N; required."""
    missing: MissingData
    """Treatment of missing data; required, chosen per alarm with `missing_reason`."""
    missing_reason: str
    """Why missing data is treated so; required and non-empty (kept in code review, not sent to AWS)."""
    paged_by: str | None = None
    """Name of the composite alarm that pages for this one; default None = pages itself. When set, its own
    notifications go to the warning topic so on-call is paged once."""

    def __post_init__(self) -> None:
        if not 1 <= self.datapoints <= self.periods:
            raise ValueError(f"{self.name}: datapoints must be 1..periods")
        total = self.signal.period * self.periods
        # PutMetricAlarm: period x evaluation periods <= 1 day for periods under an hour, else <= 7 days.
        if total > (86_400 if self.signal.period < 3_600 else 604_800):
            raise ValueError(f"{self.name}: {self.periods} x {self.signal.period}s is longer than CloudWatch allows")
        if not self.missing_reason:
            raise ValueError(f"{self.name}: say why missing data is treated as {self.missing}")

    @property
    def routed_to(self) -> Severity:
        return "warning" if self.paged_by is not None else self.severity


def describe(severity: Severity, meaning: str, runbook: str, paged_by: str | None = None) -> str:
    """The description on-call reads first: severity, what it means, where the runbook is (under 1024 chars)."""
    pages = f" Pages once through the composite alarm {paged_by}." if paged_by else ""
    text = f"{severity.upper()}: {meaning}{pages} Runbook: {runbook}"
    if len(text) > 1024:
        raise ValueError(f"alarm description longer than CloudWatch's 1024 characters: {text[:80]}...")
    return text


def metric_alarm(
    spec: AlarmSpec, notify: Notify, tags: Mapping[str, str], parent: pulumi.Resource
) -> aws.cloudwatch.MetricAlarm:
    """A metric alarm (or a metric-math alarm) that notifies on ALARM and OK; actions always enabled."""
    topic = notify.topic(spec.routed_to)
    signal_args: dict[str, object]
    if isinstance(spec.signal, Expression):
        signal_args = {"metric_queries": spec.signal.queries()}
    else:
        metric: Metric = spec.signal
        statistic = metric.stat if not metric.stat.startswith("p") else None
        signal_args = {
            "namespace": metric.namespace,
            "metric_name": metric.name,
            "dimensions": dict(metric.dimensions) or None,
            "period": metric.period,
            "statistic": statistic,
            "extended_statistic": None if statistic else metric.stat,
        }
        if not statistic:
            # Percentiles over few requests are noise: evaluate them only with enough samples.
            signal_args["evaluate_low_sample_count_percentiles"] = "ignore"
    return aws.cloudwatch.MetricAlarm(  # type: ignore[no-any-return,call-overload]
        spec.name,
        name=spec.name,
        alarm_description=describe(spec.severity, spec.meaning, notify.runbook(spec.anchor), spec.paged_by),
        comparison_operator=spec.comparison,
        threshold=spec.threshold,
        evaluation_periods=spec.periods,
        datapoints_to_alarm=spec.datapoints,
        treat_missing_data=spec.missing,
        actions_enabled=True,
        alarm_actions=[topic],
        ok_actions=[topic],
        tags={**tags, "Severity": spec.severity, "Runbook": spec.anchor},
        opts=pulumi.ResourceOptions(parent=parent),
        **signal_args,
    )


def panel(title: str, specs: Sequence[AlarmSpec]) -> Panel:
    """A dashboard graph of the alarms' common signal, with each alarm's threshold as a line."""
    signals: list[Signal] = []
    for spec in specs:
        if spec.signal not in signals:
            signals.append(spec.signal)
    return Panel(title, signals, [(f"{s.severity} {s.threshold:g}", s.threshold) for s in specs])


def alarm_name(prefix: str, anchor: str, scope: str | None = None) -> str:
    """Deterministic alarm names (`<prefix>[-<scope>]-<anchor>`): known before the alarms exist, so ECS services
    can name their rollback alarms at construction."""
    return f"{prefix}-{scope}-{anchor}" if scope else f"{prefix}-{anchor}"


class AlarmSet(PlatformComponent):
    """Base of the alarm-set components: creates alarms from specs and keeps them by name."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    """Alarm name -> the CloudWatch alarm (escape hatch)."""
    specs: dict[str, AlarmSpec]
    """Alarm name -> the spec it was made from (thresholds, severity, runbook anchor)."""

    def __init__(self, module: str, name: str, tags: Mapping[str, str], opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(module, name, tags, opts)
        self.alarms = {}
        self.specs = {}

    def _create(self, specs: Sequence[AlarmSpec], notify: Notify) -> None:
        for spec in specs:
            if spec.name in self.alarms:
                raise ValueError(f"duplicate alarm name {spec.name}")
            self.alarms[spec.name] = metric_alarm(spec, notify, self._tags, self)
            self.specs[spec.name] = spec

    @property
    def names(self) -> list[str]:
        return list(self.alarms)

    @property
    def arns(self) -> list[pulumi.Output[str]]:
        return [alarm.arn for alarm in self.alarms.values()]

    def _finish(self) -> None:
        self.register_declared_outputs()
