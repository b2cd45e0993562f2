"""`python -m offline cost PLAN [--base PLAN] ...`: estimate a plan, write the reports, check the budget."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from offline.cost.estimate import Estimate, compare, estimate
from offline.cost.prices import DEFAULT_TABLE, PriceTableError, load_table
from offline.cost.report import summary, to_json, to_markdown, usd
from offline.cost.usage import UsageError, default_usage_path, load_usage
from offline.plan import Plan

EXIT_OK, EXIT_USAGE, EXIT_BUDGET = 0, 2, 5


def estimate_plan(plan: Plan, usage_file: Path | None = None, table_file: Path = DEFAULT_TABLE) -> Estimate:
    """The estimate of a plan with the stack's usage file (cost/usage.<stack>.yaml) unless one is given."""
    usage, usage_path = load_usage(usage_file or default_usage_path(plan.stack))
    return estimate(plan, load_table(table_file), usage, usage_path)


def run(
    plan_path: Path,
    *,
    base_path: Path | None,
    usage_file: Path | None,
    json_path: Path | None,
    markdown_path: Path | None,
    budget: float | None,
) -> int:
    try:
        head_plan = Plan.read(plan_path)
        base_plan = Plan.read(base_path) if base_path else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: cannot read plan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if base_plan is not None and base_plan.stack != head_plan.stack:
        print(
            f"error: {base_path} is stack {base_plan.stack!r} but {plan_path} is {head_plan.stack!r}", file=sys.stderr
        )
        return EXIT_USAGE
    if usage_file is not None and not usage_file.is_file():
        print(f"error: usage file {usage_file} does not exist", file=sys.stderr)
        return EXIT_USAGE
    try:
        head = estimate_plan(head_plan, usage_file)
        base = estimate_plan(base_plan, usage_file) if base_plan else None
    except (UsageError, PriceTableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    delta = compare(base, head) if base else None
    markdown = to_markdown(head, delta)
    if markdown_path is None:
        print(markdown)
    else:
        _write(markdown_path, markdown)
        print(summary(head))
    if json_path is not None:
        _write(json_path, json.dumps(to_json(head, delta), indent=2) + "\n")
    if delta is not None:
        print(f"change against {base_path}: {'+' if delta.delta_usd >= 0 else '-'}{usd(abs(delta.delta_usd))}")
    origin = "--budget"
    if budget is None and head.usage.monthly_budget_usd is not None:
        budget, origin = head.usage.monthly_budget_usd, f"monthlyBudgetUsd in {head.usage_path}"
    if budget is not None and head.total_usd > budget:
        print(
            f"error: estimated {usd(head.total_usd)} per month exceeds the budget of {usd(budget)} ({origin})",
            file=sys.stderr,
        )
        return EXIT_BUDGET
    if budget is not None and head.unpriced:
        print(
            f"warning: within the budget of {usd(budget)}, but {len(head.unpriced)} line(s) have no sourced price "
            "and are not in the total",
            file=sys.stderr,
        )
    return EXIT_OK


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
