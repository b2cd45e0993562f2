"""Rebuild price lines from the AWS Price List bulk files (offer files, JSON), where a network is available.

    python -m offline.cost.refresh --download                 # fetch the offer files of the stacks' regions
    python -m offline.cost.refresh --offers DIR               # or read <offer>_<region>.json files from DIR

Only keys whose Price List product is known exactly (a usage type seen in AWS's files, plus attributes where a
usage type is shared) are refreshed; the others keep their line and are listed as not refreshed. A selector
that matches several products at different prices is reported, never resolved by guessing.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline.cost.prices import DEFAULT_TABLE, Price, PriceTableError, Source, load_table
from offline.project import ROOT, StackFileError, load_stack

OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"
# Usage-type prefixes of the regions the stacks use (us-east-1 usage types may also carry none).
REGION_PREFIX = {
    "us-east-1": "USE1",
    "eu-west-1": "EU",
    "eu-central-1": "EUC1",
    "eu-west-2": "EUW2",
    "eu-west-3": "EUW3",
    "eu-north-1": "EUN1",
    "eu-south-1": "EUS1",
    "us-east-2": "USE2",
    "us-west-2": "USW2",
}
RDS_CLASSES = (
    "db.t4g.micro",
    "db.t4g.small",
    "db.t4g.medium",
    "db.t4g.large",
    "db.m7g.large",
    "db.m7g.xlarge",
    "db.r7g.large",
)


@dataclass(frozen=True)
class Selector:
    key: str
    offer: str
    usagetype: str  # without the region prefix
    attributes: Mapping[str, str] = field(default_factory=dict)


def _rds_selectors() -> list[Selector]:
    out = []
    for klass in RDS_CLASSES:
        for deployment, option, usage in (
            ("single_az", "Single-AZ", "InstanceUsage"),
            ("multi_az", "Multi-AZ", "Multi-AZUsage"),
        ):
            out.append(
                Selector(
                    f"rds.postgres.{klass}.{deployment}_hour",
                    "AmazonRDS",
                    f"{usage}:{klass}",
                    {"instanceType": klass, "databaseEngine": "PostgreSQL", "deploymentOption": option},
                )
            )
    return out


SELECTORS: tuple[Selector, ...] = (
    Selector("fargate.vcpu_hour.x86_64", "AmazonECS", "Fargate-vCPU-Hours:perCPU"),
    Selector("fargate.gb_hour.x86_64", "AmazonECS", "Fargate-GB-Hours"),
    Selector("fargate.vcpu_hour.arm64", "AmazonECS", "Fargate-ARM-vCPU-Hours:perCPU"),
    Selector("fargate.gb_hour.arm64", "AmazonECS", "Fargate-ARM-GB-Hours"),
    Selector("elb.alb_hour", "AWSELB", "LoadBalancerUsage", {"operation": "LoadBalancing:Application"}),
    Selector("elb.alb_lcu_hour", "AWSELB", "LCUUsage", {"operation": "LoadBalancing:Application"}),
    Selector("ec2.nat_gateway_hour", "AmazonEC2", "NatGateway-Hours"),
    Selector("ec2.nat_gateway_gb", "AmazonEC2", "NatGateway-Bytes"),
    Selector("vpc.interface_endpoint_hour", "AmazonVPC", "VpcEndpoint-Hours"),
    Selector("vpc.interface_endpoint_gb", "AmazonVPC", "VpcEndpoint-Bytes"),
    Selector("vpc.public_ipv4_hour", "AmazonVPC", "PublicIPv4:InUseAddress"),
    *_rds_selectors(),
    Selector("rds.storage.gp3.single_az_gb_month", "AmazonRDS", "RDS:GP3-Storage"),
    Selector("rds.storage.gp3.multi_az_gb_month", "AmazonRDS", "RDS:Multi-AZ-GP3-Storage"),
    Selector("cloudwatch.alarm_metric_month", "AmazonCloudWatch", "CW:AlarmMonitorUsage"),
    Selector("cloudwatch.custom_metric_month", "AmazonCloudWatch", "CW:MetricMonitorUsage"),
    Selector("cloudwatch.logs_ingest_gb", "AmazonCloudWatch", "DataProcessing-Bytes"),
    Selector("cloudwatch.logs_storage_gb_month", "AmazonCloudWatch", "TimedStorage-ByteHrs"),
    Selector("secretsmanager.secret_month", "AWSSecretsManager", "AWSSecretsManager-Secrets"),
    Selector("kms.key_month", "awskms", "KMS-Keys"),
    Selector("ecr.storage_gb_month", "AmazonECR", "TimedStorage-ByteHrs"),
)


class OfferError(ValueError):
    """An offer file that is not in the Price List format."""


@dataclass
class Refresh:
    prices: list[Price] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _strip_prefix(usagetype: str, region: str) -> str | None:
    """The usage type without `region`'s prefix; None when it belongs to another region."""
    prefix, _, rest = usagetype.partition("-")
    if rest and prefix == REGION_PREFIX.get(region):
        return rest
    if rest and prefix in REGION_PREFIX.values():
        return None
    return usagetype if region == "us-east-1" else None


def _first_tier(dimensions: Mapping[str, Any]) -> tuple[float, str]:
    tiers = [d for d in dimensions.values() if str(d.get("beginRange", "0")) in ("0", "0.0")]
    if not tiers:
        raise OfferError("no price dimension starting at 0")
    dimension = tiers[0]
    return float(dimension["pricePerUnit"]["USD"]), str(dimension.get("unit", ""))


def parse_offer(
    offer: Mapping[str, Any], region: str, selectors: Iterable[Selector], units: Mapping[str, str], url: str = ""
) -> Refresh:
    """Price lines for `selectors` from one region's offer file (`units`: key -> the table's unit)."""
    try:
        code, products, on_demand = offer["offerCode"], offer["products"], offer["terms"]["OnDemand"]
        published = str(offer["publicationDate"])[:10]
        version = str(offer.get("version", ""))
    except (KeyError, TypeError) as exc:
        raise OfferError(f"not a Price List offer file (missing {exc})") from None
    source_id = f"aws-price-list:{code}:{region}:{version}"
    result = Refresh(
        sources={
            source_id: Source(
                source_id,
                "aws",
                f"AWS Price List bulk file {code} {region}, version {version}, published {published}",
                url or OFFER_URL.format(offer=code, region=region),
                published,
            )
        }
    )
    for selector in (s for s in selectors if s.offer == code):
        found: list[tuple[float, str, str]] = []
        for sku, product in products.items():
            attributes = product.get("attributes", {})
            if _strip_prefix(str(attributes.get("usagetype", "")), region) != selector.usagetype:
                continue
            if any(attributes.get(k) != v for k, v in selector.attributes.items()):
                continue
            for term in (on_demand.get(sku) or {}).values():
                usd, unit = _first_tier(term["priceDimensions"])
                found.append((usd, unit, sku))
        if not found:
            result.problems.append(
                f"{selector.key} ({region}): no {code} product with usage type "
                f"{selector.usagetype} {dict(selector.attributes) or ''}".rstrip()
            )
            continue
        if len({usd for usd, _, _ in found}) > 1:
            listing = ", ".join(f"{sku} {usd}/{unit}" for usd, unit, sku in found)
            result.problems.append(f"{selector.key} ({region}): {len(found)} products at different prices: {listing}")
            continue
        usd, unit, sku = found[0]
        result.prices.append(
            Price(
                selector.key,
                region,
                units.get(selector.key, unit),
                usd,
                published,
                source_id,
                True,
                f"{code} SKU {sku}, {unit}",
            )
        )
    return result


def stack_regions(root: Path = ROOT) -> list[str]:
    """The regions the stacks deploy to: their aws:region, the database's DR region, and us-east-1 (the edge)."""
    regions = {"us-east-1"}
    for path in sorted(root.glob("Pulumi.*.yaml")):
        try:
            config = load_stack(path.name.split(".")[1], root).config
        except StackFileError:
            continue
        if "aws:region" in config:
            regions.add(config["aws:region"])
        database = json.loads(config.get("app-platform:database", "{}") or "{}")
        if isinstance(database, dict):
            group = database.get("disasterRecovery")
            # `database.drRegion`: the spelling before issue #25, still accepted (infra/config/renames.py).
            dr_region = (group.get("region") if isinstance(group, dict) else None) or database.get("drRegion")
            if dr_region:
                regions.add(str(dr_region))
    return sorted(regions)


def _load_offer(offer: str, region: str, offers_dir: Path | None) -> tuple[dict[str, Any], str]:
    if offers_dir is not None:
        path = offers_dir / f"{offer}_{region}.json"
        return json.loads(path.read_text()), str(path)
    url = OFFER_URL.format(offer=offer, region=region)
    with urllib.request.urlopen(url, timeout=300) as response:  # a fixed https:// URL
        return json.loads(response.read()), url


def refresh(regions: Iterable[str], offers_dir: Path | None, table_path: Path = DEFAULT_TABLE) -> Refresh:
    table = load_table(table_path)
    units = {key: price.unit for (key, _), price in table.prices.items()}
    total = Refresh()
    for region in regions:
        for offer in sorted({s.offer for s in SELECTORS}):
            try:
                data, origin = _load_offer(offer, region, offers_dir)
                part = parse_offer(data, region, SELECTORS, units, origin)
            except (OSError, ValueError) as exc:
                total.problems.append(f"{offer} ({region}): {exc}")
                continue
            total.prices += part.prices
            total.sources.update(part.sources)
            total.problems += part.problems
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.cost.refresh", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--offers", type=Path, help="directory of <offer>_<region>.json offer files")
    where.add_argument("--download", action="store_true", help="download the offer files (large: EC2 is ~400 MB)")
    parser.add_argument("--regions", help="comma-separated regions (default: the stacks' regions)")
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="price table to update in place")
    args = parser.parse_args(argv)
    regions = args.regions.split(",") if args.regions else stack_regions()
    try:
        result = refresh(regions, None if args.download else args.offers, args.table)
        table = load_table(args.table).with_prices(result.prices, result.sources)
    except PriceTableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.table.write_text(json.dumps(table.to_json(), indent=2) + "\n")
    print(f"{len(result.prices)} price line(s) refreshed from the AWS Price List into {args.table}")
    for problem in result.problems:
        print(f"not refreshed: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
