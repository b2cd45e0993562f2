"""ContainerImage: the ECR repository, the build deployed by digest, a given URI, and who owns releases."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from components.container_image import image_tag
from offline.plan import Plan
from offline.render import render
from tests.helpers import container, policy, stack_services


# -- image ------------------------------------------------------------------------------------------------
def test_ecr_repository_is_scanned_immutable_and_encrypted(plan: Plan) -> None:
    repo = plan.one("aws:ecr/repository:Repository").inputs
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["imageTagMutability"] == "IMMUTABLE"
    (encryption,) = repo["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    images_key = plan.one("aws:kms/key:Key", "images")
    assert images_key.urn in plan.one("aws:ecr/repository:Repository").dependencies
    # Production's repository is never deleted with its images; staging's goes with the stack on teardown.
    production = plan.stack == "production"
    assert repo["forceDelete"] is not production and plan.one("aws:ecr/repository:Repository").protect is production


def test_ecr_lifecycle_expires_untagged_and_keeps_the_last_images(plan: Plan) -> None:
    rules = json.loads(plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    untagged = next(r for r in rules if r["selection"]["tagStatus"] == "untagged")
    assert untagged["selection"]["countType"] == "sinceImagePushed" and untagged["action"]["type"] == "expire"
    keep = next(r for r in rules if r["selection"]["countType"] == "imageCountMoreThan")
    assert keep["selection"]["countNumber"] >= 10


def test_image_is_built_for_the_task_architecture_and_deployed_by_digest(plan: Plan) -> None:
    image = plan.one("docker:index/image:Image").inputs
    assert image["build"]["platform"] == "linux/arm64"
    # Recorded from the checkout's root: a pull request's base and head checkouts (two folders) render equal plans.
    assert (image["build"]["context"], image["build"]["dockerfile"]) == ("<checkout>/app", "<checkout>/app/Dockerfile")
    tag = image["imageName"].rsplit(":", 1)[1]
    assert len(tag) == 16 and tag != "latest"
    assert "@sha256:" in container(plan, "api")["image"]


def test_given_image_uri_skips_ecr(multi_plan: Plan) -> None:
    assert container(multi_plan, "admin")["image"] == "public.ecr.aws/nginx/nginx:1.27"
    repositories = sorted(r.name for r in multi_plan.of_type("aws:ecr/repository:Repository"))
    assert repositories == ["api-image", "worker-image"]  # admin runs a given URI: no repository
    grants = policy(multi_plan.one("aws:iam/policy:Policy", "admin-execution-policy"))["Statement"]
    assert not any("ecr:" in str(g["Action"]) for g in grants)


def test_deploy_ownership_switch(multi_plan: Plan) -> None:
    api_service = multi_plan.one("aws:ecs/service:Service", "api")
    worker_service = multi_plan.one("aws:ecs/service:Service", "worker")
    # Autoscaling owns every service's count once it exists; the task definition is managed whoever releases.
    assert worker_service.ignore_changes == ["desiredCount"]
    # api releases blue/green (production): ECS also owns the two target-group leaves it swaps, nothing else.
    assert api_service.ignore_changes == [
        "desiredCount",
        "loadBalancers[0].targetGroupArn",
        "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn",
    ]
    for name in ("api", "worker"):
        assert multi_plan.one("aws:ecs/taskDefinition:TaskDefinition", name).ignore_changes == []


# -- the tag: everything that changes the image changes it (IMMUTABLE repository) ----------------------------
def test_changing_the_architecture_pushes_under_a_new_tag(staging_plan: Plan) -> None:
    """ECR refuses a different image under an existing tag (ImageTagAlreadyExistsException): an ARM64 -> X86_64
    switch must not reuse the ARM64 image's tag."""
    services = stack_services("staging")
    services["api"]["architecture"] = "X86_64"
    x86 = render("staging", overrides={"app-platform:services": json.dumps(services)})
    arm_image = staging_plan.one("docker:index/image:Image").inputs
    x86_image = x86.one("docker:index/image:Image").inputs
    assert (arm_image["build"]["platform"], x86_image["build"]["platform"]) == ("linux/arm64", "linux/amd64")
    assert x86.one("aws:ecs/taskDefinition:TaskDefinition", "api").inputs["runtimePlatform"]["cpuArchitecture"] == (
        "X86_64"
    )
    arm_repo, arm_tag = arm_image["imageName"].rsplit(":", 1)
    x86_repo, x86_tag = x86_image["imageName"].rsplit(":", 1)
    assert arm_repo == x86_repo and arm_tag != x86_tag


def _context(root: Path, server: str = "print('hi')\n", dockerfile: str = "FROM scratch\n") -> Path:
    context = root / "ctx"
    context.mkdir(exist_ok=True)
    (context / "server.py").write_text(server)
    (context / "Dockerfile").write_text(dockerfile)
    return context


def test_the_tag_changes_with_each_input_and_only_with_them(tmp_path: Path) -> None:
    context = _context(tmp_path)
    dockerfile = context / "Dockerfile"
    base = image_tag(context, dockerfile, "linux/arm64", {})
    assert image_tag(context, dockerfile, "linux/arm64", {}) == base  # stable: no permanent diff
    assert re.fullmatch(r"[0-9a-f]{16}", base)  # a valid ECR tag, never `latest`
    assert image_tag(context, dockerfile, "linux/amd64", {}) != base
    assert image_tag(context, dockerfile, "linux/arm64", {"VERSION": "2"}) != base
    assert image_tag(context, dockerfile, "linux/arm64", {"VERSION": "2"}) != image_tag(
        context, dockerfile, "linux/arm64", {"VERSION": "3"}
    )
    outside = tmp_path / "Dockerfile.prod"  # a Dockerfile outside the context still counts
    outside.write_text("FROM scratch\nUSER 10001\n")
    assert image_tag(context, outside, "linux/arm64", {}) != base
    (context / "server.py").write_text("print('changed')\n")
    assert image_tag(context, dockerfile, "linux/arm64", {}) != base


@settings(max_examples=40, deadline=None)
@given(
    first=st.dictionaries(st.text("AB=", min_size=1, max_size=3), st.text("ab=", max_size=3), max_size=3),
    second=st.dictionaries(st.text("AB=", min_size=1, max_size=3), st.text("ab=", max_size=3), max_size=3),
)
def test_different_build_args_never_share_a_tag(first: dict[str, str], second: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        context = _context(Path(tmp))
        same = image_tag(context, context / "Dockerfile", "linux/arm64", first) == image_tag(
            context, context / "Dockerfile", "linux/arm64", second
        )
    assert same == (first == second)
