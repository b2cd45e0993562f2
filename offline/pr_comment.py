"""The pull-request comment: every stack, risk first, within GitHub's comment size limit.

Reads two render directories (base branch and pull request), each holding `<stack>.plan.json` and
`<stack>.policy.json` (and, in the head directory, `<stack>.cost.json` when the cost estimate ran), however they
were produced (`offline checkout`, `offline preview` per stack). Per stack: the risk summary (never shortened),
the counts, the policy section (mandatory violations, findings new against the base by stable identity), the
cost section, then the plan details folded. When the whole does not fit, the optional parts shrink in a fixed
order (plan details first, then the policy lists, then cost) inside a budget per stack, so every stack appears;
the full diff of each stack is written beside the comment for the workflow artifact.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline.diff import (
    PlanDiff,
    ResourceChange,
    body_lines,
    diff_plans,
    rolling_switch_lines,
    to_json,
    to_markdown,
    upgrade_lines,
)
from offline.plan import Plan
from offline.policy_identity import findings, identity, new_since
from offline.policy_model import Level, Outcome, Result
from offline.stateful import RUNBOOK

# GitHub rejects an issue or pull-request comment body over 65,536 characters ("Body is too long (maximum is
# 65536 characters)"): the REST API's 422 validation error and the web form's limit. Source: GitHub community
# discussions and the REST API's error text, read 2026-12-03; not stated on a GitHub docs page.
GITHUB_COMMENT_LIMIT = 65536
ARTIFACT = "offline-plans"
OPT_IN_LABEL = "allow-stateful-change"
# Replacing these interrupts traffic even though they hold no data: the network path, the load balancer and its
# listeners and target groups, the CDN in front (a new distribution gets a new domain name), the DNS record.
TRAFFIC_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/listener:Listener",
        "aws:lb/targetGroup:TargetGroup",
        "aws:cloudfront/distribution:Distribution",
        "aws:cloudfront/vpcOrigin:VpcOrigin",
        "aws:route53/record:Record",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/service:Service",
    }
)
_MESSAGE_CHARS = 300


class InputError(ValueError):
    """A render directory or a file in it cannot be read: the message names the file."""


@dataclass
class StackInput:
    """What one stack contributes to the comment (None: the file was not there)."""

    stack: str
    diff: PlanDiff | None
    problems: list[str] = field(default_factory=list)  # plans missing or unreadable: shown as risks
    head_policy: list[Result] | None = None
    base_policy: list[Result] | None = None
    cost: dict[str, Any] | None = None


# -- reading --------------------------------------------------------------------------------------------------


def stacks_in(base: Path, head: Path) -> list[str]:
    """Every stack with a plan in either directory, staging before production, others by name."""
    names = {p.name.removesuffix(".plan.json") for d in (base, head) for p in d.glob("*.plan.json")}
    order = {"staging": 0, "production": 1}
    return sorted(names, key=lambda n: (order.get(n, 2), n))


def load(stack: str, base: Path, head: Path) -> StackInput:
    head_plan, head_problem = _plan(head / f"{stack}.plan.json", "pull request")
    base_plan, base_problem = _plan(base / f"{stack}.plan.json", "base branch")
    problems = [p for p in (head_problem, base_problem) if p]
    diff = None
    if head_plan is not None:
        # A base branch without this stack (a new stack) diffs against nothing: every resource is created.
        empty = Plan(head_plan.project, stack, [], {})
        diff = diff_plans(base_plan or empty, head_plan)
    return StackInput(
        stack,
        diff,
        problems,
        head_policy=_policy(head / f"{stack}.policy.json"),
        base_policy=_policy(base / f"{stack}.policy.json"),
        cost=_json(head / f"{stack}.cost.json"),
    )


def _plan(path: Path, side: str) -> tuple[Plan | None, str]:
    if not path.is_file():
        return None, f"the {side} has no plan ({path.name}): it did not render (see the job log)"
    try:
        return Plan.read(path), ""
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a plan written by `offline preview`: {exc}") from exc


def _json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data


def _policy(path: Path) -> list[Result] | None:
    data = _json(path)
    if data is None:
        return None
    try:
        return [
            Result(
                policy=r["policy"],
                urn=r["urn"],
                type=r["type"],
                name=r["name"],
                outcome=Outcome(r["outcome"]),
                enforcement=Level(r["enforcement"]),
                message=r.get("message", ""),
            )
            for r in data["results"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a policy report written by `offline policy`: {exc}") from exc


# -- the risk summary (never shortened) -------------------------------------------------------------------------


def traffic(diff: PlanDiff) -> list[ResourceChange]:
    return [c for c in diff.changes if c.type in TRAFFIC_TYPES and c.action in ("replace", "delete")]


def risk_lines(item: StackInput) -> list[str]:
    """Major engine upgrades, refused, stateful, rejected, traffic-interrupting and name-colliding changes, and
    missing plans."""
    lines: list[str] = []
    for problem in item.problems:
        lines += ["> [!WARNING]", f"> **No complete diff:** {problem}.", ""]
    diff = item.diff
    if diff is None:
        return lines
    lines += upgrade_lines(diff) + rolling_switch_lines(diff)

    def block(kind: str, title: str, changes: Sequence[ResourceChange], note: Callable[[ResourceChange], str]) -> None:
        if changes:
            lines.extend([f"> [!{kind}]", f"> **{title}**", ">"])
            lines.extend(f"> - **{c.action.upper()}** `{c.type}` `{c.name}`{note(c)}" for c in changes)
            lines.append("")

    block(
        "CAUTION",
        "Stateful resources would be replaced or deleted: their data would be lost.",
        diff.destructive,
        _causes,
    )
    block(
        "CAUTION",
        f"`pulumi up` would refuse these changes to protected resources (see `{RUNBOOK}`).",
        diff.refused,
        _causes,
    )
    rejected = diff.rejected
    block(
        "WARNING",
        "The provider would reject these changes at plan time.",
        rejected,
        lambda c: ": " + "; ".join(c.plan_errors),
    )
    block("WARNING", "Replacements that interrupt traffic.", [c for c in traffic(diff) if not c.destructive], _causes)
    collisions = [c for c in diff.changes if c.name_collision]
    block(
        "WARNING",
        "Create-before-replace would collide with the old resource's name.",
        collisions,
        lambda c: f" (keeps `{c.name_collision}`)",
    )
    if diff.types_without_data:
        lines += [
            "> [!NOTE]",
            "> No replacement data for "
            + ", ".join(f"`{t}`" for t in diff.types_without_data)
            + ": their updates may be replacements.",
            "",
        ]
    if not lines:
        lines += ["No stateful, protected, rejected or traffic-interrupting change.", ""]
    return lines


def _causes(change: ResourceChange) -> str:
    reasons = ", ".join(f"`{r}`" for r in change.replace_reasons[:4])
    more = f" and {len(change.reasons) - 4} more" if len(change.reasons) > 4 else ""
    return f" (because of {reasons}{more})" if reasons else ""


def counts_line(item: StackInput) -> str:
    if item.diff is None:
        return ""
    n = {a: len(item.diff.of_action(a)) for a in ("create", "update", "replace", "delete")}
    return f"**{n['create']} to create, {n['update']} to update, {n['replace']} to replace, {n['delete']} to delete.**"


def is_risky(item: StackInput) -> bool:
    diff = item.diff
    return bool(item.problems) or (
        diff is not None
        and bool(
            diff.major_upgrades
            or diff.back_to_rolling
            or diff.destructive
            or diff.refused
            or diff.rejected
            or traffic(diff)
        )
    )


# -- the optional sections (shrunk to the budget) ----------------------------------------------------------------


@dataclass
class Section:
    """A part of a stack's section that can shrink: `render(level)` for level 0 (full) up to `levels` (least)."""

    order: int  # where it appears
    shrink_rank: int  # lower shrinks first
    render: Callable[[int], list[str]]
    levels: int


def policy_section(item: StackInput) -> Section:
    head = item.head_policy

    def render(level: int) -> list[str]:
        if head is None:
            return ["#### Policy", "", "_No policy report: the stack did not render or the pack did not run._"]
        blocking = [r for r in head if r.enforcement == Level.MANDATORY and r.outcome in _BLOCKING]
        new = new_since(item.base_policy or [], head)
        base_note = "" if item.base_policy is not None else " (the base branch has no report: all findings count)"
        lines = [
            "#### Policy",
            "",
            f"{len(blocking)} mandatory violation(s) or unevaluated mandatory control(s); "
            f"{len(findings(head))} finding(s), {len(new)} new against the base branch{base_note}.",
        ]
        cap = (None, 25, 8, 0)[level]
        lines += _results("Mandatory", blocking, cap)
        lines += _results("New against the base branch", new, cap, folded=True)
        return lines

    return Section(order=1, shrink_rank=1, render=render, levels=3)


_BLOCKING = (Outcome.VIOLATION, Outcome.UNKNOWN)


def _results(title: str, results: list[Result], cap: int | None, *, folded: bool = False) -> list[str]:
    if not results:
        return []
    shown = sorted(results, key=identity)[:cap] if cap is not None else sorted(results, key=identity)
    items = [f"- `{r.policy}` on `{r.type}` `{r.name}` ({r.outcome}): {_clip(r.message)}" for r in shown]
    if len(results) > len(shown):
        items.append(f"- ... {len(results) - len(shown)} more in the `{ARTIFACT}` artifact")
    if folded:
        return ["", f"<details><summary>{title} ({len(results)})</summary>", "", *items, "", "</details>"]
    return ["", f"**{title} ({len(results)}):**", "", *items]


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def cost_section(item: StackInput) -> Section:
    cost = item.cost

    def render(level: int) -> list[str]:
        if cost is None:
            return []
        total = cost.get("total", {})
        lines = [
            "#### Cost",
            "",
            f"Estimated monthly total: **{_usd(total.get('monthlyUsd'))}**"
            + ("" if total.get("complete", True) else " (lower bound: some lines are unpriced)")
            + ".",
        ]
        delta = cost.get("delta")
        if isinstance(delta, dict):
            lines.append(
                f"Change against the base branch: **{_usd(delta.get('monthlyUsd'), signed=True)}** per month "
                f"(base {_usd(_total(delta.get('baseTotal')))})."
            )
            top = delta.get("topContributors") or []
            if level == 0 and top:
                lines += [
                    "",
                    *(f"- `{t.get('name')}` ({t.get('change')}): {_usd(t.get('deltaUsd'), signed=True)}" for t in top),
                ]
        return lines

    return Section(order=2, shrink_rank=2, render=render, levels=1)


def _total(value: Any) -> Any:
    """`baseTotal` is the base's `total` object (docs/cost.md); a bare number is accepted too."""
    return value.get("monthlyUsd") if isinstance(value, dict) else value


def _usd(value: Any, *, signed: bool = False) -> str:
    if not isinstance(value, int | float):
        return "unknown"
    sign = "+" if signed and value > 0 else ("-" if value < 0 else "")
    return f"{sign}${abs(value):,.2f}"


# Plan details at each level: (table rows, property-change characters); the last level keeps only a pointer.
_DETAIL_LEVELS: tuple[tuple[int, int], ...] = ((200, 8000), (100, 4000), (40, 1500), (15, 0))


def details_section(item: StackInput) -> Section:
    diff = item.diff

    def render(level: int) -> list[str]:
        if diff is None or not diff.changes:
            return []
        if level >= len(_DETAIL_LEVELS):
            return [f"_Plan details: the `{ARTIFACT}` artifact (`{diff.stack}.diff.md`)._"]
        rows, chars = _DETAIL_LEVELS[level]
        body = body_lines(diff, max_rows=rows, max_details_chars=chars)
        return ["<details><summary>Plan details</summary>", "", *body, "", "</details>"]

    return Section(order=3, shrink_rank=0, render=render, levels=len(_DETAIL_LEVELS))


# -- assembly ---------------------------------------------------------------------------------------------------


@dataclass
class StackBlock:
    item: StackInput
    fixed: list[str]
    sections: list[Section]
    levels: dict[int, int] = field(default_factory=dict)  # section index -> current level

    def text(self) -> str:
        lines = list(self.fixed)
        for index, section in sorted(enumerate(self.sections), key=lambda pair: pair[1].order):
            part = section.render(self.levels.get(index, 0))
            if part:
                lines += ["", *part]
        return "\n".join(lines) + "\n"

    def shrink(self) -> bool:
        """One step smaller: the lowest-ranked section that can still shrink. False when nothing can."""
        for index, section in sorted(enumerate(self.sections), key=lambda pair: pair[1].shrink_rank):
            if self.levels.get(index, 0) < section.levels:
                self.levels[index] = self.levels.get(index, 0) + 1
                return True
        return False


def block_for(item: StackInput) -> StackBlock:
    fixed = [f"### `{item.stack}`", "", *risk_lines(item)]
    counts = counts_line(item)
    if counts:
        fixed.append(counts)
    return StackBlock(item, fixed, [policy_section(item), cost_section(item), details_section(item)])


def header(items: Sequence[StackInput], context: str) -> str:
    """The first lines: which stacks carry a risk, so the comment leads with it."""
    lines = ["## Offline plan", ""]
    if context:
        lines += [context, ""]
    risky = [i for i in items if is_risky(i)]
    for item in risky:
        lines.append(f"- **`{item.stack}`: {_headline(item)}**")
    if any(i.diff and (i.diff.destructive or i.diff.refused) for i in items):
        lines += [
            "",
            f"Stateful or protected changes fail the check unless the pull request has the "
            f"`{OPT_IN_LABEL}` label (docs/runbooks/deploy.md).",
        ]
    if not risky:
        lines.append("No stateful, protected or traffic-interrupting change in any stack.")
    lines += ["", f"Full plans, diffs and policy reports: the `{ARTIFACT}` artifact of this run.", "", ""]
    return "\n".join(lines)


def _headline(item: StackInput, most: int = 10) -> str:
    """The risky changes of a stack by name, most serious first (at most `most`; the stack's section lists all)."""
    diff = item.diff
    changes = [*diff.destructive, *diff.refused, *diff.rejected, *traffic(diff)] if diff else []
    upgrades = [f"MAJOR UPGRADE `{u.name}` ({u.before} → {u.after})" for u in diff.major_upgrades] if diff else []
    upgrades += [f"BACK TO ROLLING `{c.name}`" for c in diff.back_to_rolling] if diff else []
    names = list(
        dict.fromkeys(
            upgrades
            + [
                f"{'REJECTED ' if c.plan_errors and not c.destructive else ''}{c.action.upper()} `{c.name}`"
                for c in changes
            ]
        )
    )
    if item.problems:
        names.insert(0, "incomplete diff")
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def build(items: Sequence[StackInput], *, limit: int = GITHUB_COMMENT_LIMIT, context: str = "") -> str:
    """The comment. Risk summaries are never cut; the rest shrinks, largest stack first, until it fits."""
    top = header(items, context)
    blocks = [block_for(i) for i in items]
    while True:
        text = top + "\n".join(b.text() for b in blocks)
        if len(text) <= limit:
            return text
        shrinkable = [b for b in blocks if any(b.levels.get(i, 0) < s.levels for i, s in enumerate(b.sections))]
        if not shrinkable:
            return _hard_cut(text, limit)
        max(shrinkable, key=lambda b: len(b.text())).shrink()


def _hard_cut(text: str, limit: int) -> str:
    """Only when the risk summaries alone exceed the limit (thousands of risky changes): cut, and say so."""
    note = f"\n\n_Cut at GitHub's limit: the `{ARTIFACT}` artifact has every stack's full diff._\n"
    return text[: limit - len(note)] + note


def write_full_diffs(items: Sequence[StackInput], out: Path) -> list[Path]:
    """Every stack's whole diff (Markdown without cuts, and JSON): the artifact and the gate read these."""
    written = []
    for item in items:
        if item.diff is None:
            continue
        md, js = out / f"{item.stack}.diff.md", out / f"{item.stack}.diff.json"
        md.write_text(to_markdown(item.diff, max_rows=10**9, max_details_chars=10**9))
        js.write_text(json.dumps(to_json(item.diff), indent=1, default=str) + "\n")
        written += [md, js]
    return written


def run(base: Path, head: Path, out: Path, *, limit: int, context: str = "", full_dir: Path | None = None) -> int:
    """`offline pr-comment`: 0 written; 2 unreadable input or no stack in either directory."""
    try:
        stacks = stacks_in(base, head)
        if not stacks:
            raise InputError(f"no <stack>.plan.json in {base} or {head}")
        items = [load(s, base, head) for s in stacks]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    text = build(items, limit=limit, context=context)
    out.write_text(text)
    print(f"comment written to {out} ({len(text)} of {limit} characters, stacks: {', '.join(stacks)})")
    if full_dir is not None:
        full_dir.mkdir(parents=True, exist_ok=True)
        write_full_diffs(items, full_dir)
        print(f"full diffs written to {full_dir}")
    return 0
