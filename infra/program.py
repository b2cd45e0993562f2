"""Composition: one stack's tiers, wired together. Differences between stacks come from config only."""

from __future__ import annotations

import pulumi

from infra import placeholders
from infra.config import StackConfig, load_from_pulumi
from infra.engine import offline_engine
from infra.stack import StackContext
from infra.tiers import data, edge, foundation, observability, services
from infra.tiers.services import AppSecrets as AppSecretsBinding


def main() -> None:
    config = load_from_pulumi()  # raises ConfigError (a RunError) before any resource exists
    if not offline_engine():
        placeholders.refuse(config)  # the committed examples render offline, never on AWS
    build(config)


def build(config: StackConfig) -> None:
    stack = StackContext.create(config)
    base = foundation.compose(stack)
    data_tier = data.compose(stack, base)
    # Alarm names are a pure function of the config: the services get their rollback alarms by name now, and
    # the observability tier creates alarms with exactly these names once the services exist.
    rollback_alarms = observability.deployment_alarm_names(config)
    service_tier = services.compose(
        stack,
        base,
        database=data_tier.binding(),
        app_secrets=AppSecretsBinding(arns=data_tier.app_secret_arns, kms_key_arn=data_tier.secrets_key_arn),
        origin_header=edge.origin_header(stack, data_tier.secrets_key_arn),
        deployment_alarms=rollback_alarms,
    )
    data_tier.admit(service_tier.clients_of_database())
    edge_tier = edge.compose(stack, service_tier)
    observability_tier = observability.compose(
        stack,
        base,
        data_tier=data_tier,
        service_tier=service_tier,
        edge_tier=edge_tier,
        deployment_alarms=rollback_alarms,
    )

    pulumi.export("environment", stack.env)
    pulumi.export("region", config.region)
    for tier in (base, data_tier, service_tier, edge_tier, observability_tier):
        for name, value in tier.exports().items():
            pulumi.export(name, value)
