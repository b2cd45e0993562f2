"""Issue #22, config: `services.<name>.release` (strategy, bake time, canary, linear, smoke test). Every value ECS
limits is refused with the key that holds it, file and line included, before anything renders; presets give
production blue/green with a bake time and staging rolling; workers always roll."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.config import ConfigError, load_config
from infra.config.errors import Problem
from offline import project
from offline.project import explain, load_stack
from tests.helpers import stack_config

PRODUCTION_FILE = (project.ROOT / "Pulumi.production.yaml").read_text()
PRODUCTION_API = {"image": {"context": "app"}, "containerPort": 8080, "cpu": 1024, "memory": 2048}


def api(stack: str = "production", **fields: Any) -> dict[str, Any]:
    base = dict(PRODUCTION_API) if stack == "production" else {"image": {"context": "app"}, "containerPort": 8080}
    return {**base, **fields}


def loads(stack: str, services: dict[str, Any]) -> Any:
    raw, secrets = stack_config(stack, services=services)
    return load_config(raw, secrets)


def problems(stack: str, services: dict[str, Any]) -> list[Problem]:
    raw, secrets = stack_config(stack, services=services)
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    return info.value.problems


def one(stack: str, services: dict[str, Any]) -> Problem:
    found = problems(stack, services)
    assert len(found) == 1, found
    return found[0]


# -- presets ------------------------------------------------------------------------------------------------
def test_production_defaults_to_blue_green_with_a_bake_time_and_staging_rolls() -> None:
    production = loads("production", {"api": api()}).services["api"].release
    staging = loads("staging", {"api": api("staging")}).services["api"].release
    assert (production.strategy, production.bake_minutes) == ("blue_green", 15)
    assert (staging.strategy, staging.bake_minutes) == ("rolling", None)
    assert production.smoke_test.timeout_seconds == 5 and production.smoke_test.max_latency_ms == 1000


def test_workers_roll_even_where_the_preset_is_blue_green() -> None:
    worker = {"image": {"context": "app"}, "deployOwner": "ci"}
    config = loads("production", {"api": api(), "worker": worker})
    assert config.services["worker"].release.strategy == "rolling"
    assert config.services["api"].release.strategy == "blue_green"


def test_another_strategy_replaces_the_preset_section_whole() -> None:
    """Production's preset bake time belongs to its blue/green default: choosing rolling drops it, not refuses."""
    config = loads("production", {"api": api(release={"strategy": "rolling"})})
    assert config.services["api"].release.bake_minutes is None
    canary = {"strategy": "canary", "bakeMinutes": 0, "canary": {"percent": 0.1, "intervalMinutes": 1440}}
    release = loads("production", {"api": api(release=canary)}).services["api"].release
    assert (release.canary.percent, release.canary.interval_minutes, release.bake_minutes) == (0.1, 1440, 0)


def test_linear_loads_with_its_values() -> None:
    linear = {"strategy": "linear", "bakeMinutes": 30, "linear": {"stepPercent": 3.0, "intervalMinutes": 0}}
    release = loads("production", {"api": api(release=linear)}).services["api"].release
    assert (release.linear.step_percent, release.linear.interval_minutes, release.bake_minutes) == (3.0, 0, 30)


# -- AWS limits, each with the key that holds it ------------------------------------------------------------
@pytest.mark.parametrize(
    ("release", "key", "says"),
    [
        ({"strategy": "blue_green", "bakeMinutes": 1441}, "release.bakeMinutes", "less than or equal to 1440"),
        ({"strategy": "blue_green", "bakeMinutes": -1}, "release.bakeMinutes", "greater than or equal to 0"),
        ({"strategy": "blue_green", "bakeMinutes": "soon"}, "release.bakeMinutes", "valid integer"),
        ({"strategy": "blue_green", "bakeMinutes": 2.5}, "release.bakeMinutes", "valid integer"),
        ({"strategy": "Blue_Green", "bakeMinutes": 5}, "release.strategy", "'rolling', 'blue_green'"),
        ({"strategy": "codedeploy"}, "release.strategy", "'canary' or 'linear'"),
        (
            {"strategy": "canary", "bakeMinutes": 5, "canary": {"percent": 0.05, "intervalMinutes": 5}},
            "release.canary.percent",
            "0.1..100",
        ),
        (
            {"strategy": "canary", "bakeMinutes": 5, "canary": {"percent": 100.1, "intervalMinutes": 5}},
            "release.canary.percent",
            "0.1..100",
        ),
        (
            {"strategy": "canary", "bakeMinutes": 5, "canary": {"percent": 10.05, "intervalMinutes": 5}},
            "release.canary.percent",
            "multiples of 0.1",
        ),
        (
            {"strategy": "canary", "bakeMinutes": 5, "canary": {"percent": 10, "intervalMinutes": 1441}},
            "release.canary.intervalMinutes",
            "less than or equal to 1440",
        ),
        (
            {"strategy": "linear", "bakeMinutes": 5, "linear": {"stepPercent": 2.9, "intervalMinutes": 5}},
            "release.linear.stepPercent",
            "3..100",
        ),
        (
            {"strategy": "linear", "bakeMinutes": 5, "linear": {"stepPercent": 33.33, "intervalMinutes": 5}},
            "release.linear.stepPercent",
            "multiples of 0.1",
        ),
        (
            {"strategy": "linear", "bakeMinutes": 5, "linear": {"stepPercent": 10, "intervalMinutes": -1}},
            "release.linear.intervalMinutes",
            "greater than or equal to 0",
        ),
        (
            {"strategy": "canary", "canary": {"percent": 10, "intervalMinutes": 5}},
            "release.bakeMinutes",
            "missing: strategy canary needs a bake time",
        ),
        ({"strategy": "rolling", "bakeMinutes": 5}, "release.bakeMinutes", "blue_green, canary and linear only"),
        ({"strategy": "canary", "bakeMinutes": 5}, "release.canary", "missing: strategy canary"),
        ({"strategy": "linear", "bakeMinutes": 5}, "release.linear", "missing: strategy linear"),
        (
            {"strategy": "blue_green", "bakeMinutes": 5, "canary": {"percent": 10, "intervalMinutes": 5}},
            "release.canary",
            "strategy canary only",
        ),
        (
            {
                "strategy": "canary",
                "bakeMinutes": 5,
                "canary": {"percent": 10, "intervalMinutes": 5},
                "linear": {"stepPercent": 10, "intervalMinutes": 5},
            },
            "release.linear",
            "strategy linear only",
        ),
        ({"strategy": "blue_green", "bakeMinutes": 5, "bakeTime": 5}, "release.bakeTime", "did you mean"),
    ],
)
def test_release_values_aws_refuses_name_their_key(release: dict[str, Any], key: str, says: str) -> None:
    problem = one("production", {"api": api(release=release)})
    assert problem.key == f"app-platform:services.api.{key}", problem
    assert says in problem, problem


def test_a_worker_asking_for_blue_green_is_refused_by_name() -> None:
    worker = {"image": {"context": "app"}, "release": {"strategy": "blue_green", "bakeMinutes": 5}}
    problem = one("production", {"api": api(), "worker": worker})
    assert problem.key == "app-platform:services.worker.release.strategy"
    assert "worker (no containerPort) can only use rolling" in problem
    canary = {"strategy": "canary", "bakeMinutes": 5, "canary": {"percent": 5, "intervalMinutes": 5}}
    staging_worker = {"image": {"context": "app"}, "release": canary}
    assert one("staging", {"w": staging_worker}).key == "app-platform:services.w.release.strategy"


@pytest.mark.parametrize(("key", "value", "wanted"), [("minimumHealthyPercent", 50, 100), ("maximumPercent", 150, 200)])
def test_rolling_knobs_must_describe_what_blue_green_does(key: str, value: int, wanted: int) -> None:
    problem = one("production", {"api": api(deployment={key: value})})
    assert problem.key == f"app-platform:services.api.deployment.{key}" and f"must be {wanted}" in problem
    # Staging rolls with a 50% floor; asking it for blue/green names the floor too (set by the preset).
    release = {"strategy": "blue_green", "bakeMinutes": 5}
    staging = one("staging", {"api": api("staging", release=release)})
    assert staging.key == "app-platform:services.api.deployment.minimumHealthyPercent"
    assert loads("staging", {"api": api("staging", release=release, deployment={"minimumHealthyPercent": 100})})


def test_smoke_paths_must_be_reachable_through_the_test_rule() -> None:
    smoke = {"strategy": "blue_green", "bakeMinutes": 5, "smokeTest": {"paths": ["/admin/x", "/other"]}}
    problem = one("production", {"api": api(pathPatterns=["/admin/*"], healthCheckPath="/admin/health", release=smoke)})
    assert problem.key == "app-platform:services.api.release.smokeTest.paths[1]" and "404" in problem
    # Health outside the routed paths and nothing else to call: the smoke test would test nothing.
    problem = one("production", {"api": api(pathPatterns=["/admin/*"])})
    assert problem.key == "app-platform:services.api.release.smokeTest.paths"
    assert "nothing to call" in problem
    ok = {"strategy": "blue_green", "bakeMinutes": 5, "smokeTest": {"paths": ["/admin/ping"]}}
    service = loads("production", {"api": api(pathPatterns=["/admin/*"], release=ok)}).services["api"]
    assert service.smoke_paths() == ["/admin/ping"]  # /health is not routed, so not called
    assert loads("production", {"api": api()}).services["api"].smoke_paths() == ["/health"]


@pytest.mark.parametrize(
    ("smoke", "key", "says"),
    [
        ({"paths": ["health"]}, "paths[0]", "starts with '/'"),
        ({"paths": ["/a b"]}, "paths[0]", "no spaces"),
        ({"paths": ["/api/*"]}, "paths[0]", "wildcards"),
        ({"paths": [f"/p{i}" for i in range(11)]}, "paths", "at most 10"),
        ({"timeoutSeconds": 0}, "timeoutSeconds", "greater than or equal to 1"),
        ({"timeoutSeconds": 31}, "timeoutSeconds", "less than or equal to 30"),
        ({"maxLatencyMs": 30_001, "timeoutSeconds": 30}, "maxLatencyMs", "less than or equal to 30000"),
        # The routed /health makes 10 with these 9: the hook's maximum; 4 x 30 s plus the answer margin does not
        # fit the hook function's 120 s, 3 x 30 s does.
        ({"paths": [f"/p{i}" for i in range(10)]}, "paths", "1 to 10 paths"),
        ({"paths": ["/a", "/b", "/c"], "timeoutSeconds": 30}, "timeoutSeconds", "exceeds the hook's 120 s timeout"),
        ({"timeoutSeconds": 2, "maxLatencyMs": 2001}, "maxLatencyMs", "exceeds timeoutSeconds"),
        ({"maxLatencyMs": 0}, "maxLatencyMs", "greater than or equal to 1"),
    ],
)
def test_smoke_test_limits_name_their_key(smoke: dict[str, Any], key: str, says: str) -> None:
    release = {"strategy": "blue_green", "bakeMinutes": 5, "smokeTest": smoke}
    problem = one("production", {"api": api(release=release)})
    assert problem.key == f"app-platform:services.api.release.smokeTest.{key}", problem
    assert says in problem


def test_the_largest_smoke_test_the_hook_takes_loads() -> None:
    release = {"strategy": "blue_green", "bakeMinutes": 5, "smokeTest": {"paths": ["/a", "/b"], "timeoutSeconds": 30}}
    service = loads("production", {"api": api(release=release)}).services["api"]
    assert service.smoke_paths() == ["/health", "/a", "/b"]  # 3 x 30 s + 2 s margin <= 120 s
    nine = {"strategy": "blue_green", "bakeMinutes": 5, "smokeTest": {"paths": [f"/p{i}" for i in range(9)]}}
    assert len(loads("production", {"api": api(release=nine)}).services["api"].smoke_paths()) == 10


# -- property-based: the percentages ECS accepts, exactly --------------------------------------------------
def _ecs_accepts(value: float, low: float) -> bool:
    tenths = round(value * 10)
    return low <= value <= 100 and abs(value * 10 - tenths) < 1e-9


@settings(max_examples=40)
@given(percent=st.one_of(st.floats(-5, 110, allow_nan=False), st.integers(-5, 1100).map(lambda t: t / 10)))
def test_canary_percent_loads_exactly_when_ecs_accepts_it(percent: float) -> None:
    release = {"strategy": "canary", "bakeMinutes": 5, "canary": {"percent": percent, "intervalMinutes": 5}}
    raw, secrets = stack_config("production", services={"api": api(release=release)})
    if _ecs_accepts(percent, 0.1):
        assert load_config(raw, secrets).services["api"].release.canary.percent == percent
    else:
        with pytest.raises(ConfigError) as info:
            load_config(raw, secrets)
        assert [p.key for p in info.value.problems] == ["app-platform:services.api.release.canary.percent"]


@settings(max_examples=40)
@given(
    step=st.one_of(st.floats(-5, 110, allow_nan=False), st.integers(0, 1100).map(lambda t: t / 10)),
    minutes=st.integers(-100, 1600),
)
def test_linear_values_load_exactly_when_ecs_accepts_them(step: float, minutes: int) -> None:
    release = {"strategy": "linear", "bakeMinutes": 5, "linear": {"stepPercent": step, "intervalMinutes": minutes}}
    raw, secrets = stack_config("production", services={"api": api(release=release)})
    valid_step, valid_minutes = _ecs_accepts(step, 3.0), 0 <= minutes <= 1440
    if valid_step and valid_minutes:
        assert load_config(raw, secrets).services["api"].release.linear.interval_minutes == minutes
        return
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    keys = {p.key.rsplit(".", 1)[-1] for p in info.value.problems}
    assert keys == {k for k, bad in (("stepPercent", not valid_step), ("intervalMinutes", not valid_minutes)) if bad}


@settings(max_examples=30)
@given(minutes=st.integers(-2000, 3000))
def test_bake_minutes_load_exactly_within_0_to_1440(minutes: int) -> None:
    raw, secrets = stack_config(
        "production", services={"api": api(release={"strategy": "blue_green", "bakeMinutes": minutes})}
    )
    if 0 <= minutes <= 1440:
        assert load_config(raw, secrets).services["api"].release.bake_minutes == minutes
    else:
        with pytest.raises(ConfigError) as info:
            load_config(raw, secrets)
        assert [p.key for p in info.value.problems] == ["app-platform:services.api.release.bakeMinutes"]


# -- file and line ----------------------------------------------------------------------------------------
def test_a_release_error_points_at_the_stack_file_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Pulumi.yaml").write_text(f"name: app-platform\nruntime: python\nmain: {project.ROOT / 'infra'}/\n")
    monkeypatch.setattr(project, "ROOT", tmp_path)
    text = PRODUCTION_FILE.replace(
        "      memory: 2048\n",
        "      memory: 2048\n      release:\n        strategy: blue_green\n        bakeMinutes: 2000\n",
    )
    (tmp_path / "Pulumi.gen.yaml").write_text(text)
    settings_ = load_stack("gen", tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(settings_.config, set(settings_.secret_keys))
    message = explain(info.value.problems, settings_)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "bakeMinutes: 2000" in row)
    assert f"Pulumi.gen.yaml:{line}:9: app-platform:services.api.release.bakeMinutes = 2000" in message


def test_stack_files_keep_their_shape() -> None:
    """The committed production stack sets no release section: the preset's blue/green applies."""
    services = json.loads(load_stack("production").config["app-platform:services"])
    assert "release" not in services["api"]


def test_adopt_belongs_to_a_non_rolling_strategy_only() -> None:
    problem = one("production", {"api": api(release={"strategy": "rolling", "adopt": True})})
    assert problem.key == "app-platform:services.api.release.adopt" and "remove it for rolling" in problem
    adopting = loads("production", {"api": api(release={"strategy": "blue_green", "bakeMinutes": 15, "adopt": True})})
    assert adopting.services["api"].release.adopt is True
    assert loads("production", {"api": api()}).services["api"].release.adopt is False
