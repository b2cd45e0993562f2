"""Composition: one stack's components, wired together. Differences between stacks come from config."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.base import AwsContext
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, logs_grant
from components.network import Network, NetworkArgs
from infra.config import PROJECT, StackConfig, load_from_pulumi
from infra.tags import base_tags


def main() -> None:
    config = load_from_pulumi()  # raises ConfigError (a RunError) before any resource exists
    build(config)


def availability_zones(config: StackConfig) -> list[str]:
    if config.network.availability_zones is not None:
        return list(config.network.availability_zones)
    return [f"{config.region}{letter}" for letter in "abcdef"[: config.network.az_count]]


def build(config: StackConfig) -> None:
    tags = base_tags(config)
    env = config.environment
    # Explicit provider: its default_tags cover anything a component might miss, and every resource's
    # region is the stack's, whatever the shell's AWS_REGION says.
    provider = aws.Provider("aws", region=config.region, default_tags={"tags": tags})
    opts = pulumi.ResourceOptions(providers=[provider])
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    context = AwsContext(account_id=identity.account_id, region=config.region)

    logs_key = EncryptionKey(
        "logs",
        EncryptionKeyArgs(
            purpose="CloudWatch Logs encryption",
            alias=f"alias/{PROJECT}-{env}-logs",
            context=context,
            tags=tags,
            service_grants=[logs_grant(context)],
            protect=config.is_production,
        ),
        opts,
    )

    network = Network(
        "network",
        NetworkArgs(
            context=context,
            cidr_block=config.network.cidr,
            availability_zones=availability_zones(config),
            nat_mode="per_az" if config.network.nat_gateways == "perAz" else "single",
            flow_log_retention_days=config.log_retention_days,
            logs_kms_key_arn=logs_key.key_arn,
            tags=tags,
            subnet_prefixes=config.network.prefixes,
            interface_endpoints=config.network.interface_endpoints,
        ),
        opts,
    )

    pulumi.export("environment", env)
    pulumi.export("region", config.region)
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("isolatedSubnetIds", network.isolated_subnet_ids)
    pulumi.export("logsKeyArn", logs_key.key_arn)
