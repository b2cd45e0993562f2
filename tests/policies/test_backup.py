"""AWS Backup rules on the recorded DR vaults and plan."""

from __future__ import annotations

import pytest

from tests.policies.support import Case, drop, put

VAULT, PLAN = "aws:backup/vault:Vault", "aws:backup/plan:Plan"

CASES = [
    Case("backup-vault-cmk", VAULT, "db-dr", None, "pass"),
    Case("backup-vault-cmk", VAULT, "db-dr", drop("kmsKeyArn"), "violation"),
    Case("backup-plan-retention", PLAN, None, None, "pass"),
    Case("backup-plan-retention", PLAN, None, put("rules.0.lifecycle.deleteAfter", 3), "violation"),
    Case("backup-plan-retention", PLAN, None, None, "violation", config={"minimumRetentionDays": 35}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
