"""Production never loses data to a careless `pulumi destroy` or a rename: every stateful resource is protected."""

from __future__ import annotations

from offline.plan import Plan
from offline.stateful import STATEFUL_TYPES


def test_every_stateful_resource_is_protected_in_production(production_plan: Plan) -> None:
    stateful = [r for r in production_plan.resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} == STATEFUL_TYPES  # the check below sees every kind
    unprotected = sorted(f"{r.type} {r.name}" for r in stateful if not r.protect)
    assert unprotected == []


def test_staging_stays_disposable(staging_plan: Plan) -> None:
    """Staging is rebuilt at will: protecting it would only block teardown (deletion protection is off too)."""
    stateful = [r for r in staging_plan.resources if r.type in STATEFUL_TYPES]
    assert stateful and not any(r.protect for r in stateful)
