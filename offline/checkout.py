"""Render every stack of this checkout in one process: plans and policy reports, the SDK imported once.

    python -m offline checkout [--stacks staging production] [--out DIR] [--no-policy]

A pull request is judged by rendering the base checkout with the base's code and the head checkout with the
head's, so a change to the renderer shows in its own diff instead of hiding itself. This command renders the
checkout its own code lives in (the stack files beside `offline/`), and refuses to run when the program's
packages were imported from somewhere else (another checkout's editable install, for instance).

While one stack renders, the previous one's policy run goes on beside it: the pack is a separate process,
so on two cores the runs cost little more than the renders.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from offline.project import ROOT

if TYPE_CHECKING:
    from offline.plan import Plan
    from offline.policy_runner import PolicyRun

PROGRAM_PACKAGES = ("infra", "components", "policies")


class CheckoutError(Exception):
    """A stack of the checkout cannot be rendered or judged: bad stack file, configuration or policy config."""


@dataclass
class StackResult:
    stack: str
    plan_path: Path
    resources: int
    render_seconds: float
    policy: PolicyRun | None = None
    policy_seconds: float = 0.0
    reports: list[Path] = field(default_factory=list)


def stacks_of(root: Path = ROOT) -> list[str]:
    """Every stack of the checkout: one per Pulumi.<stack>.yaml beside Pulumi.yaml."""
    return sorted(path.name.split(".")[1] for path in root.glob("Pulumi.*.yaml"))


def check_own_code(root: Path = ROOT, packages: Iterable[str] = PROGRAM_PACKAGES) -> None:
    """The program, components and pack must come from this checkout, or its plans would show other code."""
    import importlib

    for name in packages:
        module = importlib.import_module(name)
        location = Path(module.__file__ or next(iter(module.__path__))).resolve()
        if not location.is_relative_to(root.resolve()):
            raise CheckoutError(
                f"{name} is imported from {location.parent}, not from the checkout {root}: run the command "
                "from the checkout's own directory (`python -m offline checkout`)"
            )


def render_checkout(
    stacks: Sequence[str] | None, out: Path, *, policy: bool = True, echo: bool = True
) -> list[StackResult]:
    """Render each stack, write its plan to `out`, and run the policy pack over it beside the next render."""
    from infra.config import ConfigError
    from offline.project import StackFileError, explain, load_stack
    from offline.render import render

    names = list(stacks or stacks_of())
    if not names:
        raise CheckoutError(f"no Pulumi.<stack>.yaml in {ROOT}")
    check_own_code()
    results: list[StackResult] = []
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="policy") as pool:
        for name in names:
            started = time.perf_counter()
            try:
                plan = render(name)
            except StackFileError as exc:
                raise CheckoutError(f"stack {name}: {exc}") from exc
            except ConfigError as exc:  # names the keys, with file and line
                raise CheckoutError(f"stack {name}: {explain(exc.problems, load_stack(name))}") from exc
            result = StackResult(name, out / f"{name}.plan.json", len(plan.resources), time.perf_counter() - started)
            plan.write(result.plan_path)
            results.append(result)
            _say(echo, f"{name}: {result.resources} resources rendered in {result.render_seconds:.2f} s")
            if policy:
                pending.append(pool.submit(_judge, plan, result, out, echo))
        for job in pending:
            job.result()  # re-raises a policy run's error here (a PackError if the pack could not start)
    return results


def _judge(plan: Plan, result: StackResult, out: Path, echo: bool) -> None:
    from offline.policy_model import Level, Outcome
    from offline.policy_runner import PolicyConfigError, config_path, run_pack, write_reports

    started = time.perf_counter()
    config = config_path(plan.stack)
    try:
        run = run_pack(plan, config if config.is_file() else None)
    except PolicyConfigError as exc:
        raise CheckoutError(f"stack {plan.stack}: policy: {exc}") from exc
    result.policy, result.policy_seconds = run, time.perf_counter() - started
    result.reports = write_reports(run, out)
    advisory = run.count(Outcome.VIOLATION, Level.ADVISORY)
    _say(
        echo,
        f"{plan.stack}: policy pack judged {run.resource_count} resources in {result.policy_seconds:.2f} s: "
        f"{len(run.mandatory_violations)} mandatory and {advisory} advisory violations",
    )


def _say(echo: bool, line: str) -> None:
    if echo:
        print(line, flush=True)
