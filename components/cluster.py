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
    tags: Mapping[str, str]
    logs: LogSettings
    # Share of new tasks above the base that may run on FARGATE_SPOT (0 = on-demand only).
    spot_weight: int = 0
    # Tasks per service always on on-demand FARGATE, whatever the Spot weight.
    on_demand_base: int = 0


class Cluster(PlatformComponent):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    exec_log_group_name: pulumi.Output[str]

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
        self.register_outputs({"cluster_name": self.cluster_name, "cluster_arn": self.cluster_arn})
