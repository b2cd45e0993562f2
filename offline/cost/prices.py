"""The price table: one line per (key, region) with unit, date and source, read from prices.json.

A line whose `usd` is null has no public source yet: the estimate reports it as unpriced instead of guessing.
A (key, region) with no line at all is a gap in the table itself, which the tests turn into a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TABLE = Path(__file__).with_name("prices.json")
GLOBAL = "global"


class PriceTableError(ValueError):
    """The price table file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Source:
    id: str
    kind: str  # "aws" (Price List bulk files, AWS's pricing pages), "secondary" (named public page or file), "none"
    title: str
    where: str
    retrieved: str


@dataclass(frozen=True)
class Price:
    key: str
    region: str
    unit: str
    usd: float | None
    as_of: str | None
    source: str
    verified: bool
    note: str = ""

    @property
    def sourced(self) -> bool:
        return self.usd is not None


@dataclass(frozen=True)
class PriceTable:
    prices: dict[tuple[str, str], Price]
    sources: dict[str, Source]
    updated: str
    hours_per_month: float
    path: str
    note: str = ""

    def get(self, key: str, region: str) -> Price | None:
        """The line for `key` in `region`, falling back to the key's global line."""
        return self.prices.get((key, region)) or self.prices.get((key, GLOBAL))

    def with_prices(self, lines: list[Price], sources: dict[str, Source] | None = None) -> PriceTable:
        """A copy where `lines` replace the lines with the same (key, region)."""
        merged = dict(self.prices)
        for line in lines:
            merged[(line.key, line.region)] = line
        return PriceTable(
            merged, {**self.sources, **(sources or {})}, self.updated, self.hours_per_month, self.path, self.note
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "currency": "USD",
            "updated": self.updated,
            "hoursPerMonth": self.hours_per_month,
            "note": self.note,
            "sources": {
                s.id: {"kind": s.kind, "title": s.title, "where": s.where, "retrieved": s.retrieved}
                for s in sorted(self.sources.values(), key=lambda s: s.id)
            },
            "prices": [
                {
                    "key": p.key,
                    "region": p.region,
                    "unit": p.unit,
                    "usd": p.usd,
                    "asOf": p.as_of,
                    "source": p.source,
                    "verified": p.verified,
                    "note": p.note,
                }
                for p in sorted(self.prices.values(), key=lambda p: (p.key, p.region))
            ],
        }


def load_table(path: Path = DEFAULT_TABLE) -> PriceTable:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PriceTableError(f"{path}: cannot read the price table ({exc})") from None
    return parse_table(data, str(path))


def parse_table(data: dict[str, Any], origin: str) -> PriceTable:
    try:
        sources = {
            sid: Source(sid, s["kind"], s["title"], s.get("where", ""), s.get("retrieved", ""))
            for sid, s in data["sources"].items()
        }
        prices: dict[tuple[str, str], Price] = {}
        for index, raw in enumerate(data["prices"]):
            price = Price(
                key=raw["key"],
                region=raw["region"],
                unit=raw["unit"],
                usd=None if raw["usd"] is None else float(raw["usd"]),
                as_of=raw.get("asOf"),
                source=raw["source"],
                verified=bool(raw.get("verified", False)),
                note=raw.get("note", ""),
            )
            _check(price, index, sources, origin)
            if (price.key, price.region) in prices:
                raise PriceTableError(f"{origin}: prices[{index}] repeats {price.key} in {price.region}")
            prices[(price.key, price.region)] = price
        return PriceTable(
            prices, sources, str(data["updated"]), float(data["hoursPerMonth"]), origin, str(data.get("note", ""))
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PriceTableError):
            raise
        raise PriceTableError(f"{origin}: malformed price table ({exc!r})") from None


def _check(price: Price, index: int, sources: dict[str, Source], origin: str) -> None:
    where = f"{origin}: prices[{index}] ({price.key}, {price.region})"
    if price.source not in sources:
        raise PriceTableError(f"{where}: source {price.source!r} is not listed under 'sources'")
    if price.usd is not None:
        if price.usd < 0:
            raise PriceTableError(f"{where}: negative price")
        if not price.as_of:
            raise PriceTableError(f"{where}: a price needs the date it was valid (asOf)")
        if sources[price.source].kind == "none":
            raise PriceTableError(f"{where}: a price cannot cite the 'no source' entry")
    if price.verified and sources[price.source].kind != "aws":
        raise PriceTableError(f"{where}: only prices read from the AWS Price List can be marked verified")
