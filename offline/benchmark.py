"""Time the offline render of each stack, with imports measured apart from rendering.

    python dev.py offline.benchmark [--repeat 3]

Each run is a fresh interpreter, so import costs are the cold ones a test session or CI job pays. pulumi-aws
loads each resource module the first time a class is used, so the first render in a process pays for that
too: it is reported on its own line, and the per-stack numbers are warm renders (best of --renders).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
import pulumi, pulumi_aws, pulumi_docker
import infra.program
from offline.render import render
t1 = time.perf_counter()
stacks, renders = sys.argv[2:], int(sys.argv[1])
render(stacks[0])
t2 = time.perf_counter()
result = {"imports": t1 - t0, "first": t2 - t1, "stacks": {}}
for stack in stacks:
    times = []
    for _ in range(renders):
        start = time.perf_counter()
        plan = render(stack)
        times.append(time.perf_counter() - start)
    result["stacks"][stack] = {"seconds": min(times), "resources": len(plan.resources)}
print(json.dumps(result))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh interpreters to run (best time is kept)")
    parser.add_argument("--renders", type=int, default=3, help="warm renders per stack in each interpreter")
    parser.add_argument("stacks", nargs="*", default=["staging", "production"])
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.repeat):
        command = [sys.executable, "-c", PROBE, str(args.renders), *args.stacks]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"imports (pulumi, pulumi-aws, pulumi-docker, program): {min(r['imports'] for r in runs):.2f} s")
    print(f"first render in a process (loads pulumi-aws resource modules): {min(r['first'] for r in runs):.2f} s")
    print(f"| stack | resources | warm render (best of {args.repeat}x{args.renders}) |")
    print("|---|---|---|")
    for stack in args.stacks:
        best = min(r["stacks"][stack]["seconds"] for r in runs)
        print(f"| {stack} | {runs[0]['stacks'][stack]['resources']} | {best:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
