"""Each real stack is rendered once per test run and shared (tests/shared.py): imports and renders cost seconds."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from offline.plan import Plan
from tests.helpers import multi_service_plan, public_alb_plan, rendered, scaled_plan
from tests.shared import ENVIRONMENT, bytecode_cold, compile_program_imports, mark_warm, wait_until_warm

FIRST_COMPILES = pytest.StashKey[bool]()

# CI's two cores are shared with xdist workers and renders: wall-clock limits and the "generation is slow"
# check then fail on load, not on a defect. Example counts still come from each test's own settings.
settings.register_profile("shared-cores", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-cores")


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    if worker is None:  # the controller, before it starts the workers: one folder per run
        os.environ[ENVIRONMENT] = tempfile.mkdtemp(prefix="app-platform-tests-")
    elif bytecode_cold():  # a fresh virtualenv: one worker compiles, the others wait (tests/shared.py)
        config.stash[FIRST_COMPILES] = worker["workerid"] == "gw0"
        if not config.stash[FIRST_COMPILES]:
            wait_until_warm()


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.stash.get(FIRST_COMPILES, False):
        try:
            compile_program_imports()
        finally:
            mark_warm()  # the others go on even if this failed (the failure shows in the tests)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.pop(ENVIRONMENT, "")
    if folder and not hasattr(config, "workerinput"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def staging_plan() -> Plan:
    return rendered("staging")


@pytest.fixture(scope="session")
def production_plan() -> Plan:
    return rendered("production")


@pytest.fixture(scope="session", params=["staging", "production"])
def plan(request: pytest.FixtureRequest, staging_plan: Plan, production_plan: Plan) -> Plan:
    return staging_plan if request.param == "staging" else production_plan


@pytest.fixture(scope="session")
def multi_plan() -> Plan:
    """Production plus a second web service and a CI-owned worker (see tests.helpers.multi_service_plan)."""
    return multi_service_plan()


@pytest.fixture(scope="session", name="public_alb_plan")
def public_alb_plan_fixture() -> Plan:
    """Staging with the public-ALB origin mode and its WAF off (see tests.helpers.public_alb_plan)."""
    return public_alb_plan()


@pytest.fixture(scope="session")
def twenty_service_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """Production grown to 20 services, through `preview --stack-file` (see tests.helpers.scaled_plan)."""
    return scaled_plan(tmp_path_factory.mktemp("twenty-services"), 20)
