"""EC2/VPC: flow logs, default security group, subnets, routes, security groups, NACLs, endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Policy, PolicyResource, ReportViolation, ResourceValidationArgs, Severity

from .common import forbid_true, get, is_true, items, known, label, text
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    FsbpStatus,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    StackRule,
    declared,
    integers,
    strings,
)
from .stack import StackView

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ECS_SERVICE = "aws:ecs/service:Service"
DB_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
DOCS = "https://docs.aws.amazon.com/vpc/latest/userguide"

ANYWHERE = ("0.0.0.0/0", "::/0")
# A public block this wide is "the internet" even when it is not all of it (0.0.0.0/1 is half of IPv4).
WIDEST_PREFIX = {4: 8, 6: 16}
HIGH_RISK_PORTS = [20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500]
HIGH_RISK_PORTS += [5601, 8080, 8088, 8888, 9200, 9300]


@dataclass(frozen=True)
class Rule:
    """One security-group rule, whatever resource or inline block declared it."""

    where: str
    direction: str
    protocol: str
    from_port: int
    to_port: int
    sources: tuple[str, ...]
    description: str
    prefix_lists: tuple[str, ...] = ()

    @property
    def all_ports(self) -> bool:
        return self.protocol in ("-1", "all") or (self.from_port <= 0 and self.to_port >= 65535)

    def covers(self, port: int) -> bool:
        return self.all_ports or self.from_port <= port <= self.to_port

    @property
    def public(self) -> bool:
        return bool(public_sources(self.sources))

    def ports_text(self) -> str:
        if self.all_ports:
            return "all ports"
        return f"port {self.from_port}" if self.from_port == self.to_port else f"ports {self.from_port}-{self.to_port}"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(source: str) -> Network | None:
    try:
        return ipaddress.ip_network(str(source).strip(), strict=False)
    except ValueError:
        return None  # a prefix list or group id, or a value AWS would reject


def covers_everything(sources: Iterable[str]) -> bool:
    """The ranges together are all of IPv4 or all of IPv6 (0.0.0.0/1 + 128.0.0.0/1; ::/0 in any spelling)."""
    networks = [n for n in map(_network, sources) if n is not None]
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return list(ipaddress.collapse_addresses(v4)) == [ipaddress.IPv4Network("0.0.0.0/0")] or list(
        ipaddress.collapse_addresses(v6)
    ) == [ipaddress.IPv6Network("::/0")]


def public_sources(sources: Iterable[str]) -> list[str]:
    """Sources open to the internet, compared as address ranges: together everything, or one public block of
    /8 (IPv4) or /16 (IPv6) or wider."""
    sources = list(sources)
    if covers_everything(sources):
        return sources
    wide = []
    for source in sources:
        network = _network(source)
        if network is not None and not network.is_private and network.prefixlen <= WIDEST_PREFIX[network.version]:
            wide.append(source)
    return wide


def _port(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _inline(block: Mapping[str, Any], direction: str, where: str) -> Rule:
    sources = tuple(str(c) for c in items(get(block, "cidrBlocks")) + items(get(block, "ipv6CidrBlocks")))
    return Rule(
        where,
        direction,
        str(get(block, "protocol", default="-1")).lower(),
        _port(get(block, "fromPort"), 0),
        _port(get(block, "toPort"), 65535),
        sources,
        str(get(block, "description", default="")),
        tuple(str(p) for p in items(get(block, "prefixListIds"))),
    )


def rules_of(args: ResourceValidationArgs) -> list[Rule]:
    """Every rule a security group resource or rule resource declares."""
    return rules_from(args.resource_type, args.props)


def rules_from(kind: str, props: Any) -> list[Rule]:
    if kind in (SG, DEFAULT_SG):
        return [_inline(b, "ingress", f"ingress[{i}]") for i, b in enumerate(items(get(props, "ingress")))] + [
            _inline(b, "egress", f"egress[{i}]") for i, b in enumerate(items(get(props, "egress")))
        ]
    if kind == SG_RULE:
        return [_inline(props, str(get(props, "type", default="ingress")), "rule")]
    if kind in (INGRESS_RULE, EGRESS_RULE):
        sources = tuple(str(s) for s in (get(props, "cidrIpv4"), get(props, "cidrIpv6")) if s)
        protocol = str(get(props, "ipProtocol", default="-1")).lower()
        return [
            Rule(
                "rule",
                "ingress" if kind == INGRESS_RULE else "egress",
                protocol,
                _port(get(props, "fromPort"), 0) if protocol != "-1" else 0,
                _port(get(props, "toPort"), 65535) if protocol != "-1" else 65535,
                sources,
                str(get(props, "description", default="")),
                tuple(str(p) for p in items(get(props, "prefixListId"))),
            )
        ]
    return []


SG_TYPES = (SG, SG_RULE, INGRESS_RULE)
SG_ALL_TYPES = (SG, SG_RULE, INGRESS_RULE, EGRESS_RULE)
RULE_TYPES = (SG_RULE, INGRESS_RULE, EGRESS_RULE)

# -- controls ---------------------------------------------------------------------------------------------------
C005 = Control(
    id="C005",
    title="No 0.0.0.0/0 or ::/0 ingress to high-risk ports",
    severity=Severity.CRITICAL,
    fsbp="EC2.19",
    cdk_nag=("R5:EC2RestrictedCommonPorts", "R5:EC2RestrictedSSH"),
    checkov=("CKV_AWS_24", "CKV_AWS_25"),
    hub_other=("EC2.13", "EC2.14"),
)

C002 = Control(
    id="C002",
    title="Default SG of each VPC has no ingress/egress rules",
    severity=Severity.HIGH,
    fsbp="EC2.2",
    cdk_nag=("R5:VPCDefaultSecurityGroupClosed",),
    checkov=("CKV2_AWS_12",),
)


# -- checks -----------------------------------------------------------------------------------------------------
@StackRule(
    name="vpc-flow-logs-enabled",
    control=Control(
        id="C001",
        title="VPC has a flow log",
        severity=Severity.MEDIUM,
        fsbp="EC2.6",
        cdk_nag=("AwsSolutions-VPC7",),
        checkov=("CKV2_AWS_11",),
    ),
    types=[VPC],
    description="Every VPC has a flow log capturing at least rejected traffic.",
    remediation="Add an aws.ec2.FlowLog with vpc_id=<vpc>.id and traffic_type='ALL' to an encrypted log group.",
    enforcement=MANDATORY,
    config={"allowedTrafficTypes": strings(["ALL", "REJECT"], "Flow log traffic types that satisfy EC2.6.")},
)
def vpc_flow_logs(stack: StackView, report: ReportViolation, settings: Settings) -> None:
    allowed = {str(t).upper() for t in settings["allowedTrafficTypes"]}
    for vpc in stack.of_type(VPC):
        logs = stack.referencing(vpc, [FLOW_LOG], "vpcId")
        if not logs:
            report(f"{label(vpc)} has no flow log (no aws:ec2/flowLog:FlowLog references it).", vpc.urn)
            continue
        types = {str(known(log.props, "trafficType") or "").upper() for log in logs}
        if not types & allowed:
            report(
                f"{label(vpc)}: flow logs capture {sorted(types)}; one of {sorted(allowed)} is required.",
                vpc.urn,
            )


@ResourceRule(
    name="ec2-default-security-group-closed",
    control=C002,
    types=[DEFAULT_SG],
    description="The VPC's default security group allows no traffic in or out.",
    remediation="Adopt the default security group with aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], "
    "egress=[]).",
    enforcement=MANDATORY,
)
def default_sg_closed(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for direction in ("ingress", "egress"):
        count = len(items(get(args.props, direction)))
        if count:
            report(f"The default security group keeps {count} {direction} rule(s); it must have none.")


@ResourceRule(
    name="ec2-subnet-no-auto-public-ip",
    control=Control(
        id="C003",
        title="mapPublicIpOnLaunch is false",
        severity=Severity.MEDIUM,
        fsbp="EC2.15",
        cdk_nag=("R5:VPCSubnetAutoAssignPublicIpDisabled",),
        checkov=("CKV_AWS_130",),
    ),
    types=[SUBNET],
    inputs=("mapPublicIpOnLaunch", "assignIpv6AddressOnCreation"),
    description="Subnets do not hand out public IP addresses automatically.",
    remediation="Set map_public_ip_on_launch=False (and assign_ipv6_address_on_creation=False) on the subnet.",
    enforcement=ADVISORY,
)
def subnet_no_public_ip(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    forbid_true(args, report, "mapPublicIpOnLaunch", ": instances launched here get a public IP address")
    if is_true(get(args.props, "assignIpv6AddressOnCreation")):
        report("assignIpv6AddressOnCreation is true: network interfaces get a globally routable IPv6 address.")


def _igw_tables(stack: StackView) -> set[str]:
    """URNs of route tables with a default route to an internet gateway."""
    igws = stack.of_type(IGW)
    tables = set()
    for table in stack.of_type(ROUTE_TABLE):
        for route in items(known(table.props, "routes")):
            gateway = str(known(route, "gatewayId") or "")
            if gateway.startswith("igw-") and known(route, "cidrBlock") in ANYWHERE:
                tables.add(table.urn)
    for route in stack.of_type(ROUTE):
        destinations = (known(route.props, "destinationCidrBlock"), known(route.props, "destinationIpv6CidrBlock"))
        if not any(d in ANYWHERE for d in destinations):
            continue
        gateway = str(known(route.props, "gatewayId") or "")
        if gateway.startswith("igw-") or any(stack.references(route, "gatewayId", igw) for igw in igws):
            tables.update(t.urn for t in stack.of_type(ROUTE_TABLE) if stack.references(route, "routeTableId", t))
    return tables


@StackRule(
    name="ec2-workload-subnets-no-igw-route",
    control=Control(
        id="C004",
        title="App/DB subnets have no unrestricted route to an internet gateway",
        severity=Severity.HIGH,
        fsbp="RDS.46",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("R5:VPCNoUnrestrictedRouteToIGW",),
        checkov=("CKV2_AWS_35",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SUBNET],
    description="Subnets that host ECS services or databases do not route 0.0.0.0/0 to an internet gateway.",
    remediation="Place services and databases in private or isolated subnets whose default route goes through a NAT "
    "gateway (or nowhere); keep internet-gateway routes to the public subnets of the load balancer.",
    enforcement=MANDATORY,
    url=f"{DOCS}/VPC_Route_Tables.html",
)
def workload_subnets_private(stack: StackView, report: ReportViolation, _: Settings) -> None:
    subnets = stack.of_type(SUBNET)
    workloads = stack.of_type(ECS_SERVICE, DB_SUBNET_GROUP)
    if not workloads:
        stack.not_applicable("No ECS service or DB subnet group in the stack: no app or database subnets to judge.")
    public_tables = _igw_tables(stack)
    tables = stack.of_type(ROUTE_TABLE)
    for subnet in subnets:
        users = [w for w in workloads if stack.depends_on(w, subnet)]
        if not users:
            continue
        for association in stack.of_type(ASSOCIATION):
            if not stack.references(association, "subnetId", subnet):
                continue
            routed = [t for t in tables if t.urn in public_tables and stack.references(association, "routeTableId", t)]
            if routed:
                names = ", ".join(label(u) for u in users)
                report(
                    f"{label(subnet)} is used by {names} but its route table {routed[0].name} sends 0.0.0.0/0 to an "
                    "internet gateway.",
                    subnet.urn,
                )


@ResourceRule(
    name="ec2-no-public-ingress-high-risk-ports",
    control=C005,
    types=SG_TYPES,
    description="No security group rule opens a high-risk port (SSH, RDP, databases, admin consoles) to the internet.",
    remediation="Remove the 0.0.0.0/0 and ::/0 sources; allow only the security group or prefix list that needs the "
    "port.",
    enforcement=MANDATORY,
    config={"highRiskPorts": integers(HIGH_RISK_PORTS, "Ports that must never be open to 0.0.0.0/0 or ::/0.")},
)
def no_public_high_risk_ports(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    ports = [int(p) for p in settings["highRiskPorts"]]
    for rule in rules_of(args):
        if rule.direction != "ingress" or not rule.public:
            continue
        exposed = [p for p in ports if rule.covers(p)]
        if exposed:
            report(
                f"{rule.where}: {rule.ports_text()} open to {', '.join(public_sources(rule.sources))} "
                f"exposes high-risk port(s) {', '.join(map(str, exposed))}."
            )


@ResourceRule(
    name="ec2-public-ingress-authorized-ports-only",
    control=Control(
        id="C006",
        title="Unrestricted ingress only on authorized ports",
        severity=Severity.HIGH,
        fsbp="EC2.18",
        cdk_nag=("AwsSolutions-EC23",),
        checkov=("CKV_AWS_260", "CKV_AWS_277"),
    ),
    types=SG_TYPES,
    description="Security group rules open to the internet use only authorized ports.",
    remediation="Restrict the rule to the authorized ports, or to the CloudFront origin-facing managed prefix list "
    "(com.amazonaws.global.cloudfront.origin-facing) instead of 0.0.0.0/0.",
    enforcement=MANDATORY,
    config={"authorizedPorts": integers([80, 443], "Ports that may accept 0.0.0.0/0 or ::/0 (EC2.18).")},
)
def public_ingress_authorized_ports(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    authorized = {int(p) for p in settings["authorizedPorts"]}
    for rule in rules_of(args):
        if rule.direction != "ingress" or not rule.public:
            continue
        if rule.all_ports or not all(p in authorized for p in range(rule.from_port, rule.to_port + 1)):
            report(
                f"{rule.where}: {rule.ports_text()} open to the internet; only {sorted(authorized)} may be "
                "(better: the CloudFront origin-facing prefix list)."
            )


@ResourceRule(
    name="ec2-no-unrestricted-egress",
    control=Control(
        id="C007",
        title="No all-ports egress to 0.0.0.0/0",
        severity=Severity.LOW,
        checkov=("CKV_AWS_382",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=(SG, SG_RULE, EGRESS_RULE),
    description="No security group allows every port and protocol out to the internet.",
    remediation="Limit egress to the ports and destinations the workload needs (e.g. 443 to the VPC endpoints, the "
    "database port to the database security group).",
    enforcement=ADVISORY,
    url=f"{DOCS}/security-group-rules.html",
)
def no_all_ports_egress(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for rule in rules_of(args):
        if rule.direction == "egress" and rule.public and rule.all_ports:
            report(f"{rule.where}: all ports/protocols allowed out to the internet.")


@ResourceRule(
    name="ec2-security-group-described",
    control=Control(
        id="C008",
        title="Every SG and SG rule has a description",
        severity=Severity.LOW,
        cdk_nag=("AwsSolutions-EC27",),
        checkov=("CKV_AWS_23",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=SG_ALL_TYPES,
    inputs=("description",),
    description="Every security group and rule says what it is for.",
    remediation="Set description= on the security group and on every ingress/egress rule.",
    enforcement=ADVISORY,
    url=f"{DOCS}/security-group-rules.html",
)
def described(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if args.resource_type == SG:
        description = str(get(args.props, "description", default=""))
        if not description or description == "Managed by Pulumi":
            report("The security group has no description of its own (the provider default is 'Managed by Pulumi').")
    for rule in rules_of(args):
        if not rule.description.strip():
            report(f"{rule.where}: the {rule.direction} rule has no description.")


@StackRule(
    name="ec2-security-group-attached",
    control=Control(
        id="C009", title="SG is attached to something", severity=Severity.MEDIUM, fsbp="EC2.22", checkov=("CKV2_AWS_5",)
    ),
    types=[SG],
    description="Every security group is used by some resource.",
    remediation="Attach the security group to the resource it was made for, or delete it.",
    enforcement=ADVISORY,
)
def sg_attached(stack: StackView, report: ReportViolation, _: Settings) -> None:
    rule_types = (SG_RULE, INGRESS_RULE, EGRESS_RULE)
    for group in stack.of_type(SG):
        users = [r for r in stack.resources if r.resource_type not in rule_types and stack.depends_on(r, group)]
        if not users:
            report(
                f"{label(group)} is not used by any resource (no dependency on it other than its own rules).", group.urn
            )


@StackRule(
    name="ec2-security-group-no-rule-management-conflicts",
    control=Control(
        id="C010",
        title="Inline SG rules not mixed with standalone rule resources",
        severity=Severity.MEDIUM,
        awsguard=("security-group-no-rule-management-conflicts",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SG],
    description="A security group uses either inline rules or standalone rule resources, never both.",
    remediation="Move every rule to aws.vpc.SecurityGroupIngressRule / SecurityGroupEgressRule resources and drop the "
    "inline ingress/egress blocks.",
    enforcement=ADVISORY,
    url="https://www.pulumi.com/registry/packages/aws/api-docs/ec2/securitygroup/",
)
def sg_no_rule_conflicts(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for group in stack.of_type(SG):
        inline = [d for d in ("ingress", "egress") if items(known(group.props, d))]
        if not inline:
            continue
        standalone = stack.referencing(group, [SG_RULE, INGRESS_RULE, EGRESS_RULE], "securityGroupId")
        if standalone:
            report(
                f"{label(group)} declares inline {'/'.join(inline)} rules and also has standalone rule resources "
                f"({', '.join(r.name for r in standalone)}): Pulumi will keep replacing one with the other.",
                group.urn,
            )


def group_of(stack: StackView, rule: PolicyResource) -> PolicyResource | None:
    """The security group a standalone rule belongs to. A rule whose securityGroupId comes from a VPC (its
    defaultSecurityGroupId) belongs to that VPC's default group."""
    linked = [
        d for d in rule.property_dependencies.get("securityGroupId", []) if d.resource_type in (SG, DEFAULT_SG, VPC)
    ]
    if len(linked) == 1:
        return linked[0]
    found = [g for g in stack.of_type(SG, DEFAULT_SG) if stack.references(rule, "securityGroupId", g)]
    return found[0] if len(found) == 1 else None


def group_rules(stack: StackView, group: PolicyResource) -> list[Rule]:
    """A security group's rules, inline and from the standalone rule resources joined to it."""
    rules = rules_from(group.resource_type, group.props)
    for rule in stack.of_type(*RULE_TYPES):
        joined = group_of(stack, rule)
        if joined is not None and joined.urn == group.urn:
            rules += rules_from(rule.resource_type, rule.props)
    return rules


@StackRule(
    name="ec2-default-security-group-no-rule-resources",
    control=C002,
    types=RULE_TYPES,
    description="No standalone rule resource opens the VPC's default security group (the inline check alone can be "
    "walked around with aws.ec2.SecurityGroupRule or aws.vpc.SecurityGroup*Rule).",
    remediation="Attach the rule to a security group of its own, never to the VPC's default_security_group_id.",
    enforcement=MANDATORY,
)
def default_sg_no_rule_resources(stack: StackView, report: ReportViolation, _: Settings) -> None:
    for rule in stack.of_type(*RULE_TYPES):
        group = group_of(stack, rule)
        if group is not None and group.resource_type in (DEFAULT_SG, VPC):
            report(f"{label(rule)} adds a rule to the default security group of {label(group)}.", rule.urn)


@StackRule(
    name="ec2-no-public-ingress-high-risk-ports-joined",
    control=C005,
    types=[SG, DEFAULT_SG],
    description="The ingress rules of a security group, inline and standalone together, open no high-risk port to "
    "the internet (ranges split across rules are joined: 0.0.0.0/1 here and 128.0.0.0/1 there is 0.0.0.0/0).",
    remediation="Remove the sources that together make up the internet; allow only the security group or prefix "
    "list that needs the port.",
    enforcement=MANDATORY,
    config={"highRiskPorts": integers(HIGH_RISK_PORTS, "Ports that must never be open to the internet.")},
)
def joined_high_risk_ports(stack: StackView, report: ReportViolation, settings: Settings) -> None:
    for group in stack.of_type(SG, DEFAULT_SG):
        ingress = [r for r in group_rules(stack, group) if r.direction == "ingress"]
        exposed = [
            p
            for p in (int(x) for x in settings["highRiskPorts"])
            if covers_everything(s for r in ingress if r.covers(p) for s in r.sources)
        ]
        if exposed:
            report(
                f"{label(group)}: its rules together open port(s) {', '.join(map(str, exposed))} to the internet.",
                group.urn,
            )


@ResourceRule(
    name="ec2-nacl-no-public-admin-ports",
    control=Control(
        id="C011",
        title="No NACL ingress from 0.0.0.0/0 to 22/3389",
        severity=Severity.MEDIUM,
        fsbp="EC2.21",
        cdk_nag=("AwsSolutions-VPC3",),
        checkov=("CKV_AWS_231", "CKV_AWS_232"),
    ),
    types=[NACL, NACL_RULE],
    inputs=("ingress", "egress"),
    description="No network ACL allows SSH or RDP in from anywhere.",
    remediation="Remove the allow entry for 0.0.0.0/0 (::/0) on ports 22 and 3389.",
    enforcement=ADVISORY,
    config={"adminPorts": integers([22, 3389], "Remote administration ports (EC2.21).")},
)
def nacl_admin_ports(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    ports = [int(p) for p in settings["adminPorts"]]
    entries: list[Mapping[str, Any]]
    if args.resource_type == NACL:
        entries = list(items(get(args.props, "ingress")))
    else:
        entries = [] if is_true(get(args.props, "egress")) else [args.props]
    for entry in entries:
        action = str(get(entry, "action", default=get(entry, "ruleAction", default=""))).lower()
        source = get(entry, "cidrBlock", default=get(entry, "ipv6CidrBlock"))
        if action != "allow" or source not in ANYWHERE:
            continue
        protocol = str(get(entry, "protocol", default="-1")).lower()
        low, high = _port(get(entry, "fromPort"), 0), _port(get(entry, "toPort"), 65535)
        exposed = [p for p in ports if protocol in ("-1", "all") or low <= p <= high]
        if exposed:
            report(f"NACL allows {source} in to port(s) {', '.join(map(str, exposed))}.")


@StackRule(
    name="ec2-ecr-interface-endpoints",
    control=Control(
        id="C012",
        title="Interface endpoints for ecr.api / ecr.dkr",
        severity=Severity.MEDIUM,
        fsbp="EC2.55, EC2.56",
        fsbp_status=FsbpStatus.UNVERIFIED,
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[VPC],
    description="VPCs that run containers have interface endpoints for ECR, so image pulls stay private.",
    remediation="Add aws.ec2.VpcEndpoint resources of type Interface for com.amazonaws.<region>.ecr.api and .ecr.dkr "
    "(and the S3 gateway endpoint for image layers).",
    enforcement=ADVISORY,
    config={"requiredServices": strings(["ecr.api", "ecr.dkr"], "Interface endpoint services every VPC needs.")},
    url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html",
)
def ecr_endpoints(stack: StackView, report: ReportViolation, settings: Settings) -> None:
    if not stack.of_type(ECS_SERVICE, "aws:ecs/cluster:Cluster"):
        stack.not_applicable("No ECS cluster or service in the stack: nothing pulls images from ECR.")
    required = [str(s) for s in settings["requiredServices"]]
    for vpc in stack.of_type(VPC):
        endpoints = stack.referencing(vpc, [ENDPOINT], "vpcId")
        present = {
            str(known(e.props, "serviceName") or "").split(".", 3)[-1]
            for e in endpoints
            if str(known(e.props, "vpcEndpointType") or "Gateway") == "Interface"
        }
        missing = [s for s in required if s not in present]
        if missing:
            report(f"{label(vpc)} has no interface endpoint for {', '.join(missing)}.", vpc.urn)


POLICIES: list[Policy] = declared(__name__)

__all__ = ["POLICIES", "Rule", "rules_of", "text"]
