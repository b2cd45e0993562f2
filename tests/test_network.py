"""Network topology per environment, read from the inputs the engine received."""

from __future__ import annotations

import ipaddress

import pytest

from components.subnets import SubnetPrefixes, plan_subnets
from offline.plan import Plan
from tests.helpers import policy

SUBNET = "aws:ec2/subnet:Subnet"


def subnets(plan: Plan, tier: str) -> list[dict[str, object]]:
    return [r.inputs for r in plan.of_type(SUBNET) if r.inputs["tags"]["Tier"] == tier]


@pytest.mark.parametrize(("stack", "azs", "nats"), [("staging", 2, 1), ("production", 3, 3)])
def test_three_tiers_across_azs_and_nat_per_environment(
    stack: str, azs: int, nats: int, staging_plan: Plan, production_plan: Plan
) -> None:
    plan = staging_plan if stack == "staging" else production_plan
    for tier in ("public", "private", "isolated"):
        zones = sorted(str(s["availabilityZone"]) for s in subnets(plan, tier))
        assert zones == [f"eu-west-1{c}" for c in "abc"[:azs]], tier
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == nats
    assert len(plan.of_type("aws:ec2/eip:Eip")) == nats


def test_subnets_do_not_overlap_and_sit_inside_the_vpc(plan: Plan) -> None:
    vpc = ipaddress.ip_network(plan.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"])
    blocks = [ipaddress.ip_network(str(r.inputs["cidrBlock"])) for r in plan.of_type(SUBNET)]
    assert all(block.subnet_of(vpc) for block in blocks)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_no_subnet_auto_assigns_public_ips(plan: Plan) -> None:
    assert {r.inputs["mapPublicIpOnLaunch"] for r in plan.of_type(SUBNET)} == {False}


def test_vpc_resolves_dns(plan: Plan) -> None:
    vpc = plan.one("aws:ec2/vpc:Vpc").inputs
    assert vpc["enableDnsHostnames"] is True and vpc["enableDnsSupport"] is True


def routes_by_table(plan: Plan) -> dict[str, list[dict[str, object]]]:
    tables = {r.urn: r for r in plan.of_type("aws:ec2/routeTable:RouteTable")}
    out: dict[str, list[dict[str, object]]] = {r.name: [] for r in tables.values()}
    for route in plan.of_type("aws:ec2/route:Route"):
        table = next(t for t in tables.values() if t.urn in route.dependencies)
        out[table.name].append(route.inputs)
    return out


def test_only_public_route_table_reaches_the_internet_gateway(plan: Plan) -> None:
    routes = routes_by_table(plan)
    assert len(routes["network-public"]) == 1
    assert str(routes["network-public"][0]["gatewayId"]).startswith("igw-")
    assert routes["network-public"][0]["destinationCidrBlock"] == "0.0.0.0/0"
    for name, table_routes in routes.items():
        if name.startswith("network-private"):
            assert [str(r["natGatewayId"])[:4] for r in table_routes] == ["nat-"]
            assert all("gatewayId" not in r for r in table_routes)
    assert routes["network-isolated"] == []  # no route out at all, not even NAT


def test_isolated_subnets_use_the_isolated_table(plan: Plan) -> None:
    isolated_table = plan.one("aws:ec2/routeTable:RouteTable", "network-isolated")
    isolated_subnets = [r for r in plan.of_type(SUBNET) if r.inputs["tags"]["Tier"] == "isolated"]
    for assoc in plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        subnet_urns = {s.urn for s in isolated_subnets}
        if set(assoc.dependencies) & subnet_urns:
            assert isolated_table.urn in assoc.dependencies


def test_private_tables_use_their_own_az_nat_in_production(production_plan: Plan) -> None:
    nat_ids = {n.name: n for n in production_plan.of_type("aws:ec2/natGateway:NatGateway")}
    for route in production_plan.of_type("aws:ec2/route:Route"):
        if "private" in route.name:
            az = route.name.split("private-")[1].removesuffix("-nat")
            assert nat_ids[f"network-{az}"].urn in route.dependencies


def test_default_security_group_has_no_rules(plan: Plan) -> None:
    default = plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["ingress"] == [] and default["egress"] == []


def test_flow_logs_capture_all_traffic_to_an_encrypted_group(plan: Plan, staging_plan: Plan) -> None:
    flow = plan.one("aws:ec2/flowLog:FlowLog").inputs
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    key = plan.one("aws:kms/key:Key", "logs")
    assert flow["trafficType"] == "ALL" and flow["logDestinationType"] == "cloud-watch-logs"
    assert flow["maxAggregationInterval"] == 60
    assert str(flow["logDestination"]).startswith("arn:aws:logs:eu-west-1:123456789012:log-group:network-flow-logs")
    assert key.urn in group.dependencies and str(group.inputs["kmsKeyId"]).startswith("arn:aws:kms:")
    assert group.inputs["retentionInDays"] == (90 if plan is staging_plan else 365)  # flow logs: security


def test_flow_log_role_is_least_privilege(plan: Plan) -> None:
    role = plan.one("aws:iam/role:Role", "network-flow-logs")
    trust = policy(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    grants = policy(plan.one("aws:iam/policy:Policy", "network-flow-logs-policy"))["Statement"]
    assert [g["Action"] for g in grants] == [["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]]
    assert all(
        str(arn).startswith("arn:aws:logs:eu-west-1:123456789012:log-group:network-flow-logs")
        for arn in grants[0]["Resource"]
    )


def test_logs_key_is_rotated_and_scoped(plan: Plan, production_plan: Plan) -> None:
    key = plan.one("aws:kms/key:Key", "logs")
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    statements = policy(key)["Statement"]
    principals = [s["Principal"] for s in statements]
    assert {"AWS": "arn:aws:iam::123456789012:root"} in principals
    assert all("*" not in str(p) for p in principals)
    logs = next(s for s in statements if s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"})
    assert "kms:*" not in logs["Action"] and "ArnLike" in logs["Condition"]
    assert key.protect is (plan is production_plan)


def test_s3_gateway_endpoint_on_private_route_tables(plan: Plan) -> None:
    endpoint = plan.one("aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3").inputs
    assert endpoint["vpcEndpointType"] == "Gateway" and endpoint["serviceName"] == "com.amazonaws.eu-west-1.s3"
    private_tables = [r.inputs for r in plan.of_type("aws:ec2/routeTable:RouteTable") if "private" in r.name]
    assert len(endpoint["routeTableIds"]) == len(private_tables)


def test_interface_endpoints_on_in_production_only(staging_plan: Plan, production_plan: Plan) -> None:
    def interface(plan: Plan) -> list[str]:
        return sorted(
            str(r.inputs["serviceName"]).rsplit(".", 2)[-2] + "." + str(r.inputs["serviceName"]).rsplit(".", 1)[-1]
            for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
            if r.inputs["vpcEndpointType"] == "Interface"
        )

    assert interface(staging_plan) == []
    names = [
        str(r.inputs["serviceName"])
        for r in production_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs["vpcEndpointType"] == "Interface"
    ]
    assert sorted(names) == sorted(
        f"com.amazonaws.eu-west-1.{s}" for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
    )
    for r in production_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if r.inputs["vpcEndpointType"] == "Interface":
            assert r.inputs["privateDnsEnabled"] is True and len(r.inputs["subnetIds"]) == 3
    rule = production_plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "network-endpoints-https")
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["cidrIpv4"]) == (
        443,
        443,
        "10.30.0.0/16",
    )
    assert rule.inputs["description"]


def test_subnet_plan_is_stable_when_adding_an_az() -> None:
    two = plan_subnets("10.20.0.0/16", 2, SubnetPrefixes())
    three = plan_subnets("10.20.0.0/16", 3, SubnetPrefixes())
    assert three.private[:2] == two.private
    with pytest.raises(ValueError, match="do not fit"):
        plan_subnets("10.20.0.0/24", 3, SubnetPrefixes(public=26, private=26, isolated=26))
