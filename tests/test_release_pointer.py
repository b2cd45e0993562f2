"""The release pointer of a CI-owned service: read live, a fully managed task definition, first deploy, config."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from components.release_pointer import ReleasePointer, ReleasePointerArgs, digest_pattern
from infra.config import ConfigError
from offline import render as render_module
from offline.diff import diff_plans
from offline.mocks import ACCOUNT_ID, AwsMocks
from offline.monitor import RecordingMonitor
from offline.plan import Plan
from offline.project import ROOT, StackSettings
from offline.render import render
from tests.helpers import container, env, multi_services, stack_services

REPOSITORY = f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/worker-image-8cd34bb"


# -- the rendered stack: the task definition runs the pointer's image and stays managed -----------------------
def test_ci_owned_task_definition_is_managed_and_runs_the_released_image(multi_plan: Plan) -> None:
    task = multi_plan.one("aws:ecs/taskDefinition:TaskDefinition", "worker")
    assert task.ignore_changes == []  # environment, secrets, sizes and logging keep applying
    assert multi_plan.one("aws:ecs/service:Service", "worker").ignore_changes == ["desiredCount"]
    release = multi_plan.outputs["services"]["worker"]["release"]
    image = container(multi_plan, "worker")["image"]
    # The pointer's live value (the offline mock answers like SSM), not the image this render built.
    assert image == release["image"] != release["builtImage"]
    built = multi_plan.one("docker:index/image:Image", "worker-image")
    assert built.inputs["imageName"].rsplit(":", 1)[0] == release["repositoryUrl"]
    repository, digest = image.split("@sha256:")
    assert repository == release["repositoryUrl"] and re.fullmatch(r"[a-f0-9]{64}", digest)


def test_pointer_parameter_is_a_plain_string_pinned_to_the_repository_by_digest(multi_plan: Plan) -> None:
    [parameter] = multi_plan.of_type("aws:ssm/parameter:Parameter")
    inputs = parameter.inputs
    release = multi_plan.outputs["services"]["worker"]["release"]
    assert inputs["name"] == "/app-platform/production/release/worker" == release["parameterName"]
    # String, not SecureString: a secret value would mask the whole container definition in every diff.
    assert (inputs["type"], inputs["tier"], inputs["dataType"]) == ("String", "Standard", "text")
    assert "value" not in inputs and inputs["insecureValue"] == release["builtImage"]  # the first deploy's value
    assert sorted(parameter.ignore_changes) == ["insecureValue", "value"]  # releases own it afterwards
    assert inputs["tags"]["Environment"] == "production" and inputs["tags"]["Name"] == "worker-release"
    pattern = re.compile(inputs["allowedPattern"])
    assert pattern.fullmatch(release["image"]) and pattern.fullmatch(release["builtImage"])
    url = release["repositoryUrl"]
    for refused in (
        f"{url}:v1.2.3",  # a tag: mutable meaning, not a release
        f"{url}@sha256:{'A' * 64}",  # upper-case hex is not a digest ECR prints
        f"{url}@sha256:{'a' * 63}",
        f"{url}-other@sha256:{'a' * 64}",  # another repository
        f"{url.replace('.', 'x', 1)}@sha256:{'a' * 64}",  # dots are literal
        f"evil.example/{url}@sha256:{'a' * 64}",
        f"{url}@sha256:{'a' * 64}\n",
    ):
        assert not pattern.fullmatch(refused), refused


def test_pulumi_owned_services_have_no_pointer(multi_plan: Plan) -> None:
    assert [p.name for p in multi_plan.of_type("aws:ssm/parameter:Parameter")] == ["worker-release"]
    assert "release" not in multi_plan.outputs["services"]["api"]
    api_image = multi_plan.one("docker:index/image:Image", "api-image")
    assert container(multi_plan, "api")["image"].startswith(api_image.inputs["imageName"].rsplit(":", 1)[0] + "@")


def test_release_targets_are_the_task_definition_and_the_service(multi_plan: Plan) -> None:
    targets = multi_plan.outputs["services"]["worker"]["release"]["targets"]
    assert targets == [
        multi_plan.one("aws:ecs/taskDefinition:TaskDefinition", "worker").urn,
        multi_plan.one("aws:ecs/service:Service", "worker").urn,
    ]


def test_a_changed_environment_of_a_ci_owned_service_reaches_the_diff(multi_plan: Plan) -> None:
    """The complaint of terraform-provider-aws#632: with the container definitions ignored, a config change
    silently stopped applying. Now it is an update the engine performs (nothing ignores the changed path)."""
    head_services = multi_services()
    head_services["worker"]["environment"] = {"QUEUE": "jobs-v2"}
    head = render("production", overrides={"app-platform:services": json.dumps(head_services)})
    assert env(head, "worker")["QUEUE"] == "jobs-v2" and env(multi_plan, "worker")["QUEUE"] == "jobs"
    changes = {(c.type, c.name): c for c in diff_plans(multi_plan, head).changes if c.type.startswith("aws:ecs/")}
    task_change = changes.pop(("aws:ecs/taskDefinition:TaskDefinition", "worker"))
    # A new revision (container definitions force a replacement), and the service follows it to the new ARN.
    assert task_change.action == "replace"
    assert {p.path.split("[")[0].split(".")[0] for p in task_change.changes} == {"containerDefinitions"}
    service_change = changes.pop(("aws:ecs/service:Service", "worker"))
    assert service_change.action == "update" and [p.path for p in service_change.changes] == ["taskDefinition"]
    assert not changes  # no other ECS resource moves
    task = head.one("aws:ecs/taskDefinition:TaskDefinition", "worker")
    assert not set(task.ignore_changes) & {"containerDefinitions"}
    assert container(head, "worker")["image"] == container(multi_plan, "worker")["image"]  # still the release


# -- the first deploy: no pointer yet -----------------------------------------------------------------------
class _MissingPointer(AwsMocks):
    """SSM as it answers before the first deploy (or with another error)."""

    def __init__(self, region: str, error: str) -> None:
        super().__init__(region)
        self.error = error

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        if args.token == "aws:ssm/getParameter:getParameter":
            return {}, [("name", f"reading SSM Parameter ({args.args['name']}): {self.error}")]
        return super().call(args)


def _render_pointer(error: str) -> tuple[Plan, dict[str, Any]]:
    mocks = _MissingPointer("eu-west-1", error)
    monitor = RecordingMonitor(mocks)
    render_module._reset(StackSettings("app-platform", "staging", ROOT / "infra", {}, frozenset()))
    pulumi.runtime.set_mocks(mocks, project="app-platform", stack="staging", preview=True, monitor=monitor)
    built = f"{REPOSITORY}@sha256:{'b' * 64}"
    holder: dict[str, Any] = {}

    def program() -> None:
        pointer = ReleasePointer(
            "worker-release",
            ReleasePointerArgs(
                tags={"Environment": "staging"},
                parameter_name="/app-platform/staging/release/worker",
                bootstrap_image=built,
                repository_url=REPOSITORY,
                service="worker",
            ),
        )
        holder["pointer"] = pointer

    async def resolve() -> dict[str, Any]:
        await wait_for_rpcs()
        pointer = holder["pointer"]
        return {"image": await pointer.image_ref.future(), "released": pointer.released, "built": built}

    try:
        _sync_await(run_pulumi_func(program))
        results = _sync_await(resolve())
    finally:
        settings.ROOT.set(None)
    return Plan("app-platform", "staging", monitor.records, {}), results


def test_first_deploy_runs_the_built_image_and_creates_the_pointer_with_it() -> None:
    plan, results = _render_pointer("operation error SSM: GetParameter, StatusCode: 400, ParameterNotFound: ")
    assert results["released"] is False and results["image"] == results["built"]
    [parameter] = plan.of_type("aws:ssm/parameter:Parameter")
    assert parameter.inputs["insecureValue"] == results["built"]


def test_any_other_lookup_error_stops_the_program_instead_of_rolling_back() -> None:
    """Falling back to the built image on, say, AccessDenied would silently undo the last release."""
    with pytest.raises(Exception, match="AccessDeniedException"):
        _render_pointer("operation error SSM: GetParameter, StatusCode: 400, AccessDeniedException: not allowed")


def test_digest_pattern_escapes_the_registry_host() -> None:
    assert digest_pattern("1.dkr.ecr.eu-west-1.amazonaws.com/a") == (
        r"^1\.dkr\.ecr\.eu-west-1\.amazonaws\.com/a@sha256:[a-f0-9]{64}$"
    )


# -- config -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("image", [{"uri": "public.ecr.aws/docker/library/busybox:1.37"}])
def test_ci_ownership_needs_a_repository_of_its_own(image: dict[str, str]) -> None:
    services = stack_services("staging")
    services["api"] |= {"image": image, "deployOwner": "ci"}
    with pytest.raises(ConfigError, match=r"app-platform:services\.api\.deployOwner .*image\.context"):
        render("staging", overrides={"app-platform:services": json.dumps(services)})
