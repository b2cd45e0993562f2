"""Shared plumbing every component uses: type tokens, child options and tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

PACKAGE = "app-platform"


@dataclass(frozen=True)
class AwsContext:
    """Where resources land. Passed in, never looked up, so that components stay pure and testable."""

    account_id: pulumi.Input[str]
    region: str
    partition: str = "aws"


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

    def child(self, **kwargs: object) -> pulumi.ResourceOptions:
        """Options for a child resource: always parented to this component."""
        return pulumi.ResourceOptions(parent=self, **kwargs)  # type: ignore[arg-type]

    def tags_for(self, suffix: str | None = None) -> dict[str, str]:
        """The common tags plus a readable `Name` (the console shows it; AWS ignores it otherwise)."""
        name = self._name if suffix is None else f"{self._name}-{suffix}"
        return {**self._tags, "Name": name}
