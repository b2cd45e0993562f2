"""Composition: one stack's tiers, wired together. Differences between stacks come from config only."""

from __future__ import annotations

import pulumi

from infra.config import StackConfig, load_from_pulumi
from infra.stack import StackContext
from infra.tiers import foundation


def main() -> None:
    config = load_from_pulumi()  # raises ConfigError (a RunError) before any resource exists
    build(config)


def build(config: StackConfig) -> None:
    stack = StackContext.create(config)
    base = foundation.compose(stack)

    pulumi.export("environment", stack.env)
    pulumi.export("region", config.region)
    for name, value in base.exports().items():
        pulumi.export(name, value)
