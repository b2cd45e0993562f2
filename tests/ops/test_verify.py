"""`verify` against the moto stack: every check passes on a healthy stack, and each failure names its cause."""

from __future__ import annotations

import io
import threading
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.server import make_server
from ops import verify
from ops.aws import Clock
from ops.outputs import OutputsError
from ops.report import Check, Status, failed
from tests.ops.conftest import ALARMS, SERVICES, WORKER, MotoStack

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # test traffic never leaves 127.0.0.1
OPTIONS = verify.Options(http_timeout=5, opener=NO_PROXY)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


@pytest.fixture
def degraded_url() -> Iterator[str]:
    """The sample app with REQUIRE_DATABASE=true and no DB_HOST: its /health answers 503 "degraded"."""
    server = make_server(0, {"REQUIRE_DATABASE": "true"}, host="127.0.0.1", log_stream=io.StringIO())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/health"
    server.shutdown()
    server.server_close()


def test_a_healthy_stack_passes_every_check(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    checks = verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS)
    assert not failed(checks), checks
    names = [c.name for c in checks]
    services = sorted([*SERVICES, WORKER])
    assert names == [
        "health",
        *(f"ecs:{s}" for s in services),
        *(f"targets:{s}" for s in sorted(SERVICES)),  # the worker has no target group: no target check
        "alarms",
        "database:status",
        "database:backups",
        "database:rpo",
        "distribution",
    ]
    found = by_name(checks)
    assert "HTTP 200, status 'ok'" in found["health"].detail
    assert found["ecs:api"].detail.startswith(f"{SERVICES['api']}/{SERVICES['api']} tasks running")
    assert found["targets:api"].detail == "2/2 targets healthy in target group app-staging-api"
    assert found["alarms"].detail == f"none of {len(ALARMS)} alarms in ALARM"
    assert found["database:backups"].detail == "automated backups kept 7 days"
    assert found["distribution"].detail.startswith(f"{moto_stack.outputs['distributionId']} Deployed")


def test_an_unhealthy_target_fails_naming_the_target_and_its_group(
    moto_stack: MotoStack, steady_ecs: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seam: moto reports every registered target healthy and has no API to change that, so the real
    describe_target_health response is edited for one target of the web target group."""
    steady_ecs()
    elbv2 = moto_stack.clients("elbv2")
    real = elbv2.describe_target_health
    web_group = moto_stack.outputs["services"]["web"]["targetGroupArn"]

    def describe_target_health(**kwargs: Any) -> dict[str, Any]:
        response = real(**kwargs)
        if kwargs["TargetGroupArn"] == web_group:
            response["TargetHealthDescriptions"][1]["TargetHealth"] = {
                "State": "unhealthy",
                "Reason": "Target.ResponseCodeMismatch",
                "Description": "Health checks failed with these codes: [503]",
            }
        return response

    monkeypatch.setattr(elbv2, "describe_target_health", describe_target_health)
    checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))
    assert [c.name for c in failed(list(checks.values()))] == ["targets:web"]
    target = real(TargetGroupArn=web_group)["TargetHealthDescriptions"][1]["Target"]
    detail = checks["targets:web"].detail
    assert f"{target['Id']}:{target['Port']} unhealthy (Target.ResponseCodeMismatch" in detail
    assert "target group app-staging-web" in detail and web_group in detail
    assert "1 of 2 targets not healthy" in detail


def test_a_target_group_without_targets_fails(
    moto_stack: MotoStack, steady_ecs: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seam: deregistering in the shared backend would leak into other tests; the response is emptied instead."""
    steady_ecs()
    monkeypatch.setattr(
        moto_stack.clients("elbv2"), "describe_target_health", lambda **_: {"TargetHealthDescriptions": []}
    )
    checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))
    assert "has no registered targets" in checks["targets:api"].detail
    assert checks["targets:api"].status is Status.FAIL


ALTERNATE = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app-staging-api-alt/0123456789abcdef"


@pytest.mark.parametrize("alternate_healthy", [True, False])
def test_targets_are_judged_in_the_group_the_service_routes_through_now(
    moto_stack: MotoStack, steady_ecs: Callable[..., None], monkeypatch: pytest.MonkeyPatch, alternate_healthy: bool
) -> None:
    """After a blue/green release ECS has swapped the groups: the service reports the alternate group, the one in
    the outputs is empty. Seams: the service's loadBalancers and both groups' health (a second group created in
    moto's shared backend would leak into other tests)."""
    api = moto_stack.outputs["services"]["api"]
    declared = api["targetGroupArn"]
    steady_ecs(**{api["serviceName"]: {"loadBalancers": [{"targetGroupArn": ALTERNATE, "containerName": "api",
                                                           "containerPort": 8080}]}})  # fmt: skip
    elbv2 = moto_stack.clients("elbv2")
    real = elbv2.describe_target_health
    state = "healthy" if alternate_healthy else "unhealthy"

    def describe_target_health(**kwargs: Any) -> dict[str, Any]:
        if kwargs["TargetGroupArn"] == ALTERNATE:
            targets = [
                {"Target": {"Id": f"10.20.10.{n}", "Port": 8080}, "TargetHealth": {"State": state}} for n in (7, 8)
            ]
            return {"TargetHealthDescriptions": targets}
        if kwargs["TargetGroupArn"] == declared:
            return {"TargetHealthDescriptions": []}  # the previous revision's group, drained
        return real(**kwargs)

    monkeypatch.setattr(elbv2, "describe_target_health", describe_target_health)
    check = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))["targets:api"]
    assert "app-staging-api-alt" in check.detail
    assert check.status is (Status.PASS if alternate_healthy else Status.FAIL)
    if not alternate_healthy:
        assert "2 of 2 targets not healthy" in check.detail


def test_a_service_mid_rollout_is_not_steady(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    api = moto_stack.outputs["services"]["api"]["serviceName"]
    steady_ecs(**{api: {"runningCount": 1, "deployments": [{"status": "PRIMARY", "rolloutState": "IN_PROGRESS"}]}})
    checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))
    assert checks["ecs:api"].status is Status.FAIL
    assert checks["ecs:api"].detail == f"running 1 of desired {SERVICES['api']}; PRIMARY deployment IN_PROGRESS"
    assert checks["ecs:web"].status is Status.PASS


def test_moto_without_the_seam_reports_services_not_running(moto_stack: MotoStack) -> None:
    """No seam: what moto itself reports (no task ever starts) must fail the ECS checks, not pass them."""
    checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))
    assert all(checks[f"ecs:{s}"].status is Status.FAIL for s in SERVICES)
    assert "running 0 of desired 2" in checks["ecs:api"].detail


def test_an_alarm_in_alarm_state_fails_naming_it(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    cloudwatch = moto_stack.clients("cloudwatch")
    firing = ALARMS[1]
    cloudwatch.set_alarm_state(AlarmName=firing, StateValue="ALARM", StateReason="test")
    try:
        checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))
    finally:
        cloudwatch.set_alarm_state(AlarmName=firing, StateValue="OK", StateReason="test done")
    assert checks["alarms"].status is Status.FAIL
    assert checks["alarms"].detail == f"1 in ALARM: {firing}"


def test_an_exported_alarm_that_does_not_exist_fails(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    outputs = moto_stack.with_outputs(alarmNames=[*ALARMS, "app-staging-ghost"])
    checks = by_name(verify.run(outputs, moto_stack.clients, OPTIONS))
    assert checks["alarms"].detail == "1 not found: app-staging-ghost"


def test_alarms_in_us_east_1_are_found_and_judged(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    """Edge and uptime alarms live in us-east-1, next to the metrics CloudFront and Route 53 publish."""
    steady_ecs()
    edge = moto_stack.clients("cloudwatch", "us-east-1")
    name = "app-staging-service-down"
    edge.put_metric_alarm(
        AlarmName=name, Namespace="AWS/Route53", MetricName="HealthCheckStatus", Statistic="Minimum",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
    )  # fmt: skip
    outputs = moto_stack.with_outputs(alarmNames=[*ALARMS, name])
    try:
        assert by_name(verify.run(outputs, moto_stack.clients, OPTIONS))["alarms"].status is Status.PASS
        edge.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
        assert by_name(verify.run(outputs, moto_stack.clients, OPTIONS))["alarms"].detail == f"1 in ALARM: {name}"
    finally:
        edge.delete_alarms(AlarmNames=[name])


def test_a_database_beyond_its_rpo_fails(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    rpo = moto_stack.outputs["database"]["rpoMinutes"]
    later = Clock(now=lambda: datetime.now(UTC) + timedelta(minutes=rpo + 5))
    options = verify.Options(http_timeout=5, opener=NO_PROXY, clock=later)
    checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, options))
    assert checks["database:rpo"].status is Status.FAIL
    assert f"min old (RPO {rpo} min)" in checks["database:rpo"].detail
    assert checks["database:status"].status is Status.PASS


def test_a_database_without_backups_fails(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    outputs = moto_stack.with_outputs(database__identifier=moto_stack.no_backup_db)
    checks = by_name(verify.run(outputs, moto_stack.clients, OPTIONS))
    assert checks["database:backups"].detail == (
        f"automated backups are disabled on {moto_stack.no_backup_db} (BackupRetentionPeriod 0)"
    )


def test_an_aws_error_fails_only_its_own_check(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    outputs = moto_stack.with_outputs(database__identifier="app-staging-gone")
    checks = verify.run(outputs, moto_stack.clients, OPTIONS)
    bad = failed(checks)
    assert [c.name for c in bad] == ["database"]
    assert bad[0].detail.startswith("DBInstanceNotFound")


def test_a_distribution_still_deploying_fails(
    moto_stack: MotoStack, steady_ecs: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seam: moto reports every distribution Deployed on get_distribution; the status is set to InProgress."""
    steady_ecs()
    cloudfront = moto_stack.clients("cloudfront")
    real = cloudfront.get_distribution

    def get_distribution(**kwargs: Any) -> dict[str, Any]:
        response = real(**kwargs)
        response["Distribution"]["Status"] = "InProgress"
        return response

    monkeypatch.setattr(cloudfront, "get_distribution", get_distribution)
    checks = by_name(verify.run(moto_stack.stack_outputs, moto_stack.clients, OPTIONS))
    assert checks["distribution"].status is Status.FAIL and "InProgress" in checks["distribution"].detail


def test_a_degraded_health_endpoint_fails_with_the_dependency(
    moto_stack: MotoStack, steady_ecs: Callable[..., None], degraded_url: str
) -> None:
    steady_ecs()
    checks = by_name(verify.run(moto_stack.with_outputs(healthUrl=degraded_url), moto_stack.clients, OPTIONS))
    detail = checks["health"].detail
    assert checks["health"].status is Status.FAIL
    assert "HTTP 503, status 'degraded'" in detail and "database not_configured" in detail


def test_an_unreachable_health_endpoint_fails(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> None:
    steady_ecs()
    with socketserver_port() as port:  # a port that was just free: nothing listens there
        url = f"http://127.0.0.1:{port}/health"
    checks = by_name(verify.run(moto_stack.with_outputs(healthUrl=url), moto_stack.clients, OPTIONS))
    assert checks["health"].status is Status.FAIL and checks["health"].detail.startswith(f"GET {url} failed")


def test_a_missing_output_key_is_a_clear_error_before_any_call(moto_stack: MotoStack) -> None:
    with pytest.raises(OutputsError, match=r"stack output `distributionId` is missing from test outputs"):
        verify.run(moto_stack.with_outputs(distributionId=None), moto_stack.clients, OPTIONS)
    with pytest.raises(OutputsError, match=r"`database.rpoMinutes` is missing"):
        verify.run(moto_stack.with_outputs(database__rpoMinutes=None), moto_stack.clients, OPTIONS)


@pytest.mark.parametrize(("strategies", "minutes"), [({}, 0), ({"api": 15, "web": 5}, 15), ({"web": 30}, 30)])
def test_the_wait_allows_for_the_longest_release_bake(
    moto_stack: MotoStack, steady_ecs: Callable[..., None], strategies: dict[str, int], minutes: int
) -> None:
    """A blue/green service keeps its old revision through the bake on purpose: verify must not fail it then."""
    services = moto_stack.outputs["services"]
    configuration = {name: {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": bake} for name, bake in strategies.items()}
    steady_ecs(**{services[name]["serviceName"]: {"deploymentConfiguration": c} for name, c in configuration.items()})
    targets = verify.Targets.from_outputs(moto_stack.stack_outputs).services
    assert verify.planned_wait_minutes(moto_stack.clients("ecs"), targets) == minutes


def test_repeating_until_the_checks_pass(moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seam: describe_services reports the api rollout IN_PROGRESS on the first call only."""
    ecs = moto_stack.clients("ecs")
    real = ecs.describe_services
    calls = {"n": 0}

    def describe_services(**kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        response = real(**kwargs)
        for service in response["services"]:
            service["runningCount"] = service["desiredCount"]
            for deployment in service["deployments"]:
                deployment["rolloutState"] = "IN_PROGRESS" if calls["n"] == 1 else "COMPLETED"
        return response

    monkeypatch.setattr(ecs, "describe_services", describe_services)
    seen: list[str] = []
    options = verify.Options(http_timeout=5, opener=NO_PROXY, clock=Clock(sleep=lambda _: None))
    checks = verify.run_until_passing(
        moto_stack.stack_outputs,
        moto_stack.clients,
        options,
        wait_seconds=600,
        interval=0,
        progress=lambda _, status: seen.append(status),
    )
    assert not failed(checks)
    assert seen == ["ecs:api", "all checks pass"]


class socketserver_port:  # noqa: N801 - used as a context manager
    """A free local port (bound then released)."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return int(self._sock.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        self._sock.close()
