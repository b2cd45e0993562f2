"""Foundation tier: the logs key every log group uses, and the network."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.encryption_key import EncryptionKey, EncryptionKeyArgs, logs_grant
from components.network import Network, NetworkArgs
from infra.config import PROJECT
from infra.stack import StackContext


@dataclass(frozen=True)
class Foundation:
    """What the foundation tier built: every other tier stands on it."""

    logs_key: EncryptionKey
    """The key of every log group in the stack's Region."""
    network: Network
    """The VPC, its subnets, NAT, flow logs and endpoints."""

    def exports(self) -> dict[str, pulumi.Input[object]]:
        return {
            "vpcId": self.network.vpc_id,
            "publicSubnetIds": self.network.public_subnet_ids,
            "privateSubnetIds": self.network.private_subnet_ids,
            "isolatedSubnetIds": self.network.isolated_subnet_ids,
            "logsKeyArn": self.logs_key.key_arn,
        }


def availability_zones(stack: StackContext) -> list[str]:
    network = stack.config.network
    if network.availability_zones is not None:
        return list(network.availability_zones)
    return [f"{stack.config.region}{letter}" for letter in "abcdef"[: network.az_count]]


def compose(stack: StackContext) -> Foundation:
    logs_key = _logs_key(stack)
    return Foundation(logs_key=logs_key, network=_network(stack, logs_key))


def _logs_key(stack: StackContext) -> EncryptionKey:
    """The key every log group of the stack's Region is encrypted with."""
    return EncryptionKey(
        "logs",
        EncryptionKeyArgs(
            purpose="CloudWatch Logs encryption",
            alias=f"alias/{PROJECT}-{stack.env}-logs",
            context=stack.context,
            tags=stack.tags,
            service_grants=[logs_grant(stack.context)],
            protect=stack.is_production,
        ),
        stack.opts(),
    )


def _network(stack: StackContext, logs_key: EncryptionKey) -> Network:
    network = stack.config.network
    return Network(
        "network",
        NetworkArgs(
            context=stack.context,
            cidr_block=network.cidr,
            availability_zones=availability_zones(stack),
            nat_gateways=network.nat_gateways,
            logs=stack.log_settings(logs_key.key_arn),
            tags=stack.tags,
            subnet_prefixes=network.prefixes,
            interface_endpoints=network.interface_endpoints,
        ),
        stack.opts(),
    )
