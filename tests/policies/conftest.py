"""Pack runs over the Analyzer protocol, one pack process per stack and session (each start costs ~1 s)."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from offline.policy_runner import PolicyRun, config_path, run_pack
from tests.fixtures import insecure


@pytest.fixture(scope="session")
def insecure_run() -> PolicyRun:
    return run_pack(insecure.plan(), None)


@pytest.fixture(scope="session")
def stack_runs(staging_plan: Plan, production_plan: Plan) -> dict[str, PolicyRun]:
    return {p.stack: run_pack(p, config_path(p.stack)) for p in (staging_plan, production_plan)}
