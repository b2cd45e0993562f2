"""Property-based: generated stack files, valid and invalid, through the same path `dev.py preview` takes.

- Every invalid file makes `preview` exit 1 with a message naming a key it broke, never a traceback.
- Every valid file validates (no render: renders cost seconds); a couple render end to end.
- Any text (corrupted stack files) fails with the file or a key named, or validates.

The suite keeps the example budget small. A longer run:
    CONFIG_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest tests/test_config_properties.py -p no:randomly -n 0
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import re
import string
import tempfile
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from infra.config import ConfigError, load_config
from infra.config.aws_facts import regions
from infra.config.errors import Problem
from infra.config.model import ServiceConfig, StackConfig
from offline import cli, project
from offline.project import StackFileError, load_stack

LONG = int(os.environ.get("CONFIG_FUZZ_EXAMPLES", "0"))


def budget(examples: int) -> settings:
    return settings(
        max_examples=LONG or examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


BASES = {name: yaml.safe_load((project.ROOT / f"Pulumi.{name}.yaml").read_text()) for name in ("staging", "production")}
Doc = dict[str, Any]
Mutation = Callable[[Doc], None]


@contextlib.contextmanager
def project_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "Pulumi.yaml").write_text(f"name: app-platform\nruntime: python\nmain: {project.ROOT / 'infra'}/\n")
        with mock.patch.object(project, "ROOT", root):
            yield root


def preview(root: Path, text: str, *extra: str) -> tuple[int, str]:
    (root / "Pulumi.gen.yaml").write_text(text)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["preview", "gen", "--out", str(root / "out"), "--no-policy", *extra])
    return code, err.getvalue()


def validate(root: Path, text: str) -> None:
    """What preview checks before the program declares anything, without rendering."""
    (root / "Pulumi.gen.yaml").write_text(text)
    stack = load_stack("gen", root)
    load_config(stack.config, set(stack.secret_keys))


def section(doc: Doc, key: str) -> dict[str, Any]:
    config: dict[str, Any] = doc["config"]
    value = config.setdefault(f"app-platform:{key}", {})
    assert isinstance(value, dict)
    return value


def api(doc: Doc) -> dict[str, Any]:
    service: dict[str, Any] = section(doc, "services")["api"]
    return service


# -- valid mutations --------------------------------------------------------------------------------------------
TAG = string.ascii_letters + string.digits + " _.:/=+-@"
ZONES = sorted(name for name, region in regions().items() if len(region.zone_ids) >= 3 and name != "eu-central-1")
ORDINARY = st.sampled_from(["info", "true", "3", "https://api.example.com/v1", "eu-west-1", "a,b,c", "/var/data"])


def set_owner(value: str) -> Mutation:
    return lambda doc: doc["config"].__setitem__("app-platform:owner", value)


def set_region(region: str) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc["config"]["aws:region"] = region
        section(doc, "network")["azCount"] = 3 if "production" in str(doc["config"]) else 2

    return mutate


def add_service(name: str, port: int, host: bool) -> Mutation:
    def mutate(doc: Doc) -> None:
        service: dict[str, Any] = {"image": {"uri": "public.ecr.aws/nginx/nginx:1.27"}, "containerPort": port}
        service["pathPatterns"] = [f"/{name}/*"]
        service["healthCheckPath"] = f"/{name}/health"  # routed: production's blue/green smoke test calls it
        if host:
            service["hostHeaders"] = [f"{name}.example.com"]
        section(doc, "services")[name] = service

    return mutate


def set_environment(values: dict[str, str]) -> Mutation:
    return lambda doc: api(doc).__setitem__("environment", values)


def add_schedule(zone: str) -> Mutation:
    entry = {"name": "night", "schedule": "cron(0 22 * * ? *)", "minCount": 2, "maxCount": 4, "timezone": zone}
    return lambda doc: api(doc).setdefault("autoscaling", {}).__setitem__("schedules", [entry])


valid_mutations = st.one_of(
    st.text(TAG, min_size=1, max_size=40).filter(lambda v: not v.lower().startswith("aws:")).map(set_owner),
    st.sampled_from(ZONES).map(set_region),
    st.builds(
        add_service,
        st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(lambda n: n != "api"),
        st.integers(1024, 65535),
        st.booleans(),
    ),
    st.dictionaries(st.sampled_from(["LOG_LEVEL", "REGION", "FEATURES", "UPSTREAM", "DATA_DIR"]), ORDINARY).map(
        set_environment
    ),
    st.sampled_from(["UTC", "Europe/Dublin", "America/New_York", "Asia/Tokyo"]).map(add_schedule),
)


# -- invalid mutations: each breaks one rule and names the key it expects to be blamed ----------------------
Breaking = tuple[str, Mutation]


def _set(key: str, value: Any) -> Mutation:
    return lambda doc: doc["config"].__setitem__(key, value)


def _delete(key: str) -> Mutation:
    return lambda doc: doc["config"].pop(key, None)


def _api(**fields: Any) -> Mutation:
    return lambda doc: api(doc).update(fields)


def namespace_typo(namespace: str) -> Breaking:
    return f"{namespace}:owner", _set(f"{namespace}:owner", "x")


def project_region(region: str) -> Breaking:
    return "app-platform:region", _set("app-platform:region", region)


def unknown_region(region: str) -> Breaking:
    return "aws:region", _set("aws:region", region)


def too_many_zones(region: str) -> Breaking:
    def mutate(doc: Doc) -> None:
        doc["config"]["aws:region"] = region
        section(doc, "network")["azCount"] = 5

    return "app-platform:network.azCount", mutate


def bad_tag(characters: str) -> Breaking:
    return "app-platform:owner", _set("app-platform:owner", f"team{characters}")


def bad_host(header: str) -> Breaking:
    return "app-platform:services.api.hostHeaders[0]", _api(hostHeaders=[header])


def bad_path(pattern: str) -> Breaking:
    return "app-platform:services.api.pathPatterns[0]", _api(pathPatterns=[pattern])


def credential(value: str) -> Breaking:
    return "app-platform:services.api.environment.DATABASE_URL", _api(environment={"DATABASE_URL": value})


def bad_zone(zone: str) -> Breaking:
    return "app-platform:services.api.autoscaling.schedules[0].timezone", add_schedule(zone)


def bad_context(context: str) -> Breaking:
    return "app-platform:services.api.image.context", _api(image={"context": context})


def min_above_max(count: int) -> Breaking:
    return "app-platform:services.api.minCount", _api(minCount=count + 1, maxCount=count)


def missing(key: str) -> Breaking:
    return key, _delete(key)


def unknown_setting(name: str) -> Breaking:
    return f"app-platform:network.{name}", lambda doc: section(doc, "network").__setitem__(name, 1)


def shared_priority(priority: int) -> Breaking:
    def mutate(doc: Doc) -> None:
        admin = {"image": {"context": "app"}, "containerPort": 8081, "pathPatterns": ["/admin/*"], "priority": priority}
        admin["healthCheckPath"] = "/admin/health"  # routed: production's blue/green smoke test calls it
        section(doc, "services")["admin"] = admin
        api(doc)["priority"] = priority

    return "app-platform:services.api.priority", mutate


invalid_mutations = st.one_of(
    st.sampled_from(["app-platfrom", "app-platfom", "ap-platform", "awss", "kubernetes"]).map(namespace_typo),
    st.sampled_from([*ZONES, "eu-west-1"]).map(project_region),
    st.sampled_from(["eu-west-9", "mars-1", "eu-wset-1", "US-EAST-1"]).map(unknown_region),
    st.sampled_from(["us-west-1", "eu-west-1"]).map(too_many_zones),
    st.text("<>;#%*!?{}", min_size=1, max_size=3).map(bad_tag),
    st.sampled_from(["localhost", "api example.com", "example.c0m", "https://x.example.com"]).map(bad_host),
    st.sampled_from(["api/*", "/a b", "/%20", "/" + "a" * 130]).map(bad_path),
    st.sampled_from(["postgres://app:hunter2@db:5432/app", "AKIAIOSFODNN7EXAMPLE", "sk_live_51HabcdefGHIJ"]).map(
        credential
    ),
    st.sampled_from(["Europe/Dublni", "CEST", "Mars/Olympus"]).map(bad_zone),
    st.sampled_from(["nope", "docs", "app/Dockerfile"]).map(bad_context),
    st.integers(2, 50).map(min_above_max),
    st.sampled_from(["app-platform:owner", "app-platform:costCenter", "app-platform:domain", "aws:region"]).map(
        missing
    ),
    st.sampled_from(["natGateway", "azcount", "cidrs"]).map(unknown_setting),
    st.integers(1, 50000).map(shared_priority),
)


def apply(base: str, mutations: list[Mutation]) -> str:
    doc = copy.deepcopy(BASES[base])
    for mutate in mutations:
        mutate(doc)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@budget(25)
@given(
    base=st.sampled_from(sorted(BASES)),
    valid=st.lists(valid_mutations, max_size=3),
    broken=st.lists(invalid_mutations, min_size=1, max_size=2),
)
def test_invalid_stack_files_exit_1_naming_a_key(
    base: str, valid: list[Mutation], broken: list[tuple[str, Mutation]]
) -> None:
    text = apply(base, [*valid, *(mutate for _, mutate in broken)])
    with project_root() as root:
        code, err = preview(root, text)
    assert code == cli.EXIT_CONFIG, err
    assert "Traceback" not in err
    assert any(key in err for key, _ in broken), (err, [key for key, _ in broken])


@budget(25)
@given(base=st.sampled_from(sorted(BASES)), valid=st.lists(valid_mutations, max_size=4))
def test_valid_stack_files_validate(base: str, valid: list[Mutation]) -> None:
    with project_root() as root:
        validate(root, apply(base, valid))


@budget(1)  # a render costs seconds; CONFIG_FUZZ_EXAMPLES raises it with the others
@given(valid=st.lists(valid_mutations, min_size=1, max_size=3))
def test_valid_stack_files_render(valid: list[Mutation]) -> None:
    with project_root() as root:
        code, err = preview(root, apply("staging", valid))
        assert code == cli.EXIT_OK, err
        assert (root / "out" / "gen.plan.json").is_file()


STAGING = (project.ROOT / "Pulumi.staging.yaml").read_text()
edits = st.tuples(
    st.integers(0, len(STAGING)), st.integers(0, 12), st.text(string.printable + "\u00e9\u2028", max_size=6)
)


@budget(60)
@given(edits=st.lists(edits, min_size=1, max_size=4))
def test_any_text_fails_with_the_file_or_a_key_or_validates(edits: list[tuple[int, int, str]]) -> None:
    text = STAGING
    for position, cut, insert in edits:
        at = min(position, len(text))
        text = text[:at] + insert + text[at + cut :]
    with project_root() as root:
        try:
            validate(root, text)
        except StackFileError as exc:
            assert "Pulumi.gen.yaml" in str(exc) or "stack name" in str(exc)
        except ConfigError as exc:
            assert exc.problems and all(":" in problem.key for problem in exc.problems)


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_generators_start_from_valid_files(base: str) -> None:
    with project_root() as root:
        validate(root, apply(base, []))


# -- any value at any setting ---------------------------------------------------------------------------------
def setting_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every settable path of the model, in the stack file's spelling (services as `api`)."""
    for name, field in model.model_fields.items():
        key = (*prefix, field.alias or name)
        nested = [a for a in (field.annotation, *typing.get_args(field.annotation)) if _is_model(a)]
        yield key  # the whole section too: `app-platform:services: 5` is input as well
        if name == "services":
            yield (*key, "api")
            yield from setting_paths(ServiceConfig, (*key, "api"))
        elif nested:
            yield from setting_paths(nested[0], key)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


PATHS = sorted(set(setting_paths(StackConfig)) - {("region",), ("secrets",)})
SECTIONS = [path for path in PATHS if len(path) == 1]  # drawn as often as all nested paths together
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True), st.text(max_size=30),
    st.lists(st.one_of(st.integers(), st.text(max_size=8)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


def set_path(doc: Doc, path: tuple[str, ...], value: Any) -> None:
    node = doc["config"].setdefault(f"app-platform:{path[0]}", {})
    if len(path) == 1:
        doc["config"][f"app-platform:{path[0]}"] = value
        return
    for part in path[1:-1]:
        node = node.setdefault(part, {}) if isinstance(node.get(part), dict) or part not in node else node[part]
    node[path[-1]] = value


def names_the_setting(problem: Problem, section: str) -> bool:
    """The problem is the setting's own, or a rule across two settings that names it in its text (a valid
    `logRetentionDays: 150` is blamed on `securityLogRetentionDays = 90`, which must outlive it)."""
    key = f"app-platform:{section}"
    return problem.key.startswith(key) or re.search(rf"(?<![\w.:]){re.escape(section)}\b", problem) is not None


@budget(60)
@given(base=st.sampled_from(sorted(BASES)), path=st.sampled_from(SECTIONS) | st.sampled_from(PATHS), value=VALUES)
@example(base="staging", path=("logRetentionDays",), value=150)  # found by a suite run: the cross-setting rule
def test_any_value_at_any_setting_loads_or_names_its_section(base: str, path: tuple[str, ...], value: Any) -> None:
    doc = copy.deepcopy(BASES[base])
    set_path(doc, path, value)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    with project_root() as root:
        try:
            validate(root, text)
        except StackFileError as exc:
            assert "Pulumi.gen.yaml" in str(exc)
        except ConfigError as exc:
            assert any(names_the_setting(problem, path[0]) for problem in exc.problems), exc.problems
        else:
            if LONG:  # the long run also renders what validates: no traceback past validation either
                code, err = preview(root, text)
                assert code == cli.EXIT_OK, err


SHAPES: list[Any] = [None, True, 0, -1, 1.5, float("inf"), "", "x", "0", [], [1], ["x"], {}, {"a": 1}, {"api": 1}]


@pytest.mark.parametrize(("index", "value"), list(enumerate(SHAPES)), ids=repr)
def test_every_setting_with_every_shape_loads_or_names_its_section(index: int, value: Any) -> None:
    """Exhaustive where the random walk is thin: each settable path gets each JSON shape (the stacks take turns)."""
    base = sorted(BASES)[index % 2]
    for path in PATHS:
        doc = copy.deepcopy(BASES[base])
        set_path(doc, path, value)
        config = {k: _as_text(v) for k, v in doc["config"].items() if v is not None}
        try:
            load_config(config, set())
        except ConfigError as exc:
            assert any(p.key.startswith(f"app-platform:{path[0]}") for p in exc.problems), (path, exc.problems)


def _as_text(value: Any) -> str:
    """What the stack file reader hands the program (offline.project)."""
    return project._as_config_text(value)
