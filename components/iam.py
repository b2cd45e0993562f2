"""IAM policy documents built as plain JSON, so tests and the policy pack read exactly what AWS receives."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components import aws

Statement = Mapping[str, Any]


def document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A policy document; statements may hold Outputs (ARNs), resolved before serialisation."""
    return pulumi.Output.from_input({"Version": "2012-10-17", "Statement": list(statements)}).apply(
        lambda doc: json.dumps(doc, sort_keys=True)
    )


def service_trust_policy(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust for one AWS service principal, confined to our account (confused-deputy protection)."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


@dataclass(frozen=True)
class GrantedRole:
    """A role and an ARN that is ready only once the role's policy is attached.

    Whatever takes `arn` (a task definition, an RDS instance, a flow log, a backup selection, an SNS topic) then
    depends on the attachment, not just on the role: it is created after the grants exist, and on teardown it
    goes before them. Depending on the bare role, the engine may start the first tasks before they may pull or
    read secrets, and may delete the policy first and leave an ECS service stuck draining (the pulumi-aws
    `ecs.Service` docs: "make sure to set depends_on to the related aws.iam.RolePolicy; otherwise, the policy may
    be destroyed too soon and the ECS service will then get stuck in the DRAINING state").
    """

    role: aws.iam.Role
    """The IAM role itself (its name, its trust policy)."""
    arn: pulumi.Output[str]
    """The role's ARN, resolved only once the policy attachment exists: hand this one out, not `role.arn`."""


def role_with_policy(
    name: str,
    *,
    service: str,
    account_id: pulumi.Input[str],
    statements: Sequence[Statement],
    description: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> GrantedRole:
    """A service role with one customer-managed policy attached (none when there is nothing to grant).

    Customer-managed policies (not inline, not AWS-managed) keep every grant visible as its own
    resource, which is what the policy pack and auditors review.
    """
    opts = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        assume_role_policy=service_trust_policy(service, account_id),
        description=description,
        max_session_duration=3600,
        tags=dict(tags),
        opts=opts,
    )
    if not statements:
        return GrantedRole(role, role.arn)
    policy = aws.iam.Policy(
        f"{name}-policy",
        description=f"Least-privilege grants for: {description}",
        policy=document(statements),
        tags=dict(tags),
        opts=opts,
    )
    attachment = aws.iam.RolePolicyAttachment(f"{name}-policy", role=role.name, policy_arn=policy.arn, opts=opts)
    return GrantedRole(role, pulumi.Output.all(role.arn, attachment.id).apply(lambda values: str(values[0])))
