"""iam: every resource that is handed a service role waits for (and outlives) the role's policy attachment."""

from __future__ import annotations

import re

from offline.plan import Plan, ResourceRecord

ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/(.+)$")


def attachments_by_role(plan: Plan) -> dict[str, str]:
    """Role name (as AWS knows it) -> the URN of the attachment that grants its policy."""
    return {str(r.inputs["role"]): r.urn for r in plan.of_type(ATTACHMENT)}


def granted_role_inputs(plan: Plan) -> list[tuple[ResourceRecord, str, str]]:
    """(resource, input name, attachment URN) for every non-IAM input holding the ARN of a role with a policy."""
    granted = attachments_by_role(plan)
    found = []
    for record in plan.resources:
        if record.type.startswith("aws:iam/"):
            continue
        for key, value in record.inputs.items():
            match = ROLE_ARN.match(value) if isinstance(value, str) else None
            if match and match.group(1) in granted:
                found.append((record, key, granted[match.group(1)]))
    return found


def test_every_role_consumer_depends_on_the_roles_policy_attachment(plan: Plan) -> None:
    consumers = granted_role_inputs(plan)
    for record, key, attachment in consumers:
        assert attachment in record.property_dependencies.get(key, []), (record.type, record.name, key)
        assert attachment in record.dependencies, (record.type, record.name)
    # Task definitions (execution and task roles), the RDS instance (monitoring), flow logs, the backup
    # selection, SNS topics (delivery status): all of them, in both stacks.
    assert {record.type for record, _, _ in consumers} >= {
        "aws:ecs/taskDefinition:TaskDefinition", "aws:rds/instance:Instance", "aws:ec2/flowLog:FlowLog",
        "aws:backup/selection:Selection", "aws:sns/topic:Topic",
    }  # fmt: skip


def test_the_ecs_service_outlives_the_execution_grants(plan: Plan) -> None:
    """On teardown the engine deletes dependents first: service, then task definition, then the attachment."""
    service = plan.one("aws:ecs/service:Service", "api")
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    execution = plan.one(ATTACHMENT, "api-execution-policy")
    assert task.urn in service.dependencies
    assert execution.urn in task.property_dependencies["executionRoleArn"]
