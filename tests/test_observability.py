"""Observability tier: severity routing, the alarm set per environment, dimensions CloudWatch expects, the
dashboard widget by widget, rollback alarms on the ECS services, uptime, event alerts and log groups.

Expectations come from AWS facts, from the stack files and config, and from other resources' recorded inputs
(the listener's load balancer ARN, the ECS service's target group ARN...), never from the tier's own helpers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest

from infra.config import ConfigError, StackConfig, load_config
from offline.plan import Plan, ResourceRecord
from offline.project import ROOT
from offline.render import render
from tests.helpers import policy, stack_config

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
EDGE_NAMESPACES = {"AWS/CloudFront", "AWS/WAFV2", "AWS/Route53"}
EDGE_REGION = "us-east-1"
GIB = 1024**3
RUNBOOK_LINK = re.compile(r"(https://\S+)/docs/runbooks/alarms\.md#([a-z0-9-]+)")


def config_of(plan: Plan) -> StackConfig:
    raw, secrets = stack_config(plan.stack)
    return load_config(raw, secrets)


def runbook_anchors() -> set[str]:
    text = re.sub(r"```.*?```", "", (ROOT / "docs" / "runbooks" / "alarms.md").read_text(), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", t.strip().lower()).replace(" ", "-") for t in re.findall(r"^## (.+)$", text, re.M)}


def region_of(record: ResourceRecord, config: StackConfig) -> str:
    provider = record.provider or ""
    match = re.search(r"::aws-([a-z]{2}-[a-z]+-\d)", provider)
    return match.group(1) if match else config.region


def alarms(plan: Plan) -> list[ResourceRecord]:
    return plan.of_type(ALARM) + plan.of_type(COMPOSITE)


def alarm_name(record: ResourceRecord) -> str:
    return str(record.inputs.get("name") or record.inputs["alarmName"])


def topics(plan: Plan) -> dict[str, tuple[str, str]]:
    """Topic ARN -> (region, severity), from the topic policies (which name the topic ARN) and topic names."""
    names = {r.inputs["name"] for r in plan.of_type("aws:sns/topic:Topic")}
    found = {}
    for record in plan.of_type("aws:sns/topicPolicy:TopicPolicy"):
        arn = record.inputs["arn"]
        _, _, _, region, _, name = arn.split(":")
        assert name in names
        found[arn] = (region, name.rsplit("-", 1)[-1])
    return found


def metric_rows(alarm: ResourceRecord) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of an alarm, plain or metric math."""
    inputs = alarm.inputs
    if "metricName" in inputs:
        yield inputs["namespace"], inputs["metricName"], dict(inputs.get("dimensions") or {})
    for query in inputs.get("metricQueries") or []:
        if "metric" in query:
            metric = query["metric"]
            yield metric["namespace"], metric["metricName"], dict(metric.get("dimensions") or {})


def widget_rows(widget: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    for row in widget["properties"]["metrics"]:
        values = [v for v in row if not isinstance(v, dict)]
        if len(values) < 2:
            continue  # a math expression row
        namespace, name, *pairs = values
        assert len(pairs) % 2 == 0, row
        yield namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))


def dashboard(plan: Plan) -> dict[str, Any]:
    return dict(json.loads(plan.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"]))


def expected_dimensions(plan: Plan) -> dict[str, set[str]]:
    """What each dimension may be, derived from other resources' recorded inputs (AWS ARN formats)."""
    listener_lbs = {r.inputs["loadBalancerArn"] for r in plan.of_type("aws:lb/listener:Listener")}
    target_groups = {
        arn
        for r in plan.of_type("aws:ecs/service:Service")
        for lb in r.inputs.get("loadBalancers", [])
        # A blue/green service's second group (advancedConfiguration) is watched too.
        for arn in (lb["targetGroupArn"], lb.get("advancedConfiguration", {}).get("alternateTargetGroupArn"))
        if arn
    }
    scaling = [r.inputs["resourceId"].split("/") for r in plan.of_type("aws:appautoscaling/target:Target")]
    acl_arns = [
        r.inputs["resourceArn"] for r in plan.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    ]
    return {
        # arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id> -> app/<name>/<id>
        "LoadBalancer": {arn.split(":loadbalancer/", 1)[1] for arn in listener_lbs},
        # arn:...:targetgroup/<name>/<id> -> targetgroup/<name>/<id>
        "TargetGroup": {arn.rsplit(":", 1)[1] for arn in target_groups},
        "ClusterName": {parts[1] for parts in scaling},
        "ServiceName": {parts[2] for parts in scaling},
        "DBInstanceIdentifier": {r.inputs["identifier"] for r in plan.of_type("aws:rds/instance:Instance")},
        "DistributionId": {plan.outputs["distributionId"]},
        "Region": {"Global"},
        # arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>
        "WebACL": {arn.split("/")[-2] for arn in acl_arns},
        "Rule": {"ALL"},
    }


def check_dimensions(plan: Plan, rows: Iterator[tuple[str, str, dict[str, str]]], where: str) -> int:
    expected = expected_dimensions(plan)
    checked = 0
    for namespace, name, dims in rows:
        for key, value in dims.items():
            assert not str(value).startswith("arn:"), f"{where}: {namespace}/{name} {key} is an ARN: {value}"
            if key == "HealthCheckId":
                assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", value), value
            else:
                assert value in expected[key], f"{where}: {namespace}/{name} {key}={value}, expected {expected[key]}"
            checked += 1
        if namespace == "AWS/ApplicationELB":
            assert "LoadBalancer" in dims
        if name in ("TargetResponseTime", "UnHealthyHostCount", "HealthyHostCount"):
            assert set(dims) == {"LoadBalancer", "TargetGroup"}
    return checked


# -- notifications ----------------------------------------------------------------------------------------
def test_every_alarm_notifies_its_severity_topic_in_its_own_region_on_alarm_and_ok(plan: Plan) -> None:
    config = config_of(plan)
    by_arn = topics(plan)
    assert sorted(by_arn.values()) == sorted(
        (region, severity) for region in {config.region, EDGE_REGION} for severity in ("critical", "warning")
    )
    for alarm in alarms(plan):
        inputs = alarm.inputs
        assert inputs["actionsEnabled"] is True
        assert inputs["alarmActions"] == inputs["okActions"] and len(inputs["alarmActions"]) == 1, alarm.name
        region, routed = by_arn[inputs["alarmActions"][0]]
        assert region == region_of(alarm, config), f"{alarm.name}: action topic in {region}"
        severity = inputs["alarmDescription"].split(":", 1)[0].lower()
        assert severity in ("critical", "warning") and inputs["tags"]["Severity"] == severity
        paged_elsewhere = "Pages once through the composite alarm" in inputs["alarmDescription"]
        assert routed == ("warning" if paged_elsewhere else severity), alarm.name
        assert alarm_name(alarm).startswith(f"app-platform-{config.environment}-")


def test_every_alarm_links_its_runbook_section_under_the_configured_base_url(plan: Plan) -> None:
    config = config_of(plan)
    anchors = runbook_anchors()
    for alarm in alarms(plan):
        links = RUNBOOK_LINK.findall(alarm.inputs["alarmDescription"])
        assert len(links) == 1, alarm.name
        base, anchor = links[0]
        assert base == config.observability.runbook_base_url and anchor in anchors
        assert alarm.inputs["tags"]["Runbook"] == anchor


def test_metric_alarms_are_m_of_n_with_a_deliberate_missing_data_treatment(plan: Plan) -> None:
    for alarm in plan.of_type(ALARM):
        inputs = alarm.inputs
        assert 1 <= inputs["datapointsToAlarm"] <= inputs["evaluationPeriods"], alarm.name
        assert inputs["treatMissingData"] in ("breaching", "notBreaching", "ignore", "missing"), alarm.name
        period = inputs.get("period") or max(q["metric"]["period"] for q in inputs["metricQueries"] if "metric" in q)
        # PutMetricAlarm: at most one day in total under a one-hour period, seven days otherwise.
        assert period * inputs["evaluationPeriods"] <= (86_400 if period < 3600 else 604_800), alarm.name


def test_topics_are_encrypted_and_admit_only_alerting_services_over_tls(plan: Plan) -> None:
    keys = {r.urn: r for r in plan.of_type("aws:kms/key:Key")}
    for topic in plan.of_type("aws:sns/topic:Topic"):
        key = next(keys[d] for d in topic.dependencies if d in keys)
        grants = {s["Principal"]["Service"] for s in policy(key)["Statement"] if "Service" in s.get("Principal", {})}
        assert "cloudwatch.amazonaws.com" in grants
        assert grants <= {"cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"}
    for record in plan.of_type("aws:sns/topicPolicy:TopicPolicy"):
        statements = policy(record)["Statement"]
        deny = [s for s in statements if s["Effect"] == "Deny"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in statements:
            principal = statement["Principal"]
            if statement["Effect"] == "Allow" and "Service" in principal:
                assert statement["Action"] == "sns:Publish"
                assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
            elif statement["Effect"] == "Allow":
                assert (
                    principal == {"AWS": "arn:aws:iam::123456789012:root"} and "sns:Publish" not in statement["Action"]
                )


def test_production_pages_through_the_critical_topic(production_plan: Plan) -> None:
    stack_file = json.loads(stack_config("production")[0]["app-platform:notifications"])
    pager = stack_file["criticalHttpsEndpoints"]
    critical = production_plan.outputs["criticalTopicArn"]
    https = [r.inputs for r in production_plan.of_type("aws:sns/topicSubscription:TopicSubscription")
             if r.inputs["protocol"] == "https"]  # fmt: skip
    assert pager and {(s["topic"], s["endpoint"]) for s in https if s["topic"] == critical} == {(critical, pager[0])}
    composite = production_plan.one(COMPOSITE)
    assert composite.inputs["alarmActions"] == [critical]


# -- the alarm set --------------------------------------------------------------------------------------------
def test_both_stacks_declare_the_full_alarm_set(plan: Plan) -> None:
    config = config_of(plan)
    declared = {alarm.inputs["tags"]["Runbook"] for alarm in alarms(plan)}
    event_only = {"backup-job-failed", "rds-events"}  # EventBridge rule and RDS event subscriptions
    assert declared == runbook_anchors() - event_only
    names = sorted(alarm_name(a) for a in alarms(plan))
    assert sorted(plan.outputs["alarmNames"]) == names and len(set(names)) == len(names)
    assert plan.outputs["dashboardName"] == f"app-platform-{config.environment}"


def test_thresholds_come_from_the_environment_config(plan: Plan) -> None:
    config = config_of(plan)
    settings, db = config.observability, config.database
    by_anchor = {a.inputs["tags"]["Runbook"]: a.inputs for a in plan.of_type(ALARM)}
    # RDS for PostgreSQL default max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000); the classes'
    # memory from the AWS instance-class tables: db.t4g.small 2 GiB, db.m7g.large 8 GiB.
    memory_gib = {"db.t4g.small": 2, "db.m7g.large": 8}[db.instance_class]
    max_connections = min(memory_gib * GIB // 9_531_392, 5000)
    assert by_anchor["rds-connections-high"]["threshold"] == int(
        max_connections * settings.rds_connections_percent / 100
    )
    allocated = db.allocated_storage * GIB
    assert by_anchor["rds-storage-low"]["threshold"] == int(allocated * 0.15)
    assert by_anchor["rds-storage-critical"]["threshold"] == int(allocated * 0.05)
    assert by_anchor["rds-freeable-memory-low"]["comparisonOperator"] == "LessThanThreshold"
    assert by_anchor["waf-blocked-spike"]["threshold"] == settings.waf_blocked_per_5_minutes
    assert by_anchor["ecs-running-tasks-low"]["threshold"] == config.services["api"].min_count
    assert by_anchor["alb-5xx-count"]["threshold"] == 10 and by_anchor["ecs-memory-critical"]["threshold"] == 90
    p95 = by_anchor["target-latency-p95"]  # one metric (rolling) or metric math over both groups (blue/green)
    stats = {p95.get("extendedStatistic")} | {
        q["metric"]["stat"] for q in p95.get("metricQueries", []) if "metric" in q
    }
    assert stats - {None} == {"p95"}
    assert by_anchor["target-latency-p99"]["threshold"] == 2


def test_presets_differ_where_traffic_differs(staging_plan: Plan, production_plan: Plan) -> None:
    staging, production = config_of(staging_plan).observability, config_of(production_plan).observability
    assert staging.waf_blocked_per_5_minutes < production.waf_blocked_per_5_minutes
    assert (staging.health_check_interval_seconds, production.health_check_interval_seconds) == (30, 10)


def test_the_5xx_rate_is_metric_math_over_elb_and_target_errors_against_requests(plan: Plan) -> None:
    rate = next(a for a in plan.of_type(ALARM) if a.inputs["tags"]["Runbook"] == "alb-5xx-rate").inputs
    queries = {q["id"]: q for q in rate["metricQueries"]}
    returned = [q for q in queries.values() if q.get("returnData")]
    assert len(returned) == 1 and "expression" in returned[0]
    names = {q["metric"]["metricName"] for q in queries.values() if "metric" in q}
    assert names == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount"}
    assert rate["threshold"] == config_of(plan).observability.alb_5xx_rate_percent


def test_alarm_dimensions_resolve_to_resources_of_the_stack(plan: Plan) -> None:
    checked = sum(check_dimensions(plan, metric_rows(a), a.name) for a in plan.of_type(ALARM))
    assert checked > 20


def test_edge_alarms_live_in_us_east_1_and_the_rest_in_the_stack_region(plan: Plan) -> None:
    config = config_of(plan)
    for alarm in plan.of_type(ALARM):
        namespaces = {ns for ns, _, _ in metric_rows(alarm)}
        expected = EDGE_REGION if namespaces & EDGE_NAMESPACES else config.region
        assert region_of(alarm, config) == expected, alarm.name


def test_the_database_and_load_balancer_alarms_depend_on_what_they_watch(plan: Plan) -> None:
    """What the policy pack's 'every ALB and database has alarms' rule reads."""
    for type_ in ("aws:lb/loadBalancer:LoadBalancer", "aws:rds/instance:Instance"):
        target = plan.one(type_).urn
        assert any(target in a.dependencies for a in plan.of_type(ALARM)), type_


# -- composite and rollback ----------------------------------------------------------------------------------
def test_the_composite_pages_once_for_existing_member_alarms(plan: Plan) -> None:
    metric_alarms = {alarm_name(a): a for a in plan.of_type(ALARM)}
    for composite in plan.of_type(COMPOSITE):
        members = re.findall(r'ALARM\("([^"]+)"\)', composite.inputs["alarmRule"])
        assert composite.inputs["alarmRule"] == " OR ".join(f'ALARM("{m}")' for m in members)
        assert {metric_alarms[m].inputs["tags"]["Runbook"] for m in members} == {
            "alb-5xx-count", "unhealthy-hosts", "ecs-running-tasks-low"
        }  # fmt: skip
        for member in members:
            assert metric_alarms[member].urn in composite.dependencies
            assert composite.inputs["alarmName"] in metric_alarms[member].inputs["alarmDescription"]


def test_rollback_alarms_reach_the_ecs_service(plan: Plan) -> None:
    metric_alarms = {alarm_name(a) for a in plan.of_type(ALARM)}
    composite = plan.one(COMPOSITE)
    members = re.findall(r'ALARM\("([^"]+)"\)', composite.inputs["alarmRule"])
    for service in plan.of_type("aws:ecs/service:Service"):
        settings = service.inputs["alarms"]
        assert settings["enable"] is True and settings["rollback"] is True
        assert set(settings["alarmNames"]) <= metric_alarms
        assert sorted(settings["alarmNames"]) == sorted(members)


# -- dashboard --------------------------------------------------------------------------------------------------
def test_dashboard_widgets_reference_the_stacks_resources(plan: Plan) -> None:
    config = config_of(plan)
    body = dashboard(plan)
    kinds = [w["type"] for w in body["widgets"]]
    assert {"metric", "alarm", "log", "text"} <= set(kinds)
    checked = 0
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        rows = list(widget_rows(widget))
        namespaces = {ns for ns, _, _ in rows}
        region = widget["properties"]["region"]
        assert region == (EDGE_REGION if namespaces & EDGE_NAMESPACES else config.region), widget["properties"]
        assert not (namespaces & EDGE_NAMESPACES and namespaces - EDGE_NAMESPACES)
        checked += check_dimensions(plan, iter(rows), widget["properties"]["title"])
    assert checked > 30


def test_dashboard_graphs_every_alarmed_metric_with_its_threshold(plan: Plan) -> None:
    graphed = set()
    lines = set()
    for widget in dashboard(plan)["widgets"]:
        if widget["type"] == "metric":
            graphed |= {(ns, name, json.dumps(d, sort_keys=True)) for ns, name, d in widget_rows(widget)}
            lines |= {a["value"] for a in widget["properties"].get("annotations", {}).get("horizontal", [])}
    for alarm in plan.of_type(ALARM):
        for ns, name, dims in metric_rows(alarm):
            assert (ns, name, json.dumps(dims, sort_keys=True)) in graphed, f"{alarm.name}: {ns}/{name} not graphed"
        assert alarm.inputs["threshold"] in lines, f"{alarm.name}: threshold not drawn"


def test_dashboard_covers_overview_services_database_and_edge(plan: Plan) -> None:
    widgets = dashboard(plan)["widgets"]
    headers = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert headers[0] == "## Overview" and any("Database" in h for h in headers) and any("Edge" in h for h in headers)
    assert any(f"Service {name}" in h for h in headers for name in config_of(plan).services)
    graphed = {(ns, name) for w in widgets if w["type"] == "metric" for ns, name, _ in widget_rows(w)}
    for wanted in [("AWS/ApplicationELB", "RequestCount"), ("AWS/ApplicationELB", "HealthyHostCount"),
                   ("ECS/ContainerInsights", "DesiredTaskCount"), ("AWS/RDS", "ReadIOPS"),
                   ("AWS/CloudFront", "Requests"), ("AWS/CloudFront", "CacheHitRate"), ("AWS/WAFV2", "BlockedRequests"),
                   ("AWS/Route53", "HealthCheckStatus")]:  # fmt: skip
        assert wanted in graphed
    stats = {row[-1]["stat"] for w in widgets if w["type"] == "metric" for row in w["properties"]["metrics"]
             if isinstance(row[-1], dict) and "stat" in row[-1]}  # fmt: skip
    assert {"p50", "p95", "p99"} <= stats


def test_dashboard_alarm_status_lists_every_alarm_once_by_region(plan: Plan) -> None:
    config = config_of(plan)
    regions = {alarm_name(a): region_of(a, config) for a in alarms(plan)}
    listed = []
    for widget in dashboard(plan)["widgets"]:
        if widget["type"] == "alarm":
            for arn in widget["properties"]["alarms"]:
                _, _, service, region, _, kind, name = arn.split(":", 6)
                assert (service, kind, regions[name]) == ("cloudwatch", "alarm", region)
                listed.append(name)
    assert sorted(listed) == sorted(regions)


def service_task_definitions(plan: Plan) -> list[Any]:
    """The task definitions ECS services run (same logical name); not the one-off db-bootstrap task, whose psql
    output is printed by `ops db-bootstrap` rather than counted by the services' error metric."""
    services = {s.name for s in plan.of_type("aws:ecs/service:Service")}
    return [t for t in plan.of_type("aws:ecs/taskDefinition:TaskDefinition") if t.name in services]


def test_dashboard_logs_insights_widget_reads_every_service_log_group(plan: Plan) -> None:
    groups = set()
    for task in service_task_definitions(plan):
        for container in json.loads(task.inputs["containerDefinitions"]):
            groups.add(container["logConfiguration"]["options"]["awslogs-group"])
    (widget,) = [w for w in dashboard(plan)["widgets"] if w["type"] == "log"]
    query = widget["properties"]["query"]
    assert set(re.findall(r"SOURCE '([^']+)'", query)) == groups
    assert "filter level = 'error'" in query and widget["properties"]["region"] == config_of(plan).region


# -- uptime, events, logs -----------------------------------------------------------------------------------------
def test_uptime_check_calls_the_public_health_endpoint_with_sni(plan: Plan) -> None:
    config = config_of(plan)
    check = plan.one("aws:route53/healthCheck:HealthCheck")
    assert {k: check.inputs[k] for k in ("type", "fqdn", "port", "resourcePath", "enableSni", "measureLatency")} == {
        "type": "HTTPS", "fqdn": config.domain, "port": 443, "resourcePath": "/health", "enableSni": True,
        "measureLatency": True,
    }  # fmt: skip
    assert f"https://{check.inputs['fqdn']}{check.inputs['resourcePath']}" == plan.outputs["healthUrl"]
    assert len(check.inputs["regions"]) >= 3
    assert check.inputs["requestInterval"] == config.observability.health_check_interval_seconds
    by_anchor = {a.inputs["tags"]["Runbook"]: a for a in plan.of_type(ALARM)}
    slo, down = by_anchor["uptime-slo"], by_anchor["service-down"]
    for alarm in (slo, down):
        assert check.urn in alarm.dependencies and alarm.inputs["metricName"] == "HealthCheckStatus"
    # 99% of the 1440 minutes of a day: more than 14.4 unhealthy minutes break the SLO.
    minutes = slo.inputs["period"] * slo.inputs["evaluationPeriods"] / 60
    assert minutes == 24 * 60
    assert (
        slo.inputs["datapointsToAlarm"] == math.floor(minutes * (1 - config.observability.uptime_slo_percent / 100)) + 1
    )
    assert (down.inputs["period"], down.inputs["evaluationPeriods"], down.inputs["datapointsToAlarm"]) == (60, 1, 1)


def test_backup_failures_and_rds_events_reach_the_critical_topic(plan: Plan) -> None:
    critical = plan.outputs["criticalTopicArn"]
    rule = plan.one("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.backup"] and set(pattern["detail"]["state"]) == {"FAILED", "ABORTED", "EXPIRED"}
    target = plan.one("aws:cloudwatch/eventTarget:EventTarget")
    assert (
        target.inputs["arn"] == critical and "backup-job-failed" in target.inputs["inputTransformer"]["inputTemplate"]
    )
    critical_policy = next(r for r in plan.of_type("aws:sns/topicPolicy:TopicPolicy") if r.inputs["arn"] == critical)
    events = [s for s in policy(critical_policy)["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}]
    region = config_of(plan).region
    rule_arn = f"arn:aws:events:{region}:123456789012:rule/{rule.inputs['name']}"
    assert events and events[0]["Condition"]["ArnEquals"] == {"aws:SourceArn": [rule_arn]}
    subscriptions = {
        r.inputs["sourceType"]: r.inputs for r in plan.of_type("aws:rds/eventSubscription:EventSubscription")
    }
    # No db-security-group subscription: DB security groups were EC2-Classic only (retired 2022).
    assert set(subscriptions) == {"db-instance", "db-parameter-group"}
    assert all(s["snsTopic"] == critical and s["enabled"] for s in subscriptions.values())
    instance = subscriptions["db-instance"]
    assert instance["sourceIds"] == [plan.one("aws:rds/instance:Instance").inputs["identifier"]]
    assert {
        "failure",
        "failover",
        "low storage",
        "backup",
        "notification",
        "maintenance",
        "configuration change",
    } <= set(instance["eventCategories"])
    parameter_group = plan.one("aws:rds/parameterGroup:ParameterGroup")
    (subscription,) = [r for r in plan.of_type("aws:rds/eventSubscription:EventSubscription")
                       if r.inputs["sourceType"] == "db-parameter-group"]  # fmt: skip
    assert parameter_group.urn in subscription.dependencies and len(subscription.inputs["sourceIds"]) == 1


def test_the_parameter_group_subscription_names_the_group_not_its_family(plan: Plan) -> None:
    """A parameter group is auto-named (its resource name `db-postgres16`, `-` and seven hex digits, like every
    Pulumi auto-name); its family (postgres16) is not a name, and a subscription naming a family watches a group
    that does not exist."""
    group = plan.one("aws:rds/parameterGroup:ParameterGroup")
    (subscription,) = [r for r in plan.of_type("aws:rds/eventSubscription:EventSubscription")
                       if r.inputs["sourceType"] == "db-parameter-group"]  # fmt: skip
    (source_id,) = subscription.inputs["sourceIds"]
    assert source_id != group.inputs["family"]
    assert re.fullmatch(rf"db-{group.inputs['family']}-[0-9a-f]{{7}}", source_id), source_id
    assert plan.outputs["database"]["identifier"] not in source_id


def test_backup_failures_page_only_for_this_stacks_vault(plan: Plan) -> None:
    """Staging and production may share an account: the rule matches jobs of this stack's vault only, as a backup
    job (`backupVaultArn`) or as the source of a copy job (`sourceBackupVaultArn`), never the whole region."""
    rule = plan.one("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    home = config_of(plan).region
    vaults = [v for v in plan.of_type("aws:backup/vault:Vault") if region_of(v, config_of(plan)) == home]
    (vault,) = vaults
    vault_arn = f"arn:aws:backup:{home}:123456789012:backup-vault:"
    (arn,) = pattern["detail"]["$or"][0]["backupVaultArn"]
    assert arn.startswith(vault_arn) and vault.urn in rule.dependencies
    assert pattern["detail"]["$or"] == [{"backupVaultArn": [arn]}, {"sourceBackupVaultArn": [arn]}]
    assert set(pattern["detail"]) == {"state", "$or"} and set(pattern) == {"source", "detail-type", "detail"}


def test_backup_alerts_without_a_vault_watch_nothing() -> None:
    """awsBackup off: no vault of its own, so no rule (an unscoped one would page for the whole account), while
    RDS events still reach the critical topic."""
    raw, _ = stack_config("staging", database={"awsBackup": False})
    plan = render("staging", overrides={"app-platform:database": raw["app-platform:database"]})
    assert not plan.of_type("aws:cloudwatch/eventRule:EventRule")
    assert {r.inputs["sourceType"] for r in plan.of_type("aws:rds/eventSubscription:EventSubscription")} == {
        "db-instance", "db-parameter-group",
    }  # fmt: skip
    critical = plan.outputs["criticalTopicArn"]
    topic_policy = next(r for r in plan.of_type("aws:sns/topicPolicy:TopicPolicy") if r.inputs["arn"] == critical)
    principals = [s["Principal"] for s in policy(topic_policy)["Statement"]]
    assert {"Service": "events.rds.amazonaws.com"} in principals
    assert {"Service": "events.amazonaws.com"} not in principals


def test_error_lines_are_counted_on_each_service_log_group(plan: Plan) -> None:
    groups = {c["logConfiguration"]["options"]["awslogs-group"]
              for t in service_task_definitions(plan)
              for c in json.loads(t.inputs["containerDefinitions"])}  # fmt: skip
    filters = plan.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert {f.inputs["logGroupName"] for f in filters} == groups
    alarmed = {(ns, name) for a in plan.of_type(ALARM) for ns, name, _ in metric_rows(a)}
    for metric_filter in filters:
        assert metric_filter.inputs["pattern"] == '{ $.level = "error" }'  # the sample app's {"level": "error"}
        transformation = metric_filter.inputs["metricTransformation"]
        assert (transformation["namespace"], transformation["name"]) in alarmed


def test_every_log_group_has_kms_and_the_retention_of_its_class(plan: Plan) -> None:
    """Service logs are application logs; every other group (flow, WAF, CloudFront, ECS Exec, database exports,
    bootstrap, SNS delivery status) is a security or audit log and says so in its LogClass tag."""
    config = config_of(plan)
    groups = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) >= 6  # service, exec, database exports, flow logs, WAF, CloudFront
    # The smoke-test hook's log (production's blue/green releases) records application checks, not an audit trail.
    application = {f"{name}-logs" for name in config.services} | {"smoke-test-logs"}
    expected = {"application": config.log_retention_days, "security": config.security_log_retention_days}
    for group in groups:
        log_class = "application" if group.name in application else "security"
        assert group.inputs.get("kmsKeyId"), group.name
        assert group.inputs["tags"]["LogClass"] == log_class, group.name
        assert group.inputs["retentionInDays"] == expected[log_class], group.name
    if plan.stack == "production":
        assert expected == {"application": 90, "security": 365}  # the runbook's 90 days; CloudWatch.16


# -- config ---------------------------------------------------------------------------------------------------
def test_an_instance_class_without_known_memory_is_a_config_error_naming_the_key() -> None:
    raw, secrets = stack_config("staging", database={"instanceClass": "db.x2g.large"})
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    assert "app-platform:database.instanceClass" in str(info.value)


@pytest.mark.parametrize("url", ["http://example.com/repo", "https://example.com/repo/", "ftp://x"])
def test_the_runbook_base_url_must_be_https_without_trailing_slash(url: str) -> None:
    raw, secrets = stack_config("staging", observability={"runbookBaseUrl": url})
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    assert "app-platform:observability.runbookBaseUrl" in str(info.value)


def test_topics_log_https_delivery_status_to_their_own_encrypted_groups(plan: Plan) -> None:
    """FSBP SNS.2: failed deliveries to the pager are visible, in groups we created (KMS, retention)."""
    roles = {r.name: r for r in plan.of_type("aws:iam/role:Role") if r.name.endswith("-delivery-status")}
    for topic in plan.of_type("aws:sns/topic:Topic"):
        inputs = topic.inputs
        role_arn = inputs["httpFailureFeedbackRoleArn"]
        assert role_arn == inputs["httpSuccessFeedbackRoleArn"] and inputs["httpSuccessFeedbackSampleRate"] == 100
        role = next(r for name, r in roles.items() if role_arn.split(":role/")[1].startswith(name))
        trust = policy(role, "assumeRolePolicy")["Statement"][0]
        assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
        region = topic.inputs["kmsMasterKeyId"].split(":")[3]
        expected = f"sns/{region}/123456789012/{inputs['name']}"
        groups = {g.inputs["name"]: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup") if "name" in g.inputs}
        for name in (expected, f"{expected}/Failure"):
            assert groups[name].inputs["kmsKeyId"].startswith(f"arn:aws:kms:{region}:")
        grants = policy(plan.one("aws:iam/policy:Policy", f"{role.name}-policy"))["Statement"]
        written = next(g for g in grants if "logs:PutLogEvents" in g["Action"])["Resource"]
        assert f"arn:aws:logs:{region}:123456789012:log-group:{expected}:*" in written
        assert all(
            ":log-group:sns/" in arn
            for g in grants
            for arn in (g["Resource"] if isinstance(g["Resource"], list) else [g["Resource"]])
        )


@pytest.mark.parametrize("count", [0, 1, 3, 4, 25, 99])
def test_the_5xx_alarm_names_whom_it_pages_through_within_cloudwatchs_1024_characters(count: int) -> None:
    """The load balancer's 5xx count is a member of every web service's composite alarm: 25 services listed one by
    one overflowed its description (a ValueError at preview); beyond three, the description names the pattern."""
    from components.alarms import describe
    from infra.tiers.observability import composite_name, errors_paged_by

    raw, secrets = stack_config("production")
    config = load_config(raw, secrets)
    names = [f"service-with-a-long-name-{i:03d}" for i in range(count)]
    paged_by = errors_paged_by(config, names)
    if count == 0:
        assert paged_by is None
    elif count <= 3:
        assert paged_by == ", ".join(composite_name(config, name) for name in names)
    else:
        assert paged_by == f"of each of the {count} web services ({composite_name(config, '<service>')})"
    runbook = "https://runbooks.example.com/" + "x" * 200
    meaning = "more than 10 5xx answers (ELB or target) per minute in 2 of the last 3 minutes."
    assert len(describe("critical", meaning, runbook, paged_by)) <= 1024
