"""Shared plumbing every component uses: type tokens, child options and tags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

PACKAGE = "app-platform"


@dataclass(frozen=True)
class AwsContext:
    """Where resources land. Passed in, never looked up, so that components stay pure and testable."""

    account_id: pulumi.Input[str]
    """The 12-digit AWS account ID the stack deploys into; required (an Output of the caller identity in a
    program), because key, bucket and trust policies must name it."""
    region: str
    """The AWS Region code (e.g. `eu-central-1`) every resource of the provider lands in; required, never looked
    up, so ARNs and service principals can be built before anything exists."""
    partition: str = "aws"
    """The ARN partition (`aws`, `aws-cn`, `aws-us-gov`); default `aws`, the commercial Regions the platform
    targets."""


class PlatformComponent(pulumi.ComponentResource):
    """Base for every component: a stable `app-platform:<module>:<Class>` token and tag handling.

    Provider `default_tags` are invisible to the mock engine and to policy packs, so components put the
    tags on every taggable child themselves (see `tags_for`).
    """

    def __init__(
        self,
        module: str,
        name: str,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"{PACKAGE}:{module}:{type(self).__name__}", name, None, opts)
        self._name = name
        self._tags = dict(tags)

    def register_declared_outputs(self) -> None:
        """Register every public attribute the component's classes annotate, so the registered outputs are the
        documented ones and a new output cannot be forgotten. Call it last in the constructor."""
        names = [
            name
            for klass in reversed(type(self).__mro__)
            if issubclass(klass, PlatformComponent) and klass is not PlatformComponent
            for name in vars(klass).get("__annotations__", {})
            if not name.startswith("_")
        ]
        self.register_outputs({name: _output_value(getattr(self, name, None)) for name in dict.fromkeys(names)})

    def child(self, **kwargs: object) -> pulumi.ResourceOptions:
        """Options for a child resource: always parented to this component."""
        return pulumi.ResourceOptions(parent=self, **kwargs)  # type: ignore[arg-type]

    def tags_for(self, suffix: str | None = None) -> dict[str, str]:
        """The common tags plus a readable `Name` (the console shows it; AWS ignores it otherwise)."""
        name = self._name if suffix is None else f"{self._name}-{suffix}"
        return {**self._tags, "Name": name}


def _output_value(value: Any) -> Any:
    """A value the engine can store as a component output: resources, Outputs and plain data as they are,
    containers and dataclasses as plain dicts and lists of them."""
    if value is None or isinstance(value, pulumi.Resource | pulumi.Output | str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): _output_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_output_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _output_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"output of type {type(value).__name__} cannot be registered")
