"""The CI-owned `worker` service of the moto stack, ready for releases: its ECR repository with pushed images, its
release pointer, a Pulumi runner that applies like `pulumi up --target`, and ECS service deployments.

Seams: moto cannot run Pulumi, so `FakePulumi` does what `pulumi up --target` does for a release (read the pointer,
register a task definition revision with its image, point the service at it) and can fail like the CLI; moto
never runs tasks, so `rollouts` reports each deployment's rolloutState from the image it runs; moto has no service
deployments, so `deployments` installs tests/ops/fake_deployments.py with a plan per image.

Test modules use these fixtures by assigning them (`repo = release_stack.repo`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from ops.apply import ApplyError
from ops.outputs import StackOutputs
from tests.ops.conftest import MotoStack
from tests.ops.fake_deployments import FakeServiceDeployments, FakeTime, Frame, Plan, configuration, frames

SERVICE = "worker"
PARAMETER = "/app-platform/staging/release/worker"
TARGETS = [
    "urn:pulumi:staging::app-platform::app-platform:service:ContainerService$aws:ecs/taskDefinition:TaskDefinition::worker",
    "urn:pulumi:staging::app-platform::app-platform:service:ContainerService$aws:ecs/service:Service::worker",
]


@dataclass
class Repo:
    url: str
    digests: dict[str, str]  # tag -> sha256:...

    def image(self, tag: str) -> str:
        return f"{self.url}@{self.digests[tag]}"


@dataclass
class FakePulumi:
    """`pulumi up --target <task definition> --target <service>` of a CI-owned service, on moto."""

    stack: MotoStack
    fail_on: set[int] = field(default_factory=set)  # 1-based call numbers that fail like a failed `pulumi up`
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, stack: str, targets: Sequence[str]) -> None:
        self.calls.append((stack, tuple(targets)))
        if len(self.calls) in self.fail_on:
            raise ApplyError("`pulumi up` failed (exit 255); its output is above")
        image = self.stack.clients("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]
        entry = self.stack.outputs["services"][SERVICE]
        ecs = self.stack.clients("ecs")
        arn = ecs.register_task_definition(
            family=entry["taskDefinitionFamily"],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": SERVICE, "image": image, "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.update_service(cluster=entry["clusterName"], service=entry["serviceName"], taskDefinition=arn)


@pytest.fixture(scope="session")
def repo(moto_stack: MotoStack) -> Repo:
    """One repository per moto stack, whichever module asks first (each module that assigns this fixture gets its
    own session-scoped instance, so the images are pushed once and remembered)."""
    if id(moto_stack) not in _REPOS:
        _REPOS[id(moto_stack)] = _push(moto_stack)
    return _REPOS[id(moto_stack)]


_REPOS: dict[int, Repo] = {}


def _push(moto_stack: MotoStack) -> Repo:
    ecr = moto_stack.clients("ecr")
    url = ecr.create_repository(repositoryName="worker-image-8cd34bb", imageTagMutability="IMMUTABLE")["repository"][
        "repositoryUri"
    ]
    digests = {}
    for tag in ("1.0.0", "1.1.0", "1.2.0", "bad"):
        layer = {"digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest(), "size": 1}  # moto digests layers
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": layer, "layers": [layer]}  # fmt: skip
        digests[tag] = ecr.put_image(repositoryName="worker-image-8cd34bb", imageManifest=json.dumps(manifest),
                                     imageTag=tag)["image"]["imageId"]["imageDigest"]  # fmt: skip
    return Repo(url, digests)


@pytest.fixture
def outputs(moto_stack: MotoStack, repo: Repo) -> StackOutputs:
    entry = {"parameterName": PARAMETER, "repositoryUrl": repo.url, "targets": TARGETS}
    return moto_stack.with_outputs(services__worker__release=entry)


@pytest.fixture
def pointer_at_first_release(moto_stack: MotoStack, repo: Repo) -> Iterator[None]:
    """As `pulumi up` leaves it on the first deploy: the pointer at the built image, with its AllowedPattern."""
    ssm = moto_stack.clients("ssm")
    ssm.put_parameter(
        Name=PARAMETER,
        Value=repo.image("1.0.0"),
        Type="String",
        AllowedPattern="^" + repo.url.replace(".", r"\.") + "@sha256:[a-f0-9]{64}$",
        Description="Image (by digest) released to worker",
    )
    entry = moto_stack.outputs["services"][SERVICE]
    ecs = moto_stack.clients("ecs")
    running = ecs.describe_services(cluster=entry["clusterName"], services=[entry["serviceName"]])["services"][0]
    yield
    ssm.delete_parameter(Name=PARAMETER)
    # The backend is shared with other modules (test_rollback counts the worker's revisions): put it back.
    ecs.update_service(
        cluster=entry["clusterName"], service=entry["serviceName"], taskDefinition=running["taskDefinition"]
    )


# Rolling deployments as DescribeServiceDeployments reports them: statuses, no lifecycle stage (the stages are
# documented for blue/green, canary and linear).
ROLLING_OK = frames(Frame("PENDING"), Frame("IN_PROGRESS", running=1), Frame("SUCCESSFUL", running=2))
BREAKER = "ECS deployment circuit breaker: tasks failed to start."
ROLLING_BREAKER = frames(
    Frame("IN_PROGRESS"),
    Frame("ROLLBACK_IN_PROGRESS", reason=BREAKER, breaker="TRIGGERED"),
    Frame("ROLLBACK_SUCCESSFUL", reason=BREAKER, breaker="TRIGGERED"),
)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def deployments(
    moto_stack: MotoStack, repo: Repo, fake_time: FakeTime
) -> Iterator[Callable[..., FakeServiceDeployments]]:
    """`install(strategy, plans={tag: plan}, default=plan, unknown_ok=())`: service deployments for the moto ECS
    client, each image deployed by its plan; removed after the test."""
    installed: list[FakeServiceDeployments] = []

    def install(
        strategy: dict[str, Any] | None = None,
        plans: dict[str, Plan] | None = None,
        default: Plan = ROLLING_OK,
        unknown_ok: Sequence[str] = (),
    ) -> FakeServiceDeployments:
        by_image = {repo.image(tag): plan for tag, plan in (plans or {}).items()}
        fake = FakeServiceDeployments(
            moto_stack.clients("ecs"),
            fake_time.clock,
            lambda image: by_image.get(image, default),
            strategy or configuration("ROLLING"),
            frozenset(unknown_ok),
        )
        installed.append(fake.install(moto_stack.outputs["clusterName"]))
        return fake

    yield install
    for fake in installed:
        fake.uninstall()


@pytest.fixture
def rollouts(
    moto_stack: MotoStack,
    repo: Repo,
    monkeypatch: pytest.MonkeyPatch,
    deployments: Callable[..., FakeServiceDeployments],
) -> FakeServiceDeployments:
    """ECS as it reports once tasks run, for a rolling service: every task runs, the PRIMARY deployment is the
    service's task definition, COMPLETED, and its service deployment SUCCESSFUL; except for the `bad` image, whose
    rollout the circuit breaker marks FAILED and whose service deployment ECS rolls back."""
    ecs = moto_stack.clients("ecs")
    real = ecs.describe_services

    def describe_services(**kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = real(**kwargs)
        for service in response["services"]:
            definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
            bad = definition["containerDefinitions"][0]["image"] == repo.image("bad")
            service["runningCount"] = service["desiredCount"]
            service["deployments"] = [
                {
                    "status": "PRIMARY",
                    "taskDefinition": service["taskDefinition"],
                    "desiredCount": service["desiredCount"],
                    "runningCount": 0 if bad else service["desiredCount"],
                    "rolloutState": "FAILED" if bad else "COMPLETED",
                    "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start." if bad else "",
                }
            ]
        return response

    monkeypatch.setattr(ecs, "describe_services", describe_services)
    return deployments(plans={"bad": ROLLING_BREAKER})


def pointer_now(stack: MotoStack) -> tuple[int, str]:
    found = stack.clients("ssm").get_parameter(Name=PARAMETER)["Parameter"]
    return int(found["Version"]), str(found["Value"])


def running_image(stack: MotoStack) -> str:
    entry = stack.outputs["services"][SERVICE]
    ecs = stack.clients("ecs")
    arn = ecs.describe_services(cluster=entry["clusterName"], services=[entry["serviceName"]])["services"][0][
        "taskDefinition"
    ]
    return str(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"])


def task_definition_before(stack: MotoStack) -> str:
    family = stack.outputs["services"][SERVICE]["taskDefinitionFamily"]
    return str(
        stack.clients("ecs").describe_task_definition(taskDefinition=f"{family}:3")["taskDefinition"][
            "taskDefinitionArn"
        ]
    )
