"""Which inputs force each resource type to be replaced, and which types hold data: a reader of
`offline/data/replacements.json`.

The data was read from the providers' sources (terraform-provider-aws ForceNew schema attributes,
RequiresReplace plan modifiers, CustomizeDiff decisions; pulumi-docker's Diff; pulumi-aws's provider
region rule), one file per type with the commit read, and spelled in the SDK's camelCase input names
(checked against the installed pulumi_aws Args classes by tests/test_diff.py). Decisions that depend on
the old and new values (a CustomizeDiff) are named rules, implemented below.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "replacements.json"
RUNBOOK = "docs/runbooks/replace-protected-resource.md"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
# Every AWS resource replaces when its `region` input moves to another region (see region_forces).
ALWAYS_REPLACING = ("region",)


@dataclass(frozen=True)
class Conditional:
    """An input whose change replaces the resource only when `rule` says so (a CustomizeDiff or ModifyPlan)."""

    path: str  # one input path, or several separated by "|" that the rule looks at together
    rule: str
    why: str

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self.path.split("|"))


@dataclass(frozen=True)
class TypeData:
    type: str
    source: Mapping[str, Any]
    replace_on: tuple[str, ...]
    conditional: tuple[Conditional, ...] = ()
    stateful: bool = False
    notes: str = ""
    other_sources: Mapping[str, str] | None = None
    # Changes the provider rejects at plan time (a CustomizeDiff returning an error): `pulumi up` fails.
    plan_errors: tuple[Conditional, ...] = ()

    def forcing_roots(self) -> set[str]:
        """Top-level inputs whose unknown value (a replaced dependency's output) forces replacement."""
        roots = {p.split(".")[0] for p in self.replace_on}
        roots |= {c.path.split(".")[0] for c in self.conditional if c.rule in UNKNOWN_REPLACES}
        if self.type.startswith("aws:"):
            roots |= set(ALWAYS_REPLACING)
        return roots


@functools.cache
def load(path: Path = DATA) -> dict[str, TypeData]:
    raw = json.loads(path.read_text())
    out: dict[str, TypeData] = {}
    for type_, entry in raw["types"].items():
        out[type_] = TypeData(
            type=type_,
            source=entry["source"],
            replace_on=tuple(entry["replaceOn"]),
            conditional=tuple(Conditional(c["path"], c["rule"], c["why"]) for c in entry.get("conditional", ())),
            stateful=bool(entry.get("stateful")),
            notes=entry.get("notes", ""),
            other_sources=entry.get("otherSources"),
            plan_errors=tuple(Conditional(c["path"], c["rule"], c["why"]) for c in entry.get("planErrors", ())),
        )
    return out


def meta(path: Path = DATA) -> dict[str, Any]:
    return dict(json.loads(path.read_text())["meta"])


TYPES: dict[str, TypeData] = load()
# The unconditional replace-on-change inputs of each type (nested inputs dotted).
REPLACEMENT_INPUTS: dict[str, tuple[str, ...]] = {t: d.replace_on for t, d in TYPES.items()}
# Types that hold data: replacing or deleting one loses it (a database, its key, a bucket, a secret, logs).
STATEFUL_TYPES: frozenset[str] = frozenset(t for t, d in TYPES.items() if d.stateful)


def replacement_keys(type_: str) -> tuple[str, ...]:
    """The inputs that always replace a resource of this type when they change (plus `region` for AWS)."""
    if type_ not in TYPES:
        return ()
    return TYPES[type_].replace_on + (ALWAYS_REPLACING if type_.startswith("aws:") else ())


def has_data(type_: str) -> bool:
    return type_ in TYPES


# -- values at paths -----------------------------------------------------------------------------------------


def get_path(value: Any, path: str) -> Any:
    """The value at a dotted path; lists along the way yield a list of the values in each element."""
    for part in path.split("."):
        if isinstance(value, list):
            value = [get_path(v, part) for v in value]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _canon(items: Any) -> list[str]:
    return sorted(json.dumps(i, sort_keys=True) for i in (items or []))


# -- the named rules (CustomizeDiff / ModifyPlan decisions), old and new inputs -> replace? -----------------

Rule = Callable[[Mapping[str, Any], Mapping[str, Any], str], bool]


def _unless_ipv4_netmask(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return _empty(new.get("ipv4NetmaskLength"))


def _tenancy(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return not (old.get("instanceTenancy") == "dedicated" and new.get("instanceTenancy") in (None, "default"))


def _ipv6_cidr(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return not _empty(old.get("ipv6CidrBlock")) and bool(old.get("assignIpv6AddressOnCreation"))


def _unless_interface(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return (new.get("vpcEndpointType") or "Gateway") != "Interface"


_RULE_SOURCES = ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId")


def _source_kind(inputs: Mapping[str, Any]) -> str | None:
    return next((k for k in _RULE_SOURCES if not _empty(inputs.get(k))), None)


def _rule_source_kind(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return _source_kind(old) != _source_kind(new)


def _network(inputs: Mapping[str, Any]) -> bool:
    return inputs.get("loadBalancerType") == "network"


def _nlb_subnets(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    if not _network(new):
        return False
    before, after = set(_canon(old.get("subnets"))), set(_canon(new.get("subnets")))
    return not before < after


def _subnet_mappings(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    before, after = set(_canon(old.get("subnetMappings"))), set(_canon(new.get("subnetMappings")))
    if _network(new):
        return not before <= after
    return not (before <= after or after <= before)


def _nlb_security_groups(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return _network(new) and _empty(old.get("securityGroups")) != _empty(new.get("securityGroups"))


def _without_force_new_deployment(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return not new.get("forceNewDeployment")


def _arn_service(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    before, after = get_path(old, path), get_path(new, path)
    if not isinstance(after, str):
        return True  # unknown: the provider plans a replacement

    def service(arn: Any) -> str | None:
        parts = arn.split(":") if isinstance(arn, str) else []
        return parts[2] if len(parts) > 2 else None

    return service(before) != service(after)


def _when_decreased(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    before, after = get_path(old, path), get_path(new, path)
    return isinstance(before, int | float) and isinstance(after, int | float) and after < before


def _added_or_removed(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    return _empty(get_path(old, path)) != _empty(get_path(new, path))


RULES: dict[str, Rule] = {
    "unlessIpv4NetmaskLength": _unless_ipv4_netmask,
    "tenancyUnlessDedicatedToDefault": _tenancy,
    "ipv6CidrWhileAssignOnCreation": _ipv6_cidr,
    "unlessInterfaceEndpoint": _unless_interface,
    "ruleSourceKindChanges": _rule_source_kind,
    "nlbSubnetsUnlessGrowing": _nlb_subnets,
    "subnetMappingsUnlessPureAddRemove": _subnet_mappings,
    "nlbSecurityGroupsNoneToSome": _nlb_security_groups,
    "arnServiceChanges": _arn_service,
    "whenDecreased": _when_decreased,
    "changedWithoutForceNewDeployment": _without_force_new_deployment,
    "addedOrRemoved": _added_or_removed,
}
# Rules under which an input that becomes unknown (its dependency is replaced) forces replacement.
UNKNOWN_REPLACES = frozenset({"arnServiceChanges"})


def region_forces(old: Any, new: Any, provider_region: Any) -> bool:
    """forceNewIfRegionChanges: a move to another region replaces; unset <-> the provider's region does not."""
    if old == new:
        return False
    return bool((old or provider_region) != (new or provider_region))


def matches(changed: str, forcing: str) -> bool:
    """Does a change at `changed` (list indices allowed) touch the input path `forcing`?"""
    plain = _strip_indices(changed)
    return plain == forcing or plain.startswith(forcing + ".") or forcing.startswith(plain + ".")


def _strip_indices(path: str) -> str:
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)
