"""`python -m offline`: render a stack offline, print its tree, write its plan, diff two plans.

Exit codes: 0 success; 1 invalid configuration or stack file; 2 usage; 3 the diff would replace or delete
a stateful resource (with --fail-on-stateful); 4 mandatory policy violations or unevaluated mandatory
controls (preview, policy); 5 the cost estimate exceeds --budget (cost); 3 also from stateful-gate without the
`allow-stateful-change` label.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offline.plan import Plan

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_STATEFUL = 0, 1, 2, 3
EXIT_POLICY = 4
EXIT_BUDGET = 5
DEFAULT_OUT = Path("out")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="render a stack, print its resource tree, write its plan")
    preview.add_argument("stack", help="stack name: staging or production (reads Pulumi.<stack>.yaml)")
    preview.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write <stack>.plan.json")
    preview.add_argument("--no-policy", action="store_true", help="skip the policy pack (plan and tree only)")
    preview.add_argument("--stack-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml")

    policy = commands.add_parser("policy", help="run the policy pack on a plan JSON and write the reports")
    policy.add_argument("plan", type=Path, help="plan JSON written by `preview`")
    policy.add_argument("--config", type=Path, help="policy config (default: policies/config/<stack>.json)")
    policy.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write <stack>.policy.*")

    diff = commands.add_parser("diff", help="compare two plans and write Markdown for a pull request")
    diff.add_argument("base", type=Path, help="plan JSON of the base branch")
    diff.add_argument("head", type=Path, help="plan JSON of the pull request")
    diff.add_argument("--markdown", type=Path, help="write the Markdown here (default: print it)")
    diff.add_argument("--json", type=Path, help="also write the diff as JSON here (changes, causes, paths)")
    diff.add_argument("--fail-on-stateful", action="store_true", help="exit 3 on stateful replace/delete")

    cost = commands.add_parser("cost", help="monthly cost estimate of a plan (and its delta against a base plan)")
    cost.add_argument("plan", type=Path, help="plan JSON written by `preview`")
    cost.add_argument("--base", type=Path, help="plan JSON of the base branch: report the delta")
    cost.add_argument("--usage", type=Path, help="usage assumptions (default: cost/usage.<stack>.yaml)")
    cost.add_argument("--json", type=Path, help="write the estimate as JSON here (docs/cost.md: schema)")
    cost.add_argument("--markdown", type=Path, help="write the Markdown here (default: print it)")
    cost.add_argument("--budget", type=float, help="exit 5 when the monthly total in USD exceeds this")

    checkout = commands.add_parser("checkout", help="render every stack of this checkout in one process (+ policy)")
    checkout.add_argument("--stacks", nargs="+", help="stacks to render (default: every Pulumi.<stack>.yaml here)")
    checkout.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write plans and policy reports")
    checkout.add_argument("--no-policy", action="store_true", help="skip the policy pack (plans only)")

    _pr_parsers(commands)
    args = parser.parse_args(argv)
    if args.command in ("pr-comment", "stateful-gate"):
        return _pr_run(args)
    if args.command == "checkout":
        return _checkout(args.stacks, args.out, not args.no_policy)
    if args.command == "cost":
        from offline.cost.command import run as cost_run

        return cost_run(
            args.plan,
            base_path=args.base,
            usage_file=args.usage,
            json_path=args.json,
            markdown_path=args.markdown,
            budget=args.budget,
        )
    if args.command == "preview":
        code = _preview(args.stack, args.out, args.stack_file)
        if code != EXIT_OK or args.no_policy:
            return code
        return _policy(args.out / f"{args.stack}.plan.json", None, args.out)
    if args.command == "policy":
        return _policy(args.plan, args.config, args.out)
    return _diff(args.base, args.head, args.markdown, args.fail_on_stateful, args.json)


def _pr_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The pull-request commands: the comment of every stack and the stateful gate (offline/pr_comment.py)."""
    comment = commands.add_parser("pr-comment", help="the pull-request comment: every stack, risk first")
    comment.add_argument("--base", type=Path, required=True, help="render directory of the base branch")
    comment.add_argument("--head", type=Path, required=True, help="render directory of the pull request")
    comment.add_argument("--out", type=Path, required=True, help="where to write the comment (Markdown)")
    comment.add_argument("--limit", type=int, default=65536, help="characters (GitHub's comment limit: 65536)")
    comment.add_argument("--context", default="", help="a line under the title (commits compared)")
    comment.add_argument("--full", type=Path, help="also write each stack's whole <stack>.diff.{md,json} here")

    gate = commands.add_parser("stateful-gate", help="exit 3 on stateful/protected changes without the opt-in label")
    gate.add_argument("--diff-json", type=Path, nargs="+", required=True, help="diff JSON files, one per stack")
    gate.add_argument("--labels", default="", help="the pull request's labels: a JSON array or one per line")


def _pr_run(args: argparse.Namespace) -> int:
    if args.command == "pr-comment":
        from offline.pr_comment import run as comment_run

        return comment_run(args.base, args.head, args.out, limit=args.limit, context=args.context, full_dir=args.full)
    from offline.stateful_gate import run as gate_run

    return gate_run(args.diff_json, args.labels)


def _preview(stack: str, out: Path, stack_file: Path | None = None) -> int:
    from infra.config import ConfigError
    from offline import project
    from offline.plan import render_tree
    from offline.render import render

    try:
        plan = render(stack, project.ROOT, stack_file=stack_file)
    except project.StackFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ConfigError as exc:  # the stack file parsed before the program ran: point at the lines
        print(
            f"error: {project.explain(exc.problems, project.load_stack(stack, project.ROOT, stack_file))}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    for warning in project.deprecations(project.load_stack(stack, project.ROOT, stack_file)):
        print(warning, file=sys.stderr)
    print(render_tree(plan))
    path = out / f"{stack}.plan.json"
    plan.write(path)
    print(f"\nplan written to {path}")
    _cost_line(plan)
    return EXIT_OK


def _cost_line(plan: Plan) -> None:
    """The stack's estimated monthly total, one line (details: `python -m offline cost <plan>`)."""
    from offline.cost.command import estimate_plan
    from offline.cost.prices import PriceTableError
    from offline.cost.report import summary
    from offline.cost.usage import UsageError

    try:
        print(summary(estimate_plan(plan)))
    except (UsageError, PriceTableError) as exc:
        print(f"cost estimate unavailable: {exc}", file=sys.stderr)


def _checkout(stacks: list[str] | None, out: Path, policy: bool) -> int:
    """Every stack of the checkout, imports paid once (offline/checkout.py); exit 4 on mandatory violations."""
    from offline.checkout import CheckoutError, render_checkout
    from offline.policy_runner import PackError

    try:
        results = render_checkout(stacks, out, policy=policy)
    except CheckoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"plans and policy reports written to {out}")
    return EXIT_POLICY if any(r.policy and r.policy.mandatory_violations for r in results) else EXIT_OK


def _policy(plan_path: Path, config: Path | None, out: Path) -> int:
    """Run the policy pack over a plan as `pulumi preview --policy-pack` would; exit 4 on mandatory violations."""
    from offline.plan import Plan
    from offline.policy_runner import PackError, PolicyConfigError, config_path, run_pack, write_reports
    from offline.reports import table

    try:
        plan = Plan.read(plan_path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: cannot read plan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if config is not None and not config.is_file():
        print(f"error: policy config {config} does not exist (default: {config_path(plan.stack)})", file=sys.stderr)
        return EXIT_USAGE
    config = config or config_path(plan.stack)
    try:
        run = run_pack(plan, config if config.is_file() else None)
    except PolicyConfigError as exc:
        print(f"error: policy config: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print()
    print(table.render(run), end="")
    written = write_reports(run, out)
    print(f"\npolicy reports written to {', '.join(str(p) for p in written)}")
    return EXIT_POLICY if run.blocking else EXIT_OK


def _diff(base: Path, head: Path, markdown: Path | None, fail_on_stateful: bool, as_json: Path | None = None) -> int:
    import json

    from offline.diff import diff_plans, to_json, to_markdown
    from offline.plan import Plan

    try:
        before, after = Plan.read(base), Plan.read(head)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: cannot read plans: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if before.stack != after.stack:
        print(f"error: {base} is stack {before.stack!r} but {head} is {after.stack!r}", file=sys.stderr)
        return EXIT_USAGE
    result = diff_plans(before, after)
    text = to_markdown(result)
    if markdown is None:
        print(text)
    else:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(text)
        print(f"diff written to {markdown}")
    if as_json is not None:
        as_json.parent.mkdir(parents=True, exist_ok=True)
        as_json.write_text(json.dumps(to_json(result), indent=1, default=str) + "\n")
        print(f"diff JSON written to {as_json}")
    if result.refused:
        print(
            f"warning: `pulumi up` would refuse {len(result.refused)} change(s) to protected resources", file=sys.stderr
        )
    if result.destructive:
        print(
            f"warning: {len(result.destructive)} stateful resource(s) would be replaced or deleted",
            file=sys.stderr,
        )
        if fail_on_stateful:
            return EXIT_STATEFUL
    return EXIT_OK
