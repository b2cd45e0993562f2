"""The stack view: the joins cross-resource rules need, decided as the engine would decide them."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import PolicyResource, StackValidationArgs

from .common import items, known

# -- stack joins ----------------------------------------------------------------------------------------------
IDENTITY_KEYS = ("id", "arn", "name", "bucket", "arnSuffix")


class StackView:
    """The stack's resources with the joins the cross-resource rules need.

    A reference from `source.<prop>` to `target` is decided, in order, by the property dependencies the engine
    reports; by equal values when both ids are known (an update, or `pulumi up`); otherwise by `source`
    depending on `target` (a new resource's id is unknown during preview, but the dependency is always there).
    """

    def __init__(self, args: StackValidationArgs) -> None:
        self.args = args
        self.resources: list[PolicyResource] = list(args.resources)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for r in self.resources if r.resource_type in types]

    def not_applicable(self, reason: str) -> None:
        self.args.not_applicable(reason)

    @staticmethod
    def references(source: PolicyResource, prop: str, target: PolicyResource) -> bool:
        """`prop` may be a dotted path (`accessLogs.bucket`); property dependencies are per top-level input."""
        path = prop.split(".")
        deps = source.property_dependencies.get(path[0])
        if deps:
            return any(d.urn == target.urn for d in deps)
        value = known(source.props, *path)
        ids = {str(v) for k in IDENTITY_KEYS if (v := known(target.props, k)) not in (None, "")}
        if value not in (None, "") and ids and {str(v) for v in items(value)} & ids:
            return True
        # Only the dependency graph is left. When `source` depends on several resources of the target's type
        # (a BucketLogging on its bucket and on the log bucket), the one declared next to it (same parent)
        # wins; if that still leaves several, nothing is assumed: an ambiguous join never counts as a pass.
        same_type = [d for d in source.dependencies if d.resource_type == target.resource_type]
        if len(same_type) > 1:
            same_type = [d for d in same_type if _parent(d) == _parent(source)]
        return len(same_type) == 1 and same_type[0].urn == target.urn

    def second_reference(
        self, source: PolicyResource, prop: str, candidates: Sequence[PolicyResource], first: PolicyResource
    ) -> PolicyResource | None:
        """The resource `source.<prop>` points at when `source` also points at `first` through another input
        (a BucketLogging's targetBucket next to its bucket): resolved by property dependencies or known ids when
        there are any, else the one other dependency among `candidates`, else `first` itself (a self-reference)."""
        if source.property_dependencies.get(prop) or known(source.props, prop) in {
            str(known(c.props, k)) for c in candidates for k in IDENTITY_KEYS if known(c.props, k)
        }:
            found = [c for c in candidates if self.references(source, prop, c)]
            return found[0] if len(found) == 1 else None
        others = [c for c in candidates if c.urn != first.urn and self.depends_on(source, c)]
        if len(others) == 1:
            return others[0]
        return first if not others and self.depends_on(source, first) else None

    def referencing(self, target: PolicyResource, types: Sequence[str], prop: str) -> list[PolicyResource]:
        """Resources of `types` whose `prop` points at `target`."""
        return [r for r in self.of_type(*types) if self.references(r, prop, target)]

    def depends_on(self, source: PolicyResource, target: PolicyResource) -> bool:
        return any(d.urn == target.urn for d in source.dependencies)


def _parent(resource: PolicyResource) -> str | None:
    if resource.parent is not None:
        return resource.parent.urn
    return resource.opts.parent if resource.opts is not None else None
