"""AWS facts the config is checked against offline: regions and their Availability Zone IDs.

The data, with its source and date per region, lives in data/aws_regions.json. Zone IDs (euw1-az1) name the same
physical zone in every account; zone names (eu-west-1a) are per-account aliases in the oldest regions, so only
counts, IDs and the region part of a name can be checked without an account.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from infra.config.errors import suggest

DATA = Path(__file__).resolve().parent / "data" / "aws_regions.json"
ZONE_NAME = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)(?P<letter>[a-z])$")
ZONE_ID = re.compile(r"^[a-z]+\d+-az\d+$")


RULES: tuple[tuple[str, str], ...] = (
    (
        "`aws:region`, `app-platform:database.disasterRecovery.region`",
        "A region listed below (data: infra/config/data/aws_regions.json, with its source and date); a close "
        "misspelling gets a suggestion.",
    ),
    (
        "`app-platform:network.azCount`",
        "At most the number of Availability Zones the region has (its zone IDs below).",
    ),
    (
        "`app-platform:network.availabilityZones[]`",
        "Zone names of `aws:region` (`eu-west-1a`), distinct, exactly `azCount` of them. Zone IDs (`euw1-az1`) "
        "are refused here: the subnets take names. In the oldest regions AWS maps zone letters to zone IDs "
        "differently per account (accounts created before November 2025), so `eu-west-1a` in one account may be "
        "another account's `eu-west-1b`: only the region part of a name and the count can be checked offline; "
        "`aws ec2 describe-availability-zones` shows your account's mapping.",
    ),
)


@dataclass(frozen=True)
class Region:
    name: str
    partition: str
    zone_ids: tuple[str, ...]
    source: str
    verified: bool


@functools.cache
def regions() -> dict[str, Region]:
    raw = json.loads(DATA.read_text())["regions"]
    return {
        name: Region(name, entry["partition"], tuple(entry["zoneIds"]), entry["source"], bool(entry["verified"]))
        for name, entry in raw.items()
    }


def region_problem(region: str) -> str | None:
    """Why `region` is not a region this platform knows, or None."""
    if region in regions():
        return None
    hint = suggest(region, sorted(regions()))
    listed = "" if hint else f"; known: {', '.join(sorted(regions()))}"
    return (
        f"not an AWS Region{hint}{listed} (a new region goes into infra/config/data/aws_regions.json with its source)"
    )


def zone_problems(region: str, az_count: int, zones: list[str] | None) -> list[tuple[str, str]]:
    """(key, message) for an AZ count the region cannot hold and zone names that are not the region's."""
    known = regions().get(region)
    if known is None:
        return []  # the region itself is reported
    problems: list[tuple[str, str]] = []
    if az_count > len(known.zone_ids):
        problems.append(
            (
                "azCount",
                f"{region} has {len(known.zone_ids)} Availability Zones ({', '.join(known.zone_ids)}); "
                f"azCount must be at most {len(known.zone_ids)}",
            )
        )
    for index, zone in enumerate(zones or []):
        key = f"availabilityZones[{index}]"
        match = ZONE_NAME.match(zone)
        if ZONE_ID.match(zone):
            problems.append(
                (
                    key,
                    f"{zone!r} is a zone ID; give the zone name your account maps it to (`aws ec2 "
                    f"describe-availability-zones --region {region} --query 'AvailabilityZones[].[ZoneName,ZoneId]'`)",
                )
            )
        elif match is None:
            problems.append((key, f"{zone!r} is not a zone name such as {region}a"))
        elif match["region"] != region:
            problems.append((key, f"{zone!r} is a zone of {match['region']}, not of aws:region {region}"))
        elif zone in (zones or [])[:index]:
            problems.append((key, f"{zone!r} is listed twice; each subnet tier needs distinct zones"))
    return problems
