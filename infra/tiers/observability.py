"""Observability tier: severity-routed notifications, the alarm sets, event alerts, the uptime check and the
dashboard, all from the metric definitions in components/metrics.py.

Alarm names are a pure function of the stack config (`deployment_alarm_names`), so the service tier can give
ECS its rollback alarms before the alarms exist; `compose` then creates alarms with exactly those names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components import metrics
from components.alarms import AlarmSet, Notify, alarm_name
from components.container_service import ContainerService
from components.dashboard import Dashboard, DashboardArgs, Section
from components.database_alarms import DatabaseAlarms, DatabaseAlarmsArgs, DatabaseThresholds
from components.edge_alarms import EdgeAlarms, EdgeAlarmsArgs
from components.event_alerts import EventAlerts, EventAlertsArgs
from components.load_balancer_alarms import (
    LoadBalancerAlarms,
    LoadBalancerAlarmsArgs,
    LoadBalancerThresholds,
    TargetGroup,
)
from components.log_alarms import LogAlarms, LogAlarmsArgs
from components.metrics import EDGE_REGION, Panel
from components.notifications import Notifications, NotificationsArgs, Subscribers
from components.service_alarms import ServiceAlarms, ServiceAlarmsArgs, ServiceThresholds
from components.service_health import ANCHOR as SERVICE_UNHEALTHY
from components.service_health import ServiceHealth, ServiceHealthArgs
from components.uptime import Uptime, UptimeArgs
from infra.config import PROJECT, StackConfig
from infra.stack import StackContext
from infra.tiers.data import DataTier
from infra.tiers.edge import EdgeTier
from infra.tiers.foundation import Foundation
from infra.tiers.services import ServiceTier

HEALTH_PATH = "/health"


@dataclass(frozen=True)
class ObservabilityTier:
    notifications: dict[str, Notifications]
    alarm_sets: list[AlarmSet]
    composites: dict[str, ServiceHealth]
    dashboard: Dashboard
    uptime: Uptime
    events: EventAlerts
    region: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def alarm_names(self) -> list[str]:
        names = [name for alarm_set in self.alarm_sets for name in alarm_set.names]
        return names + [composite.name for composite in self.composites.values()]

    def exports(self) -> dict[str, pulumi.Input[object]]:
        home = self.notifications[self.region]
        return {
            "alarmNames": self.alarm_names,
            "criticalTopicArn": home.topic_arns["critical"],
            "warningTopicArn": home.topic_arns["warning"],
            "dashboardName": self.dashboard.dashboard_name,
        }


def name_prefix(config: StackConfig) -> str:
    """Every alarm, topic and rule of the stack is named `app-platform-<env>-...`."""
    return f"{PROJECT}-{config.environment}"


def composite_name(config: StackConfig, service: str) -> str:
    return alarm_name(name_prefix(config), SERVICE_UNHEALTHY, service)


def deployment_alarm_names(config: StackConfig) -> dict[str, list[str]]:
    """Per service, the alarms that stop and roll back its deployments: the metric alarms its composite
    "service unhealthy" alarm is made of (ECS documents deployment alarms as CloudWatch alarm names and computes
    the bake time from the alarms' period and evaluation settings, which a composite alarm does not have; so the
    members, not the composite, are given). Workers have no load balancer: running tasks only."""
    prefix = name_prefix(config)
    names: dict[str, list[str]] = {}
    for service, settings in sorted(config.services.items()):
        running = alarm_name(prefix, "ecs-running-tasks-low", service)
        if settings.container_port is None:
            names[service] = [running]
        else:
            names[service] = [
                alarm_name(prefix, "alb-5xx-count"),
                alarm_name(prefix, "unhealthy-hosts", service),
                running,
            ]
    return names


def _service_overview(
    name: str, service: ContainerService, lb_suffix: pulumi.Input[str], panels: list[Panel]
) -> list[Panel]:
    """A web service's graphs on the overview: its latency panel with p50 added (per group when it has two, as
    during a blue/green release either may serve production), then its other target panels."""
    latency, *rest = panels
    groups = [("primary", service.target_group_arn_suffix or "")]
    if service.alternate_target_group_arn_suffix is not None:
        groups.append(("alternate", service.alternate_target_group_arn_suffix))
    p50 = [metrics.target_latency(lb_suffix, tg, "p50") for _, tg in groups]
    if len(groups) > 1:
        p50 = [metrics.per_group(metric, group) for metric, (group, _) in zip(p50, groups, strict=True)]
    return [Panel(f"{name}: {latency.title}", [*p50, *latency.signals], latency.thresholds), *rest]


def _notifications(
    stack: StackContext, region: str, backup_rule: str | None, logs_key_arn: pulumi.Input[str], *, home: bool = False
) -> Notifications:
    config = stack.config
    notify = config.notifications
    suffix = "" if region == config.region else f"-{region}"
    return Notifications(
        f"alerts{suffix}",
        NotificationsArgs(
            context=stack.context_for(region),
            name_prefix=name_prefix(config),
            key_alias=f"alias/{name_prefix(config)}-alerts",
            tags=stack.tags,
            subscribers={
                "critical": Subscribers(notify.critical_emails, notify.critical_https_endpoints),
                "warning": Subscribers(notify.warning_emails),
            },
            event_rule_names=[backup_rule] if backup_rule else [],
            # RDS event subscriptions live in the stack's region, next to the instance.
            rds_events=home,
            delivery_logs=stack.log_settings(logs_key_arn),
            protect=stack.is_production,
        ),
        stack.opts(region=region),
    )


def compose(
    stack: StackContext,
    base: Foundation,
    *,
    data_tier: DataTier,
    service_tier: ServiceTier,
    edge_tier: EdgeTier,
    deployment_alarms: dict[str, list[str]],
) -> ObservabilityTier:
    config = stack.config
    settings = config.observability
    prefix = name_prefix(config)
    # Backup alerts watch this stack's own vault (the DR copies are copy jobs of it); no vault, no rule.
    recovery = data_tier.recovery
    vault_arns = [recovery.vault_arn] if recovery is not None and recovery.vault_arn is not None else []
    backup_rule = alarm_name(prefix, "backup-job-failed") if vault_arns else None

    home = _notifications(stack, config.region, backup_rule, base.logs_key.key_arn, home=True)
    topics = {config.region: home}
    if config.region != EDGE_REGION:
        topics[EDGE_REGION] = _notifications(stack, EDGE_REGION, None, edge_tier.logs_key.key_arn)
    notify = {
        region: Notify(dict(n.topic_arns), settings.runbook_base_url) for region, n in topics.items()
    }  # fmt: skip
    local = notify[config.region]

    web = {name: svc for name, svc in sorted(service_tier.services.items()) if svc.target_group_arn_suffix}
    lb_suffix = service_tier.load_balancer.arn_suffix
    load_balancer = LoadBalancerAlarms(
        "alb-alarms",
        LoadBalancerAlarmsArgs(
            notify=local,
            name_prefix=prefix,
            tags=stack.tags,
            load_balancer_arn_suffix=lb_suffix,
            target_groups={
                name: TargetGroup(
                    svc.target_group_arn_suffix,
                    composite_name(config, name),
                    alternate_arn_suffix=svc.alternate_target_group_arn_suffix,
                )
                for name, svc in web.items()
                if svc.target_group_arn_suffix is not None
            },
            thresholds=LoadBalancerThresholds(
                error_rate_percent=settings.alb_5xx_rate_percent,
                errors_per_minute=settings.alb_5xx_per_minute,
                latency_p95_seconds=settings.latency_p95_seconds,
                latency_p99_seconds=settings.latency_p99_seconds,
            ),
            errors_paged_by=", ".join(composite_name(config, name) for name in web) or None,
        ),
        stack.opts(),
    )
    alarm_sets: list[AlarmSet] = [load_balancer]
    service_sections: list[Section] = []
    error_log_groups: list[pulumi.Output[str]] = []
    composites: dict[str, ServiceHealth] = {}
    for name, service in sorted(service_tier.services.items()):
        svc_config = config.services[name]
        service_alarms = ServiceAlarms(
            f"{name}-alarms",
            ServiceAlarmsArgs(
                notify=local,
                name_prefix=prefix,
                service=name,
                tags=stack.tags,
                cluster_name=service_tier.cluster.cluster_name,
                service_name=service.service_name,
                thresholds=ServiceThresholds(
                    cpu_percent=settings.ecs_cpu_percent,
                    memory_warning_percent=settings.ecs_memory_warning_percent,
                    memory_critical_percent=settings.ecs_memory_critical_percent,
                    min_tasks=svc_config.min_count,
                ),
                paged_by=composite_name(config, name) if name in web else None,
            ),
            stack.opts(),
        )
        logs = LogAlarms(
            f"{name}-log-alarms",
            LogAlarmsArgs(
                notify=local,
                name_prefix=prefix,
                service=name,
                tags=stack.tags,
                log_group_name=service.log_group_name,
                errors_per_5_minutes=settings.app_errors_per_5_minutes,
            ),
            stack.opts(),
        )
        alarm_sets += [service_alarms, logs]
        error_log_groups.append(service.log_group_name)
        panels = list(load_balancer.service_panels.get(name, [])) + service_alarms.panels + logs.panels
        service_sections.append(Section(f"Service {name}", panels))
        if name in web:
            members = deployment_alarms[name]
            composites[name] = ServiceHealth(
                f"{name}-health",
                ServiceHealthArgs(
                    notify=local,
                    alarm_name=composite_name(config, name),
                    service=name,
                    members=members,
                    tags=stack.tags,
                    depends_on=[*load_balancer.alarms.values(), *service_alarms.alarms.values()],
                ),
                stack.opts(),
            )

    database = config.database
    db_alarms = DatabaseAlarms(
        "db-alarms",
        DatabaseAlarmsArgs(
            notify=local,
            name_prefix=prefix,
            tags=stack.tags,
            identifier=data_tier.database.instance.identifier,
            instance_class=database.instance_class,
            allocated_storage_gib=database.allocated_storage,
            thresholds=DatabaseThresholds(
                cpu_percent=settings.rds_cpu_percent,
                connections_percent=settings.rds_connections_percent,
                storage_warning_percent=settings.rds_storage_warning_percent,
                storage_critical_percent=settings.rds_storage_critical_percent,
                freeable_memory_percent=settings.rds_freeable_memory_percent,
                read_latency_ms=settings.rds_read_latency_ms,
                write_latency_ms=settings.rds_write_latency_ms,
            ),
        ),
        stack.opts(),
    )
    events = EventAlerts(
        "event-alerts",
        EventAlertsArgs(
            tags=stack.tags,
            topic_arn=home.topic_arns["critical"],
            backup_rule_name=backup_rule or "",
            backup_runbook=local.runbook("backup-job-failed"),
            backup_vault_arns=vault_arns,
            db_instance_identifier=data_tier.database.instance.identifier,
            db_parameter_group_name=data_tier.database.parameter_group_name,
            subscription_prefix=prefix,
        ),
        stack.opts(),
    )
    edge_notify = notify[EDGE_REGION]
    firewall = edge_tier.firewall
    edge = EdgeAlarms(
        "edge-alarms",
        EdgeAlarmsArgs(
            notify=edge_notify,
            name_prefix=prefix,
            tags=stack.tags,
            distribution_id=edge_tier.cdn.distribution_id,
            error_rate_percent=settings.cloudfront_5xx_rate_percent,
            web_acl_name=firewall.name if firewall is not None else None,
            blocked_per_5_minutes=settings.waf_blocked_per_5_minutes,
            additional_metrics=settings.cloudfront_additional_metrics,
        ),
        stack.opts(region=EDGE_REGION),
    )
    uptime = Uptime(
        "uptime",
        UptimeArgs(
            notify=edge_notify,
            name_prefix=prefix,
            tags=stack.tags,
            domain=config.domain,
            path=HEALTH_PATH,
            regions=settings.health_check_regions,
            request_interval_seconds=settings.health_check_interval_seconds,
            slo_percent=settings.uptime_slo_percent,
        ),
        stack.opts(region=EDGE_REGION),
    )
    alarm_sets += [db_alarms, edge, uptime]

    created = {name for alarm_set in alarm_sets for name in alarm_set.names}
    for service_key, names in deployment_alarms.items():
        missing = sorted(set(names) - created)
        if missing:
            raise ValueError(f"service {service_key} rolls back on alarms that were not created: {missing}")

    overview: list[Panel] = [Panel("ALB requests", [metrics.alb_requests(lb_suffix)]), *load_balancer.panels]
    for name, web_service in web.items():
        overview += _service_overview(name, web_service, lb_suffix, load_balancer.service_panels[name])
    overview += uptime.panels
    arns: dict[str, list[pulumi.Output[str]]] = {}
    for alarm_set in alarm_sets:
        region = EDGE_REGION if alarm_set in (edge, uptime) else config.region
        arns.setdefault(region, []).extend(alarm_set.arns)
    arns[config.region] += [c.alarm.arn for c in composites.values()]
    dashboard = Dashboard(
        "dashboard",
        DashboardArgs(
            dashboard_name=prefix,
            region=config.region,
            sections=[
                Section("Overview", overview),
                *service_sections,
                Section(f"Database {data_tier.database.identifier}", db_alarms.panels),
                Section("Edge (CloudFront and WAF, us-east-1)", edge.panels),
            ],
            alarm_arns=arns,
            error_log_groups=error_log_groups,
            tags=stack.tags,
        ),
        stack.opts(),
    )
    return ObservabilityTier(
        notifications=topics,
        alarm_sets=alarm_sets,
        composites=composites,
        dashboard=dashboard,
        uptime=uptime,
        events=events,
        region=config.region,
    )
