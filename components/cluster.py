"""The ECS cluster: Container Insights, Fargate capacity providers and audited ECS Exec sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components import aws
from components.base import PlatformComponent
from components.logs import LogClass, LogSettings, encrypted_log_group


@dataclass(frozen=True)
class ClusterArgs:
    """Arguments of `Cluster`: its logs and its default capacity-provider strategy."""

    tags: Mapping[str, str]
    """Tags on the cluster and its log group; required, the platform's mandatory tag set."""
    logs: LogSettings
    """Key and retention of the ECS Exec audit log group (kept as a security log); required."""
    spot_weight: int = 0
    """Relative weight of FARGATE_SPOT against FARGATE (weight 1) for tasks above the base; default 0 =
    on-demand only, because Spot tasks can be stopped with two minutes' notice (staging sets it)."""
    on_demand_base: int = 0
    """Tasks per service always on on-demand FARGATE, whatever the Spot weight; default 0 (no Spot, so
    nothing to protect)."""


class Cluster(PlatformComponent):
    """The ECS cluster: Container Insights, Fargate capacity providers and audited ECS Exec sessions."""

    cluster_name: pulumi.Output[str]
    """The cluster's name, resolved only once its capacity providers are associated (services name them)."""
    cluster_arn: pulumi.Output[str]
    """The cluster's ARN, resolved like `cluster_name`."""
    exec_log_group_name: pulumi.Output[str]
    """The log group that records every ECS Exec session (encrypted, security retention)."""
    cluster: aws.ecs.Cluster
    """The ECS cluster (escape hatch)."""
    capacity_providers: aws.ecs.ClusterCapacityProviders
    """The cluster's capacity providers and default strategy (escape hatch)."""
    exec_log_group: aws.cloudwatch.LogGroup
    """The ECS Exec audit log group (escape hatch)."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecs", name, args.tags, opts)
        exec_logs = encrypted_log_group(
            f"{name}-exec",
            logs=args.logs,
            log_class=LogClass.SECURITY,
            tags=self.tags_for("exec"),
            parent=self,
        )
        cluster = aws.ecs.Cluster(
            name,
            settings=[{"name": "containerInsights", "value": "enhanced"}],
            configuration={
                # ECS Exec sessions are logged (encrypted) so every command run in a task is auditable.
                "execute_command_configuration": {
                    "kms_key_id": args.logs.kms_key_arn,
                    "logging": "OVERRIDE",
                    "log_configuration": {
                        "cloud_watch_encryption_enabled": True,
                        "cloud_watch_log_group_name": exec_logs.name,
                    },
                }
            },
            tags=self.tags_for(),
            opts=self.child(),
        )
        strategies: list[Any] = [{"capacity_provider": "FARGATE", "base": args.on_demand_base, "weight": 1}]
        if args.spot_weight > 0:
            strategies.append({"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": args.spot_weight})
        providers = aws.ecs.ClusterCapacityProviders(
            name,
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=strategies,
            opts=self.child(),
        )
        # Services name capacity providers in their strategy, which ECS rejects until the providers are
        # associated with the cluster: hand out the cluster's identity only once they are.
        self.cluster_name = pulumi.Output.all(cluster.name, providers.id).apply(lambda values: str(values[0]))
        self.cluster_arn = pulumi.Output.all(cluster.arn, providers.id).apply(lambda values: str(values[0]))
        self.exec_log_group_name = exec_logs.name
        self.cluster, self.capacity_providers, self.exec_log_group = cluster, providers, exec_logs
        self.register_declared_outputs()
