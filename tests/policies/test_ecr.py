"""ECR rules on the recorded image repository."""

from __future__ import annotations

import json

import pytest

from offline.plan import Plan
from tests.policies.support import Case, plan_of, put, record, reference

REPO, LIFECYCLE = "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPO_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def repository_policy(principal: object, condition: dict[str, object] | None = None) -> Plan:
    statement = {"Sid": "Pull", "Effect": "Allow", "Principal": principal, "Action": ["ecr:BatchGetImage"]}
    if condition:
        statement["Condition"] = condition
    return plan_of(
        record(REPO_POLICY, "api-image", {"repository": "api", "policy": json.dumps({"Statement": [statement]})})
    )


def without_lifecycle() -> Plan:
    plan = reference()
    plan.resources = [r for r in plan.resources if r.type != LIFECYCLE]
    return plan


CASES = [
    Case("ecr-scan-on-push", REPO, None, None, "pass"),
    Case("ecr-scan-on-push", REPO, None, put("imageScanningConfiguration.scanOnPush", False), "violation"),
    Case("ecr-tag-immutability", REPO, None, None, "pass"),
    Case("ecr-tag-immutability", REPO, None, put("imageTagMutability", "MUTABLE"), "violation"),
    Case("ecr-lifecycle-policy", REPO, None, None, "pass"),
    Case("ecr-lifecycle-policy", REPO, None, None, "violation", build=without_lifecycle),
    Case(
        "ecr-repository-policy-not-open",
        REPO_POLICY,
        None,
        None,
        "pass",
        build=lambda: repository_policy({"AWS": "arn:aws:iam::123456789012:root"}),
    ),
    Case("ecr-repository-policy-not-open", REPO_POLICY, None, None, "violation", build=lambda: repository_policy("*")),
    Case("ecr-kms-encryption", REPO, None, None, "pass"),
    Case(
        "ecr-kms-encryption", REPO, None, put("encryptionConfigurations", [{"encryptionType": "AES256"}]), "violation"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
