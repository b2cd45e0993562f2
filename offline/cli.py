"""`python -m offline`: render a stack offline, print its tree, write its plan, diff two plans.

Exit codes: 0 success; 1 invalid configuration or stack file; 2 usage; 3 the diff would replace or delete
a stateful resource (with --fail-on-stateful).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_STATEFUL = 0, 1, 2, 3
DEFAULT_OUT = Path("out")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="render a stack, print its resource tree, write its plan")
    preview.add_argument("stack", help="stack name: staging or production (reads Pulumi.<stack>.yaml)")
    preview.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write <stack>.plan.json")

    diff = commands.add_parser("diff", help="compare two plans and write Markdown for a pull request")
    diff.add_argument("base", type=Path, help="plan JSON of the base branch")
    diff.add_argument("head", type=Path, help="plan JSON of the pull request")
    diff.add_argument("--markdown", type=Path, help="write the Markdown here (default: print it)")
    diff.add_argument("--fail-on-stateful", action="store_true", help="exit 3 on stateful replace/delete")

    args = parser.parse_args(argv)
    if args.command == "preview":
        return _preview(args.stack, args.out)
    return _diff(args.base, args.head, args.markdown, args.fail_on_stateful)


def _preview(stack: str, out: Path) -> int:
    from infra.config import ConfigError
    from offline.plan import render_tree
    from offline.project import StackFileError
    from offline.render import render

    try:
        plan = render(stack)
    except (ConfigError, StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(render_tree(plan))
    path = out / f"{stack}.plan.json"
    plan.write(path)
    print(f"\nplan written to {path}")
    return EXIT_OK


def _diff(base: Path, head: Path, markdown: Path | None, fail_on_stateful: bool) -> int:
    from offline.diff import diff_plans, to_markdown
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
    if result.destructive:
        print(
            f"warning: {len(result.destructive)} stateful resource(s) would be replaced or deleted",
            file=sys.stderr,
        )
        if fail_on_stateful:
            return EXIT_STATEFUL
    return EXIT_OK
