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
from components.subnets import SubnetPrefixes, plan_subnets

NatMode = Literal["single", "per_az"]

# Interface endpoints a private Fargate task needs to start without NAT: pull images, ship logs, read secrets.
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")


@dataclass(frozen=True)
class NetworkArgs:
    context: AwsContext
    cidr_block: str
    availability_zones: Sequence[str]
    nat_mode: NatMode
    logs: LogSettings
    tags: Mapping[str, str]
    subnet_prefixes: SubnetPrefixes = field(default_factory=SubnetPrefixes)
    interface_endpoints: bool = False
    interface_endpoint_services: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS


class Network(PlatformComponent):
    """Public subnets hold only load balancers and NAT; tasks run in private subnets; the database lives in
    isolated subnets with no route to the internet at all."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    isolated_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Output[str] | None
    flow_log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("network", name, args.tags, opts)
        azs = list(args.availability_zones)
        plan = plan_subnets(args.cidr_block, len(azs), args.subnet_prefixes)

        vpc = aws.ec2.Vpc(
            name,
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            instance_tenancy="default",
            tags=self.tags_for(),
            opts=self.child(),
        )
        self.vpc_id = vpc.id
        self.vpc_cidr = args.cidr_block

        # The default security group is attached to anything created without one: leave it with no rules.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self.tags_for("default-closed"),
            opts=self.child(),
        )

        igw = aws.ec2.InternetGateway(name, vpc_id=vpc.id, tags=self.tags_for(), opts=self.child())

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

        public_rt = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc.id, tags=self.tags_for("public"), opts=self.child())
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=self.child(),
        )
        for subnet, az in zip(subnets["public"], azs, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{az}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=self.child()
            )

        nat_azs = azs if args.nat_mode == "per_az" else azs[:1]
        nats: list[aws.ec2.NatGateway] = []
        for az, subnet in zip(nat_azs, subnets["public"], strict=False):
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

        private_rts: list[aws.ec2.RouteTable] = []
        for index, (az, subnet) in enumerate(zip(azs, subnets["private"], strict=True)):
            rt = aws.ec2.RouteTable(
                f"{name}-private-{az}", vpc_id=vpc.id, tags=self.tags_for(f"private-{az}"), opts=self.child()
            )
            # Per-AZ NAT keeps an AZ outage from cutting egress in the others; a single NAT is the cheap option.
            nat = nats[index] if args.nat_mode == "per_az" else nats[0]
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

        # Isolated subnets share one route table with only the implicit local route: no way out.
        isolated_rt = aws.ec2.RouteTable(
            f"{name}-isolated", vpc_id=vpc.id, tags=self.tags_for("isolated"), opts=self.child()
        )
        for subnet, az in zip(subnets["isolated"], azs, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-isolated-{az}", subnet_id=subnet.id, route_table_id=isolated_rt.id, opts=self.child()
            )

        self._flow_logs(name, args, vpc)

        region = args.context.region
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags=self.tags_for("s3"),
            opts=self.child(),
        )

        self.endpoint_security_group_id = None
        if args.interface_endpoints:
            self.endpoint_security_group_id = self._interface_endpoints(name, args, vpc, subnets["private"])

        self.public_subnet_ids = [s.id for s in subnets["public"]]
        self.private_subnet_ids = [s.id for s in subnets["private"]]
        self.isolated_subnet_ids = [s.id for s in subnets["isolated"]]
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
            }
        )

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        """All traffic (ALL is a superset of FSBP's REJECT) to an encrypted log group, one-minute windows."""
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
        self.flow_log_group_name = group.name
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
