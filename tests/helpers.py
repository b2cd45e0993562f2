"""Small readers over recorded plans and stack config, shared by the tests."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from offline import checkout as checkout_module
from offline import cli
from offline.benchmark import write_scaled_stack
from offline.checkout import StackResult, render_checkout
from offline.plan import Plan, ResourceRecord
from offline.project import load_stack
from offline.render import render
from tests.shared import ENVIRONMENT, shared


@functools.cache
def rendered(stack: str) -> Plan:
    """The real stack, rendered once per test run and shared (never mutate it: deep-copy first)."""
    return shared(f"render-{stack}", lambda: render(stack))


def policy(record: ResourceRecord, key: str = "policy") -> dict[str, Any]:
    """A JSON policy input, parsed."""
    value = record.inputs[key]
    return json.loads(value) if isinstance(value, str) else dict(value)


def stack_config(stack: str, **sections: Any) -> tuple[dict[str, str], set[str]]:
    """The stack's raw config with whole sections replaced or merged (`network={"azCount": 1}`)."""
    settings = load_stack(stack)
    raw = dict(settings.config)
    for key, value in sections.items():
        full = key if ":" in key else f"app-platform:{key}"
        current = raw.get(full)
        if isinstance(value, dict) and current and current.startswith("{"):
            merged = json.loads(current)
            merged.update(value)
            raw[full] = json.dumps(merged)
        else:
            raw[full] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return raw, set(settings.secret_keys)


def in_component(plan: Plan, component_type: str, type_: str) -> list[ResourceRecord]:
    parents = {r.urn for r in plan.resources if r.type == component_type}
    return [r for r in plan.resources if r.type == type_ and r.parent in parents]


def stack_services(stack: str) -> dict[str, Any]:
    """The `services` map as the stack file sets it (before presets)."""
    return dict(json.loads(load_stack(stack).config["app-platform:services"]))


@functools.cache
def multi_service_plan() -> Plan:
    """Production with a second web service and a CI-owned worker: routing, workers and ownership."""
    overrides = {"app-platform:services": json.dumps(multi_services())}
    return shared("render-multi-service", lambda: render("production", overrides=overrides))


def multi_services() -> dict[str, Any]:
    """The `services` map multi_service_plan renders (a fresh copy: change it freely)."""
    services = stack_services("production")
    services["admin"] = {
        "image": {"uri": "public.ecr.aws/nginx/nginx:1.27"},
        "containerPort": 8081,
        "pathPatterns": ["/admin/*"],
        "priority": 5,
        "autoscaling": {
            "schedules": [{"name": "night", "schedule": "cron(0 22 * * ? *)", "minCount": 2, "maxCount": 4}]
        },
        # A canary release; its health check path is outside /admin/*, so the smoke test calls a routed path.
        "release": {
            "strategy": "canary",
            "bakeMinutes": 10,
            "canary": {"percent": 12.5, "intervalMinutes": 20},
            "smokeTest": {"paths": ["/admin/login"], "timeoutSeconds": 3, "maxLatencyMs": 800},
        },
    }
    services["worker"] = {"image": {"context": "app"}, "deployOwner": "ci", "environment": {"QUEUE": "jobs"}}
    return services


def container(plan: Plan, name: str) -> dict[str, Any]:
    """The single container definition of a service's task definition, parsed."""
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", name)
    containers = json.loads(task.inputs["containerDefinitions"])
    assert len(containers) == 1
    return dict(containers[0])


def env(plan: Plan, name: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(plan, name)["environment"]}


EDGE_REGION = "us-east-1"


def distribution(plan: Plan) -> dict[str, Any]:
    return dict(plan.one("aws:cloudfront/distribution:Distribution").inputs)


def region_of(plan: Plan, urn: str) -> str:
    """The region of the provider a resource was created through."""
    record = plan.by_urn(urn)
    provider = plan.by_urn(record.provider) if record.provider else None
    return str(provider.inputs["region"]) if provider else "?"


def stack_setting(stack: str, key: str) -> Any:
    return json.loads(load_stack(stack).config[f"app-platform:{key}"])


@functools.cache
def public_alb_plan() -> Plan:
    """Staging in the alternative origin mode (public ALB, prefix list, secret header), with its WAF off."""
    edge = {"originMode": "publicAlb", "wafEnabled": False}
    return shared("render-public-alb", lambda: render("staging", overrides={"app-platform:edge": json.dumps(edge)}))


def scaled_plan(folder: Path, services: int) -> Plan:
    """Production grown to `services` services (web and worker mixed, `offline.benchmark.scaled_stack`), rendered
    the way `dev.py preview production --stack-file <file>` renders it."""
    stack_file = write_scaled_stack(folder / f"Pulumi.production-{services}.yaml", services)
    command = ["preview", "production", "--stack-file", str(stack_file), "--out", str(folder), "--no-policy"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(command) == cli.EXIT_OK
    return Plan.read(folder / "production.plan.json")


@dataclasses.dataclass(frozen=True)
class CheckoutRun:
    """One `python -m offline checkout --out <out>`: its exit code, stdout and what it rendered and judged."""

    code: int
    out: Path
    stdout: str
    results: list[StackResult]


@functools.cache
def checkout_run() -> CheckoutRun:
    """The checkout command, run once per test run: its two pack runs are the ones the policy tests read
    (`stack_runs`), instead of two more pack processes (about 4 s of CPU each)."""
    return shared("checkout", _checkout)


def _checkout() -> CheckoutRun:
    folder = os.environ.get(ENVIRONMENT)
    out = Path(folder) / "checkout" if folder else Path(tempfile.mkdtemp(prefix="checkout-"))
    recorded: list[StackResult] = []

    def recording(*args: Any, **kwargs: Any) -> list[StackResult]:
        recorded.extend(render_checkout(*args, **kwargs))
        return recorded

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), mock.patch.object(checkout_module, "render_checkout", recording):
        code = cli.main(["checkout", "--out", str(out)])
    return CheckoutRun(code, out, stdout.getvalue(), recorded)
