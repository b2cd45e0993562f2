"""Pack runs over the Analyzer protocol, one pack process per stack and test run (tests/shared.py)."""

from __future__ import annotations

import pytest

from offline.plan import Plan
from offline.policy_runner import PolicyRun, config_path, run_pack
from tests.fixtures import insecure
from tests.shared import shared


@pytest.fixture(scope="session")
def insecure_run() -> PolicyRun:
    return shared("pack-insecure", lambda: run_pack(insecure.plan(), None))


@pytest.fixture(scope="session")
def stack_runs(staging_plan: Plan, production_plan: Plan) -> dict[str, PolicyRun]:
    return {
        p.stack: shared(f"pack-{p.stack}", lambda p=p: run_pack(p, config_path(p.stack)))
        for p in (staging_plan, production_plan)
    }
