"""ECS rules on the recorded cluster, service and task definition."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.support import Case, drop, in_json, put

CLUSTER, SERVICE, TASK = "aws:ecs/cluster:Cluster", "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"
# The plan holds two task definitions (the service's and the one-off db-bootstrap): the cases judge the service's.


def first(change: Any) -> Any:
    """Edit the first container definition."""
    return in_json("containerDefinitions", lambda defs: change(defs[0]))


CASES = [
    Case("ecs-service-deployment-circuit-breaker", SERVICE, None, None, "pass"),
    Case(
        "ecs-service-deployment-circuit-breaker",
        SERVICE,
        None,
        put("deploymentCircuitBreaker.rollback", False),
        "violation",
    ),
    Case("ecs-service-deployment-circuit-breaker", SERVICE, None, drop("deploymentCircuitBreaker"), "violation"),
    Case(
        "ecs-service-deployment-circuit-breaker",
        SERVICE,
        None,
        put("deploymentController", {"type": "CODE_DEPLOY"}),
        "not-applicable",
    ),
    Case("ecs-cluster-container-insights", CLUSTER, None, None, "pass"),
    Case("ecs-cluster-container-insights", CLUSTER, None, put("settings", []), "violation"),
    Case("ecs-cluster-exec-logging", CLUSTER, None, None, "pass"),
    Case(
        "ecs-cluster-exec-logging",
        CLUSTER,
        None,
        drop("configuration.executeCommandConfiguration.kmsKeyId"),
        "violation",
    ),
    Case("ecs-service-no-public-ip", SERVICE, None, None, "pass"),
    Case("ecs-service-no-public-ip", SERVICE, None, put("networkConfiguration.assignPublicIp", True), "violation"),
    Case("ecs-service-fargate-latest-platform", SERVICE, None, None, "pass"),
    Case("ecs-service-fargate-latest-platform", SERVICE, None, put("platformVersion", "1.3.0"), "violation"),
    Case(
        "ecs-service-fargate-latest-platform",
        SERVICE,
        None,
        put("capacityProviderStrategies", [{"capacityProvider": "ec2-spot", "weight": 1}]),
        "not-applicable",
    ),
    Case("ecs-task-no-privileged-containers", TASK, "api", None, "pass"),
    Case("ecs-task-no-privileged-containers", TASK, "api", first(lambda c: c.update(privileged=True)), "violation"),
    Case("ecs-task-no-host-pid", TASK, "api", None, "pass"),
    Case("ecs-task-no-host-pid", TASK, "api", put("pidMode", "host"), "violation"),
    Case("ecs-task-readonly-root-filesystem", TASK, "api", None, "pass"),
    Case(
        "ecs-task-readonly-root-filesystem", TASK, "api", first(lambda c: c.pop("readonlyRootFilesystem")), "violation"
    ),
    Case("ecs-task-no-secrets-in-environment", TASK, "api", None, "pass"),
    Case(
        "ecs-task-no-secrets-in-environment",
        TASK,
        "api",
        first(lambda c: c["environment"].append({"name": "AWS_SECRET_ACCESS_KEY", "value": "x"})),
        "violation",
    ),
    Case(
        "ecs-task-no-secrets-in-environment",
        TASK,
        "api",
        first(lambda c: c["environment"].append({"name": "DB_PASSWORD", "value": "hunter2"})),
        "violation",
        contains="DB_PASSWORD",
    ),
    Case(
        "ecs-task-no-secrets-in-environment",
        TASK,
        "api",
        first(lambda c: c["environment"].append({"name": "DB_SECRET_ARN", "value": "arn:aws:secretsmanager:..."})),
        "pass",
    ),
    Case("ecs-task-log-configuration", TASK, "api", None, "pass"),
    Case("ecs-task-log-configuration", TASK, "api", first(lambda c: c.pop("logConfiguration")), "violation"),
    Case("ecs-task-no-host-network", TASK, "api", None, "pass"),
    Case("ecs-task-no-host-network", TASK, "api", put("networkMode", "host"), "violation"),
    Case("ecs-task-non-root-user", TASK, "api", None, "pass"),
    Case("ecs-task-non-root-user", TASK, "api", first(lambda c: c.update(user="0")), "violation"),
    Case("ecs-task-non-root-user", TASK, "api", first(lambda c: c.pop("user")), "violation"),
    Case("ecs-task-separate-execution-role", TASK, "api", None, "pass"),
    Case(
        "ecs-task-separate-execution-role",
        TASK,
        "api",
        lambda i: i.update(taskRoleArn=i["executionRoleArn"]),
        "violation",
    ),
    Case("ecs-task-efs-transit-encryption", TASK, "api", None, "not-applicable"),
    Case(
        "ecs-task-efs-transit-encryption",
        TASK,
        "api",
        put(
            "volumes",
            [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}],
        ),
        "pass",
    ),
    Case(
        "ecs-task-efs-transit-encryption",
        TASK,
        "api",
        put("volumes", [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
        "violation",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
