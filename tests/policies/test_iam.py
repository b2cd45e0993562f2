"""IAM rules on the recorded roles and customer managed policies."""

from __future__ import annotations

from typing import Any

import pytest

from offline.plan import Plan
from tests.policies.support import Case, in_json, put, reference

ROLE, POLICY = "aws:iam/role:Role", "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def add(statement: dict[str, Any]):  # type: ignore[no-untyped-def]
    return in_json("policy", lambda doc: doc["Statement"].append({"Effect": "Allow", **statement}))


def managed_and_attached() -> Plan:
    plan = reference()
    plan.one(ROLE, "network-flow-logs").inputs["managedPolicyArns"] = ["arn:aws:iam::123456789012:policy/extra"]
    return plan


CASES = [
    Case("iam-no-service-wide-actions-on-any-resource", POLICY, "api-execution-policy", None, "pass"),
    Case(
        "iam-no-service-wide-actions-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"Action": "ec2:*", "Resource": "*"}),
        "violation",
    ),
    Case(
        "iam-no-service-wide-actions-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"NotAction": ["iam:*"], "Resource": "arn:*"}),
        "violation",
    ),
    Case("iam-no-data-exfiltration-on-any-resource", POLICY, "api-execution-policy", None, "pass"),
    Case(
        "iam-no-data-exfiltration-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"Action": "secretsmanager:GetSecretValue", "Resource": "*"}),
        "violation",
    ),
    Case(
        "iam-no-data-exfiltration-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"Action": "ssm:Get*", "NotResource": "arn:aws:ssm:eu-west-1:123456789012:parameter/x"}),
        "violation",
    ),
    Case("iam-no-admin-statements", POLICY, "api-execution-policy", None, "pass"),
    Case("iam-no-admin-statements", POLICY, "api-execution-policy", add({"Action": "*", "Resource": "*"}), "violation"),
    Case("iam-no-wildcards", POLICY, "network-flow-logs-policy", None, "pass"),
    Case("iam-no-wildcards", POLICY, "api-execution-policy", None, "pass", contains=""),
    # Describe actions with no resource-level permissions (ELB for the blue/green role, EC2 for the hook's ENIs).
    Case("iam-no-wildcards", POLICY, "api-lb-infra-policy", None, "pass"),
    Case("iam-no-wildcards", POLICY, "smoke-test-exec-policy", None, "pass"),
    Case(
        "iam-no-wildcards",
        POLICY,
        "api-lb-infra-policy",
        add({"Action": ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule"], "Resource": "*"}),
        "violation",
    ),
    Case(
        "iam-no-wildcards",
        POLICY,
        "smoke-test-exec-policy",
        add({"Action": "ec2:describenetworkinterfaces", "Resource": "*"}),
        "pass",
    ),
    Case(
        "iam-no-wildcards",
        POLICY,
        "smoke-test-exec-policy",
        add({"Action": "ec2:Describe*", "Resource": "*"}),
        "violation",
    ),
    Case(
        "iam-no-wildcards",
        POLICY,
        "network-flow-logs-policy",
        add({"Action": "s3:*", "Resource": "arn:aws:s3:::b"}),
        "violation",
    ),
    Case(
        "iam-no-wildcards",
        POLICY,
        "network-flow-logs-policy",
        add({"Action": "s3:GetObject", "Resource": "*"}),
        "violation",
    ),
    Case("iam-no-kms-decrypt-on-all-keys", POLICY, "api-execution-policy", None, "pass"),
    Case(
        "iam-no-kms-decrypt-on-all-keys",
        POLICY,
        "api-execution-policy",
        add({"Action": "kms:Decrypt", "Resource": "*"}),
        "violation",
    ),
    Case("iam-no-privilege-escalation", POLICY, "api-execution-policy", None, "pass"),
    Case(
        "iam-no-privilege-escalation",
        POLICY,
        "api-execution-policy",
        add({"Action": "iam:PassRole", "Resource": "*"}),
        "violation",
    ),
    Case("iam-no-aws-managed-policies", ATTACHMENT, "network-flow-logs-policy", None, "pass"),
    Case(
        "iam-no-aws-managed-policies",
        ATTACHMENT,
        "network-flow-logs-policy",
        put("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
        "violation",
    ),
    Case("iam-role-trust-specific-principals", ROLE, "api-task", None, "pass"),
    Case(
        "iam-role-trust-specific-principals",
        ROLE,
        "api-task",
        in_json("assumeRolePolicy", lambda d: d["Statement"][0].update(Principal={"AWS": "*"}, Condition={})),
        "violation",
    ),
    Case("iam-no-inline-policies", ROLE, "api-task", None, "pass"),
    Case(
        "iam-no-inline-policies",
        ROLE,
        "api-task",
        put("inlinePolicies", [{"name": "extra", "policy": '{"Statement": []}'}]),
        "violation",
    ),
    Case("iam-role-no-policy-management-conflicts", ROLE, "network-flow-logs", None, "pass"),
    Case(
        "iam-role-no-policy-management-conflicts",
        ROLE,
        "network-flow-logs",
        None,
        "violation",
        build=managed_and_attached,
    ),
    # ECS blue/green: the infrastructure role's listener/target-group writes and the hook role's invoke are
    # resource-scoped actions; * in any spelling fails, the ARN-scoped form passes.
    Case("iam-resource-scoped-actions-not-on-any-resource", POLICY, "api-execution-policy", None, "pass"),
    Case(
        "iam-resource-scoped-actions-not-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"Action": ["elasticloadbalancing:ModifyRule"], "Resource": "*"}),
        "violation",
        contains="elasticloadbalancing:ModifyRule",
    ),
    Case(
        "iam-resource-scoped-actions-not-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"Action": "ElasticLoadBalancing:Modify*", "Resource": "arn:aws:elasticloadbalancing:*:*:*"}),
        "violation",
    ),
    Case(
        "iam-resource-scoped-actions-not-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"NotAction": "iam:*", "NotResource": "arn:aws:lambda:eu-west-1:123456789012:function:other"}),
        "violation",
        contains="lambda:InvokeFunction",
    ),
    Case(
        "iam-resource-scoped-actions-not-on-any-resource",
        POLICY,
        "api-execution-policy",
        add(
            {
                "Action": ["elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets"],
                "Resource": [
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/alb/1/2/3",
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-green/4",
                ],
            }
        ),
        "pass",
    ),
    Case(
        "iam-resource-scoped-actions-not-on-any-resource",
        POLICY,
        "api-execution-policy",
        add({"Action": "elasticloadbalancing:DescribeRules", "Resource": "*"}),
        "pass",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()


def test_inline_role_policies_are_judged_like_managed_ones() -> None:
    admin = '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    Case(
        "iam-no-admin-statements",
        ROLE,
        "api-task",
        put("inlinePolicies", [{"name": "x", "policy": admin}]),
        "violation",
    ).run()
