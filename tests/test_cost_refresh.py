"""The refresh script's parser, on offer-file fixtures in the AWS Price List format (synthetic prices)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from offline.cost.prices import DEFAULT_TABLE, load_table
from offline.cost.refresh import SELECTORS, OfferError, Selector, main, parse_offer, stack_regions

FIXTURES = Path(__file__).parent / "fixtures" / "cost"


def offer(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}_eu-west-1.json").read_text()))


def prices(data: dict[str, Any], region: str = "eu-west-1") -> dict[str, float | None]:
    return {p.key: p.usd for p in parse_offer(data, region, SELECTORS, {}).prices}


def test_rds_rows_match_engine_class_and_deployment_exactly() -> None:
    got = prices(offer("AmazonRDS"))
    assert got["rds.postgres.db.t4g.small.single_az_hour"] == 0.101  # not the MySQL row at 0.102
    assert got["rds.postgres.db.m7g.large.multi_az_hour"] == 0.703  # not "Multi-AZ (readable standbys)"
    assert got["rds.postgres.db.m7g.large.single_az_hour"] == 0.305
    assert got["rds.storage.gp3.single_az_gb_month"] == 0.206
    assert got["rds.storage.gp3.multi_az_gb_month"] == 0.412


def test_rows_of_another_region_are_not_read() -> None:
    got = prices(offer("AmazonRDS"), "eu-central-1")
    assert got == {"rds.postgres.db.t4g.small.single_az_hour": 0.999}


def test_nat_rows_skip_the_regional_nat_gateway_decoy() -> None:
    got = prices(offer("AmazonEC2"))
    assert got == {"ec2.nat_gateway_hour": 0.111, "ec2.nat_gateway_gb": 0.222}


def test_parsed_lines_are_verified_and_cite_the_offer_file() -> None:
    result = parse_offer(offer("AmazonEC2"), "eu-west-1", SELECTORS, {"ec2.nat_gateway_hour": "hour"})
    line = next(p for p in result.prices if p.key == "ec2.nat_gateway_hour")
    assert line.verified and line.as_of == "2026-12-01" and line.unit == "hour" and "FXTEC200001" in line.note
    source = result.sources[line.source]
    assert source.kind == "aws" and "AmazonEC2/current/eu-west-1/index.json" in source.where


def test_products_at_different_prices_are_reported_not_guessed() -> None:
    data = offer("AmazonEC2")
    twin = copy.deepcopy(data["products"]["FXTEC200001"])
    twin["sku"] = "FXTEC200009"
    data["products"]["FXTEC200009"] = twin
    term = copy.deepcopy(data["terms"]["OnDemand"]["FXTEC200001"])
    for dimension in next(iter(term.values()))["priceDimensions"].values():
        dimension["pricePerUnit"]["USD"] = "0.5"
    data["terms"]["OnDemand"]["FXTEC200009"] = term
    result = parse_offer(data, "eu-west-1", SELECTORS, {})
    assert "ec2.nat_gateway_hour" not in {p.key for p in result.prices}
    assert any("2 products at different prices" in problem for problem in result.problems)


def test_tiered_rows_use_the_first_tier() -> None:
    data = offer("AmazonEC2")
    term = data["terms"]["OnDemand"]["FXTEC200002"]
    dimensions = next(iter(term.values()))["priceDimensions"]
    (only,) = dimensions.values()
    later = copy.deepcopy(only)
    only["endRange"], later["beginRange"], later["pricePerUnit"]["USD"] = "10240", "10240", "0.01"
    dimensions["later"] = later
    assert prices(data)["ec2.nat_gateway_gb"] == 0.222


def test_us_east_1_usage_types_may_carry_no_prefix() -> None:
    data = offer("AmazonEC2")
    data["products"]["FXTEC200001"]["attributes"]["usagetype"] = "NatGateway-Hours"
    assert prices(data, "us-east-1") == {"ec2.nat_gateway_hour": 0.111}
    assert "ec2.nat_gateway_hour" not in prices(data, "eu-west-1")


def test_missing_products_are_listed() -> None:
    result = parse_offer(offer("AmazonEC2"), "eu-west-1", [Selector("x", "AmazonEC2", "Nothing-Hours")], {})
    assert result.prices == []
    assert result.problems == ["x (eu-west-1): no AmazonEC2 product with usage type Nothing-Hours"]


@pytest.mark.parametrize("broken", [{}, {"offerCode": "AmazonEC2", "products": {}}, {"terms": {}}])
def test_a_file_that_is_not_an_offer_file_is_rejected(broken: dict[str, Any]) -> None:
    with pytest.raises(OfferError, match="not a Price List offer file"):
        parse_offer(broken, "eu-west-1", SELECTORS, {})


def test_main_updates_the_table_in_place_and_keeps_other_lines(tmp_path: Path) -> None:
    table_path = tmp_path / "prices.json"
    shutil.copy(DEFAULT_TABLE, table_path)
    before = load_table(table_path)
    assert main(["--offers", str(FIXTURES), "--regions", "eu-west-1", "--table", str(table_path)]) == 0
    after = load_table(table_path)
    nat = after.get("ec2.nat_gateway_hour", "eu-west-1")
    assert nat is not None and nat.usd == 0.111 and nat.verified
    assert after.sources[nat.source].kind == "aws"
    assert after.get("fargate.vcpu_hour.arm64", "eu-west-1") == before.get("fargate.vcpu_hour.arm64", "eu-west-1")
    assert len(after.prices) == len(before.prices)


def test_regions_come_from_the_stack_files() -> None:
    assert stack_regions() == ["eu-central-1", "eu-west-1", "us-east-1"]
