"""ECS service deployments on top of moto, which does not implement them (moto 5.2.5 raises NotImplementedError
for ListServiceDeployments), answered in the shapes of botocore's ECS model.

`FakeServiceDeployments` hooks into the moto-backed boto3 client's own event system, so the tools call the real
client: botocore validates every request against the model's input shapes before the fake sees it, and the fake
checks every response it returns against the model's output shapes, enum values included (`check_output`), so the
fake cannot drift from AWS's field names. What it models, per ECS's documentation ("View service history using
Amazon ECS service deployments", "Stopping Amazon ECS service deployments", "Lifecycle hooks for Amazon ECS service
deployments"):

- an UpdateService starts a service deployment (source = the revision running, target = a new service revision
  with the task definition set); DescribeServices names it `currentServiceDeployment`;
- each DescribeServiceDeployments moves the deployment one `Frame` along its plan (the test's script of statuses,
  stages, traffic weights and hook results); once ROLLBACK_SUCCESSFUL, the service runs its source revision again;
- StopServiceDeployment(stopType=ROLLBACK) turns a PENDING/IN_PROGRESS deployment into ROLLBACK_REQUESTED, then
  ROLLBACK_IN_PROGRESS and ROLLBACK_SUCCESSFUL; on a completed one it answers ConflictException (an assumption:
  the guide lists only the states that can be stopped, the model lists ConflictException among the errors).

Status reasons are free text in the API; the ones here are invented and no tool may depend on their wording.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

from ops.aws import Clock

MODEL = botocore.session.get_session().get_service_model("ecs")
ACCOUNT, REGION = "123456789012", "eu-west-1"
HOOK_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:app-production-smoke-test"
TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


# -- the model as the judge ---------------------------------------------------------------------------------------
def _enum_errors(value: Any, shape: Shape, path: str, unknown_ok: frozenset[str]) -> Iterable[str]:
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for name, member in shape.members.items():
            if name in value:
                yield from _enum_errors(value[name], member, f"{path}.{name}", unknown_ok)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _enum_errors(item, shape.member, f"{path}[{i}]", unknown_ok)
    elif isinstance(shape, MapShape) and isinstance(value, Mapping):
        for key, item in value.items():
            yield from _enum_errors(item, shape.value, f"{path}.{key}", unknown_ok)
    elif (allowed := getattr(shape, "enum", None)) and value not in allowed and value not in unknown_ok:
        yield f"{path}: {value!r} is not one of {allowed}"


def shape_errors(shape: Shape, value: Mapping[str, Any], unknown_ok: frozenset[str] = frozenset()) -> list[str]:
    """What botocore's validator and the model's enums find wrong with `value` as an instance of `shape`."""
    report = ParamValidator().validate(value, shape)
    found = [report.generate_report()] if report.has_errors() else []
    return found + list(_enum_errors(value, shape, shape.name, unknown_ok))


def check_output(operation: str, response: Mapping[str, Any], unknown_ok: frozenset[str] = frozenset()) -> None:
    errors = shape_errors(MODEL.operation_model(operation).output_shape, response, unknown_ok)
    assert not errors, f"fake {operation} response does not match botocore's ECS model:\n" + "\n".join(errors)


@dataclass
class FakeTime:
    """A clock whose sleep advances it: monotonic seconds and UTC wall time move together, nothing waits."""

    seconds: float = 0.0
    start: datetime = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds

    @property
    def clock(self) -> Clock:
        return Clock(
            sleep=self.sleep, monotonic=lambda: self.seconds, now=lambda: self.start + timedelta(seconds=self.seconds)
        )


# -- plans --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """What DescribeServiceDeployments reports at one poll."""

    status: str = "IN_PROGRESS"
    stage: str | None = None
    production: float | None = None  # % of production traffic on the target revision
    test: float | None = None
    running: int = 0
    hook: str | None = None  # status of the smoke-test hook, when it has run
    reason: str | None = None
    breaker: str = "MONITORING"
    alarms: tuple[str, ...] = ()
    final: bool = False  # the deployment ended here although its status is not a known completed one


Plan = list[Frame]


def frames(*items: Frame | tuple[Frame, int]) -> Plan:
    """A plan from frames, `(frame, n)` repeating one n times (n polls in the same state)."""
    plan: Plan = []
    for item in items:
        frame, times = item if isinstance(item, tuple) else (item, 1)
        plan += [frame] * times
    return plan


def configuration(strategy: str, **extra: Any) -> dict[str, Any]:
    """A DeploymentConfiguration as ECS echoes it in a service deployment (circuit breaker on, as the program sets)."""
    base: dict[str, Any] = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "strategy": strategy,
    }
    if strategy != "ROLLING":
        hook = {
            "hookTargetArn": HOOK_ARN,
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/app-production-hook-invoke",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
        }
        base["lifecycleHooks"] = [hook]
    return base | extra


# -- the fake -----------------------------------------------------------------------------------------------------
@dataclass
class Record:
    arn: str
    service_arn: str
    cluster_arn: str
    target: str  # service revision ARNs
    source: str
    configuration: dict[str, Any]
    plan: Plan
    created: datetime
    at: int = 0
    rollback: dict[str, Any] | None = None
    ended: datetime | None = None

    @property
    def frame(self) -> Frame:
        return self.plan[min(self.at, len(self.plan) - 1)]


@dataclass
class FakeServiceDeployments:
    """Service deployments of the moto ECS client `ecs`. `plan_for(image)` scripts the deployment of an image."""

    ecs: Any
    clock: Clock
    plan_for: Callable[[str], Plan]
    strategy: dict[str, Any] = field(default_factory=lambda: configuration("ROLLING"))
    unknown_ok: frozenset[str] = frozenset()  # values a test makes AWS answer that the model does not know
    records: list[Record] = field(default_factory=list)
    revisions: dict[str, str] = field(default_factory=dict)  # service revision ARN -> task definition ARN
    stop_requests: list[dict[str, Any]] = field(default_factory=list)
    reverting: bool = False
    error: str | None = None  # an error code every service-deployment call answers (AccessDeniedException, ...)
    page_size: int = 2  # ListServiceDeployments may answer fewer than maxResults, with a nextToken
    report_current: bool = True  # DescribeServices names currentServiceDeployment

    HANDLERS = {
        "before-call.ecs.ListServiceDeployments": "list_deployments",
        "before-call.ecs.DescribeServiceDeployments": "describe_deployments",
        "before-call.ecs.DescribeServiceRevisions": "describe_revisions",
        "before-call.ecs.StopServiceDeployment": "stop_deployment",
        "after-call.ecs.UpdateService": "updated",
        "after-call.ecs.DescribeServices": "described",
    }

    def install(self, cluster: str) -> FakeServiceDeployments:
        for service_arn in self.ecs.list_services(cluster=cluster)["serviceArns"]:
            service = self.ecs.describe_services(cluster=cluster, services=[service_arn])["services"][0]
            first = self.start(service, Frame("SUCCESSFUL", running=service["desiredCount"]), previous=None)
            first.ended = self.clock.now()
        for event, method in self.HANDLERS.items():
            self.ecs.meta.events.register(event, getattr(self, method), unique_id=f"fake-{method}")
        return self

    def uninstall(self) -> None:
        for event, method in self.HANDLERS.items():
            self.ecs.meta.events.unregister(event, unique_id=f"fake-{method}")

    # -- state ----------------------------------------------------------------------------------------------------
    def start(self, service: Mapping[str, Any], *plan: Frame, previous: Record | None) -> Record:
        cluster_name = service["clusterArn"].rsplit("/", 1)[-1]
        base = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
        number = len(self.revisions) + 1
        target = f"{base}:service-revision/{cluster_name}/{service['serviceName']}/{8000000000000000000 + number}"
        self.revisions[target] = service["taskDefinition"]
        record = Record(
            arn=f"{base}:service-deployment/{cluster_name}/{service['serviceName']}/deploy{number:04d}",
            service_arn=service["serviceArn"],
            cluster_arn=service["clusterArn"],
            target=target,
            source=previous.target if previous else target,
            configuration=json.loads(json.dumps(self.strategy)),
            plan=list(plan),
            created=self.clock.now() + timedelta(microseconds=number),  # distinct, as AWS's microsecond times
        )
        self.records.append(record)
        return record

    def current(self, service_arn: str) -> Record | None:
        return next((r for r in reversed(self.records) if r.service_arn == service_arn), None)

    def advance(self, record: Record) -> None:
        frame = record.frame
        record.at += 1
        if (frame.status in TERMINAL or frame.final) and record.ended is None:
            record.ended = self.clock.now()
            if frame.status == "ROLLBACK_SUCCESSFUL":  # ECS puts the source revision back
                self.reverting = True
                try:
                    self.ecs.update_service(
                        cluster=record.cluster_arn,
                        service=record.service_arn,
                        taskDefinition=self.revisions[record.source],
                    )
                finally:
                    self.reverting = False
        if frame.status.startswith("ROLLBACK") and record.rollback is None:
            reason = (
                "Service deployment rolled back: lifecycle hook failed."
                if frame.hook == "FAILED"
                else (frame.reason or "Service deployment rolled back.")
            )
            record.rollback = {"reason": reason, "startedAt": self.clock.now(), "serviceRevisionArn": record.source}

    def as_api(self, record: Record) -> dict[str, Any]:
        frame = record.frame
        target: dict[str, Any] = {
            "arn": record.target,
            "requestedTaskCount": 2,
            "runningTaskCount": frame.running,
            "pendingTaskCount": max(2 - frame.running, 0),
        }
        if frame.production is not None:
            target["requestedProductionTrafficWeight"] = frame.production
        if frame.test is not None:
            target["requestedTestTrafficWeight"] = frame.test
        answer: dict[str, Any] = {
            "serviceDeploymentArn": record.arn,
            "serviceArn": record.service_arn,
            "clusterArn": record.cluster_arn,
            "createdAt": record.created,
            "startedAt": record.created + timedelta(seconds=1),
            "updatedAt": self.clock.now(),
            "sourceServiceRevisions": [
                {"arn": record.source, "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0}
            ],
            "targetServiceRevision": target,
            "status": frame.status,
            "deploymentConfiguration": record.configuration,
            "deploymentCircuitBreaker": {
                "status": frame.breaker,
                "failureCount": 3 if frame.breaker == "TRIGGERED" else 0,
                "threshold": 3,
            },
            "alarms": {
                "status": "TRIGGERED" if frame.alarms else "MONITORING",
                "alarmNames": ["app-api-5xx"],
                "triggeredAlarmNames": list(frame.alarms),
            },
        }
        if frame.stage:
            answer["lifecycleStage"] = frame.stage
        if frame.reason:
            answer["statusReason"] = frame.reason
        if frame.hook:
            answer["lifecycleHookDetails"] = [
                {
                    "hookId": "hook-1",
                    "targetType": "AWS_LAMBDA",
                    "targetArn": HOOK_ARN,
                    "status": frame.hook,
                    "timeoutAction": "ROLLBACK",
                    "expiresAt": record.created + timedelta(hours=24),
                }
            ]
        if record.rollback:
            answer["rollback"] = record.rollback
        if record.ended:
            answer["finishedAt" if frame.status == "SUCCESSFUL" else "stoppedAt"] = record.ended
        return answer

    # -- the API --------------------------------------------------------------------------------------------------
    def respond(self, operation: str, body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        if self.error:
            return self.fail(self.error, f"User is not authorized to perform: ecs:{operation}")
        check_output(operation, body, self.unknown_ok)
        return AWSResponse(None, 200, {}, None), body | {"ResponseMetadata": {"HTTPStatusCode": 200}}

    def fail(self, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        assert code in {e.name for e in MODEL.error_shapes}, code
        error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse(None, 400, {}, None), error

    def list_deployments(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = json.loads(params["body"])
        statuses = request.get("status")
        found = [
            {
                "serviceDeploymentArn": r.arn,
                "serviceArn": r.service_arn,
                "clusterArn": r.cluster_arn,
                "createdAt": r.created,
                "targetServiceRevisionArn": r.target,
                "status": r.frame.status,
            }
            for r in self.records
            if r.service_arn.endswith("/" + request["service"].rsplit("/", 1)[-1])
            and (not statuses or r.frame.status in statuses)
        ]
        # Oldest first, a few per page: the API documents no order, so the tools must read every page.
        start = int(request.get("nextToken") or 0)
        body: dict[str, Any] = {"serviceDeployments": found[start : start + self.page_size]}
        if start + self.page_size < len(found):
            body["nextToken"] = str(start + self.page_size)
        return self.respond("ListServiceDeployments", body)

    def describe_deployments(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        arns = json.loads(params["body"])["serviceDeploymentArns"]
        found, failures = [], []
        for arn in arns:
            record = next((r for r in self.records if r.arn == arn), None)
            if record is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            found.append(self.as_api(record))
            self.advance(record)
        return self.respond("DescribeServiceDeployments", {"serviceDeployments": found, "failures": failures})

    def describe_revisions(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        arns = json.loads(params["body"])["serviceRevisionArns"]
        revisions = [
            {"serviceRevisionArn": arn, "taskDefinition": self.revisions[arn]} for arn in arns if arn in self.revisions
        ]
        return self.respond("DescribeServiceRevisions", {"serviceRevisions": revisions, "failures": []})

    def stop_deployment(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = json.loads(params["body"])
        self.stop_requests.append(request)
        record = next(r for r in self.records if r.arn == request["serviceDeploymentArn"])
        if record.frame.status in TERMINAL:
            error = {
                "Error": {"Code": "ConflictException", "Message": "The service deployment has completed."},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            return AWSResponse(None, 400, {}, None), error
        if record.frame.status in ("PENDING", "IN_PROGRESS"):
            back = replace(record.frame, reason="Rollback requested by user.")
            record.plan = frames(
                replace(back, status="ROLLBACK_REQUESTED"),
                replace(back, status="ROLLBACK_IN_PROGRESS", stage="PRODUCTION_TRAFFIC_SHIFT", production=0.0),
                replace(back, status="ROLLBACK_IN_PROGRESS", stage="CLEAN_UP", production=0.0, running=0),
                replace(back, status="ROLLBACK_SUCCESSFUL", stage="CLEAN_UP", production=0.0, running=0),
            )
            record.at = 0
        return self.respond("StopServiceDeployment", {"serviceDeploymentArn": record.arn})

    def updated(self, parsed: dict[str, Any], **_: Any) -> None:
        if self.reverting or "service" not in parsed:
            return
        service = parsed["service"]
        definition = self.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        self.start(
            service,
            *self.plan_for(definition["containerDefinitions"][0]["image"]),
            previous=self.current(service["serviceArn"]),
        )

    def described(self, parsed: dict[str, Any], **_: Any) -> None:
        for service in parsed.get("services", []):
            record = self.current(service["serviceArn"])
            if record is not None and self.report_current:
                service["currentServiceDeployment"] = record.arn
            configuration = {k: v for k, v in self.strategy.items() if k != "lifecycleHooks"}
            service["deploymentConfiguration"] = service.get("deploymentConfiguration", {}) | configuration
            shape = MODEL.shape_for("DeploymentConfiguration")
            assert not shape_errors(shape, service["deploymentConfiguration"])
