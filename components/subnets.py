"""Deterministic subnet allocation, shared by the Network component and config validation."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

TIERS = ("public", "private", "isolated")


@dataclass(frozen=True)
class SubnetPrefixes:
    """Prefix length per tier. Tasks get the largest range: they consume one IP each (awsvpc)."""

    public: int = 24
    """Prefix length of each public subnet; default /24 (251 usable addresses): only NAT gateways and
    load-balancer nodes live there."""
    private: int = 20
    """Prefix length of each private subnet; default /20 (4,091 addresses): every Fargate task takes one IP
    (awsvpc), and a rolling or blue/green deployment doubles them for a while."""
    isolated: int = 24
    """Prefix length of each isolated subnet; default /24: databases and interface endpoints only."""


@dataclass(frozen=True)
class SubnetPlan:
    """The CIDR blocks of each tier, one per Availability Zone, in zone order."""

    public: tuple[str, ...]
    """CIDR of each public subnet (internet-facing: NAT gateways, load balancer nodes)."""
    private: tuple[str, ...]
    """CIDR of each private subnet (tasks; internet only through NAT)."""
    isolated: tuple[str, ...]
    """CIDR of each isolated subnet (databases; no route out of the VPC)."""


def plan_subnets(cidr: str, az_count: int, prefixes: SubnetPrefixes) -> SubnetPlan:
    """Carve `az_count` subnets per tier out of `cidr`, largest blocks first so they align.

    The result depends only on the inputs, so adding an AZ never moves an existing subnet as long as
    the tier sizes stay the same. Raises ValueError when the blocks do not fit.
    """
    network = ipaddress.ip_network(cidr, strict=True)
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError("only IPv4 VPC CIDRs are supported")
    order = sorted(TIERS, key=lambda tier: getattr(prefixes, tier))
    allocated: dict[str, list[str]] = {tier: [] for tier in TIERS}
    cursor = int(network.network_address)
    end = int(network.broadcast_address) + 1
    for tier in order:
        prefix = getattr(prefixes, tier)
        if prefix < network.prefixlen or prefix > 28:
            raise ValueError(f"{tier} prefix /{prefix} must be between /{network.prefixlen} and /28")
        size = 2 ** (32 - prefix)
        cursor = (cursor + size - 1) // size * size
        for _ in range(az_count):
            if cursor + size > end:
                raise ValueError(
                    f"{az_count} AZs x 3 tiers (public /{prefixes.public}, private /{prefixes.private}, "
                    f"isolated /{prefixes.isolated}) do not fit in {cidr}"
                )
            allocated[tier].append(str(ipaddress.IPv4Network((cursor, prefix))))
            cursor += size
    return SubnetPlan(**{tier: tuple(blocks) for tier, blocks in allocated.items()})
