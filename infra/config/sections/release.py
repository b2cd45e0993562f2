"""How a service releases: ECS's deployment strategy (rolling, blue/green, canary, linear) and the smoke test that
can stop a release. One `release` section per service (`services.<name>.release`).

Every limit below is AWS's, read 2026-12-03 (the pulumi-aws 7.51 schema repeats them):
- bakeTimeInMinutes 0..1440; BLUE_GREEN needs it ("You must provide this parameter when you use the BLUE_GREEN
  deployment strategy"): https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
- canaryPercent: multiples of 0.1 from 0.1 to 100.0; canaryBakeTimeInMinutes 0..1440:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html
- stepPercent: multiples of 0.1 from 3.0 to 100.0; stepBakeTimeInMinutes 0..1440:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
- canaryConfiguration is valid only with CANARY, linearConfiguration only with LINEAR (same pages).
- Managed traffic shifting needs Elastic Load Balancing or Service Connect; a service without either gets none of
  it: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-implementation.html (this
  platform's only traffic path is the ALB, so the non-rolling strategies need a web service).
- minimumHealthyPercent / maximumPercent are documented for the rolling update only (API_DeploymentConfiguration);
  the blue/green family runs the green revision at full size beside blue until bake time ends
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html), so anything but
  100/200 would claim a batch size the strategy does not use.
The smoke-test limits are the platform's (not AWS's): the hook's (components/smoke_test_hook.py), whose one
invocation must answer within its function timeout, itself within Lambda's 900-second maximum
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from hooks.smoke_test import handler
from infra.config.errors import FieldError
from infra.config.sections.base import Section

Strategy = Literal["rolling", "blue_green", "canary", "linear"]
NON_ROLLING: tuple[str, ...] = ("blue_green", "canary", "linear")
BAKE_MINUTES = (0, 1440)
CANARY_PERCENT = (0.1, 100.0)
LINEAR_STEP_PERCENT = (3.0, 100.0)
# The smoke-test hook's own limits (hooks/smoke_test/handler.py parses hookDetails with them), so the config refuses
# what the hook would: paths per run (the health path included), seconds per request, slowest passing answer.
SMOKE_PATHS_MAX = handler.MAX_PATHS
SMOKE_TIMEOUT_SECONDS = handler.TIMEOUT_RANGE
SMOKE_LATENCY_MS = handler.LATENCY_RANGE
# The deployment floor and ceiling the blue/green family actually uses (see the module docstring).
NON_ROLLING_MIN_HEALTHY = 100
NON_ROLLING_MAX_PERCENT = 200
_REQUEST_PATH = re.compile(r"^/[A-Za-z0-9_.$/~\"'@:+&=%,;!()-]*$")

RULES: tuple[tuple[str, str], ...] = (
    (
        "`services.<name>.release`",
        "`strategy` rolling, blue_green, canary or linear. `bakeMinutes` 0..1440, required by the non-rolling "
        "strategies and refused with rolling; `canary` {percent 0.1..100 in steps of 0.1, intervalMinutes "
        "0..1440} only and always with canary; `linear` {stepPercent 3..100 in steps of 0.1, intervalMinutes "
        "0..1440} only and always with linear. Source: ECS API DeploymentConfiguration, CanaryConfiguration, "
        "LinearConfiguration.",
    ),
    (
        "`services.<name>.release.strategy` (non-rolling)",
        "Needs a web service (`containerPort`): ECS shifts traffic through the load balancer's listener rules. "
        f"`deployment.minimumHealthyPercent` must be {NON_ROLLING_MIN_HEALTHY} and `deployment.maximumPercent` "
        f"{NON_ROLLING_MAX_PERCENT} (the green revision runs at full size beside blue). Every "
        "`release.smokeTest.paths[]` must match one of the service's `pathPatterns` (the smoke test calls it "
        "through the test listener, whose rule has the same conditions), and there must be something to call: the "
        "routed `healthCheckPath` or one such path.",
    ),
    (
        "`services.<name>.release.adopt`",
        "Only with a non-rolling strategy, and only for the one `pulumi up` that switches an existing rolling "
        "service: without it that update fails its provider check (ignoreChanges drops the alternate target group "
        "the old state lacks); left set, every later `pulumi up` would reset what ECS swapped during releases.",
    ),
    (
        "`services.<name>.release.smokeTest`",
        f"At most {SMOKE_PATHS_MAX} request paths in all, the routed health check path included (starting with "
        f"`/`, no wildcards); `timeoutSeconds` {SMOKE_TIMEOUT_SECONDS[0]}..{SMOKE_TIMEOUT_SECONDS[1]}; "
        f"`maxLatencyMs` {SMOKE_LATENCY_MS[0]}..the timeout; every path at its full timeout must fit the hook "
        "function's timeout (components/smoke_test_hook.py). The hook's limits, so it never refuses what loads.",
    ),
)


def tenth_problem(value: float, low: float, high: float) -> str | None:
    """Why ECS refuses a percentage: outside low..high, or not a multiple of 0.1."""
    if not low <= value <= high:
        return f"ECS accepts {low:g}..{high:g} (got {value:g})"
    if abs(value * 10 - round(value * 10)) > 1e-9:
        return f"ECS accepts multiples of 0.1 only (got {value:g})"
    return None


class CanaryConfig(Section):
    percent: float = Field(
        description="Share of production traffic the new revision gets first, percent: 0.1..100 in steps of 0.1."
    )
    interval_minutes: int = Field(
        ge=BAKE_MINUTES[0],
        le=BAKE_MINUTES[1],
        description="Minutes traffic stays at the canary share before the rest shifts (0..1440).",
    )

    @field_validator("percent")
    @classmethod
    def _percent(cls, value: float) -> float:
        if problem := tenth_problem(value, *CANARY_PERCENT):
            raise ValueError(problem)
        return value


class LinearConfig(Section):
    step_percent: float = Field(
        description="Share of production traffic shifted per step, percent: 3..100 in steps of 0.1."
    )
    interval_minutes: int = Field(
        ge=BAKE_MINUTES[0], le=BAKE_MINUTES[1], description="Minutes between two steps (0..1440)."
    )

    @field_validator("step_percent")
    @classmethod
    def _step(cls, value: float) -> float:
        if problem := tenth_problem(value, *LINEAR_STEP_PERCENT):
            raise ValueError(problem)
        return value


class SmokeTestConfig(Section):
    paths: list[str] = Field(
        default=[],
        description="Request paths the smoke test calls through the test listener besides `healthCheckPath`.",
    )
    timeout_seconds: int = Field(
        default=5,
        ge=SMOKE_TIMEOUT_SECONDS[0],
        le=SMOKE_TIMEOUT_SECONDS[1],
        description="Seconds one smoke request may take before it counts as failed.",
    )
    max_latency_ms: int = Field(
        default=1000,
        ge=SMOKE_LATENCY_MS[0],
        le=SMOKE_LATENCY_MS[1],
        description="Slowest answer that still passes, milliseconds; slower fails the release.",
    )

    @model_validator(mode="after")
    def _paths(self) -> SmokeTestConfig:
        if len(self.paths) > SMOKE_PATHS_MAX:
            raise FieldError("paths", f"at most {SMOKE_PATHS_MAX} paths (got {len(self.paths)})")
        for index, path in enumerate(self.paths):
            if not _REQUEST_PATH.match(path) or len(path) > 1024:
                raise FieldError(
                    f"paths[{index}]", "a request path: starts with '/', no spaces or wildcards, 1024 characters"
                )
        if self.max_latency_ms > self.timeout_seconds * 1000:
            raise FieldError(
                "maxLatencyMs",
                f"{self.max_latency_ms} ms exceeds timeoutSeconds ({self.timeout_seconds} s): the request would "
                "time out first",
            )
        return self


class ReleaseConfig(Section):
    strategy: Strategy = Field(
        description="ECS deployment strategy: `rolling` replaces tasks in batches; `blue_green` starts a full new "
        "revision, smoke-tests it on the test listener, then shifts all traffic; `canary` shifts `canary.percent` "
        "first; `linear` shifts `linear.stepPercent` per step. Non-rolling strategies need a web service."
    )
    bake_minutes: int | None = Field(
        default=None,
        ge=BAKE_MINUTES[0],
        le=BAKE_MINUTES[1],
        description="Minutes the old revision keeps running after all traffic has shifted, so a rollback is a "
        "listener-weight flip (0..1440; non-rolling only).",
    )
    canary: CanaryConfig | None = Field(default=None, description="Canary settings (strategy `canary` only).")
    linear: LinearConfig | None = Field(default=None, description="Linear settings (strategy `linear` only).")
    smoke_test: SmokeTestConfig = Field(
        default=SmokeTestConfig(), description="What the smoke-test hook checks before production traffic moves."
    )
    adopt: bool = Field(
        default=False,
        description="Set for the one `pulumi up` that moves an already deployed service from rolling to this "
        "strategy, then remove it: Pulumi then writes the weighted rules and the alternate target group instead "
        "of keeping what ECS owns once releases run (ignoreChanges), which an existing service does not have yet.",
    )

    @property
    def rolling(self) -> bool:
        return self.strategy == "rolling"

    @model_validator(mode="after")
    def _fits_strategy(self) -> ReleaseConfig:
        if self.rolling and self.adopt:
            raise FieldError("adopt", "adopts a service into blue_green, canary or linear; remove it for rolling")
        if self.rolling and self.bake_minutes is not None:
            raise FieldError("bakeMinutes", "applies to blue_green, canary and linear only; remove it for rolling")
        if not self.rolling and self.bake_minutes is None:
            raise FieldError("bakeMinutes", f"missing: strategy {self.strategy} needs a bake time (0..1440 minutes)")
        for block, owner in (("canary", "canary"), ("linear", "linear")):
            given = getattr(self, block) is not None
            if given and self.strategy != owner:
                raise FieldError(block, f"applies to strategy {owner} only (strategy is {self.strategy})")
            if not given and self.strategy == owner:
                raise FieldError(block, f"missing: strategy {owner} needs release.{block} (see the reference)")
        return self


def unmatched(paths: Sequence[str], patterns: Sequence[str]) -> list[int]:
    """Indexes of `paths` no ALB path pattern matches (`*` any run of characters, `?` one, case-sensitive)."""
    return [i for i, path in enumerate(paths) if not any(fnmatch.fnmatchcase(path, p) for p in patterns)]
