"""Cluster: Container Insights, Fargate capacity providers (Spot in staging only) and audited ECS Exec."""

from __future__ import annotations

from offline.plan import Plan


# -- cluster ----------------------------------------------------------------------------------------------
def test_cluster_insights_and_audited_exec(plan: Plan) -> None:
    cluster = plan.one("aws:ecs/cluster:Cluster").inputs
    assert {"name": "containerInsights", "value": "enhanced"} in cluster["settings"]
    exec_config = cluster["configuration"]["executeCommandConfiguration"]
    assert exec_config["logging"] == "OVERRIDE"
    assert exec_config["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert exec_config["kmsKeyId"].startswith("arn:aws:kms:")


def test_capacity_providers_spot_in_staging_only(staging_plan: Plan, production_plan: Plan) -> None:
    for plan in (staging_plan, production_plan):
        providers = plan.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs
        assert sorted(providers["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]

    def strategy(plan: Plan) -> dict[str, dict[str, int]]:
        service = plan.one("aws:ecs/service:Service", "api").inputs
        return {s["capacityProvider"]: s for s in service["capacityProviderStrategies"]}

    staging, production = strategy(staging_plan), strategy(production_plan)
    assert staging["FARGATE_SPOT"]["weight"] > 0
    assert "FARGATE_SPOT" not in production
    # Production's baseline is on-demand: the base covers every task of minCount.
    prod_min = production_plan.one("aws:appautoscaling/target:Target", "api").inputs["minCapacity"]
    assert production["FARGATE"]["base"] == prod_min >= 2


def test_services_wait_for_the_cluster_capacity_providers(plan: Plan) -> None:
    """ECS rejects a capacity-provider strategy naming providers not yet associated with the cluster."""
    providers = plan.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    for service in plan.of_type("aws:ecs/service:Service"):
        assert providers.urn in service.dependencies, service.name
