"""Writers for an estimate: stable JSON (schema `app-platform/cost-estimate@1`, read by the pull-request
comment) and Markdown for people. docs/cost.md documents every JSON field."""

from __future__ import annotations

from typing import Any

from offline.cost.estimate import Delta, Estimate, Line, ResourceCost
from offline.cost.rules import NOT_MODELLED

SCHEMA = "app-platform/cost-estimate@1"
TOP = 5


def usd(value: float) -> str:
    return f"${value:,.2f}"


def signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


# -- JSON --------------------------------------------------------------------------------------------------
def _line(line: Line) -> dict[str, Any]:
    return {
        "description": line.description,
        "quantity": round(line.quantity, 6),
        "unit": line.unit,
        "priceKey": line.key,
        "region": line.region,
        "unitUsd": line.unit_usd,
        "monthlyUsd": None if line.monthly_usd is None else round(line.monthly_usd, 4),
        "usageDependent": line.usage_dependent,
        "usageKeys": list(line.usage_keys),
        "source": line.source,
        "verified": line.verified,
        "note": line.note,
        "unpricedReason": line.problem,
    }


def _total(estimate: Estimate) -> dict[str, Any]:
    return {
        "monthlyUsd": round(estimate.total_usd, 2),
        "usageDependentUsd": round(estimate.usage_dependent_usd, 2),
        "pricedLines": len(estimate.lines) - len(estimate.unpriced),
        "unpricedLines": len(estimate.unpriced),
        "complete": estimate.complete,
    }


def _contributor(resource: ResourceCost) -> dict[str, Any]:
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "monthlyUsd": round(resource.monthly_usd, 2),
        "unpricedLines": len(resource.unpriced),
    }


def to_json(estimate: Estimate, delta: Delta | None = None) -> dict[str, Any]:
    table = estimate.table
    return {
        "schema": SCHEMA,
        "project": estimate.project,
        "stack": estimate.stack,
        "currency": "USD",
        "hoursPerMonth": table.hours_per_month,
        "priceTable": {"path": table.path, "updated": table.updated},
        "usage": {"path": estimate.usage_path, "values": estimate.usage.model_dump(by_alias=True)},
        "total": _total(estimate),
        "topContributors": [_contributor(r) for r in estimate.top(TOP)],
        "components": [
            {
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "path": list(c.path),
                "depth": c.depth,
                "monthlyUsd": round(c.monthly_usd, 2),
                "unpricedLines": c.unpriced_lines,
            }
            for c in estimate.components
        ],
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "component": r.component,
                "componentPath": list(r.component_path),
                "monthlyUsd": round(r.monthly_usd, 4),
                "lines": [_line(line) for line in r.lines],
            }
            for r in estimate.resources
        ],
        "unpriced": [
            {
                "urn": r.urn,
                "name": r.name,
                "description": line.description,
                "priceKey": line.key,
                "region": line.region,
                "quantity": round(line.quantity, 6),
                "unit": line.unit,
                "reason": line.problem,
            }
            for r, line in estimate.unpriced
        ],
        "unclassifiedTypes": sorted({r.type for r in estimate.unclassified}),
        "notModelled": [{"type": t, "count": n} for t, n in sorted(estimate.not_modelled.items())],
        "sources": {
            s.id: {"kind": s.kind, "title": s.title, "where": s.where}
            for s in sorted(table.sources.values(), key=lambda s: s.id)
            if any(line.source == s.id for _, line in estimate.lines)
        },
        "delta": None if delta is None else _delta(delta),
    }


def _delta(delta: Delta) -> dict[str, Any]:
    return {
        "baseStack": delta.base.stack,
        "baseTotal": _total(delta.base),
        "monthlyUsd": round(delta.delta_usd, 2),
        "complete": delta.complete and delta.base.complete and delta.head.complete,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "change": r.change,
                "baseUsd": round(r.base_usd, 4),
                "headUsd": round(r.head_usd, 4),
                "deltaUsd": round(r.delta_usd, 4),
                "unpricedKeys": list(r.unpriced_keys),
            }
            for r in delta.resources
        ],
        "topContributors": [
            {"urn": r.urn, "name": r.name, "type": r.type, "change": r.change, "deltaUsd": round(r.delta_usd, 2)}
            for r in delta.top(TOP)
        ],
    }


# -- Markdown ----------------------------------------------------------------------------------------------
def summary(estimate: Estimate) -> str:
    """One line: the preview's footer and the first line of the Markdown."""
    text = f"estimated monthly cost of {estimate.project}/{estimate.stack}: {usd(estimate.total_usd)}"
    if estimate.unpriced:
        text += f" + {len(estimate.unpriced)} unpriced line(s) (no sourced price; not in the total)"
    if estimate.unclassified:
        text += f"; {len(estimate.unclassified)} resource(s) of unclassified types"
    return text


def to_markdown(estimate: Estimate, delta: Delta | None = None) -> str:
    out = [f"## Monthly cost estimate: {estimate.project}/{estimate.stack}", ""]
    out.append(
        f"**Total: {usd(estimate.total_usd)} per month** (priced lines; "
        f"{usd(estimate.usage_dependent_usd)} of it depends on usage assumptions)."
    )
    if estimate.unpriced:
        out.append(f"Not in the total: **{len(estimate.unpriced)} line(s) without a sourced price** (listed below).")
    if estimate.unclassified:
        types = ", ".join(sorted({r.type for r in estimate.unclassified}))
        out.append(f"**Unclassified resource types (not priced at all): {types}**")
    out.append("")
    if delta is not None:
        out += _delta_markdown(delta)
    out += ["### By component", "", "| Component | Monthly | Unpriced lines |", "|---|---:|---:|"]
    for c in estimate.components:
        if c.depth == 0:
            out.append(f"| {c.name} (`{c.type}`) | {usd(c.monthly_usd)} | {c.unpriced_lines or ''} |")
    out += [
        "",
        "### By resource",
        "",
        "| Resource | Charge | Quantity | Unit price | Monthly |",
        "|---|---|---:|---:|---:|",
    ]
    for resource in sorted(estimate.resources, key=lambda r: (-r.monthly_usd, r.urn)):
        for line in resource.lines:
            price = "unpriced" if line.unit_usd is None else f"${line.unit_usd:g} / {line.unit}"
            monthly = "—" if line.monthly_usd is None else usd(line.monthly_usd)
            flag = " (usage)" if line.usage_dependent else ""
            out.append(
                f"| {resource.name} | {line.description}{flag} | {line.quantity:,.2f} {line.unit} | "
                f"{price} ({line.region}) | {monthly} |"
            )
    if estimate.unpriced:
        out += ["", "### Unpriced lines (left out of the total)", ""]
        for resource, line in estimate.unpriced:
            out.append(f"- {resource.name}: {line.description} — {line.problem}")
    if estimate.not_modelled:
        out += ["", "### Not modelled", ""]
        for type_, count in sorted(estimate.not_modelled.items()):
            out.append(f"- `{type_}` x{count}: {NOT_MODELLED[type_]}")
    usage_from = estimate.usage_path or "built-in defaults (offline/cost/usage.py)"
    out += [
        "",
        f"Lines marked (usage) read usage assumptions from {usage_from}. Prices: {estimate.table.path} "
        f"(updated {estimate.table.updated}); unverified lines come from named secondary sources (docs/cost.md).",
    ]
    return "\n".join(out) + "\n"


def _delta_markdown(delta: Delta) -> list[str]:
    out = [
        f"### Change against the base: {signed(delta.delta_usd)} per month "
        f"({usd(delta.base.total_usd)} -> {usd(delta.head.total_usd)})",
        "",
    ]
    if not delta.resources:
        return [*out, "No priced change.", ""]
    out += ["| Resource | Change | Base | Head | Delta |", "|---|---|---:|---:|---:|"]
    for r in delta.top(len(delta.resources)):
        note = f" (unpriced: {', '.join(r.unpriced_keys)})" if r.unpriced_keys else ""
        out.append(
            f"| {r.name} (`{r.type}`) | {r.change}{note} | {usd(r.base_usd)} | {usd(r.head_usd)} | "
            f"{signed(r.delta_usd)} |"
        )
    return [*out, ""]
