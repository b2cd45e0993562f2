"""The tags every taggable resource carries."""

from __future__ import annotations

from infra.config import PROJECT, StackConfig


def base_tags(config: StackConfig) -> dict[str, str]:
    return {
        "Project": PROJECT,
        "Environment": config.environment,
        "ManagedBy": "pulumi",
        "Owner": config.owner,
        "CostCenter": config.cost_center,
    }
