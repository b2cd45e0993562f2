"""A plan's monthly estimate: charges priced from the table, per resource and per component, and deltas.

Unpriced lines (no sourced price) stay in the estimate with their quantity and are left out of the total;
`complete` says whether the total covers every billable line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from offline.cost.prices import PriceTable
from offline.cost.rules import FREE, NOT_MODELLED, PRICERS, Charge, Context, classify
from offline.cost.usage import Usage
from offline.plan import Plan, ResourceRecord


@dataclass(frozen=True)
class Line:
    description: str
    quantity: float
    unit: str
    key: str
    region: str
    unit_usd: float | None
    monthly_usd: float | None
    usage_keys: tuple[str, ...]
    source: str | None
    verified: bool
    note: str
    problem: str | None  # why the line is unpriced: no table line, or no sourced price

    @property
    def priced(self) -> bool:
        return self.monthly_usd is not None

    @property
    def usage_dependent(self) -> bool:
        return bool(self.usage_keys)


@dataclass(frozen=True)
class ResourceCost:
    urn: str
    type: str
    name: str
    component: str | None  # nearest component URN
    component_path: tuple[str, ...]  # component names from the top-level component down
    lines: tuple[Line, ...]

    @property
    def monthly_usd(self) -> float:
        return sum(line.monthly_usd or 0.0 for line in self.lines)

    @property
    def unpriced(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if not line.priced)


@dataclass(frozen=True)
class ComponentCost:
    urn: str
    type: str
    name: str
    path: tuple[str, ...]
    depth: int
    monthly_usd: float
    unpriced_lines: int


@dataclass
class Estimate:
    project: str
    stack: str
    resources: list[ResourceCost]
    components: list[ComponentCost]
    unclassified: list[ResourceRecord]
    not_modelled: Counter[str]
    table: PriceTable
    usage: Usage
    usage_path: str | None
    regions: list[str] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return sum(r.monthly_usd for r in self.resources)

    @property
    def lines(self) -> list[tuple[ResourceCost, Line]]:
        return [(r, line) for r in self.resources for line in r.lines]

    @property
    def unpriced(self) -> list[tuple[ResourceCost, Line]]:
        return [(r, line) for r, line in self.lines if not line.priced]

    @property
    def usage_dependent_usd(self) -> float:
        return sum(line.monthly_usd or 0.0 for _, line in self.lines if line.usage_dependent)

    @property
    def complete(self) -> bool:
        return not self.unpriced and not self.unclassified

    def top(self, count: int = 5) -> list[ResourceCost]:
        return sorted(self.resources, key=lambda r: (-r.monthly_usd, r.urn))[:count]


def estimate(plan: Plan, table: PriceTable, usage: Usage, usage_path: str | None = None) -> Estimate:
    regions = {r.urn: str(r.inputs.get("region")) for r in plan.resources if r.type == "pulumi:providers:aws"}
    default = next((region for urn, region in regions.items() if urn.endswith("::aws")), None)
    ctx = Context(plan, usage, regions, default or next(iter(regions.values()), "us-east-1"))
    by_urn = {r.urn: r for r in plan.resources}
    resources: list[ResourceCost] = []
    unclassified: list[ResourceRecord] = []
    not_modelled: Counter[str] = Counter()
    for record in plan.resources:
        kind = classify(record)
        if kind == "unclassified":
            unclassified.append(record)
        elif kind == "not-modelled":
            not_modelled[record.type] += 1
        elif kind == "priced":
            lines = tuple(_price(charge, table) for charge in PRICERS[record.type](record, ctx))
            if lines:
                chain = _components(record, by_urn)
                resources.append(
                    ResourceCost(
                        record.urn,
                        record.type,
                        record.name,
                        chain[-1].urn if chain else None,
                        tuple(c.name for c in chain),
                        lines,
                    )
                )
    return Estimate(
        plan.project,
        plan.stack,
        resources,
        _component_totals(resources, by_urn),
        unclassified,
        not_modelled,
        table,
        usage,
        usage_path,
        sorted(set(regions.values())),
    )


def _price(charge: Charge, table: PriceTable) -> Line:
    price = table.get(charge.key, charge.region)
    unit = price.unit if price else "?"
    if price is None:
        problem = f"no line for {charge.key} in {charge.region} in the price table"
    elif price.usd is None:
        problem = f"no sourced price for {charge.key} in {price.region}"
    else:
        problem = None
    usd = price.usd if price is not None else None
    return Line(
        description=charge.description,
        quantity=charge.quantity,
        unit=unit,
        key=charge.key,
        region=price.region if price else charge.region,
        unit_usd=usd,
        monthly_usd=None if usd is None else round(charge.quantity * usd, 6),
        usage_keys=charge.usage_keys,
        source=price.source if price else None,
        verified=bool(price and price.verified),
        note="; ".join(n for n in (charge.note, price.note if price else "") if n),
        problem=problem,
    )


def _components(record: ResourceRecord, by_urn: dict[str, ResourceRecord]) -> list[ResourceRecord]:
    """The component ancestors of a resource, outermost first (the stack itself excluded)."""
    chain: list[ResourceRecord] = []
    parent = by_urn.get(record.parent) if record.parent else None
    while parent is not None and not parent.type.startswith("pulumi:pulumi:"):
        if not parent.custom:
            chain.append(parent)
        parent = by_urn.get(parent.parent) if parent.parent else None
    return chain[::-1]


def _component_totals(resources: list[ResourceCost], by_urn: dict[str, ResourceRecord]) -> list[ComponentCost]:
    totals: dict[str, list[float]] = {}
    for resource in resources:
        record = by_urn[resource.urn]
        for component in _components(record, by_urn):
            entry = totals.setdefault(component.urn, [0.0, 0.0])
            entry[0] += resource.monthly_usd
            entry[1] += len(resource.unpriced)
    out = []
    for urn, (usd, unpriced) in totals.items():
        record = by_urn[urn]
        path = (*(c.name for c in _components(record, by_urn)), record.name)
        out.append(ComponentCost(urn, record.type, record.name, path, len(path) - 1, round(usd, 6), int(unpriced)))
    return sorted(out, key=lambda c: c.path)


# -- delta between two estimates (a pull request against its base) ------------------------------------------
@dataclass(frozen=True)
class ResourceDelta:
    urn: str
    type: str
    name: str
    change: str  # added, removed, changed
    base_usd: float
    head_usd: float
    unpriced_keys: tuple[str, ...]  # keys of unpriced lines added or removed by the change

    @property
    def delta_usd(self) -> float:
        return round(self.head_usd - self.base_usd, 6)


@dataclass
class Delta:
    base: Estimate
    head: Estimate
    resources: list[ResourceDelta]

    @property
    def delta_usd(self) -> float:
        return round(self.head.total_usd - self.base.total_usd, 6)

    @property
    def complete(self) -> bool:
        return not any(r.unpriced_keys for r in self.resources)

    def top(self, count: int = 5) -> list[ResourceDelta]:
        return sorted(self.resources, key=lambda r: (-abs(r.delta_usd), r.urn))[:count]


def _signature(resource: ResourceCost | None) -> Counter[tuple[str, str, float]]:
    if resource is None:
        return Counter()
    return Counter((line.key, line.region, round(line.quantity, 9)) for line in resource.lines if not line.priced)


def compare(base: Estimate, head: Estimate) -> Delta:
    before = {r.urn: r for r in base.resources}
    after = {r.urn: r for r in head.resources}
    changes = []
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        base_usd = old.monthly_usd if old else 0.0
        head_usd = new.monthly_usd if new else 0.0
        priced_same = [(line.key, line.quantity, line.monthly_usd) for line in (old.lines if old else ())] == [
            (line.key, line.quantity, line.monthly_usd) for line in (new.lines if new else ())
        ]
        unpriced = _signature(new) - _signature(old) + (_signature(old) - _signature(new))
        if priced_same and not unpriced:
            continue
        sample = new or old
        assert sample is not None
        change = "added" if old is None else "removed" if new is None else "changed"
        changes.append(
            ResourceDelta(
                urn,
                sample.type,
                sample.name,
                change,
                round(base_usd, 6),
                round(head_usd, 6),
                tuple(sorted({key for key, _, _ in unpriced})),
            )
        )
    return Delta(base, head, changes)


__all__ = ["FREE", "NOT_MODELLED", "PRICERS", "Delta", "Estimate", "Line", "compare", "estimate"]
