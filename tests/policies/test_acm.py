"""ACM rules on the recorded certificates."""

from __future__ import annotations

import pytest

from tests.policies.support import Case, drop, put

CERT = "aws:acm/certificate:Certificate"

CASES = [
    Case("acm-rsa-key-length", CERT, "alb-certificate", None, "pass"),
    Case("acm-rsa-key-length", CERT, "alb-certificate", drop("keyAlgorithm"), "pass"),  # ACM's default, RSA_2048
    Case("acm-rsa-key-length", CERT, "alb-certificate", put("keyAlgorithm", "EC_secp384r1"), "pass"),
    Case("acm-rsa-key-length", CERT, "alb-certificate", put("keyAlgorithm", "RSA_1024"), "violation"),
    Case("acm-rsa-key-length", CERT, "alb-certificate", put("privateKey", "[secret]"), "not-applicable"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    case.run()
