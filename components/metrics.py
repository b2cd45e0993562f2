"""The one catalogue of CloudWatch metrics the stack alarms on and charts: alarms and the dashboard are both
generated from these definitions, so a dimension or statistic cannot differ between them.

Dimensions are what CloudWatch expects: ALB and target group `arnSuffix` (never ARNs), the ECS cluster and
service *names*, the RDS instance identifier, the CloudFront distribution id with `Region=Global`, the web
ACL name with `Rule=ALL`, the Route 53 health check id. CloudFront, WAF (scope CLOUDFRONT) and Route 53 health
check metrics exist only in us-east-1 (`EDGE_REGION`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

EDGE_REGION = "us-east-1"


@dataclass(frozen=True)
class Metric:
    """One metric with its statistic and period. `region` None: the stack's region."""

    namespace: str
    """CloudWatch namespace (e.g. `AWS/ApplicationELB`)."""
    name: str
    """Metric name (e.g. `HTTPCode_Target_5XX_Count`)."""
    dimensions: Mapping[str, pulumi.Input[str]]
    """Dimension name -> value, exactly as CloudWatch publishes them (ARN suffixes, names, never ARNs)."""
    stat: str
    """Statistic (`Sum`, `Average`, `Maximum`, ...) or percentile (`p99`)."""
    label: str
    """Label on graphs and in metric-math queries."""
    period: int = 60
    """Period in seconds; default 60, the finest most AWS metrics are published at."""
    region: str | None = None
    """Region the metric lives in; default None = the stack's Region (`EDGE_REGION` for CloudFront, WAF,
    Route 53 health checks)."""

    def with_period(self, period: int) -> Metric:
        return Metric(self.namespace, self.name, self.dimensions, self.stat, self.label, period, self.region)

    def query(self, id_: str, return_data: bool) -> dict[str, Any]:
        """A `metric_queries` entry of an alarm."""
        return {
            "id": id_,
            "label": self.label,
            "return_data": return_data,
            "metric": {
                "namespace": self.namespace,
                "metric_name": self.name,
                "dimensions": dict(self.dimensions),
                "stat": self.stat,
                "period": self.period,
            },
        }

    def widget_row(self, id_: str | None = None, visible: bool = True) -> list[Any]:
        """A row of a dashboard metric widget: namespace, name, dimension pairs, then rendering options."""
        options: dict[str, Any] = {"stat": self.stat, "period": self.period, "label": self.label}
        if id_ is not None:
            options["id"] = id_
        if not visible:
            options["visible"] = False
        pairs = [part for key, value in self.dimensions.items() for part in (key, value)]
        return [self.namespace, self.name, *pairs, options]


@dataclass(frozen=True)
class Expression:
    """Metric math over named metrics (ids are lower-case, as CloudWatch requires)."""

    expression: str
    """The metric-math expression over the input ids (e.g. `100 * errors / requests`)."""
    label: str
    """Label on graphs and alarms."""
    inputs: Mapping[str, Metric]
    """Lower-case id -> the metric it names in `expression`; all of one Region."""

    @property
    def region(self) -> str | None:
        regions = {m.region for m in self.inputs.values()}
        if len(regions) != 1:
            raise ValueError(f"metric math across regions is not possible: {regions}")
        return next(iter(regions))

    @property
    def period(self) -> int:
        return max(m.period for m in self.inputs.values())

    def queries(self) -> list[dict[str, Any]]:
        """`metric_queries` of an alarm on the expression: the inputs, then the expression returned."""
        entries = [metric.query(id_, return_data=False) for id_, metric in self.inputs.items()]
        entries.append({"id": "result", "expression": self.expression, "label": self.label, "return_data": True})
        return entries

    def widget_rows(self) -> list[list[Any]]:
        rows = [metric.widget_row(id_, visible=False) for id_, metric in self.inputs.items()]
        rows.append([{"expression": self.expression, "label": self.label, "id": "result"}])
        return rows


Signal = Metric | Expression


@dataclass(frozen=True)
class Panel:
    """One dashboard graph: signals of one region, with the alarm thresholds drawn as lines."""

    title: str
    """The graph's title."""
    signals: Sequence[Signal]
    """Metrics and expressions drawn, all of one Region."""
    thresholds: Sequence[tuple[str, float]] = field(default_factory=tuple)
    """(label, value) horizontal lines, the alarms' thresholds; default none."""
    view: str = "timeSeries"
    """CloudWatch widget view; default `timeSeries` (a line graph)."""

    @property
    def region(self) -> str | None:
        regions = {s.region for s in self.signals}
        if len(regions) != 1:
            raise ValueError(f"panel {self.title!r} mixes regions {regions}")
        return next(iter(regions))

    def rows(self) -> list[list[Any]]:
        rows: list[list[Any]] = []
        for index, signal in enumerate(self.signals):
            if isinstance(signal, Expression):
                if len(self.signals) > 1:
                    raise ValueError(f"panel {self.title!r}: an expression must be the panel's only signal")
                rows += signal.widget_rows()
            else:
                rows.append(signal.widget_row(f"m{index}"))
        return rows


# -- Application Load Balancer (AWS/ApplicationELB) ---------------------------------------------------------
ALB = "AWS/ApplicationELB"


def alb_requests(lb: pulumi.Input[str]) -> Metric:
    return Metric(ALB, "RequestCount", {"LoadBalancer": lb}, "Sum", "Requests")


def alb_elb_5xx(lb: pulumi.Input[str]) -> Metric:
    """5xx the load balancer generates itself (no target, timeouts): it has no TargetGroup dimension."""
    return Metric(ALB, "HTTPCode_ELB_5XX_Count", {"LoadBalancer": lb}, "Sum", "ELB 5xx")


def alb_target_5xx(lb: pulumi.Input[str]) -> Metric:
    return Metric(ALB, "HTTPCode_Target_5XX_Count", {"LoadBalancer": lb}, "Sum", "Target 5xx")


def alb_5xx_count(lb: pulumi.Input[str]) -> Expression:
    """ELB and target 5xx per period; absent datapoints (no errors) count as zero."""
    return Expression(
        "FILL(elb, 0) + FILL(target, 0)", "5xx (ELB + target)", {"elb": alb_elb_5xx(lb), "target": alb_target_5xx(lb)}
    )


def alb_5xx_rate(lb: pulumi.Input[str]) -> Expression:
    """Percent of requests answered 5xx by the ALB or the targets; no requests gives no datapoint."""
    return Expression(
        "100 * (FILL(elb, 0) + FILL(target, 0)) / requests",
        "5xx rate (%)",
        {"elb": alb_elb_5xx(lb), "target": alb_target_5xx(lb), "requests": alb_requests(lb)},
    )


def target_dimensions(lb: pulumi.Input[str], tg: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    return {"TargetGroup": tg, "LoadBalancer": lb}


def target_latency(lb: pulumi.Input[str], tg: pulumi.Input[str], percentile: str) -> Metric:
    return Metric(ALB, "TargetResponseTime", target_dimensions(lb, tg), percentile, f"Latency {percentile}")


def target_unhealthy(lb: pulumi.Input[str], tg: pulumi.Input[str]) -> Metric:
    return Metric(ALB, "UnHealthyHostCount", target_dimensions(lb, tg), "Maximum", "Unhealthy hosts")


def target_healthy(lb: pulumi.Input[str], tg: pulumi.Input[str]) -> Metric:
    return Metric(ALB, "HealthyHostCount", target_dimensions(lb, tg), "Minimum", "Healthy hosts")


def target_requests(lb: pulumi.Input[str], tg: pulumi.Input[str]) -> Metric:
    return Metric(ALB, "RequestCount", target_dimensions(lb, tg), "Sum", "Requests")


def target_5xx(lb: pulumi.Input[str], tg: pulumi.Input[str]) -> Metric:
    return Metric(ALB, "HTTPCode_Target_5XX_Count", target_dimensions(lb, tg), "Sum", "Target 5xx")


# A blue/green, canary or linear release moves a service between two target groups, and which one serves
# production changes with every release: a signal that watched one group would go blind after every other release.
# These combine both; FILL(x, 0) makes the idle group (no datapoints) count as zero, so the combination stays
# defined. MAX over an array of series is a series of per-timestamp maxima (CloudWatch metric math, MAX).
def target_unhealthy_both(
    lb: pulumi.Input[str], primary: pulumi.Input[str], alternate: pulumi.Input[str]
) -> Expression:
    """Unhealthy hosts in either group, summed."""
    return Expression(
        "FILL(primary, 0) + FILL(alternate, 0)",
        "Unhealthy hosts (both groups)",
        {"primary": target_unhealthy(lb, primary), "alternate": target_unhealthy(lb, alternate)},
    )


def target_latency_worse(
    lb: pulumi.Input[str], primary: pulumi.Input[str], alternate: pulumi.Input[str], percentile: str
) -> Expression:
    """The slower group's latency percentile: a bad new revision shows even while it serves a canary share."""
    return Expression(
        "MAX([FILL(primary, 0), FILL(alternate, 0)])",
        f"Latency {percentile} (slower group)",
        {"primary": target_latency(lb, primary, percentile), "alternate": target_latency(lb, alternate, percentile)},
    )


def per_group(metric: Metric, group: str) -> Metric:
    """The same metric labelled with its group, for graphs that show both side by side."""
    return dataclasses.replace(metric, label=f"{metric.label} ({group})")


# -- ECS services (AWS/ECS; task counts from Container Insights) -------------------------------------------
def _service(cluster: pulumi.Input[str], service: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    return {"ClusterName": cluster, "ServiceName": service}


def service_cpu(cluster: pulumi.Input[str], service: pulumi.Input[str]) -> Metric:
    return Metric("AWS/ECS", "CPUUtilization", _service(cluster, service), "Average", "CPU %")


def service_memory(cluster: pulumi.Input[str], service: pulumi.Input[str]) -> Metric:
    return Metric("AWS/ECS", "MemoryUtilization", _service(cluster, service), "Average", "Memory %")


def service_running_tasks(cluster: pulumi.Input[str], service: pulumi.Input[str]) -> Metric:
    return Metric("ECS/ContainerInsights", "RunningTaskCount", _service(cluster, service), "Minimum", "Running tasks")


def service_desired_tasks(cluster: pulumi.Input[str], service: pulumi.Input[str]) -> Metric:
    return Metric("ECS/ContainerInsights", "DesiredTaskCount", _service(cluster, service), "Maximum", "Desired tasks")


# -- RDS (AWS/RDS) ----------------------------------------------------------------------------------------
def _db(identifier: pulumi.Input[str], name: str, stat: str, label: str) -> Metric:
    return Metric("AWS/RDS", name, {"DBInstanceIdentifier": identifier}, stat, label)


def db_cpu(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "CPUUtilization", "Average", "CPU %")


def db_connections(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "DatabaseConnections", "Maximum", "Connections")


def db_free_storage(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "FreeStorageSpace", "Minimum", "Free storage (bytes)")


def db_freeable_memory(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "FreeableMemory", "Minimum", "Freeable memory (bytes)")


def db_read_latency(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "ReadLatency", "Average", "Read latency (s)")


def db_write_latency(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "WriteLatency", "Average", "Write latency (s)")


def db_read_iops(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "ReadIOPS", "Average", "Read IOPS")


def db_write_iops(identifier: pulumi.Input[str]) -> Metric:
    return _db(identifier, "WriteIOPS", "Average", "Write IOPS")


# -- CloudFront (AWS/CloudFront, us-east-1, Region=Global) ----------------------------------------------------
def _cdn(distribution_id: pulumi.Input[str], name: str, stat: str, label: str) -> Metric:
    dims = {"DistributionId": distribution_id, "Region": "Global"}
    return Metric("AWS/CloudFront", name, dims, stat, label, region=EDGE_REGION)


def cdn_requests(distribution_id: pulumi.Input[str]) -> Metric:
    return _cdn(distribution_id, "Requests", "Sum", "Requests")


def cdn_5xx_rate(distribution_id: pulumi.Input[str]) -> Metric:
    return _cdn(distribution_id, "5xxErrorRate", "Average", "5xx error rate %")


def cdn_4xx_rate(distribution_id: pulumi.Input[str]) -> Metric:
    return _cdn(distribution_id, "4xxErrorRate", "Average", "4xx error rate %")


def cdn_cache_hit_rate(distribution_id: pulumi.Input[str]) -> Metric:
    """Published only with the distribution's additional metrics (a monitoring subscription)."""
    return _cdn(distribution_id, "CacheHitRate", "Average", "Cache hit rate %")


# -- WAF (AWS/WAFV2; a CLOUDFRONT web ACL has no Region dimension and reports in us-east-1) --------------------
def waf_blocked(web_acl_name: pulumi.Input[str]) -> Metric:
    dims = {"WebACL": web_acl_name, "Rule": "ALL"}
    return Metric("AWS/WAFV2", "BlockedRequests", dims, "Sum", "Blocked requests", period=300, region=EDGE_REGION)


def waf_allowed(web_acl_name: pulumi.Input[str]) -> Metric:
    dims = {"WebACL": web_acl_name, "Rule": "ALL"}
    return Metric("AWS/WAFV2", "AllowedRequests", dims, "Sum", "Allowed requests", period=300, region=EDGE_REGION)


# -- Route 53 health checks (AWS/Route53, us-east-1) ------------------------------------------------------
def health_status(health_check_id: pulumi.Input[str]) -> Metric:
    """1 healthy, 0 unhealthy (Route 53's verdict over its checkers); Minimum: any unhealthy moment counts."""
    dims = {"HealthCheckId": health_check_id}
    return Metric("AWS/Route53", "HealthCheckStatus", dims, "Minimum", "Health check status", region=EDGE_REGION)


def health_percentage(health_check_id: pulumi.Input[str]) -> Metric:
    dims = {"HealthCheckId": health_check_id}
    return Metric(
        "AWS/Route53", "HealthCheckPercentageHealthy", dims, "Average", "Checkers healthy %", region=EDGE_REGION
    )


# -- Application error lines (a log metric filter's custom metric) -------------------------------------------
APP_NAMESPACE = "AppPlatform/Logs"


def app_errors(metric_name: str) -> Metric:
    return Metric(APP_NAMESPACE, metric_name, {}, "Sum", "Error log lines", period=300)
