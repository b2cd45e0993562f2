"""Each real stack is rendered once per test session and shared: imports and renders cost seconds."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from offline.render import render


@pytest.fixture(scope="session")
def staging_plan() -> Plan:
    return render("staging")


@pytest.fixture(scope="session")
def production_plan() -> Plan:
    return render("production")


@pytest.fixture(scope="session", params=["staging", "production"])
def plan(request: pytest.FixtureRequest, staging_plan: Plan, production_plan: Plan) -> Plan:
    return staging_plan if request.param == "staging" else production_plan
