"""The shipped price table and the usage files: every price sourced and dated, regions covered, bad input named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from offline.cost.prices import DEFAULT_TABLE, GLOBAL, PriceTableError, load_table, parse_table
from offline.cost.refresh import stack_regions
from offline.cost.usage import Usage, UsageError, default_usage_path, load_usage

RAW: dict[str, Any] = json.loads(DEFAULT_TABLE.read_text())


def test_every_price_has_unit_region_date_and_a_named_source() -> None:
    table = load_table()
    for price in table.prices.values():
        assert price.unit and price.region
        source = table.sources[price.source]
        if price.usd is not None:
            assert price.as_of and source.kind in ("aws", "secondary") and source.where, price
        else:
            assert source.kind == "none", f"{price.key} cites {price.source} but has no price"
        assert price.verified == (source.kind == "aws")


def test_regional_keys_have_a_line_in_every_stack_region() -> None:
    table = load_table()
    regional = {key for (key, region) in table.prices if region != GLOBAL}
    for key in regional:
        for region in stack_regions():
            assert (key, region) in table.prices, f"{key} has no line (even an unsourced one) for {region}"


def test_every_source_says_where_it_was_read() -> None:
    """A URL, a repository path at a commit, or the code-index id of the file: never a bare name."""
    for sid, source in RAW["sources"].items():
        if source["kind"] in ("aws", "secondary", "none") and sid != "unsourced":
            where = source["where"]
            assert "https://" in where or "commit" in where or "index id" in where, sid


def test_derived_prices_say_how_they_were_derived() -> None:
    derived = [p for p in RAW["prices"] if "derived" in p["note"].lower() and p["usd"] is not None]
    assert derived, "the table has derived lines (bills divided by quantities): they must stay explained"
    for line in derived:
        assert "=" in line["note"] and not line["verified"], line["key"]


def test_only_aws_material_is_marked_verified() -> None:
    kinds = {sid: s["kind"] for sid, s in RAW["sources"].items()}
    verified = [p for p in RAW["prices"] if p["verified"]]
    assert verified and all(kinds[p["source"]] == "aws" for p in verified)
    assert all(not p["verified"] for p in RAW["prices"] if kinds[p["source"]] == "secondary")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["prices"][0].update(source="nowhere"), "is not listed under 'sources'"),
        (lambda d: d["prices"].append(dict(d["prices"][0])), "repeats"),
        (lambda d: next(p for p in d["prices"] if p["usd"] is not None).update(asOf=None), "needs the date"),
        (
            lambda d: next(p for p in d["prices"] if d["sources"][p["source"]]["kind"] == "secondary").update(
                verified=True
            ),
            "can be marked verified",
        ),
        (
            lambda d: next(p for p in d["prices"] if p["usd"] is None).update(usd=0.1, asOf="2026-01-01"),
            "cannot cite the 'no source' entry",
        ),
        (lambda d: next(p for p in d["prices"] if p["usd"] is not None).update(usd=-1), "negative price"),
        (lambda d: d.pop("sources"), "malformed price table"),
    ],
)
def test_a_broken_table_is_rejected_with_the_line(change: Any, message: str) -> None:
    data = copy.deepcopy(RAW)
    change(data)
    with pytest.raises(PriceTableError, match=message):
        parse_table(data, "prices.json")


def test_the_stack_usage_files_load() -> None:
    for stack in ("staging", "production"):
        usage, path = load_usage(default_usage_path(stack))
        assert path == str(default_usage_path(stack)) and usage != Usage()


def test_defaults_apply_without_a_file(tmp_path: Path) -> None:
    usage, path = load_usage(tmp_path / "absent.yaml")
    assert path is None and usage == Usage()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("requestsPerMonth: 10\nnatGbPerMonh: 5\n", ":2: natGbPerMonh: Extra inputs are not permitted (allowed keys:"),
        ("natGbPerMonth: -5\n", ":1: natGbPerMonth: Input should be greater than or equal to 0"),
        ("cloudfrontGeography: asia\n", ":1: cloudfrontGeography: Input should be 'europe' or 'united_states'"),
        ("services:\n  api:\n    tasks: 3\n", ":1: services.api.tasks: Extra inputs are not permitted"),
        ("- a list\n", "expected a mapping of usage keys"),
        ("key: [unclosed\n", "cannot read usage file"),
    ],
)
def test_bad_usage_files_name_the_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(text)
    with pytest.raises(UsageError) as error:
        load_usage(path)
    assert str(path) in str(error.value) and expected in str(error.value)
