"""WebFirewall: a CLOUDFRONT-scope WAFv2 ACL in us-east-1 with managed rules, a rate limit, metrics and logs."""

from __future__ import annotations

import json

import pytest

from infra.config import ConfigError
from offline.plan import Plan
from offline.render import render
from tests.helpers import EDGE_REGION, distribution, region_of


# -- --------------------------------------------------------------------------------------------------
def test_waf_on_by_default_and_switchable_in_staging(plan: Plan, public_alb_plan: Plan) -> None:
    acl = plan.one("aws:wafv2/webAcl:WebAcl")
    assert distribution(plan)["webAclId"].startswith(f"arn:aws:wafv2:{EDGE_REGION}:123456789012:global/webacl/")
    assert acl.inputs["scope"] == "CLOUDFRONT" and region_of(plan, acl.urn) == EDGE_REGION
    assert public_alb_plan.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert "webAclId" not in distribution(public_alb_plan)


def test_production_cannot_switch_the_waf_off() -> None:
    with pytest.raises(ConfigError, match=r"app-platform:edge\.wafEnabled = False"):
        render("production", overrides={"app-platform:edge": json.dumps({"wafEnabled": False})})


def test_waf_rules(production_plan: Plan) -> None:
    acl = production_plan.one("aws:wafv2/webAcl:WebAcl").inputs
    groups = {
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in acl["rules"]
        if "managedRuleGroupStatement" in r["statement"]
    }
    assert {
        "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet",
    } <= groups  # fmt: skip
    rate = next(r for r in acl["rules"] if "rateBasedStatement" in r["statement"])
    assert rate["statement"]["rateBasedStatement"]["limit"] == 2000
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP" and rate["action"] == {"block": {}}
    for visibility in [acl["visibilityConfig"], *(r["visibilityConfig"] for r in acl["rules"])]:
        assert visibility["cloudwatchMetricsEnabled"] is True and visibility["sampledRequestsEnabled"] is True
    assert len({r["priority"] for r in acl["rules"]}) == len(acl["rules"])


def test_waf_logs_to_an_encrypted_waf_log_group(production_plan: Plan) -> None:
    logging = production_plan.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    group = production_plan.one("aws:cloudwatch/logGroup:LogGroup", "edge-waf-logs")
    assert group.inputs["name"] == "aws-waf-logs-app-platform-production"
    assert logging["logDestinationConfigs"] == [
        f"arn:aws:logs:{EDGE_REGION}:123456789012:log-group:{group.inputs['name']}"
    ]
    assert group.inputs["retentionInDays"] == 90 and group.inputs["kmsKeyId"].startswith(f"arn:aws:kms:{EDGE_REGION}:")
    assert {"singleHeader": {"name": "authorization"}} in logging["redactedFields"]
