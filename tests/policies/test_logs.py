"""CloudWatch Logs rules on the recorded flow-log group."""

from __future__ import annotations

import pytest

from tests.policies.support import Case, drop, put

GROUP = "aws:cloudwatch/logGroup:LogGroup"

CASES = [
    Case("logs-retention", GROUP, "network-flow-logs", put("retentionInDays", 400), "pass"),
    Case("logs-retention", GROUP, "network-flow-logs", None, "pass", config={"minimumRetentionDays": 90}),
    Case("logs-retention", GROUP, "network-flow-logs", put("retentionInDays", 30), "violation"),
    Case("logs-retention", GROUP, "network-flow-logs", drop("retentionInDays"), "violation"),
    Case("logs-kms-encrypted", GROUP, "network-flow-logs", None, "pass"),
    Case("logs-kms-encrypted", GROUP, "network-flow-logs", drop("kmsKeyId"), "violation"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
