"""Alarms on the RDS PostgreSQL instance: CPU, connections against max_connections, free storage against the
allocated storage, freeable memory, read/write latency."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import metrics
from components.alarms import AlarmSet, AlarmSpec, Notify, alarm_name, panel
from components.metrics import Panel

GIB = 1024**3
# Memory (GiB) of the instance classes the stacks may use (AWS "DB instance classes" hardware specifications).
# An unknown class is a configuration error (database.instanceClass): a guessed size would silently put the
# connection and memory alarms at the wrong level.
INSTANCE_MEMORY_GIB: dict[str, int] = {
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8, "db.t3.xlarge": 16, "db.t3.2xlarge": 32,
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16,
    "db.t4g.2xlarge": 32,
    "db.m6g.large": 8, "db.m6g.xlarge": 16, "db.m6g.2xlarge": 32, "db.m6g.4xlarge": 64, "db.m6g.8xlarge": 128,
    "db.m6i.large": 8, "db.m6i.xlarge": 16, "db.m6i.2xlarge": 32, "db.m6i.4xlarge": 64, "db.m6i.8xlarge": 128,
    "db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.m7g.4xlarge": 64, "db.m7g.8xlarge": 128,
    "db.r6g.large": 16, "db.r6g.xlarge": 32, "db.r6g.2xlarge": 64, "db.r6g.4xlarge": 128, "db.r6g.8xlarge": 256,
    "db.r6i.large": 16, "db.r6i.xlarge": 32, "db.r6i.2xlarge": 64, "db.r6i.4xlarge": 128, "db.r6i.8xlarge": 256,
    "db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64, "db.r7g.4xlarge": 128, "db.r7g.8xlarge": 256,
}  # fmt: skip
# RDS for PostgreSQL's default: max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000).
BYTES_PER_CONNECTION = 9_531_392
MAX_CONNECTIONS_CAP = 5000


def instance_memory_bytes(instance_class: str) -> int:
    if instance_class not in INSTANCE_MEMORY_GIB:
        raise ValueError(f"unknown memory for {instance_class}; known: {', '.join(sorted(INSTANCE_MEMORY_GIB))}")
    return INSTANCE_MEMORY_GIB[instance_class] * GIB


def max_connections(instance_class: str) -> int:
    """The default parameter group's max_connections for the class. DBInstanceClassMemory is the class's memory
    less what the OS and RDS reserve, so this nominal figure is a slight overestimate (the alarm fires a little
    later than its percentage says); the parameter group does not override max_connections."""
    return min(instance_memory_bytes(instance_class) // BYTES_PER_CONNECTION, MAX_CONNECTIONS_CAP)


@dataclass(frozen=True)
class DatabaseThresholds:
    """Alarm thresholds of the database; the presets set them per environment (see docs/config-reference.md)."""

    cpu_percent: float
    """CPU utilisation, in percent, above which (15 minutes) a warning fires."""
    connections_percent: float
    """Share of max_connections, in percent, above which (10 minutes) a warning fires."""
    storage_warning_percent: float
    """Free storage, in percent of the allocated storage, below which (15 minutes) a warning fires."""
    storage_critical_percent: float
    """Free storage, in percent of the allocated storage, below which (10 minutes) the critical alarm pages."""
    freeable_memory_percent: float
    """Freeable memory, in percent of the class's memory, below which (15 minutes) a warning fires."""
    read_latency_ms: float
    """Average disk read latency, in milliseconds, above which (15 minutes) a warning fires."""
    write_latency_ms: float
    """Average disk write latency, in milliseconds, above which (15 minutes) a warning fires."""


@dataclass(frozen=True)
class DatabaseAlarmsArgs:
    """Arguments of `DatabaseAlarms`."""

    notify: Notify
    """Topics per severity and the runbook base URL; required."""
    name_prefix: str
    """Prefix of every alarm name (`<prefix>-rds-cpu-high`, ...); required, fixed names are what runbooks and
    composite alarms refer to."""
    tags: Mapping[str, str]
    """Tags on every alarm (plus Severity and Runbook); required."""
    identifier: pulumi.Input[str]
    """The instance identifier, as an output of the instance (not the configured string), so the alarms depend
    on the instance they watch; required."""
    instance_class: str
    """The instance class (e.g. `db.t4g.medium`): its memory sets max_connections and the memory alarm; required,
    and it must be in INSTANCE_MEMORY_GIB."""
    allocated_storage_gib: int
    """Allocated storage in GiB, the base of the free-storage percentages; required."""
    thresholds: DatabaseThresholds
    """The alarm thresholds; required."""


class DatabaseAlarms(AlarmSet):
    """The runbook's database alarms: CPU, connections, free storage (warning and critical), memory, latency."""

    panels: list[Panel]
    """Dashboard graphs of the alarms' signals with their thresholds, plus read and write IOPS."""

    def __init__(self, name: str, args: DatabaseAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("monitoring", name, args.tags, opts)
        specs = _specs(args)
        self._create(specs, args.notify)
        db, five = args.identifier, FIVE_MINUTES
        self.panels = [
            panel("CPU %", specs[:1]),
            panel("Connections", specs[1:2]),
            panel("Free storage (bytes)", specs[2:4]),
            panel("Freeable memory (bytes)", specs[4:5]),
            panel("Latency (s)", specs[5:7]),
            Panel("IOPS", [metrics.db_read_iops(db).with_period(five), metrics.db_write_iops(db).with_period(five)]),
        ]
        self._finish()


# Missing data: RDS publishes these every minute while the instance runs; a gap means it is stopped,
# rebooting or failing over, which the RDS event subscription reports. Keep the last state.
GAP = "RDS publishes every minute while running; gaps are reported by the RDS event subscription"
FIVE_MINUTES = 300


def _specs(args: DatabaseAlarmsArgs) -> list[AlarmSpec]:
    """CPU, connections, storage (warning, critical), memory, read and write latency, in that order."""
    return [*_load_specs(args), *_storage_specs(args), *_memory_and_latency_specs(args)]


def _load_specs(args: DatabaseAlarmsArgs) -> list[AlarmSpec]:
    t, db, five, gap = args.thresholds, args.identifier, FIVE_MINUTES, GAP
    limit = max_connections(args.instance_class)
    return [
        AlarmSpec(
            "rds-cpu-high", alarm_name(args.name_prefix, "rds-cpu-high"), "warning",
            f"database CPU above {t.cpu_percent:g}% for 15 minutes.",
            metrics.db_cpu(db).with_period(five), "GreaterThanThreshold", t.cpu_percent, 3, 3, "missing", gap,
        ),
        AlarmSpec(
            "rds-connections-high", alarm_name(args.name_prefix, "rds-connections-high"), "warning",
            f"more than {t.connections_percent:g}% of max_connections ({limit} for {args.instance_class}) in use "
            "for 10 minutes.",
            metrics.db_connections(db).with_period(five), "GreaterThanThreshold",
            float(int(limit * t.connections_percent / 100)), 2, 2, "missing", gap,
        ),
    ]  # fmt: skip


def _storage_specs(args: DatabaseAlarmsArgs) -> list[AlarmSpec]:
    t, gap = args.thresholds, GAP
    allocated = args.allocated_storage_gib * GIB
    free_storage = metrics.db_free_storage(args.identifier).with_period(FIVE_MINUTES)

    def name_of(anchor: str) -> str:
        return alarm_name(args.name_prefix, anchor)

    return [
        AlarmSpec(
            "rds-storage-low", name_of("rds-storage-low"), "warning",
            f"free storage below {t.storage_warning_percent:g}% of the {args.allocated_storage_gib} GiB "
            "allocated for 15 minutes.",
            free_storage, "LessThanThreshold", float(int(allocated * t.storage_warning_percent / 100)), 3, 3,
            "missing", gap,
        ),
        AlarmSpec(
            "rds-storage-critical", name_of("rds-storage-critical"), "critical",
            f"free storage below {t.storage_critical_percent:g}% of the {args.allocated_storage_gib} GiB "
            "allocated: writes fail soon.",
            free_storage, "LessThanThreshold", float(int(allocated * t.storage_critical_percent / 100)), 2, 2,
            "missing", gap,
        ),
    ]  # fmt: skip


def _memory_and_latency_specs(args: DatabaseAlarmsArgs) -> list[AlarmSpec]:
    t, db, five, gap = args.thresholds, args.identifier, FIVE_MINUTES, GAP
    memory = instance_memory_bytes(args.instance_class)

    def name_of(anchor: str) -> str:
        return alarm_name(args.name_prefix, anchor)

    return [
        AlarmSpec(
            "rds-freeable-memory-low", name_of("rds-freeable-memory-low"), "warning",
            f"freeable memory below {t.freeable_memory_percent:g}% of the class's "
            f"{memory // GIB} GiB for 15 minutes.",
            metrics.db_freeable_memory(db).with_period(five), "LessThanThreshold",
            float(int(memory * t.freeable_memory_percent / 100)), 3, 3, "missing", gap,
        ),
        AlarmSpec(
            "rds-read-latency-high", name_of("rds-read-latency-high"), "warning",
            f"average disk read latency above {t.read_latency_ms:g} ms for 15 minutes.",
            metrics.db_read_latency(db).with_period(five), "GreaterThanThreshold", t.read_latency_ms / 1000, 3, 3,
            "missing", gap,
        ),
        AlarmSpec(
            "rds-write-latency-high", name_of("rds-write-latency-high"), "warning",
            f"average disk write latency above {t.write_latency_ms:g} ms for 15 minutes.",
            metrics.db_write_latency(db).with_period(five), "GreaterThanThreshold", t.write_latency_ms / 1000,
            3, 3, "missing", gap,
        ),
    ]  # fmt: skip
