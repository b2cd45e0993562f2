"""WebFirewall: a CLOUDFRONT-scope WAFv2 ACL in us-east-1 with managed rules, a rate limit, metrics and logs."""

from __future__ import annotations

import json
from typing import Any

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
    assert group.inputs["retentionInDays"] == 365 and group.inputs["kmsKeyId"].startswith(f"arn:aws:kms:{EDGE_REGION}:")
    assert {"singleHeader": {"name": "authorization"}} in logging["redactedFields"]


# -- request bodies: APIs take more than the managed rule's 8 KB ---------------------------------------------
def body_rules(plan: Plan) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]:
    """(the CommonRuleSet statement, our body-size rule or None, the web ACL inputs)."""
    acl = plan.one("aws:wafv2/webAcl:WebAcl").inputs
    common = next(
        r["statement"]["managedRuleGroupStatement"]
        for r in acl["rules"]
        if r["statement"].get("managedRuleGroupStatement", {}).get("name") == "AWSManagedRulesCommonRuleSet"
    )
    size = next((r for r in acl["rules"] if "sizeConstraintStatement" in r["statement"]), None)
    return common, size, acl


def with_body_limit(kb: object) -> Plan:
    return render("staging", overrides={"app-platform:edge": json.dumps({"wafMaxRequestBodyKb": kb})})


def test_apis_get_16_kb_bodies_by_default_every_byte_inspected(plan: Plan) -> None:
    common, size, acl = body_rules(plan)
    assert common["ruleActionOverrides"] == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    assert size is not None and size["action"] == {"block": {}}
    statement = size["statement"]["sizeConstraintStatement"]
    assert statement["comparisonOperator"] == "GT" and statement["size"] == 16 * 1024
    # Bodies larger than WAF can inspect match (are blocked) instead of passing uninspected.
    assert statement["fieldToMatch"] == {"body": {"oversizeHandling": "MATCH"}}
    # 16 KB is what CloudFront forwards by default: no association config, no extra charge.
    assert "associationConfig" not in acl or not acl["associationConfig"]
    managed = [r["priority"] for r in acl["rules"] if "managedRuleGroupStatement" in r["statement"]]
    assert size["priority"] < min(managed)


def test_a_64_kb_limit_raises_cloudfronts_inspection_size_with_it() -> None:
    common, size, acl = body_rules(with_body_limit(64))
    assert size is not None and size["statement"]["sizeConstraintStatement"]["size"] == 64 * 1024
    assert acl["associationConfig"] == {"requestBodies": [{"cloudfront": {"defaultSizeInspectionLimit": "KB_64"}}]}
    assert common["ruleActionOverrides"][0]["name"] == "SizeRestrictions_BODY"


def test_8_kb_keeps_the_managed_rule_as_aws_ships_it() -> None:
    common, size, acl = body_rules(with_body_limit(8))
    assert "ruleActionOverrides" not in common and size is None
    assert "associationConfig" not in acl or not acl["associationConfig"]


@pytest.mark.parametrize("kb", [0, 10, 17, 128, "big"])
def test_a_body_limit_waf_cannot_inspect_is_a_config_error(kb: object) -> None:
    with pytest.raises(ConfigError, match=r"app-platform:edge\.wafMaxRequestBodyKb"):
        with_body_limit(kb)
