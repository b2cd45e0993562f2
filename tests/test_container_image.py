"""ContainerImage: the ECR repository, the build deployed by digest, a given URI, and who owns releases."""

from __future__ import annotations

import json

from offline.plan import Plan
from tests.helpers import container, policy


# -- image ------------------------------------------------------------------------------------------------
def test_ecr_repository_is_scanned_immutable_and_encrypted(plan: Plan) -> None:
    repo = plan.one("aws:ecr/repository:Repository").inputs
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["imageTagMutability"] == "IMMUTABLE"
    (encryption,) = repo["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    images_key = plan.one("aws:kms/key:Key", "images")
    assert images_key.urn in plan.one("aws:ecr/repository:Repository").dependencies
    assert repo["forceDelete"] is False


def test_ecr_lifecycle_expires_untagged_and_keeps_the_last_images(plan: Plan) -> None:
    rules = json.loads(plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    untagged = next(r for r in rules if r["selection"]["tagStatus"] == "untagged")
    assert untagged["selection"]["countType"] == "sinceImagePushed" and untagged["action"]["type"] == "expire"
    keep = next(r for r in rules if r["selection"]["countType"] == "imageCountMoreThan")
    assert keep["selection"]["countNumber"] >= 10


def test_image_is_built_for_the_task_architecture_and_deployed_by_digest(plan: Plan) -> None:
    image = plan.one("docker:index/image:Image").inputs
    assert image["build"]["platform"] == "linux/arm64"
    assert image["build"]["context"].endswith("/app")
    assert image["build"]["dockerfile"].endswith("/app/Dockerfile")
    tag = image["imageName"].rsplit(":", 1)[1]
    assert len(tag) == 16 and tag != "latest"
    assert "@sha256:" in container(plan, "api")["image"]


def test_given_image_uri_skips_ecr(multi_plan: Plan) -> None:
    assert container(multi_plan, "admin")["image"] == "public.ecr.aws/nginx/nginx:1.27"
    assert len(multi_plan.of_type("aws:ecr/repository:Repository")) == 1  # only api builds
    grants = policy(multi_plan.one("aws:iam/policy:Policy", "admin-execution-policy"))["Statement"]
    assert not any("ecr:" in str(g["Action"]) for g in grants)


def test_deploy_ownership_switch(multi_plan: Plan) -> None:
    api_service = multi_plan.one("aws:ecs/service:Service", "api")
    worker_service = multi_plan.one("aws:ecs/service:Service", "worker")
    assert api_service.ignore_changes == []
    assert sorted(worker_service.ignore_changes) == ["desiredCount", "taskDefinition"]
    assert multi_plan.one("aws:ecs/taskDefinition:TaskDefinition", "worker").ignore_changes == ["containerDefinitions"]
    assert multi_plan.one("aws:ecs/taskDefinition:TaskDefinition", "api").ignore_changes == []
