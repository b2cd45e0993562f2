"""Each real stack is rendered once per test run and shared (tests/shared.py): imports and renders cost seconds.

The xdist controller runs no test: it imports neither hypothesis nor the project here (about 2 s of CPU), only the
processes that run tests do."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.shared import ENVIRONMENT, bytecode_cold, compile_program_imports, mark_warm, wait_until_warm

if TYPE_CHECKING:
    from offline.plan import Plan

FIRST_COMPILES = pytest.StashKey[bool]()
# Test files that share a session fixture too costly to build on every worker: one worker runs each group.
SHARED_FIXTURE_GROUPS = {"tests/ops/": "moto_stack"}  # the moto stack: about 3 s of CPU per worker, measured


def is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    if worker is None:  # the controller (or a run without workers): one folder per run
        os.environ[ENVIRONMENT] = tempfile.mkdtemp(prefix="app-platform-tests-")
    elif bytecode_cold():  # a fresh virtualenv: one worker compiles, the others wait (tests/shared.py)
        config.stash[FIRST_COMPILES] = worker["workerid"] == "gw0"
        if not config.stash[FIRST_COMPILES]:
            wait_until_warm()
    if not is_xdist_controller(config):
        gc.disable()  # collected between test files instead (pytest_runtest_teardown)
        from hypothesis import HealthCheck, settings

        # CI's two cores are shared with xdist workers and renders: wall-clock limits and the "generation is slow"
        # check then fail on load, not on a defect. Example counts still come from each test's own settings.
        settings.register_profile("shared-cores", deadline=None, suppress_health_check=[HealthCheck.too_slow])
        settings.load_profile("shared-cores")


def shared_fixture_group(nodeid: str) -> str | None:
    return next((group for prefix, group in SHARED_FIXTURE_GROUPS.items() if nodeid.startswith(prefix)), None)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: a run with `-p no:xdist` has no such hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> Any:
    """`--dist=loadfile` (what dev.py asks for), with each of SHARED_FIXTURE_GROUPS kept on one worker."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]  # xdist ships no types

    scheduler = LoadFileScheduling(config, log)
    by_file = scheduler._split_scope
    scheduler._split_scope = lambda nodeid: shared_fixture_group(nodeid) or by_file(nodeid)
    return scheduler


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.stash.get(FIRST_COMPILES, False):
        try:
            compile_program_imports()
        finally:
            mark_warm()  # the others go on even if this failed (the failure shows in the tests)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Garbage is collected after each test file (its module fixtures torn down), not on allocation counts: the
    automatic passes kept walking what lives for the whole run (plans, modules, the moto stack), about 10 s of CPU
    per run over two workers, measured; peak memory per worker stayed within 0.5-1.1 GB. What survives a file is
    frozen, so later passes skip it. Renders collect and freeze too (offline/render.py)."""
    yield
    if not gc.isenabled() and (nextitem is None or nextitem.path != item.path):
        gc.collect()
        gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.pop(ENVIRONMENT, "")
    if folder and not hasattr(config, "workerinput"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def staging_plan() -> Plan:
    from tests.helpers import rendered

    return rendered("staging")


@pytest.fixture(scope="session")
def production_plan() -> Plan:
    from tests.helpers import rendered

    return rendered("production")


@pytest.fixture(scope="session", params=["staging", "production"])
def plan(request: pytest.FixtureRequest, staging_plan: Plan, production_plan: Plan) -> Plan:
    return staging_plan if request.param == "staging" else production_plan


@pytest.fixture(scope="session")
def multi_plan() -> Plan:
    """Production plus a second web service and a CI-owned worker (see tests.helpers.multi_service_plan)."""
    from tests.helpers import multi_service_plan

    return multi_service_plan()


@pytest.fixture(scope="session", name="public_alb_plan")
def public_alb_plan_fixture() -> Plan:
    """Staging with the public-ALB origin mode and its WAF off (see tests.helpers.public_alb_plan)."""
    from tests.helpers import public_alb_plan

    return public_alb_plan()


@pytest.fixture(scope="session")
def twenty_service_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """Production grown to 20 services, through `preview --stack-file` (see tests.helpers.scaled_plan)."""
    from tests.helpers import scaled_plan

    return scaled_plan(tmp_path_factory.mktemp("twenty-services"), 20)
