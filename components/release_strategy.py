"""A service's ECS deployment strategy as typed data, and the `deployment_configuration` block it becomes.

AWS limits (read 2026-12-03), enforced here as well as in the config model so a component used directly cannot
send ECS a value it refuses:
- strategy ROLLING | BLUE_GREEN | LINEAR | CANARY; bakeTimeInMinutes 0..1440, required with BLUE_GREEN:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
- canaryPercent 0.1..100 in steps of 0.1, canaryBakeTimeInMinutes 0..1440:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html
- stepPercent 3.0..100 in steps of 0.1, stepBakeTimeInMinutes 0..1440:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
- lifecycle hook stages and targets: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html
  (a Lambda hook needs its ARN and a role ECS assumes to invoke it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

Strategy = Literal["rolling", "blue_green", "canary", "linear"]
ECS_STRATEGY: dict[str, str] = {
    "rolling": "ROLLING",
    "blue_green": "BLUE_GREEN",
    "canary": "CANARY",
    "linear": "LINEAR",
}
LifecycleStage = Literal[
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
]
BAKE_MINUTES = (0, 1440)
CANARY_PERCENT = (0.1, 100.0)
LINEAR_STEP_PERCENT = (3.0, 100.0)


@dataclass(frozen=True)
class LifecycleHook:
    """A Lambda function ECS invokes at deployment stages; a FAILED answer rolls the deployment back."""

    function_arn: pulumi.Input[str]
    """ARN of the Lambda function ECS invokes (`hookTargetArn`)."""
    role_arn: pulumi.Input[str]
    """Role ECS assumes to invoke it; it may call `lambda:InvokeFunction` on that function only."""
    details: pulumi.Input[str] | None = None
    """JSON text ECS passes to every invocation (`hookDetails`); None sends nothing."""
    stages: Sequence[LifecycleStage] = ("POST_TEST_TRAFFIC_SHIFT",)
    """When ECS invokes it. Default POST_TEST_TRAFFIC_SHIFT: the test listener routes to the new revision and no
    production request has reached it yet, the one moment a smoke test can stop a release before customers see it
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html)."""

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a lifecycle hook needs at least one stage")


@dataclass(frozen=True)
class ReleaseStrategy:
    """How ECS moves a service to a new revision. Non-rolling strategies need the load balancer wiring
    (alternate target group, listener rules, infrastructure role) that ContainerService builds for them."""

    strategy: Strategy = "rolling"
    """`rolling` replaces tasks in batches (minimum healthy / maximum percent); `blue_green`, `canary` and `linear`
    start the new revision beside the old one and shift listener-rule weights. Default rolling: what ECS does
    without a strategy, and the only one a service without a load balancer can use."""
    bake_minutes: int | None = None
    """Minutes the old revision keeps running after all traffic moved (0..1440); required by the non-rolling
    strategies, refused with rolling. None (default) only with rolling."""
    canary_percent: float | None = None
    """Canary only: share of production traffic the new revision gets first, percent (0.1..100, steps of 0.1)."""
    canary_interval_minutes: int | None = None
    """Canary only: minutes traffic stays at `canary_percent` before the rest shifts (0..1440)."""
    linear_step_percent: float | None = None
    """Linear only: share of traffic shifted per step, percent (3..100, steps of 0.1)."""
    linear_interval_minutes: int | None = None
    """Linear only: minutes between two steps (0..1440)."""
    hooks: Sequence[LifecycleHook] = field(default_factory=tuple)
    """Lambda hooks (e.g. the smoke test); non-rolling only. Default none."""
    adopting: bool = False
    """True for the one update that turns an existing rolling service non-rolling: the inputs ECS owns afterwards
    (rule actions, the two target-group leaves) are written instead of ignored, because Pulumi's ignoreChanges
    keeps the old state's value and the old state has none of them. Default False: what every later run needs."""

    def __post_init__(self) -> None:
        for problem in _problems(self):
            raise ValueError(f"release strategy {self.strategy}: {problem}")

    @property
    def rolling(self) -> bool:
        """True when ECS rolls tasks in place: no alternate target group, no listener-rule weights to shift."""
        return self.strategy == "rolling"


def _problems(release: ReleaseStrategy) -> list[str]:
    problems = _strategy_fields(release)
    for name, value, low, high in (
        ("bake_minutes", release.bake_minutes, *BAKE_MINUTES),
        ("canary_interval_minutes", release.canary_interval_minutes, *BAKE_MINUTES),
        ("linear_interval_minutes", release.linear_interval_minutes, *BAKE_MINUTES),
    ):
        if value is not None and not low <= value <= high:
            problems.append(f"{name} {value} outside {low}..{high}")
    percents: tuple[tuple[str, float | None, tuple[float, float]], ...] = (
        ("canary_percent", release.canary_percent, CANARY_PERCENT),
        ("linear_step_percent", release.linear_step_percent, LINEAR_STEP_PERCENT),
    )
    for name, percent, (least, most) in percents:
        if percent is not None and (not least <= percent <= most or abs(percent * 10 - round(percent * 10)) > 1e-9):
            problems.append(f"{name} {percent} is not a multiple of 0.1 within {least}..{most}")
    return problems


def _strategy_fields(release: ReleaseStrategy) -> list[str]:
    """Which fields each strategy needs and which it refuses (ECS: canaryConfiguration only with CANARY, ...)."""
    canary = (release.canary_percent, release.canary_interval_minutes)
    linear = (release.linear_step_percent, release.linear_interval_minutes)
    problems: list[str] = []
    if release.rolling and (release.bake_minutes is not None or release.hooks or release.adopting):
        problems.append("bake time, lifecycle hooks and adopting apply to blue_green, canary and linear only")
    if not release.rolling and release.bake_minutes is None:
        problems.append("needs bake_minutes")
    for owner, values in (("canary", canary), ("linear", linear)):
        if release.strategy == owner and None in values:
            problems.append(f"needs both {owner} settings")
        if release.strategy != owner and any(v is not None for v in values):
            problems.append(f"{owner} settings apply to strategy {owner} only")
    return problems


def deployment_configuration(release: ReleaseStrategy) -> dict[str, Any] | None:
    """The ECS service's `deployment_configuration` block (pulumi-aws 7.51 types bake times as strings). None for
    rolling: ECS's default strategy, and what every service declared before strategies existed, so choosing it
    changes no plan."""
    if release.rolling:
        return None
    block: dict[str, Any] = {
        "strategy": ECS_STRATEGY[release.strategy],
        "bake_time_in_minutes": str(release.bake_minutes),
    }
    if release.strategy == "canary":
        block["canary_configuration"] = {
            "canary_percent": release.canary_percent,
            "canary_bake_time_in_minutes": str(release.canary_interval_minutes),
        }
    if release.strategy == "linear":
        block["linear_configuration"] = {
            "step_percent": release.linear_step_percent,
            "step_bake_time_in_minutes": str(release.linear_interval_minutes),
        }
    if release.hooks:
        block["lifecycle_hooks"] = [_hook(hook) for hook in release.hooks]
    return block


def _hook(hook: LifecycleHook) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "hook_target_arn": hook.function_arn,
        "role_arn": hook.role_arn,
        "lifecycle_stages": list(hook.stages),
        "target_type": "AWS_LAMBDA",
    }
    if hook.details is not None:
        entry["hook_details"] = hook.details
    return entry
