"""Container service settings: one entry per service under `services`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.smoke_test_hook import check_budget
from hooks.smoke_test import handler
from infra.config.errors import FieldError
from infra.config.sections.base import Section, checked
from infra.config.sections.release import NON_ROLLING_MAX_PERCENT, NON_ROLLING_MIN_HEALTHY, ReleaseConfig, unmatched
from infra.config.syntax import (
    CONDITION_VALUES_PER_RULE,
    PRIORITY_RANGE,
    WILDCARDS_PER_RULE,
    host_header_problem,
    path_pattern_problem,
    time_zone_problem,
    wildcards,
)
from policies.credential_patterns import SECRET_NAME, credential_finding

# Fargate task sizes AWS accepts (Linux): CPU units -> allowed memory in MiB.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


class ImageConfig(Section):
    context: str | None = Field(
        default=None, description="Docker build context (relative to the project), built and pushed to ECR."
    )
    uri: str | None = Field(
        default=None,
        description="A prebuilt image URI to run instead of building one. It runs as UID 10001 on a read-only "
        "root: the image must own /tmp for 10001 and declare it a VOLUME (app/README.md).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> ImageConfig:
        if (self.context is None) == (self.uri is None):
            raise FieldError("context", "set exactly one of image.context (build) or image.uri (prebuilt)")
        return self


class ScheduleConfig(Section):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$", description="Short name of the scheduled action.")
    schedule: str = Field(
        pattern=r"^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)"
        r"|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$",
        description="Application Auto Scaling schedule: cron(...), rate(...) or at(...).",
    )
    min_count: int = Field(ge=0, le=1000, description="Floor while the schedule applies.")
    max_count: int = Field(ge=1, le=1000, description="Ceiling while the schedule applies.")
    timezone: Annotated[str, checked(time_zone_problem)] = Field(
        default="UTC", description="IANA time zone of the schedule (zoneinfo)."
    )


class AutoscalingConfig(Section):
    cpu_target: float = Field(default=70, gt=0, le=100, description="Target average CPU utilisation, percent.")
    memory_target: float = Field(default=75, gt=0, le=100, description="Target average memory utilisation, percent.")
    requests_per_target: int | None = Field(
        default=1000, ge=1, description="Target ALB requests per task per minute; unset to disable."
    )
    scale_in_cooldown: int = Field(default=300, ge=0, le=3600, description="Seconds between scale-in steps.")
    scale_out_cooldown: int = Field(default=60, ge=0, le=3600, description="Seconds between scale-out steps.")
    schedules: list[ScheduleConfig] = Field(default=[], description="Optional scheduled capacity changes.")


class DeploymentConfig(Section):
    """`services.<name>.deployment`: ECS's DeploymentConfiguration names (`minimumHealthyPercent`,
    `maximumPercent`) and the component's Deployment group; the old flat keys still work (infra/config/renames.py)."""

    minimum_healthy_percent: int = Field(
        ge=0, le=100, description="Rolling-update floor: percent of the desired tasks that stay running and healthy."
    )
    maximum_percent: int = Field(
        ge=100, le=400, description="Rolling-update ceiling: percent of the desired tasks running or pending."
    )
    health_check_grace_seconds: int = Field(
        default=60, ge=0, le=2147483647, description="Seconds before ALB health checks count."
    )
    stop_timeout_seconds: int = Field(default=30, ge=2, le=120, description="Grace period after SIGTERM.")


class ServiceConfig(Section):
    image: ImageConfig = Field(description="What to run: a build context or an image URI.")
    cpu: int = Field(description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int = Field(description="Fargate memory in MiB; must be a size AWS pairs with `cpu`.")
    desired_count: int = Field(
        ge=0,
        le=1000,
        description="Tasks the service starts with; afterwards autoscaling owns the count (later changes are ignored).",
    )
    min_count: int = Field(ge=0, le=1000, description="Autoscaling floor.")
    max_count: int = Field(ge=1, le=1000, description="Autoscaling ceiling.")
    container_port: int | None = Field(
        default=None, ge=1024, le=65535, description="Port the container serves HTTP on; unset for a worker."
    )
    health_check_path: str = Field(default="/health", pattern=r"^/", description="Path the ALB health check calls.")
    path_patterns: list[str] = Field(default=["/*"], description="ALB listener path patterns routed to it.")
    architecture: Literal["ARM64", "X86_64"] = Field(default="ARM64", description="CPU architecture of the task.")
    deploy_owner: Literal["pulumi", "ci"] = Field(
        default="pulumi",
        description="Who releases new images: `pulumi` deploys the image it builds on every `pulumi up`; `ci` "
        "releases with `ops release` through a release pointer (SSM) the program reads, so the task definition "
        "stays managed. `ci` needs `image.context` (the first image). See docs/runbooks/deploy.md.",
    )
    environment: dict[str, str] = Field(default={}, description="Plain, non-secret environment variables.")
    secrets: list[str] = Field(
        default=[], description="Names of application secrets (see `secrets`) injected as environment variables."
    )
    use_database: bool = Field(
        default=True, description="Inject the database host/port/name and its RDS-managed credentials."
    )
    priority: int | None = Field(
        default=None,
        ge=PRIORITY_RANGE[0],
        le=PRIORITY_RANGE[1],
        description="Listener rule priority, unique in the stack; default: 10, 20, ... by service name order.",
    )
    host_headers: list[str] = Field(default=[], description="Host names routed to it (default: any).")
    autoscaling: AutoscalingConfig = Field(default=AutoscalingConfig(), description="Target tracking and schedules.")
    exec_enabled: bool = Field(description="Allow ECS Exec (audited shell access to tasks).")
    spot_weight: int = Field(
        ge=0, le=10, description="FARGATE_SPOT weight above the on-demand base (minCount); 0 = on-demand only."
    )
    deployment: DeploymentConfig = Field(
        description="How ECS replaces tasks: rolling-update floor and ceiling, health-check grace, stop timeout "
        "(named as ECS and the ContainerService component name them)."
    )
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600, description="Connection draining time.")
    slow_start_seconds: int = Field(
        default=0,
        description="Traffic ramp-up for new targets: 0 or 30..900. ELB cannot combine it with least "
        "outstanding requests, so a service with slow start is routed round robin.",
    )
    release: ReleaseConfig = Field(
        description="How new revisions roll out (ECS deployment strategy) and the smoke test that can stop one; "
        "workers always roll (they have no load balancer to shift)."
    )

    @model_validator(mode="after")
    def _sizes(self) -> ServiceConfig:
        if self.cpu not in FARGATE_SIZES:
            raise FieldError("cpu", f"allowed CPU units: {', '.join(map(str, FARGATE_SIZES))}")
        allowed = FARGATE_SIZES[self.cpu]
        if self.memory not in allowed:
            raise FieldError(
                "memory",
                f"Fargate with cpu {self.cpu} accepts memory {allowed[0]}..{allowed[-1]} MiB "
                f"in steps of {allowed[1] - allowed[0]} (got {self.memory})",
            )
        if self.min_count > self.max_count:
            raise FieldError("minCount", f"minCount ({self.min_count}) exceeds maxCount ({self.max_count})")
        if not self.min_count <= self.desired_count <= self.max_count:
            raise FieldError("desiredCount", f"must lie within minCount..maxCount ({self.min_count}..{self.max_count})")
        if self.slow_start_seconds != 0 and not 30 <= self.slow_start_seconds <= 900:
            raise FieldError("slowStartSeconds", "AWS accepts 0 (off) or 30..900 seconds")
        if self.deploy_owner == "ci" and self.image.context is None:
            raise FieldError(
                "deployOwner",
                "`ci` releases images into the service's own ECR repository, which exists only with image.context "
                "(its build is the first release); set image.context or use deployOwner `pulumi`",
            )
        for index, schedule in enumerate(self.autoscaling.schedules):
            if schedule.min_count > schedule.max_count:
                raise FieldError(
                    f"autoscaling.schedules[{index}].minCount",
                    f"schedule {schedule.name}: minCount ({schedule.min_count}) exceeds "
                    f"maxCount ({schedule.max_count})",
                )
        return self

    @model_validator(mode="after")
    def _routing(self) -> ServiceConfig:
        for field, values, check in (
            ("pathPatterns", self.path_patterns, path_pattern_problem),
            ("hostHeaders", self.host_headers, host_header_problem),
        ):
            for index, value in enumerate(values):
                problem = check(value)
                if problem:
                    raise FieldError(f"{field}[{index}]", problem)
        if not self.path_patterns:
            raise FieldError("pathPatterns", "give at least one path pattern ('/*' routes every path)")
        if len(self.path_patterns) + len(self.host_headers) > CONDITION_VALUES_PER_RULE:
            raise FieldError(
                "pathPatterns",
                f"a listener rule holds at most {CONDITION_VALUES_PER_RULE} condition values; pathPatterns and "
                f"hostHeaders give {len(self.path_patterns) + len(self.host_headers)}",
            )
        if wildcards([*self.path_patterns, *self.host_headers]) > WILDCARDS_PER_RULE:
            raise FieldError(
                "pathPatterns", f"a listener rule holds at most {WILDCARDS_PER_RULE} wildcards (* and ?) in all"
            )
        return self

    @model_validator(mode="after")
    def _release_fits_service(self) -> ServiceConfig:
        """The non-rolling strategies shift traffic between two target groups through listener rules, so they need
        a web service, and the rolling-update floor and ceiling must describe what they really do."""
        release = self.release
        if release.rolling:
            return self
        if self.container_port is None:
            raise FieldError(
                "release.strategy",
                f"{release.strategy} shifts traffic through the load balancer; a worker (no containerPort) can only "
                "use rolling",
            )
        for key, value, wanted in (
            ("deployment.minimumHealthyPercent", self.deployment.minimum_healthy_percent, NON_ROLLING_MIN_HEALTHY),
            ("deployment.maximumPercent", self.deployment.maximum_percent, NON_ROLLING_MAX_PERCENT),
        ):
            if value != wanted:
                raise FieldError(
                    key,
                    f"must be {wanted} with release.strategy {release.strategy}: ECS runs the new revision at full "
                    f"size beside the old one (rolling-update setting; got {value})",
                )
        for index in unmatched(release.smoke_test.paths, self.path_patterns):
            raise FieldError(
                f"release.smokeTest.paths[{index}]",
                f"no pathPatterns entry {self.path_patterns} matches it: the test listener would answer 404",
            )
        if not self.smoke_paths():
            raise FieldError(
                "release.smokeTest.paths",
                f"the smoke test has nothing to call: healthCheckPath {self.health_check_path} is outside "
                f"pathPatterns {self.path_patterns}; list at least one path under them",
            )
        self._smoke_test_fits_the_hook()
        return self

    def _smoke_test_fits_the_hook(self) -> None:
        """What the hook would refuse at render (hookDetails) is refused here, by key: too many paths with the
        health check, or paths x timeout beyond the hook function's timeout."""
        smoke = self.release.smoke_test
        try:
            handler.parse_paths(self.smoke_paths())
        except handler.DetailsError as error:
            raise FieldError("release.smokeTest.paths", f"{error} (the routed healthCheckPath counts)") from None
        try:
            check_budget(len(self.smoke_paths()), smoke.timeout_seconds, smoke.max_latency_ms)
        except handler.DetailsError as error:
            raise FieldError("release.smokeTest.timeoutSeconds", str(error)) from None

    def smoke_paths(self) -> list[str]:
        """What the smoke test calls through the test listener: the health check path when the service's rule
        routes it, then `release.smokeTest.paths`, each once."""
        routed_health = [] if unmatched([self.health_check_path], self.path_patterns) else [self.health_check_path]
        return list(dict.fromkeys([*routed_health, *self.release.smoke_test.paths]))

    @model_validator(mode="after")
    def _plain_environment(self) -> ServiceConfig:
        """Environment values reach the task definition and the plan in plain text: no credentials there."""
        for key, value in self.environment.items():
            reason = credential_finding(key, value)
            if reason is None and SECRET_NAME.search(key):
                reason = "its name says it is a secret"
            if reason is not None:
                name = secret_name(key)
                raise FieldError(
                    f"environment.{key}",
                    f"looks like a credential ({reason}); plain environment values sit in the task definition and "
                    f"the plan in plain text. Store it as a secret: `pulumi config set --secret --path "
                    f"'app-platform:secrets.{name}' <value>`, list {name!r} in this service's `secrets` (the "
                    f"container sees it as {env_name(name)}) and remove it from `environment`",
                    hide_value=True,
                )
        return self


def secret_name(variable: str) -> str:
    """DATABASE_URL -> databaseUrl: the `secrets` entry whose environment name (see tiers.services.env_name) is
    the variable."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", variable) if w]
    if len(words) == 1 and not words[0].isupper():
        name = words[0][0].lower() + words[0][1:]  # already camelCase
    else:
        name = "".join(w.lower() if i == 0 else w.capitalize() for i, w in enumerate(words))
    return (name if name[:1].isalpha() else f"secret{name}")[:64]


def env_name(secret: str) -> str:
    """stripeApiKey -> STRIPE_API_KEY: how an application secret appears in the container."""
    out = "".join(f"_{c}" if c.isupper() else c for c in secret)
    return out.replace("-", "_").upper()
