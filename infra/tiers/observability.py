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
    """What the observability tier built: the alert topics, every alarm, the dashboard and the uptime check, and
    what the stack outputs take from them."""

    notifications: dict[str, Notifications]
    """The critical and warning topics by Region: the stack's own, plus us-east-1 for the edge alarms."""
    alarm_sets: list[AlarmSet]
    """Every metric alarm set (load balancer, per service, database, edge, uptime), in creation order."""
    composites: dict[str, ServiceHealth]
    """The composite "service unhealthy" alarm of each web service, by service name."""
    dashboard: Dashboard
    """The stack's CloudWatch dashboard, named after the stack."""
    uptime: Uptime
    """The Route 53 health check on the public domain's health path, with its alarms."""
    events: EventAlerts
    """EventBridge and RDS event alerts (failed backup jobs, database events)."""
    region: str
    """The stack's Region: its notifications are `notifications[region]`."""
    extra: dict[str, object] = field(default_factory=dict)
    """Anything else a caller wants to carry with the tier; empty by default."""

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


# Web services whose composite alarms the load balancer's 5xx alarm names one by one; beyond, it names the pattern.
COMPOSITES_LISTED = 3


def errors_paged_by(config: StackConfig, web: list[str]) -> str | None:
    """The composite alarms that page for the load balancer's 5xx count, as its description names them. It is a
    member of every web service's composite; listed one by one, 25 services overflowed CloudWatch's 1024-character
    description (a ValueError at preview), so more than COMPOSITES_LISTED are named by their pattern."""
    if not web:
        return None
    if len(web) <= COMPOSITES_LISTED:
        return ", ".join(composite_name(config, name) for name in web)
    return f"of each of the {len(web)} web services ({composite_name(config, '<service>')})"


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


@dataclass(frozen=True)
class _ServiceWatch:
    """What `_watch_services` built for all services, in service order."""

    alarm_sets: list[AlarmSet]
    """Each service's metric alarms, then its log alarms."""
    sections: list[Section]
    """One dashboard section per service."""
    error_log_groups: list[pulumi.Output[str]]
    """The log groups the dashboard's error widget searches."""
    composites: dict[str, ServiceHealth]
    """The composite "service unhealthy" alarm of each web service."""


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
    vault_arns = _backup_vault_arns(data_tier)
    backup_rule = alarm_name(name_prefix(config), "backup-job-failed") if vault_arns else None
    topics = _topics(stack, base, edge_tier, backup_rule)
    notify = {
        region: Notify(dict(n.topic_arns), config.observability.runbook_base_url) for region, n in topics.items()
    }  # fmt: skip
    local, edge_notify = notify[config.region], notify[EDGE_REGION]
    web = {name: svc for name, svc in sorted(service_tier.services.items()) if svc.target_group_arn_suffix}
    load_balancer = _load_balancer_alarms(stack, service_tier, web, local)
    services = _watch_services(
        stack, service_tier, web, local, load_balancer=load_balancer, deployment_alarms=deployment_alarms
    )
    db_alarms = _database_alarms(stack, data_tier, local)
    events = _event_alerts(
        stack, data_tier, topics[config.region], local, backup_rule=backup_rule, vault_arns=vault_arns
    )
    edge = _edge_alarms(stack, edge_tier, edge_notify)
    uptime = _uptime(stack, edge_notify)
    home_sets: list[AlarmSet] = [load_balancer, *services.alarm_sets, db_alarms]
    alarm_sets: list[AlarmSet] = [*home_sets, edge, uptime]
    _check_deployment_alarms(alarm_sets, deployment_alarms)
    overview = _overview(service_tier, web, load_balancer, uptime)
    arns = _alarm_arns(config.region, home_sets, [edge, uptime], services.composites)
    sections = [
        Section("Overview", overview),
        *services.sections,
        Section(f"Database {data_tier.database.identifier}", db_alarms.panels),
        Section("Edge (CloudFront and WAF, us-east-1)", edge.panels),
    ]
    dashboard = _dashboard(stack, sections, arns, services.error_log_groups)
    return ObservabilityTier(
        notifications=topics,
        alarm_sets=alarm_sets,
        composites=services.composites,
        dashboard=dashboard,
        uptime=uptime,
        events=events,
        region=config.region,
    )


def _backup_vault_arns(data_tier: DataTier) -> list[pulumi.Input[str]]:
    """Backup alerts watch this stack's own vault (the DR copies are copy jobs of it); no vault, no rule."""
    recovery = data_tier.recovery
    return [recovery.vault_arn] if recovery is not None and recovery.vault_arn is not None else []


def _topics(
    stack: StackContext, base: Foundation, edge_tier: EdgeTier, backup_rule: str | None
) -> dict[str, Notifications]:
    """The stack Region's topics, and us-east-1's for the edge alarms when the stack lives elsewhere."""
    config = stack.config
    home = _notifications(stack, config.region, backup_rule, base.logs_key.key_arn, home=True)
    topics = {config.region: home}
    if config.region != EDGE_REGION:
        topics[EDGE_REGION] = _notifications(stack, EDGE_REGION, None, edge_tier.logs_key.key_arn)
    return topics


def _load_balancer_alarms(
    stack: StackContext, service_tier: ServiceTier, web: dict[str, ContainerService], local: Notify
) -> LoadBalancerAlarms:
    config, settings = stack.config, stack.config.observability
    return LoadBalancerAlarms(
        "alb-alarms",
        LoadBalancerAlarmsArgs(
            notify=local,
            name_prefix=name_prefix(config),
            tags=stack.tags,
            load_balancer_arn_suffix=service_tier.load_balancer.arn_suffix,
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
            errors_paged_by=errors_paged_by(config, list(web)),
        ),
        stack.opts(),
    )


def _watch_services(
    stack: StackContext,
    service_tier: ServiceTier,
    web: dict[str, ContainerService],
    local: Notify,
    *,
    load_balancer: LoadBalancerAlarms,
    deployment_alarms: dict[str, list[str]],
) -> _ServiceWatch:
    """Per service, in name order: its metric alarms, its log alarms, its dashboard section, and for a web
    service the composite alarm over its deployment alarms."""
    watch = _ServiceWatch(alarm_sets=[], sections=[], error_log_groups=[], composites={})
    for name, service in sorted(service_tier.services.items()):
        service_alarms = _service_alarms(stack, service_tier, name, service, paged=name in web, local=local)
        logs = _log_alarms(stack, name, service, local)
        watch.alarm_sets.extend([service_alarms, logs])
        watch.error_log_groups.append(service.log_group_name)
        panels = list(load_balancer.service_panels.get(name, [])) + service_alarms.panels + logs.panels
        watch.sections.append(Section(f"Service {name}", panels))
        if name in web:
            members = deployment_alarms[name]
            watch.composites[name] = _service_health(stack, name, members, local, [load_balancer, service_alarms])
    return watch


def _service_alarms(
    stack: StackContext, service_tier: ServiceTier, name: str, service: ContainerService, *, paged: bool, local: Notify
) -> ServiceAlarms:
    config, settings = stack.config, stack.config.observability
    return ServiceAlarms(
        f"{name}-alarms",
        ServiceAlarmsArgs(
            notify=local,
            name_prefix=name_prefix(config),
            service=name,
            tags=stack.tags,
            cluster_name=service_tier.cluster.cluster_name,
            service_name=service.service_name,
            thresholds=ServiceThresholds(
                cpu_percent=settings.ecs_cpu_percent,
                memory_warning_percent=settings.ecs_memory_warning_percent,
                memory_critical_percent=settings.ecs_memory_critical_percent,
                min_tasks=config.services[name].min_count,
            ),
            paged_by=composite_name(config, name) if paged else None,
        ),
        stack.opts(),
    )


def _log_alarms(stack: StackContext, name: str, service: ContainerService, local: Notify) -> LogAlarms:
    return LogAlarms(
        f"{name}-log-alarms",
        LogAlarmsArgs(
            notify=local,
            name_prefix=name_prefix(stack.config),
            service=name,
            tags=stack.tags,
            log_group_name=service.log_group_name,
            errors_per_5_minutes=stack.config.observability.app_errors_per_5_minutes,
        ),
        stack.opts(),
    )


def _service_health(
    stack: StackContext,
    name: str,
    members: list[str],
    local: Notify,
    after: list[LoadBalancerAlarms | ServiceAlarms],
) -> ServiceHealth:
    """The composite alarm is created after the metric alarms it names (`after`), which must exist first."""
    return ServiceHealth(
        f"{name}-health",
        ServiceHealthArgs(
            notify=local,
            alarm_name=composite_name(stack.config, name),
            service=name,
            members=members,
            tags=stack.tags,
            depends_on=[alarm for alarm_set in after for alarm in alarm_set.alarms.values()],
        ),
        stack.opts(),
    )


def _database_alarms(stack: StackContext, data_tier: DataTier, local: Notify) -> DatabaseAlarms:
    config, settings = stack.config, stack.config.observability
    return DatabaseAlarms(
        "db-alarms",
        DatabaseAlarmsArgs(
            notify=local,
            name_prefix=name_prefix(config),
            tags=stack.tags,
            identifier=data_tier.database.instance.identifier,
            instance_class=config.database.instance_class,
            allocated_storage_gib=config.database.allocated_storage,
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


def _event_alerts(
    stack: StackContext,
    data_tier: DataTier,
    home: Notifications,
    local: Notify,
    *,
    backup_rule: str | None,
    vault_arns: list[pulumi.Input[str]],
) -> EventAlerts:
    return EventAlerts(
        "event-alerts",
        EventAlertsArgs(
            tags=stack.tags,
            topic_arn=home.topic_arns["critical"],
            backup_rule_name=backup_rule or "",
            backup_runbook=local.runbook("backup-job-failed"),
            backup_vault_arns=vault_arns,
            db_instance_identifier=data_tier.database.instance.identifier,
            db_parameter_group_name=data_tier.database.parameter_group_name,
            subscription_prefix=name_prefix(stack.config),
        ),
        stack.opts(),
    )


def _edge_alarms(stack: StackContext, edge_tier: EdgeTier, edge_notify: Notify) -> EdgeAlarms:
    settings = stack.config.observability
    firewall = edge_tier.firewall
    return EdgeAlarms(
        "edge-alarms",
        EdgeAlarmsArgs(
            notify=edge_notify,
            name_prefix=name_prefix(stack.config),
            tags=stack.tags,
            distribution_id=edge_tier.cdn.distribution_id,
            error_rate_percent=settings.cloudfront_5xx_rate_percent,
            web_acl_name=firewall.name if firewall is not None else None,
            blocked_per_5_minutes=settings.waf_blocked_per_5_minutes,
            additional_metrics=settings.cloudfront_additional_metrics,
        ),
        stack.opts(region=EDGE_REGION),
    )


def _uptime(stack: StackContext, edge_notify: Notify) -> Uptime:
    config, settings = stack.config, stack.config.observability
    return Uptime(
        "uptime",
        UptimeArgs(
            notify=edge_notify,
            name_prefix=name_prefix(config),
            tags=stack.tags,
            domain=config.domain,
            path=HEALTH_PATH,
            regions=settings.health_check_regions,
            request_interval_seconds=settings.health_check_interval_seconds,
            slo_percent=settings.uptime_slo_percent,
        ),
        stack.opts(region=EDGE_REGION),
    )


def _check_deployment_alarms(alarm_sets: list[AlarmSet], deployment_alarms: dict[str, list[str]]) -> None:
    """Every alarm a service's deployments roll back on must have been created under exactly that name."""
    created = {name for alarm_set in alarm_sets for name in alarm_set.names}
    for service_key, names in deployment_alarms.items():
        missing = sorted(set(names) - created)
        if missing:
            raise ValueError(f"service {service_key} rolls back on alarms that were not created: {missing}")


def _overview(
    service_tier: ServiceTier, web: dict[str, ContainerService], load_balancer: LoadBalancerAlarms, uptime: Uptime
) -> list[Panel]:
    """The overview section: ALB requests and alarms, each web service's graphs, then the uptime check."""
    lb_suffix = service_tier.load_balancer.arn_suffix
    overview: list[Panel] = [Panel("ALB requests", [metrics.alb_requests(lb_suffix)]), *load_balancer.panels]
    for name, web_service in web.items():
        overview += _service_overview(name, web_service, lb_suffix, load_balancer.service_panels[name])
    return overview + uptime.panels


def _alarm_arns(
    region: str, home_sets: list[AlarmSet], edge_sets: list[AlarmSet], composites: dict[str, ServiceHealth]
) -> dict[str, list[pulumi.Output[str]]]:
    """Alarm ARNs by the Region they live in (the dashboard's alarm widgets are per Region), composites last."""
    arns: dict[str, list[pulumi.Output[str]]] = {}
    for alarm_region, alarm_sets in ((region, home_sets), (EDGE_REGION, edge_sets)):
        for alarm_set in alarm_sets:
            arns.setdefault(alarm_region, []).extend(alarm_set.arns)
    arns[region] += [c.alarm.arn for c in composites.values()]
    return arns


def _dashboard(
    stack: StackContext,
    sections: list[Section],
    arns: dict[str, list[pulumi.Output[str]]],
    error_log_groups: list[pulumi.Output[str]],
) -> Dashboard:
    config = stack.config
    return Dashboard(
        "dashboard",
        DashboardArgs(
            dashboard_name=name_prefix(config),
            region=config.region,
            sections=sections,
            alarm_arns=arns,
            error_log_groups=error_log_groups,
            tags=stack.tags,
        ),
        stack.opts(),
    )
