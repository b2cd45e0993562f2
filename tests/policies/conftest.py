"""Pack runs over the Analyzer protocol, one pack process per stack and test run (tests/shared.py)."""

from __future__ import annotations

import pytest

from offline.policy_runner import PolicyRun, run_pack
from tests.fixtures import insecure
from tests.helpers import checkout_run
from tests.shared import shared


@pytest.fixture(scope="session")
def insecure_run() -> PolicyRun:
    return shared("pack-insecure", lambda: run_pack(insecure.plan(), None))


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, PolicyRun]:
    """Each stack's pack run, as `offline checkout` ran it over its own render (tests.helpers.checkout_run)."""
    runs = {result.stack: result.policy for result in checkout_run().results}
    return {stack: run for stack, run in runs.items() if run is not None}
