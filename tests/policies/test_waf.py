"""WAFv2 rules on the recorded edge web ACL."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from tests.policies.support import Case, put, reference

ACL = "aws:wafv2/webAcl:WebAcl"


def without_logging() -> Plan:
    plan = reference()
    plan.resources = [
        r for r in plan.resources if r.type != "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
    ]
    return plan


CASES = [
    Case("waf-web-acl-has-rules", ACL, None, None, "pass"),
    Case("waf-web-acl-has-rules", ACL, None, put("rules", []), "violation"),
    Case("waf-web-acl-logging", ACL, None, None, "pass"),
    Case("waf-web-acl-logging", ACL, None, None, "violation", build=without_logging),
    Case("waf-cloudwatch-metrics", ACL, None, None, "pass"),
    Case(
        "waf-cloudwatch-metrics",
        ACL,
        None,
        put("rules.0.visibilityConfig.cloudwatchMetricsEnabled", False),
        "violation",
    ),
    Case("waf-known-bad-inputs", ACL, None, None, "pass"),
    Case(
        "waf-known-bad-inputs",
        ACL,
        None,
        lambda i: i.update(rules=[r for r in i["rules"] if "KnownBadInputs" not in str(r.get("statement", {}))]),
        "violation",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
