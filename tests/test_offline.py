"""The offline engine: plans, the tree, the diff with its stateful warning, and the CLI's exit codes."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import runpy
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import rpc

from infra.config import ConfigError
from offline import cli
from offline import render as render_module
from offline.benchmark import scaled_stack
from offline.checkout import CheckoutError, check_own_code, stacks_of
from offline.diff import diff_plans, to_markdown
from offline.monitor import MonitorReentryError, RecordingMonitor, _clean, _complete, _serialize
from offline.plan import SECRET, Plan, render_tree
from offline.project import OFFLINE_SECRET, load_stack
from offline.render import render
from tests.helpers import checkout_run, stack_config


def write_stack(tmp_path: Path, config: dict[str, str]) -> Path:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(json.dumps({"config": config}))  # JSON is YAML
    return path


def test_plan_round_trips_through_json(staging_plan: Plan, tmp_path: Path) -> None:
    staging_plan.write(tmp_path / "plan.json")
    again = Plan.read(tmp_path / "plan.json")
    assert again.resources == staging_plan.resources and again.outputs == staging_plan.outputs


def test_the_plan_text_is_every_field_of_every_record(plan: Plan) -> None:
    """`to_json` skips `dataclasses.asdict` for speed: its text (and so the reports' plan digest) stays the same."""
    assert plan.to_json() == json.dumps(dataclasses.asdict(plan), indent=2, sort_keys=True, default=str)


def test_a_copied_plan_is_equal_and_shares_nothing(plan: Plan) -> None:
    copied = copy.deepcopy(plan)
    assert copied == plan and copied is not plan
    record = copied.one("aws:ec2/vpc:Vpc")
    record.inputs["cidrBlock"] = "10.99.0.0/16"
    record.dependencies.append("urn:changed")
    assert plan.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"] != "10.99.0.0/16"
    assert "urn:changed" not in plan.one("aws:ec2/vpc:Vpc").dependencies
    holder = copy.deepcopy({"a": plan, "b": plan})
    assert holder["a"] is holder["b"]  # the memo is honoured, as deepcopy's contract says


def test_records_carry_parent_dependencies_and_provider(staging_plan: Plan) -> None:
    network = staging_plan.one("app-platform:network:Network")
    vpc = staging_plan.one("aws:ec2/vpc:Vpc")
    assert vpc.parent == network.urn and not network.custom and vpc.custom
    subnet = staging_plan.of_type("aws:ec2/subnet:Subnet")[0]
    assert vpc.urn in subnet.dependencies
    assert staging_plan.outputs["vpcId"] == vpc.inputs.get("id", staging_plan.outputs["vpcId"])
    assert str(staging_plan.outputs["vpcId"]).startswith("vpc-")
    # Property dependencies say which input a dependency came through (policies join on them).
    service = staging_plan.one("aws:ecs/service:Service", "api")
    task_definition = staging_plan.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    assert service.property_dependencies["taskDefinition"] == [task_definition.urn]
    assert task_definition.urn not in service.property_dependencies["networkConfiguration"]


def test_tree_groups_resources_by_component(staging_plan: Plan) -> None:
    tree = render_tree(staging_plan)
    assert tree.splitlines()[0] == f"app-platform/staging: {len(staging_plan.resources)} resources"
    network_total = sum(1 for r in staging_plan.descendants(staging_plan.one("app-platform:network:Network").urn))
    assert f"app-platform:network:Network  network  ({network_total} resources)" in tree
    assert "aws:ec2/subnet:Subnet  x6" in tree


def test_secure_values_become_secret_placeholders(tmp_path: Path) -> None:
    raw, _ = stack_config("staging")
    config = {k: (json.loads(v) if v.startswith("{") else v) for k, v in raw.items()}
    config["app-platform:secrets"] = {"stripeApiKey": {"secure": "v1:abc"}}
    settings = load_stack("staging", stack_file=write_stack(tmp_path, config))
    assert "app-platform:secrets" in settings.secret_keys
    assert json.loads(settings.config["app-platform:secrets"]) == {"stripeApiKey": OFFLINE_SECRET}


def test_monitor_masks_secret_inputs_and_remembers_where() -> None:
    paths: list[str] = []
    wrapped = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    cleaned = _clean({"secretString": wrapped, "size": 20.0, "arn": rpc.UNKNOWN}, "", paths)
    assert cleaned == {"secretString": SECRET, "size": 20, "arn": "[unknown]"}
    assert paths == ["secretString"]


def test_invalid_config_fails_before_any_resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, _ = stack_config("production", database={"backupRetentionDays": 7})
    config = {k: (json.loads(v) if v.startswith("{") else v) for k, v in raw.items()}
    monitors: list[RecordingMonitor] = []

    def recording(mocks: Any) -> RecordingMonitor:
        monitors.append(RecordingMonitor(mocks))
        return monitors[-1]

    monkeypatch.setattr(render_module, "RecordingMonitor", recording)
    with pytest.raises(ConfigError, match=r"app-platform:database\.backupRetentionDays = 7"):
        render("production", stack_file=write_stack(tmp_path, config))
    assert monitors and monitors[0].records == []


def test_in_place_change_is_an_update(staging_plan: Plan) -> None:
    raw, secrets = stack_config("staging", securityLogRetentionDays="180")  # flow logs are security logs
    changed = render_module.render_settings(
        render_module.StackSettings("app-platform", "staging", render_module.ROOT / "infra", raw, frozenset(secrets))
    )
    result = diff_plans(staging_plan, changed)
    group = next(c for c in result.changes if c.name == "network-flow-logs" and c.type.endswith("LogGroup"))
    assert group.action == "update" and [p.path for p in group.changes] == ["retentionInDays"]
    assert not result.destructive
    assert "No changes." in to_markdown(diff_plans(staging_plan, staging_plan))


def test_stateful_replacement_and_deletion_are_flagged_first(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    key = next(r for r in head.resources if r.type == "aws:kms/key:Key" and r.name == "logs")
    key.inputs["customerMasterKeySpec"] = "RSA_2048"
    head.resources = [r for r in head.resources if r.name != "network-flow-logs" or r.custom is False]
    result = diff_plans(staging_plan, head)
    assert [(c.type, c.action) for c in result.destructive] == [
        ("aws:kms/key:Key", "replace"),
        ("aws:cloudwatch/logGroup:LogGroup", "delete"),
    ]
    markdown = to_markdown(result)
    assert markdown.index("[!CAUTION]") < markdown.index("to create")
    assert "**REPLACE** `aws:kms/key:Key` `logs` (because of `customerMasterKeySpec`)" in markdown


def test_an_aliased_rename_is_not_a_deletion(staging_plan: Plan) -> None:
    head = copy.deepcopy(staging_plan)
    group = next(r for r in head.resources if r.type.endswith("logGroup:LogGroup"))
    old_urn = group.urn
    group.urn = old_urn.replace("network-flow-logs", "vpc-flow-logs")
    group.aliases = [old_urn]
    assert not diff_plans(staging_plan, head).destructive


@pytest.mark.usefixtures("collector_enabled")
def test_cli_preview_prints_tree_and_writes_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The pack's part of `preview` (3.5 s of CPU) runs in test_commands' `dev.py preview staging`, in a process
    # of its own as users run it, and in tests/policies/test_runner.py's `policy` command tests.
    assert cli.main(["preview", "staging", "--out", str(tmp_path), "--no-policy"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "app-platform:network:Network" in out
    assert Plan.read(tmp_path / "staging.plan.json").stack == "staging"
    assert gc.isenabled()  # the render pauses the collector and gives it back (only `python -m offline` turns it off)


def test_cli_exit_codes(tmp_path: Path, staging_plan: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["preview", "nosuchstack", "--out", str(tmp_path)]) == cli.EXIT_CONFIG
    assert "stacks here: production, staging" in capsys.readouterr().err
    head = copy.deepcopy(staging_plan)
    head.resources = [r for r in head.resources if r.type != "aws:kms/key:Key"]
    staging_plan.write(tmp_path / "base.json")
    head.write(tmp_path / "head.json")
    args = [
        "diff",
        str(tmp_path / "base.json"),
        str(tmp_path / "head.json"),
        "--markdown",
        str(tmp_path / "d.md"),
    ]
    assert cli.main(args) == cli.EXIT_OK
    assert cli.main([*args, "--fail-on-stateful"]) == cli.EXIT_STATEFUL
    assert "**DELETE** `aws:kms/key:Key`" in (tmp_path / "d.md").read_text()
    (tmp_path / "bad.json").write_text("{}")
    assert cli.main(["diff", str(tmp_path / "bad.json"), str(tmp_path / "head.json")]) == cli.EXIT_USAGE


@pytest.fixture
def collector_enabled() -> Generator[None]:
    """The collector on, as in a fresh interpreter (the test workers run without it), and restored afterwards."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        (gc.enable if was_enabled else gc.disable)()


@pytest.mark.usefixtures("collector_enabled")
def test_the_cli_process_runs_without_automatic_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m offline` turns the collector off before its command runs (docs/benchmark.md)."""
    seen: list[bool] = []
    monkeypatch.setattr(cli, "main", lambda: seen.append(gc.isenabled()) or cli.EXIT_CONFIG)
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("offline", run_name="__main__")
    assert seen == [False] and exited.value.code == cli.EXIT_CONFIG  # main ran once, and its status is the exit


@pytest.mark.usefixtures("collector_enabled")
def test_the_cli_called_from_python_leaves_the_collector_alone(tmp_path: Path) -> None:
    assert cli.main(["preview", "nosuchstack", "--out", str(tmp_path)]) == cli.EXIT_CONFIG
    (tmp_path / "bad.json").write_text("{}")
    assert cli.main(["diff", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]) == cli.EXIT_USAGE
    assert gc.isenabled()


# -- the engine at any size ------------------------------------------------------------------------------------------
PREFIX = "app-platform-production-"


def alarm_names(plan: Plan) -> list[str]:
    alarms = [r for r in plan.resources if r.type.startswith("aws:cloudwatch/") and r.type.endswith("Alarm")]
    return [str(r.inputs.get("alarmName") or r.name) for r in alarms]


def service_alarm_kinds(plan: Plan, service: str) -> set[str]:
    """The alarm kinds named after `service` (`app-platform-production-<service>-<kind>`)."""
    return {
        name.removeprefix(f"{PREFIX}{service}-") for name in alarm_names(plan) if name.startswith(f"{PREFIX}{service}-")
    }


def test_twenty_services_render_with_a_route_per_web_service(twenty_service_plan: Plan) -> None:
    services = scaled_stack(20)["config"]["app-platform:services"]
    web = sorted(name for name, service in services.items() if "containerPort" in service)
    workers = sorted(set(services) - set(web))
    assert len(services) == 20 and len(web) > 10 and len(workers) > 5  # both kinds, as a real platform has
    plan = twenty_service_plan
    assert sorted(r.name for r in plan.of_type("aws:ecs/service:Service")) == sorted(services)
    task_definitions = [r.name for r in plan.of_type("aws:ecs/taskDefinition:TaskDefinition")]
    assert all(task_definitions.count(name) == 1 for name in services)  # one each (beside one-off tasks)
    # Production releases web services blue/green: an alternate group and a test listener rule each.
    groups = sorted(r.name for r in plan.of_type("aws:lb/targetGroup:TargetGroup"))
    assert groups == sorted([*web, *(f"{name}-alt" for name in web)])
    every_rule = {r.name: r.inputs for r in plan.of_type("aws:lb/listenerRule:ListenerRule")}
    assert sorted(every_rule) == sorted([*web, *(f"{name}-test" for name in web)])
    rules = {name: every_rule[name] for name in web}
    for name in web:
        paths = services[name].get("pathPatterns", ["/*"])
        assert rules[name]["conditions"] == [{"pathPattern": {"values": paths}}]
    priorities = [rule["priority"] for rule in rules.values()]
    assert len(set(priorities)) == len(priorities)  # a listener refuses two rules with one priority
    assert len(plan.resources) > 3 * 253  # production alone is 253


def test_twenty_services_each_get_their_alarm_set(twenty_service_plan: Plan, production_plan: Plan) -> None:
    web_kinds = service_alarm_kinds(production_plan, "api")
    load_balancer_alarms = production_plan.one("app-platform:monitoring:LoadBalancerAlarms").urn
    target_kinds = {
        r.name.removeprefix(f"{PREFIX}api-")
        for r in production_plan.children(load_balancer_alarms)
        if "-api-" in r.name
    }
    composites = production_plan.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
    composite_kinds = {str(r.inputs["alarmName"]).removeprefix(f"{PREFIX}api-") for r in composites} & web_kinds
    assert target_kinds and composite_kinds and target_kinds | composite_kinds < web_kinds
    services = scaled_stack(20)["config"]["app-platform:services"]
    for name, service in services.items():
        # A worker has no load balancer: neither its target alarms nor the composite built on them.
        expected = web_kinds if "containerPort" in service else web_kinds - target_kinds - composite_kinds
        assert service_alarm_kinds(twenty_service_plan, name) == expected, name


def test_twenty_service_plan_names_are_unique(twenty_service_plan: Plan) -> None:
    urns = [r.urn for r in twenty_service_plan.resources]
    assert len(urns) == len(set(urns))
    assert urns == sorted(urns)  # deterministic order
    names = alarm_names(twenty_service_plan)
    assert len(names) == len(set(names))
    for type_ in ("aws:ecs/service:Service", "aws:lb/targetGroup:TargetGroup", "aws:iam/role:Role"):
        logical = [r.name for r in twenty_service_plan.of_type(type_)]
        assert len(logical) == len(set(logical)), type_


TINY_PROGRAM = """
import pulumi

class Thing(pulumi.CustomResource):
    def __init__(self, name, props, opts=None):
        super().__init__("tiny:index:Thing", name, props, opts)

class Group(pulumi.ComponentResource):
    def __init__(self, name, size):
        super().__init__("tiny:index:Group", name)
        for i in range(size):
            Thing(f"{name}-{i}", {"index": i}, pulumi.ResourceOptions(parent=self))

for group in range(int(pulumi.Config().require("count")) // 50):
    Group(f"g{group}", 50)
"""


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A program of independent resources: all of them in flight at once, the shape that made the old inline
    executor nest one monitor call inside the next (RecursionError from about 100 resources)."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "Pulumi.yaml").write_text("name: tiny\nruntime: python\nmain: program\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  tiny:count: '50'\n")
    (root / "program").mkdir()
    (root / "program" / "__main__.py").write_text(TINY_PROGRAM)
    return root


def render_tiny(root: Path, count: int) -> tuple[Plan, float]:
    started = time.process_time()
    plan = render("dev", root, overrides={"tiny:count": str(count)})
    return plan, time.process_time() - started


def test_independent_resources_render_without_nesting_and_deterministically(tiny_project: Path) -> None:
    first, _ = render_tiny(tiny_project, 300)  # the old engine's limit was about 100
    again, _ = render_tiny(tiny_project, 300)
    assert len(first.of_type("tiny:index:Thing")) == 300
    assert first.to_json() == again.to_json()


def test_render_cost_is_linear_in_resources(tiny_project: Path) -> None:
    render_tiny(tiny_project, 50)  # warm up
    small = min(render_tiny(tiny_project, 100)[1] for _ in range(2))
    large = render_tiny(tiny_project, 400)[1]
    assert large / small < 8, (small, large)  # 4x the resources: 4x when linear, 16x when quadratic


def test_monitor_calls_cannot_nest() -> None:
    executor = render_module._LoopThreadExecutor()
    inner: list[BaseException | None] = []

    def outer() -> None:
        inner.append(executor.submit(lambda: None).exception())

    with pytest.raises(MonitorReentryError, match="inside another monitor call"):
        executor.submit(outer).result()
    assert executor.submit(lambda: 42).result() == 42  # the guard resets after a refusal


class Pending:
    """An awaitable that suspends once, as an unfinished Output's future does."""

    def __await__(self) -> Generator[None, None, None]:
        yield


def test_mock_answers_that_would_wait_on_the_loop_are_refused() -> None:
    async def waits() -> None:
        await Pending()

    with pytest.raises(MonitorReentryError, match="plain values"):
        _complete(waits())
    assert _serialize({"size": 20, "tags": {"a": "b"}})["size"] == 20


# -- one process per checkout ----------------------------------------------------------------------------------------
def test_checkout_renders_every_stack_and_judges_it_in_one_process(staging_plan: Plan, production_plan: Plan) -> None:
    assert stacks_of() == ["production", "staging"]
    run = checkout_run()  # `python -m offline checkout --out <dir>`, once per test run; the policy tests read it
    assert run.code == cli.EXIT_OK and [r.stack for r in run.results] == ["production", "staging"]
    out, tmp_path = run.stdout, run.out
    assert f"plans and policy reports written to {tmp_path}" in out
    for plan in (staging_plan, production_plan):
        written = Plan.read(tmp_path / f"{plan.stack}.plan.json")
        # The same plan as a render of that stack alone: nothing leaks from one stack's render into the next.
        assert written.resources == plan.resources and written.outputs == plan.outputs
        report = json.loads((tmp_path / f"{plan.stack}.policy.json").read_text())
        assert (report["stack"], report["resource_count"]) == (plan.stack, len(plan.resources))
        assert report["results"] and {r["urn"] for r in report["results"]} <= {r.urn for r in plan.resources} | {
            f"urn:pulumi:{plan.stack}::app-platform::pulumi:pulumi:Stack::app-platform-{plan.stack}"
        }
        assert f"{plan.stack}: {len(plan.resources)} resources rendered" in out
        assert f"{plan.stack}: policy pack judged {len(plan.resources)} resources" in out


def test_checkout_names_the_stack_it_cannot_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["checkout", "--stacks", "nosuchstack", "--out", str(tmp_path)]) == cli.EXIT_CONFIG
    assert "stack nosuchstack: no stack file Pulumi.nosuchstack.yaml" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_checkout_refuses_code_from_another_checkout(tmp_path: Path) -> None:
    check_own_code()  # this checkout's program, components and pack
    with pytest.raises(CheckoutError, match=r"infra is imported from .*, not from the checkout"):
        check_own_code(root=tmp_path, packages=["infra"])


def test_paths_inside_the_checkout_are_recorded_from_its_root_and_no_other_string_is() -> None:
    root = str(render_module.ROOT)
    assert _clean(f"{root}/app", "build.context", []) == "<checkout>/app"
    assert _clean({"b": [f"{root}/app/Dockerfile"]}, "", []) == {"b": ["<checkout>/app/Dockerfile"]}
    for other in (f"{root}2/app", root, f"x{root}/app", "/tmp/app", "app", f"s3://{root}/app"):
        assert _clean(other, "build.context", []) == other
