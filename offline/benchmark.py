"""Time the offline render as stacks grow: imports, the first render, and warm renders of 1..N services.

    python dev.py offline.benchmark [--services 1 5 10 20] [--repeat 3] [--renders 2]

Each run is a fresh interpreter, so import costs are the cold ones a test session or CI job pays. pulumi-aws
loads each resource module the first time a class is used, so the first render in a process pays for that
too: it is reported on its own line. The rows are warm renders (best of all runs) of the production stack
file with services added (`scaled_stack`), the garbage collection a render leaves behind included; the
per-resource column is what the engine costs beyond imports, and the last line is the slope between the
smallest and the largest stack, which equals the per-resource cost when the engine is linear.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from offline.project import ROOT

BASE_STACK = "production"
SERVICES_KEY = "app-platform:services"
WEB_IMAGE = "public.ecr.aws/nginx/nginx:1.27"
WORKER_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"


# -- generated stacks --------------------------------------------------------------------------------------------
def scaled_services(existing: dict[str, Any], count: int) -> dict[str, Any]:
    """`existing` plus generated services up to `count` in all: every third one a worker, the others web
    services with a path of their own (so each gets its own listener rule)."""
    services = dict(existing)
    index = 0
    while len(services) < count:
        index += 1
        if index % 3 == 2:
            services[f"worker{index:02d}"] = {"image": {"uri": WORKER_IMAGE}}
        else:
            services[f"web{index:02d}"] = {
                "image": {"uri": WEB_IMAGE},
                "containerPort": 8080,
                "pathPatterns": [f"/web{index:02d}/*"],
                # Routed, so a blue/green release (production's default) can smoke-test it on the test listener.
                "healthCheckPath": f"/web{index:02d}/health",
            }
    return services


def scaled_stack(count: int, base: Path = ROOT / f"Pulumi.{BASE_STACK}.yaml") -> dict[str, Any]:
    """The stack file `base` with services added until it has `count` of them (a new user growing a stack)."""
    document = yaml.safe_load(base.read_text())
    config = document["config"]
    config[SERVICES_KEY] = scaled_services(config.get(SERVICES_KEY) or {}, count)
    return dict(document)


def write_scaled_stack(path: Path, count: int, base: Path = ROOT / f"Pulumi.{BASE_STACK}.yaml") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(scaled_stack(count, base), sort_keys=False))
    return path


# -- one fresh interpreter ---------------------------------------------------------------------------------------
def probe(stack_files: list[Path], renders: int) -> dict[str, Any]:
    """Runs in the child: imports, the first render, then the best warm render of each stack file."""
    import gc

    start = time.perf_counter()
    import pulumi  # noqa: F401
    import pulumi_aws  # noqa: F401
    import pulumi_docker  # noqa: F401

    import infra.program  # noqa: F401
    from offline.render import render

    imported = time.perf_counter()
    render(BASE_STACK)
    gc.collect()
    result: dict[str, Any] = {"imports": imported - start, "first": time.perf_counter() - imported, "sizes": []}
    for path in stack_files:
        walls, cpus, resources = [], [], 0
        for _ in range(renders):
            wall, cpu = time.perf_counter(), time.process_time()
            resources = len(render(BASE_STACK, stack_file=path).resources)
            gc.collect()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        result["sizes"].append({"resources": resources, "wall": min(walls), "cpu": min(cpus)})
    return result


# -- the report ------------------------------------------------------------------------------------------------------
def machine() -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load}"
    )


def report(services: list[int], runs: list[dict[str, Any]], repeat: int, renders: int) -> list[str]:
    lines = [
        f"date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {machine()}",
        f"imports (pulumi, pulumi-aws, pulumi-docker, program): {min(r['imports'] for r in runs):.2f} s",
        f"first render in a process (loads pulumi-aws resource modules): {min(r['first'] for r in runs):.2f} s",
        "",
        f"| services | resources | warm render (best of {repeat}x{renders}) | per resource | CPU per resource |",
        "|---|---|---|---|---|",
    ]
    rows = []
    for position, count in enumerate(services):
        resources = runs[0]["sizes"][position]["resources"]
        wall = min(r["sizes"][position]["wall"] for r in runs)
        cpu = min(r["sizes"][position]["cpu"] for r in runs)
        rows.append((resources, wall))
        lines.append(
            f"| {count} | {resources} | {wall:.2f} s | {1000 * wall / resources:.1f} ms | "
            f"{1000 * cpu / resources:.1f} ms |"
        )
    (first_resources, first_wall), (last_resources, last_wall) = rows[0], rows[-1]
    if last_resources > first_resources:
        slope = 1000 * (last_wall - first_wall) / (last_resources - first_resources)
        lines += ["", f"marginal cost, {services[0]} -> {services[-1]} services: {slope:.1f} ms per added resource"]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, nargs="+", default=[1, 5, 10, 20], help="stack sizes to render")
    parser.add_argument("--repeat", type=int, default=3, help="fresh interpreters to run (best time is kept)")
    parser.add_argument("--renders", type=int, default=2, help="warm renders per size in each interpreter")
    parser.add_argument("--probe", nargs="+", type=Path, help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.renders)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        files = [write_scaled_stack(Path(folder) / f"Pulumi.{n}.yaml", n) for n in args.services]
        command = [sys.executable, "-m", "offline.benchmark", "--renders", str(args.renders), "--probe"]
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([*command, *map(str, files)], check=True, capture_output=True, text=True, cwd=ROOT)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("\n".join(report(args.services, runs, args.repeat, args.renders)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
