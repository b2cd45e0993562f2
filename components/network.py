"""The VPC: three subnet tiers across AZs, NAT, flow logs and private endpoints to AWS services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.logs import LogClass, LogSettings, encrypted_log_group
from components.security_groups import Peer, tcp_rule
from components.subnets import SubnetPlan, SubnetPrefixes, plan_subnets

NatGateways = Literal["single", "perAz"]

# Interface endpoints a private Fargate task needs to start without NAT: pull images, ship logs, read secrets.
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")


@dataclass(frozen=True)
class NetworkArgs:
    """Arguments of `Network`."""

    context: AwsContext
    """Account and Region: service names of the endpoints and the flow-log role's trust; required."""
    cidr_block: str
    """The VPC's IPv4 CIDR (e.g. `10.20.0.0/16`), carved into the three tiers by `subnet_prefixes`; required."""
    availability_zones: Sequence[str]
    """Availability Zone names, one subnet per tier in each (2 or 3); required, chosen by the program from the
    Region's zone IDs so both stacks land in the same physical zones."""
    nat_gateways: NatGateways
    """`perAz`: one NAT gateway per zone, so a zone outage never cuts egress in the others; `single`: one NAT,
    the cheap option (a monthly charge per gateway plus data); required, a cost-versus-availability choice.
    Spelled as the config key `network.natGateways`."""
    logs: LogSettings
    """Key and retention of the flow-log group (kept as a security log); required."""
    tags: Mapping[str, str]
    """Tags on every taggable child (plus a `Name`, and `Tier` on subnets); required."""
    subnet_prefixes: SubnetPrefixes = field(default_factory=SubnetPrefixes)
    """Prefix length per tier; default public /24, private /20, isolated /24 (tasks take one IP each)."""
    interface_endpoints: bool = False
    """Whether to create interface endpoints (private DNS) for `interface_endpoint_services`; default False:
    each is billed per zone and hour (offline/cost/prices.json), and the tasks reach the services through NAT
    anyway."""
    interface_endpoint_services: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS
    """Service names (after `com.amazonaws.<region>.`) of the interface endpoints; default what a private
    Fargate task needs to start without NAT: `ecr.api`, `ecr.dkr`, `logs`, `secretsmanager`."""


class Network(PlatformComponent):
    """Public subnets hold only load balancers and NAT; tasks run in private subnets; the database lives in
    isolated subnets with no route to the internet at all."""

    vpc: aws.ec2.Vpc
    """The VPC (escape hatch)."""
    vpc_id: pulumi.Output[str]
    """The VPC's ID."""
    vpc_cidr: str
    """The VPC's IPv4 CIDR, as given."""
    subnets: dict[str, list[aws.ec2.Subnet]]
    """Tier (`public`, `private`, `isolated`) -> its subnets in zone order (escape hatch)."""
    public_subnet_ids: list[pulumi.Output[str]]
    """IDs of the public subnets (load balancer nodes, NAT gateways), in zone order."""
    private_subnet_ids: list[pulumi.Output[str]]
    """IDs of the private subnets (tasks), in zone order."""
    isolated_subnet_ids: list[pulumi.Output[str]]
    """IDs of the isolated subnets (databases), in zone order."""
    nat_gateways: list[aws.ec2.NatGateway]
    """The NAT gateways: one per zone (`perAz`) or one (escape hatch)."""
    private_route_table_ids: list[pulumi.Output[str]]
    """IDs of the private route tables, one per zone (gateway endpoints attach to them)."""
    endpoint_security_group_id: pulumi.Output[str] | None
    """The interface endpoints' security group ID; None without interface endpoints."""
    flow_log_group_name: pulumi.Output[str]
    """The log group receiving the VPC's flow logs (all traffic, one-minute windows)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("network", name, args.tags, opts)
        azs = list(args.availability_zones)
        plan = plan_subnets(args.cidr_block, len(azs), args.subnet_prefixes)
        self.vpc = self._vpc(name, args.cidr_block)
        igw = aws.ec2.InternetGateway(name, vpc_id=self.vpc.id, tags=self.tags_for(), opts=self.child())
        self.subnets = self._subnets(name, self.vpc, azs, plan)
        self._public_routes(name, self.vpc, igw, azs, self.subnets["public"])
        self.nat_gateways = self._nat_gateways(name, args.nat_gateways, igw, azs, self.subnets["public"])
        private_rts = self._private_routes(name, self.vpc, azs, self.subnets["private"], self.nat_gateways)
        self._isolated_routes(name, self.vpc, azs, self.subnets["isolated"])
        self.flow_log_group_name = self._flow_logs(name, args, self.vpc)
        self._s3_endpoint(name, args.context.region, self.vpc, private_rts)
        self.endpoint_security_group_id = (
            self._interface_endpoints(name, args, self.vpc, self.subnets["private"])
            if args.interface_endpoints
            else None
        )
        self.vpc_id = self.vpc.id
        self.vpc_cidr = args.cidr_block
        self.public_subnet_ids = [s.id for s in self.subnets["public"]]
        self.private_subnet_ids = [s.id for s in self.subnets["private"]]
        self.isolated_subnet_ids = [s.id for s in self.subnets["isolated"]]
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.register_declared_outputs()

    def _vpc(self, name: str, cidr_block: str) -> aws.ec2.Vpc:
        vpc = aws.ec2.Vpc(
            name,
            cidr_block=cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            instance_tenancy="default",
            tags=self.tags_for(),
            opts=self.child(),
        )
        # The default security group is attached to anything created without one: leave it with no rules.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self.tags_for("default-closed"),
            opts=self.child(),
        )
        return vpc

    def _subnets(
        self, name: str, vpc: aws.ec2.Vpc, azs: Sequence[str], plan: SubnetPlan
    ) -> dict[str, list[aws.ec2.Subnet]]:
        subnets: dict[str, list[aws.ec2.Subnet]] = {"public": [], "private": [], "isolated": []}
        for tier, blocks in (("public", plan.public), ("private", plan.private), ("isolated", plan.isolated)):
            for az, block in zip(azs, blocks, strict=True):
                subnets[tier].append(
                    aws.ec2.Subnet(
                        f"{name}-{tier}-{az}",
                        vpc_id=vpc.id,
                        cidr_block=block,
                        availability_zone=az,
                        # Nothing here needs an auto-assigned public IP (FSBP EC2.15): NAT and ALBs have their own.
                        map_public_ip_on_launch=False,
                        tags={**self.tags_for(f"{tier}-{az}"), "Tier": tier},
                        opts=self.child(),
                    )
                )
        return subnets

    def _public_routes(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        azs: Sequence[str],
        subnets: Sequence[aws.ec2.Subnet],
    ) -> None:
        public_rt = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc.id, tags=self.tags_for("public"), opts=self.child())
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=self.child(),
        )
        for subnet, az in zip(subnets, azs, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{az}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=self.child()
            )

    def _nat_gateways(
        self,
        name: str,
        nat_gateways: NatGateways,
        igw: aws.ec2.InternetGateway,
        azs: Sequence[str],
        public_subnets: Sequence[aws.ec2.Subnet],
    ) -> list[aws.ec2.NatGateway]:
        nat_azs = azs if nat_gateways == "perAz" else azs[:1]
        nats: list[aws.ec2.NatGateway] = []
        for az, subnet in zip(nat_azs, public_subnets, strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc", tags=self.tags_for(f"nat-{az}"), opts=self.child())
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-{az}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags=self.tags_for(f"nat-{az}"),
                    opts=self.child(depends_on=[igw]),
                )
            )
        return nats

    def _private_routes(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        azs: Sequence[str],
        subnets: Sequence[aws.ec2.Subnet],
        nats: Sequence[aws.ec2.NatGateway],
    ) -> list[aws.ec2.RouteTable]:
        """One route table per zone, to that zone's NAT (per-AZ NAT keeps a zone outage from cutting egress in
        the others) or to the single NAT."""
        private_rts: list[aws.ec2.RouteTable] = []
        for index, (az, subnet) in enumerate(zip(azs, subnets, strict=True)):
            rt = aws.ec2.RouteTable(
                f"{name}-private-{az}", vpc_id=vpc.id, tags=self.tags_for(f"private-{az}"), opts=self.child()
            )
            nat = nats[index] if len(nats) > 1 else nats[0]
            aws.ec2.Route(
                f"{name}-private-{az}-nat",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=self.child(),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{az}", subnet_id=subnet.id, route_table_id=rt.id, opts=self.child()
            )
            private_rts.append(rt)
        return private_rts

    def _isolated_routes(
        self, name: str, vpc: aws.ec2.Vpc, azs: Sequence[str], subnets: Sequence[aws.ec2.Subnet]
    ) -> None:
        """Isolated subnets share one route table with only the implicit local route: no way out."""
        isolated_rt = aws.ec2.RouteTable(
            f"{name}-isolated", vpc_id=vpc.id, tags=self.tags_for("isolated"), opts=self.child()
        )
        for subnet, az in zip(subnets, azs, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-isolated-{az}", subnet_id=subnet.id, route_table_id=isolated_rt.id, opts=self.child()
            )

    def _s3_endpoint(
        self, name: str, region: str, vpc: aws.ec2.Vpc, route_tables: Sequence[aws.ec2.RouteTable]
    ) -> None:
        """The S3 gateway endpoint (free): image layers and logs to S3 skip the NAT."""
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in route_tables],
            tags=self.tags_for("s3"),
            opts=self.child(),
        )

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> pulumi.Output[str]:
        """All traffic (ALL is a superset of FSBP's REJECT) to an encrypted log group, one-minute windows; returns
        the group's name."""
        group = encrypted_log_group(
            f"{name}-flow-logs",
            logs=args.logs,
            log_class=LogClass.SECURITY,
            tags=self.tags_for("flow-logs"),
            parent=self,
        )
        role = iam.role_with_policy(
            f"{name}-flow-logs",
            service="vpc-flow-logs.amazonaws.com",
            account_id=args.context.account_id,
            description=f"VPC flow logs of {name} write to their log group",
            statements=[
                {
                    "Sid": "WriteFlowLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group.arn, group.arn.apply(lambda arn: f"{arn}:*")],
                }
            ],
            tags=self.tags_for("flow-logs"),
            parent=self,
        )
        aws.ec2.FlowLog(
            name,
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self.tags_for("flow-logs"),
            opts=self.child(),
        )
        return group.name

    def _interface_endpoints(
        self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, subnets: Sequence[aws.ec2.Subnet]
    ) -> pulumi.Output[str]:
        """Private DNS endpoints so image pulls, logs and secret reads never leave the VPC."""
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=vpc.id,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            tags=self.tags_for("endpoints"),
            opts=self.child(),
        )
        tcp_rule(
            f"{name}-endpoints-https",
            "ingress",
            security_group_id=sg.id,
            port=443,
            peer=Peer(cidr=args.cidr_block),
            description="HTTPS from the VPC to AWS service endpoints",
            tags=self.tags_for("endpoints-https"),
            parent=self,
        )
        for service in args.interface_endpoint_services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.context.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in subnets],
                security_group_ids=[sg.id],
                tags=self.tags_for(service),
                opts=self.child(),
            )
        return sg.id
