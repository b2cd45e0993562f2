"""Composition: one stack's tiers, wired together. Differences between stacks come from config only."""

from __future__ import annotations

import pulumi

from infra.config import StackConfig, load_from_pulumi
from infra.stack import StackContext
from infra.tiers import data, edge, foundation, services
from infra.tiers.services import AppSecrets as AppSecretsBinding


def main() -> None:
    config = load_from_pulumi()  # raises ConfigError (a RunError) before any resource exists
    build(config)


def build(config: StackConfig) -> None:
    stack = StackContext.create(config)
    base = foundation.compose(stack)
    # The service tier's security groups go here once it lands; until then nothing may reach the database.
    data_tier = data.compose(stack, base, client_security_group_ids=[])
    service_tier = services.compose(
        stack,
        base,
        database=data_tier.binding(),
        app_secrets=AppSecretsBinding(arns=data_tier.app_secret_arns, kms_key_arn=data_tier.secrets_key_arn),
        origin_header=edge.origin_header(stack, data_tier.secrets_key_arn),
    )
    data_tier.admit(service_tier.clients_of_database())
    edge_tier = edge.compose(stack, service_tier)

    pulumi.export("environment", stack.env)
    pulumi.export("region", config.region)
    for tier in (base, data_tier, service_tier, edge_tier):
        for name, value in tier.exports().items():
            pulumi.export(name, value)
