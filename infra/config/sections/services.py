"""Container service settings: one entry per service under `services`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from infra.config.errors import FieldError
from infra.config.sections.base import Section, looks_secret

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
    uri: str | None = Field(default=None, description="A prebuilt image URI to run instead of building one.")

    @model_validator(mode="after")
    def _one_source(self) -> ImageConfig:
        if (self.context is None) == (self.uri is None):
            raise FieldError("context", "set exactly one of image.context (build) or image.uri (prebuilt)")
        return self


class ServiceConfig(Section):
    image: ImageConfig = Field(description="What to run: a build context or an image URI.")
    cpu: int = Field(description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int = Field(description="Fargate memory in MiB; must be a size AWS pairs with `cpu`.")
    desired_count: int = Field(ge=0, le=1000, description="Tasks to run at deploy time (autoscaling adjusts it).")
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
        description="Who sets the image and task count: `pulumi` deploys them; `ci` owns releases and Pulumi "
        "ignores those fields.",
    )
    environment: dict[str, str] = Field(default={}, description="Plain, non-secret environment variables.")

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
        if not self.min_count <= self.desired_count <= self.max_count:
            raise FieldError("desiredCount", f"must lie within minCount..maxCount ({self.min_count}..{self.max_count})")
        for key in self.environment:
            if looks_secret(key):
                raise FieldError(
                    "environment",
                    f"{key!r} looks like a secret; put it in `secrets` (Secrets Manager), not in plain environment",
                )
        return self
