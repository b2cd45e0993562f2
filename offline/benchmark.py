"""Time the offline render of each stack, with imports measured apart from rendering.

    python dev.py offline.benchmark [--repeat 3]

Each run is a fresh interpreter, so import costs are the cold ones a test session or CI job pays.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
import pulumi, pulumi_aws
from pulumi_aws import cloudwatch, ec2, iam, kms, vpc  # the submodules the program touches
import infra.program
from offline.render import render
t1 = time.perf_counter()
result = {"imports": t1 - t0, "stacks": {}}
for stack in sys.argv[1:]:
    start = time.perf_counter()
    plan = render(stack)
    result["stacks"][stack] = {"seconds": time.perf_counter() - start, "resources": len(plan.resources)}
print(json.dumps(result))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh interpreters to run (best time is kept)")
    parser.add_argument("stacks", nargs="*", default=["staging", "production"])
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", PROBE, *args.stacks], check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"imports (pulumi, pulumi-aws, program): best {min(r['imports'] for r in runs):.2f} s")
    print(f"| stack | resources | render after imports (best of {args.repeat}) |")
    print("|---|---|---|")
    for stack in args.stacks:
        best = min(r["stacks"][stack]["seconds"] for r in runs)
        print(f"| {stack} | {runs[0]['stacks'][stack]['resources']} | {best:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
