"""Apply a stack after its release pointer moved: `pulumi up` limited to the resources a release changes.

A release goes through Pulumi, never around it: the program reads the pointer, registers the task definition
revision with the new image and updates the service, so state and AWS agree and the drift check stays green.
`--target` keeps an unrelated pending infrastructure change out of a release; the policy pack runs as in the
deploy workflow. Tests pass their own Apply (moto cannot run Pulumi).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

Apply = Callable[[str, Sequence[str]], None]


class ApplyError(Exception):
    """`pulumi up` did not succeed."""


def up_command(stack: str, targets: Sequence[str], root: Path = ROOT) -> list[str]:
    command = ["pulumi", "up", "--yes", "--stack", stack, "--diff", "--policy-pack", str(root / "policies")]
    config = root / "policies" / "config" / f"{stack}.json"
    if config.is_file():
        command += ["--policy-pack-config", str(config)]
    for urn in targets:
        command += ["--target", urn]
    return command


def pulumi_up(stack: str, targets: Sequence[str]) -> None:
    """Run `pulumi up` in the project, its output streamed to stderr (the progress of a release)."""
    command = up_command(stack, targets)
    print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr, check=False, timeout=3600)
    except FileNotFoundError:
        raise ApplyError("the Pulumi CLI is not installed: a release applies the stack with `pulumi up`") from None
    except subprocess.TimeoutExpired:
        raise ApplyError("`pulumi up` did not finish within an hour") from None
    if done.returncode != 0:
        raise ApplyError(f"`pulumi up` failed (exit {done.returncode}); its output is above")
