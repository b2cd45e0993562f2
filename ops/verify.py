"""`verify`: is the deployed stack healthy? One check per fact, each independent of the others.

- health: the public health URL answers 200 with the sample app's JSON (`status: "ok"`)
- ecs:<service>: steady (running == desired, one deployment, the PRIMARY one COMPLETED)
- targets:<service>: every target registered in the target group the service routes through now is healthy
- alarms: no alarm in `alarmNames` is in ALARM (and all of them exist)
- database:status / database:backups / database:rpo: available, backups on, latest restorable time within the RPO
- distribution: the CloudFront distribution is Deployed and enabled
"""

from __future__ import annotations

import contextlib
import functools
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from ops.aws import AWS_ERRORS, Clients, Clock, WaitTimeoutError, describe_error, poll
from ops.deployment_watch import configured_minutes
from ops.ecs import ServiceNotFoundError, describe_service, steadiness
from ops.outputs import OutputsError, StackOutputs
from ops.report import Check, Status, failed

# CloudFront, WAF (CLOUDFRONT scope) and Route 53 health checks publish metrics only in us-east-1.
EDGE_REGION = "us-east-1"
ALARM_BATCH = 100  # DescribeAlarms accepts at most 100 names


@dataclass(frozen=True)
class Service:
    name: str
    service_name: str
    cluster: str
    target_group_arn: str | None


@dataclass(frozen=True)
class Targets:
    """Everything verify reads from the stack outputs, read up front so a missing key fails before any call."""

    health_url: str
    services: tuple[Service, ...]
    alarm_names: tuple[str, ...]
    db_identifier: str
    rpo_minutes: float
    distribution_id: str

    @classmethod
    def from_outputs(cls, outputs: StackOutputs) -> Targets:
        services = []
        for name in sorted(outputs.mapping("services")):
            key = f"services.{name}"
            cluster = outputs.optional(f"{key}.clusterName") or outputs.text("clusterName")
            services.append(
                Service(
                    name=name,
                    service_name=outputs.text(f"{key}.serviceName"),
                    cluster=str(cluster),
                    target_group_arn=outputs.optional(f"{key}.targetGroupArn"),
                )
            )
        if not services:
            raise OutputsError(f"stack output `services` in {outputs.source} is empty: nothing to verify")
        return cls(
            health_url=outputs.text("healthUrl"),
            services=tuple(services),
            alarm_names=tuple(outputs.strings("alarmNames")),
            db_identifier=outputs.text("database.identifier"),
            rpo_minutes=outputs.number("database.rpoMinutes"),
            distribution_id=outputs.text("distributionId"),
        )


@dataclass(frozen=True)
class Options:
    http_timeout: float = 10.0
    # None: urllib's default opener (honours HTTPS_PROXY/NO_PROXY like any other client on the runner)
    opener: urllib.request.OpenerDirector | None = None
    clock: Clock = field(default_factory=Clock)


def run(outputs: StackOutputs, clients: Clients, options: Options | None = None) -> list[Check]:
    options = options or Options()
    targets = Targets.from_outputs(outputs)
    checks = _guarded("health", lambda: [check_health(targets.health_url, options)])
    describe = described_once(clients("ecs"))  # the ecs and targets checks read each service once per run
    checks += _guarded("ecs", lambda: check_services(describe, targets.services))
    for service in targets.services:
        if service.target_group_arn:
            check = functools.partial(check_routed_targets, describe, clients("elbv2"), service)
            checks += _guarded(f"targets:{service.name}", _listed(check))
    # Edge and uptime alarms live in us-east-1 (where CloudFront, WAF and Route 53 publish their metrics).
    regions = dict.fromkeys([clients.region, EDGE_REGION])
    alarm_clients = [clients("cloudwatch", region) for region in regions]
    checks += _guarded("alarms", lambda: [check_alarms(alarm_clients, targets.alarm_names)])
    checks += _guarded("database", lambda: check_database(clients("rds"), targets, options.clock))
    distribution = targets.distribution_id
    checks += _guarded("distribution", lambda: [check_distribution(clients("cloudfront"), distribution)])
    return checks


def planned_wait_minutes(ecs: Any, services: Sequence[Service]) -> int:
    """The longest bake of the services' release strategies: a blue/green, canary or linear deployment keeps its
    old revision (and so is not steady) for that long on purpose, so the wait is extended by it. Services that
    cannot be read add nothing (their check says why)."""
    minutes = [0]
    for service in services:
        with contextlib.suppress(ServiceNotFoundError, *AWS_ERRORS):
            described = describe_service(ecs, service.cluster, service.service_name)
            minutes.append(configured_minutes(described.get("deploymentConfiguration")))
    return max(minutes)


def run_until_passing(
    outputs: StackOutputs,
    clients: Clients,
    options: Options,
    *,
    wait_seconds: float,
    interval: float = 30.0,
    progress: Callable[[float, str], None] | None = None,
) -> list[Check]:
    """Repeat the checks until all pass or `wait_seconds` have passed; return the last result."""
    last: list[Check] = []

    def attempt() -> tuple[bool, str]:
        nonlocal last
        last = run(outputs, clients, options)
        bad = failed(last)
        return not bad, ", ".join(c.name for c in bad) or "all checks pass"

    with contextlib.suppress(WaitTimeoutError):  # the last result says what still fails
        poll(attempt, what="verify", timeout=wait_seconds, interval=interval, clock=options.clock, progress=progress)
    return last


def _listed(check: Callable[[], Check]) -> Callable[[], list[Check]]:
    return lambda: [check()]


def _guarded(name: str, check: Callable[[], list[Check]]) -> list[Check]:
    """An AWS error fails the check it happened in, with the error code; the other checks still run."""
    try:
        return check()
    except AWS_ERRORS as exc:
        return [Check.fail(name, describe_error(exc))]


# -- health ------------------------------------------------------------------------------------------


def check_health(url: str, options: Options) -> Check:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "app-platform-ops"})
    opener = options.opener or urllib.request.build_opener()
    try:
        with opener.open(request, timeout=options.http_timeout) as response:
            code, raw = int(response.status), response.read(65536)
    except urllib.error.HTTPError as err:
        code, raw = err.code, err.read(65536)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check.fail("health", f"GET {url} failed: {reason}")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return Check.fail("health", f"GET {url} -> HTTP {code}, body is not JSON: {raw[:80]!r}")
    if not isinstance(body, Mapping):
        return Check.fail("health", f"GET {url} -> HTTP {code}, body is not a JSON object")
    status = body.get("status")
    database = body.get("services", {}).get("database", {}) if isinstance(body.get("services"), Mapping) else {}
    db_text = f"database {database.get('status', '?')}" if isinstance(database, Mapping) else "database ?"
    summary = f"HTTP {code}, status {status!r}, version {body.get('version', '?')}, {db_text}"
    if code == 200 and status == "ok":
        return Check.ok("health", f"GET {url} -> {summary}")
    detail = database.get("detail") if isinstance(database, Mapping) else None
    return Check.fail("health", f"GET {url} -> {summary}" + (f" ({detail})" if detail else ""))


# -- ECS ---------------------------------------------------------------------------------------------


Describe = Callable[[str, str], Mapping[str, Any]]


def described_once(ecs: Any) -> Describe:
    """DescribeServices by (cluster, service), remembered for one run of the checks."""
    return functools.cache(lambda cluster, name: describe_service(ecs, cluster, name))


def check_services(describe: Describe, services: tuple[Service, ...]) -> list[Check]:
    checks = []
    for service in services:
        name = f"ecs:{service.name}"
        try:
            described = describe(service.cluster, service.service_name)
        except ServiceNotFoundError as exc:
            checks.append(Check.fail(name, str(exc)))
            continue
        state = steadiness(described)
        checks.append(Check(name, Status.PASS if state.steady else Status.FAIL, state.detail))
    return checks


# -- load balancer targets ---------------------------------------------------------------------------


def target_group_name(arn: str) -> str:
    """`arn:...:targetgroup/api-tg/0123abcd` -> `api-tg`."""
    parts = arn.rsplit(":", maxsplit=1)[-1].split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "targetgroup" else arn


def routed_target_group(describe: Describe, service: Service) -> str | None:
    """The group the service routes production traffic through now. After each blue/green, canary or linear
    deployment ECS swaps the service's primary and alternate groups (the new revision's group becomes
    `loadBalancers[0].targetGroupArn`), so the group in the stack outputs, the one declared first, holds no
    targets after every other release. Falls back to the outputs' group when the service cannot be read (the
    ecs check reports why)."""
    try:
        described = describe(service.cluster, service.service_name)
    except ServiceNotFoundError:
        return service.target_group_arn
    for entry in described.get("loadBalancers") or []:
        arn = entry.get("targetGroupArn") if isinstance(entry, Mapping) else None
        if isinstance(arn, str) and arn:
            return arn
    return service.target_group_arn


def check_routed_targets(describe: Describe, elbv2: Any, service: Service) -> Check:
    arn = routed_target_group(describe, service)
    if arn is None:
        return Check.fail(f"targets:{service.name}", "the service routes through no target group")
    return check_targets(elbv2, service, arn)


def check_targets(elbv2: Any, service: Service, arn: str) -> Check:
    name = f"targets:{service.name}"
    group = target_group_name(arn)
    descriptions = elbv2.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions", [])
    if not descriptions:
        return Check.fail(name, f"target group {group} ({arn}) has no registered targets")
    unhealthy = []
    for item in descriptions:
        target, health = item.get("Target", {}), item.get("TargetHealth", {})
        if health.get("State") != "healthy":
            where = f"{target.get('Id')}:{target.get('Port')}" if target.get("Port") else str(target.get("Id"))
            why = " - ".join(str(v) for v in (health.get("Reason"), health.get("Description")) if v)
            unhealthy.append(f"{where} {health.get('State', 'unknown')}" + (f" ({why})" if why else ""))
    if unhealthy:
        return Check.fail(
            name,
            f"target group {group} ({arn}): {len(unhealthy)} of {len(descriptions)} targets not healthy: "
            + "; ".join(unhealthy),
        )
    return Check.ok(name, f"{len(descriptions)}/{len(descriptions)} targets healthy in target group {group}")


# -- alarms ------------------------------------------------------------------------------------------


def check_alarms(cloudwatch_clients: Sequence[Any], names: tuple[str, ...]) -> Check:
    """The stack's alarms, looked up in every region it puts alarms in (its own and us-east-1)."""
    if not names:
        return Check.fail("alarms", "the stack exports no alarm names (`alarmNames` is empty)")
    states: dict[str, str] = {}
    for cloudwatch in cloudwatch_clients:
        paginator = cloudwatch.get_paginator("describe_alarms")
        for start in range(0, len(names), ALARM_BATCH):
            batch = list(names[start : start + ALARM_BATCH])
            for page in paginator.paginate(AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
                for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                    states[alarm["AlarmName"]] = alarm.get("StateValue", "?")
    firing = sorted(n for n in names if states.get(n) == "ALARM")
    missing = sorted(n for n in names if n not in states)
    problems = []
    if firing:
        problems.append(f"{len(firing)} in ALARM: {', '.join(firing)}")
    if missing:
        problems.append(f"{len(missing)} not found: {', '.join(missing)}")
    if problems:
        return Check.fail("alarms", "; ".join(problems))
    no_data = sum(1 for n in names if states.get(n) == "INSUFFICIENT_DATA")
    extra = f" ({no_data} with INSUFFICIENT_DATA)" if no_data else ""
    return Check.ok("alarms", f"none of {len(names)} alarms in ALARM{extra}")


# -- database ----------------------------------------------------------------------------------------


def check_database(rds: Any, targets: Targets, clock: Clock) -> list[Check]:
    ident = targets.db_identifier
    instance = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    status = instance.get("DBInstanceStatus")
    checks = [
        Check.ok("database:status", f"{ident} available")
        if status == "available"
        else Check.fail("database:status", f"{ident} is {status}, not available")
    ]
    retention = int(instance.get("BackupRetentionPeriod", 0))
    checks.append(
        Check.ok("database:backups", f"automated backups kept {retention} days")
        if retention > 0
        else Check.fail("database:backups", f"automated backups are disabled on {ident} (BackupRetentionPeriod 0)")
    )
    latest = instance.get("LatestRestorableTime")
    rpo = targets.rpo_minutes
    if latest is None:
        checks.append(Check.fail("database:rpo", f"{ident} has no LatestRestorableTime: nothing to restore from"))
    else:
        lag = (clock.now() - latest).total_seconds() / 60
        stamp = f"{latest.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        detail = f"latest restorable time {stamp} is {lag:.1f} min old (RPO {rpo:g} min)"
        checks.append(Check.ok("database:rpo", detail) if lag <= rpo else Check.fail("database:rpo", detail))
    return checks


# -- CloudFront --------------------------------------------------------------------------------------


def check_distribution(cloudfront: Any, distribution_id: str) -> Check:
    distribution = cloudfront.get_distribution(Id=distribution_id)["Distribution"]
    status = distribution.get("Status")
    enabled = distribution.get("DistributionConfig", {}).get("Enabled", True)
    if status == "Deployed" and enabled:
        return Check.ok("distribution", f"{distribution_id} Deployed ({distribution.get('DomainName')})")
    why = "disabled" if not enabled else f"status {status} (changes are still propagating to the edge)"
    return Check.fail("distribution", f"{distribution_id} {why}")
