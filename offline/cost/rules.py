"""What each resource type costs: the charges a declared resource brings, as quantities of price-table keys.

Every custom type the program can declare sits in exactly one of three places: PRICERS (billable, with the
charges it brings), FREE (no charge of its own, with the reason) or NOT_MODELLED (billed only by usage this
estimate does not model, with the reason). A type in none of them is "unclassified" and fails the tests, so a
new billable resource cannot slip into a plan unpriced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from offline.cost.prices import GLOBAL
from offline.cost.usage import Usage
from offline.plan import Plan, ResourceRecord

HOURS = 730.0  # the AWS pricing calculator's month
DAYS_PER_MONTH = 365 / 12


@dataclass(frozen=True)
class Charge:
    """One billable quantity: `quantity` units of price `key` in `region` per month."""

    description: str
    quantity: float
    key: str
    region: str
    usage_keys: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Context:
    plan: Plan
    usage: Usage
    regions: dict[str, str]  # provider URN -> region
    default_region: str
    _by_type: dict[str, list[ResourceRecord]] = field(default_factory=dict)

    def region(self, record: ResourceRecord) -> str:
        if record.provider and record.provider in self.regions:
            return self.regions[record.provider]
        return self.default_region

    def of_type(self, type_: str) -> list[ResourceRecord]:
        if type_ not in self._by_type:
            self._by_type[type_] = self.plan.of_type(type_)
        return self._by_type[type_]


Pricer = Callable[[ResourceRecord, Context], list[Charge]]


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# -- compute -------------------------------------------------------------------------------------------------
def split_tasks(tasks: float, strategies: list[dict[str, Any]]) -> dict[str, float]:
    """Tasks per capacity provider as ECS places them: each provider's base first, the rest by weight."""
    if not strategies:
        return {"FARGATE": tasks}
    placed: dict[str, float] = {}
    remaining = tasks
    for strategy in strategies:
        base = min(_num(strategy.get("base")), remaining)
        placed[strategy["capacityProvider"]] = base
        remaining -= base
    weights = {s["capacityProvider"]: _num(s.get("weight")) for s in strategies}
    total = sum(weights.values())
    if remaining > 0 and total > 0:
        for provider, weight in weights.items():
            placed[provider] += remaining * weight / total
    elif remaining > 0:
        placed[strategies[0]["capacityProvider"]] += remaining
    return placed


def _task_definition(service: ResourceRecord, ctx: Context) -> ResourceRecord | None:
    arn = str(service.inputs.get("taskDefinition", ""))
    family = arn.rsplit("/", 1)[-1].split(":", maxsplit=1)[0]
    for task in ctx.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        if task.inputs.get("family") == family:
            return task
    return None


def _cluster_strategy(ctx: Context) -> list[dict[str, Any]]:
    for record in ctx.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"):
        return list(record.inputs.get("defaultCapacityProviderStrategies") or [])
    return []


def fargate_service(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    task = _task_definition(record, ctx)
    if task is None:
        return [Charge(f"{record.name}: Fargate tasks", 0, "fargate.task_definition_not_found", region)]
    vcpu = _num(task.inputs.get("cpu")) / 1024
    memory_gb = _num(task.inputs.get("memory")) / 1024
    platform = task.inputs.get("runtimePlatform") or {}
    arch = "arm64" if str(platform.get("cpuArchitecture", "X86_64")).upper() == "ARM64" else "x86_64"
    if str(platform.get("operatingSystemFamily", "LINUX")).upper() != "LINUX":
        arch = f"windows_{arch}"
    override = ctx.usage.services.get(record.name)
    usage_keys: tuple[str, ...] = ()
    tasks = _num(record.inputs.get("desiredCount"), 1.0)
    if override is not None and override.average_tasks is not None:
        tasks, usage_keys = override.average_tasks, (f"services.{record.name}.averageTasks",)
    strategies = list(record.inputs.get("capacityProviderStrategies") or []) or _cluster_strategy(ctx)
    charges = []
    for provider, count in split_tasks(tasks, strategies).items():
        if count <= 0:
            continue
        prefix = "fargate_spot" if provider == "FARGATE_SPOT" else "fargate"
        label = f"{count:g} task(s) x {vcpu:g} vCPU / {memory_gb:g} GB, {arch}, {provider}"
        charges += [
            Charge(f"vCPU-hours ({label})", count * vcpu * HOURS, f"{prefix}.vcpu_hour.{arch}", region, usage_keys),
            Charge(f"GB-hours ({label})", count * memory_gb * HOURS, f"{prefix}.gb_hour.{arch}", region, usage_keys),
        ]
    extra = _num((task.inputs.get("ephemeralStorage") or {}).get("sizeInGib"), 20) - 20
    if extra > 0:
        charges.append(
            Charge(
                f"ephemeral storage above 20 GiB ({extra:g} GiB)",
                tasks * extra * HOURS,
                "fargate.ephemeral_storage_gb_hour",
                region,
                usage_keys,
            )
        )
    return charges


def lambda_function(record: ResourceRecord, ctx: Context) -> list[Charge]:
    """Invocations and GB-seconds from the usage file: no function in the stacks serves viewer requests (the
    smoke-test hook runs once per release), so traffic says nothing about them."""
    region = ctx.region(record)
    arch = "arm64" if "arm64" in (record.inputs.get("architectures") or []) else "x86_64"
    invocations = ctx.usage.lambda_invocations(record.name)
    # Lambda's default memory is 128 MB (CreateFunction API reference, MemorySize).
    memory_gb = _num(record.inputs.get("memorySize"), 128.0) / 1024
    return [
        Charge(
            "requests",
            invocations / 1e6,
            "lambda.requests_million",
            region,
            ("lambdaInvocationsPerMonth",),
        ),
        Charge(
            f"compute ({memory_gb * 1024:g} MB)",
            invocations * ctx.usage.lambda_seconds(record.name) * memory_gb,
            f"lambda.gb_second.{arch}",
            region,
            ("lambdaInvocationsPerMonth", "lambdaDurationMs"),
        ),
    ]


def ecs_cluster(record: ResourceRecord, ctx: Context) -> list[Charge]:
    settings = {s.get("name"): s.get("value") for s in record.inputs.get("settings") or []}
    mode = settings.get("containerInsights")
    if mode in ("enhanced", "enabled"):
        return [
            Charge(
                f"Container Insights ({mode})",
                1,
                f"cloudwatch.container_insights_{mode}_month",
                ctx.region(record),
                ("(task and container count)",),
                "billed per observation",
            )
        ]
    return []


# -- network -------------------------------------------------------------------------------------------------
def load_balancer(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    kind = {"application": "alb", "network": "nlb", "gateway": "gwlb"}.get(
        str(record.inputs.get("loadBalancerType", "application")), "alb"
    )
    return [
        Charge("load balancer hours", HOURS, f"elb.{kind}_hour", region),
        Charge(
            f"capacity units ({ctx.usage.alb_lcu_average:g} LCU average)",
            ctx.usage.alb_lcu_average * HOURS,
            f"elb.{kind}_lcu_hour",
            region,
            ("albLcuAverage",),
        ),
    ]


def nat_gateway(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    count = len(ctx.of_type(record.type)) or 1
    return [
        Charge("NAT gateway hours", HOURS, "ec2.nat_gateway_hour", region),
        Charge(
            f"data processed (1/{count} of natGbPerMonth)",
            ctx.usage.nat_gb_per_month / count,
            "ec2.nat_gateway_gb",
            region,
            ("natGbPerMonth",),
        ),
    ]


def elastic_ip(record: ResourceRecord, ctx: Context) -> list[Charge]:
    return [Charge("public IPv4 address hours", HOURS, "vpc.public_ipv4_hour", ctx.region(record))]


def vpc_endpoint(record: ResourceRecord, ctx: Context) -> list[Charge]:
    if record.inputs.get("vpcEndpointType", "Gateway") != "Interface":
        # "Gateway endpoints ... come at no additional charge" (AWS Prescriptive Guidance, startup security
        # baseline WKLD.12).
        return []
    region = ctx.region(record)
    zones = len(record.inputs.get("subnetIds") or []) or 1
    interface = [r for r in ctx.of_type(record.type) if r.inputs.get("vpcEndpointType") == "Interface"]
    service = str(record.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    return [
        Charge(f"{service} endpoint hours in {zones} AZ(s)", zones * HOURS, "vpc.interface_endpoint_hour", region),
        Charge(
            f"data processed (1/{len(interface)} of interfaceEndpointGbPerMonth)",
            ctx.usage.interface_endpoint_gb_per_month / max(len(interface), 1),
            "vpc.interface_endpoint_gb",
            region,
            ("interfaceEndpointGbPerMonth",),
        ),
    ]


# -- data ----------------------------------------------------------------------------------------------------
# vCPUs per DB instance class, for per-vCPU lines (Performance Insights long-term retention). Sources:
# infratally.com "AWS RDS pricing explained (2026)" (db.t4g.micro/small/medium: 2 vCPU); a public RDS class table
# in the code index (db.m7g.large: 2, db.m7g.xlarge: 4). A class missing here makes the line unpriced, not guessed.
DB_VCPUS = {"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.m7g.large": 2, "db.m7g.xlarge": 4}


def _deployment(record: ResourceRecord) -> str:
    return "multi_az" if record.inputs.get("multiAz") else "single_az"


def rds_instance(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    klass = str(record.inputs.get("instanceClass"))
    engine = str(record.inputs.get("engine", "postgres"))
    deployment = _deployment(record)
    storage_type = str(record.inputs.get("storageType", "gp2"))
    storage = _num(record.inputs.get("allocatedStorage"))
    label = deployment.replace("_", "-").replace("az", "AZ").replace("single", "Single").replace("multi", "Multi")
    charges = [
        Charge(f"instance hours ({klass}, {label})", HOURS, f"rds.{engine}.{klass}.{deployment}_hour", region),
        Charge(
            f"{storage_type} storage ({storage:g} GB, {label})",
            storage,
            f"rds.storage.{storage_type}.{deployment}_gb_month",
            region,
            note=f"autoscaling up to {record.inputs['maxAllocatedStorage']} GB"
            if record.inputs.get("maxAllocatedStorage")
            else "",
        ),
        Charge(
            "backup storage beyond the free allowance",
            ctx.usage.rds_backup_gb_beyond_free,
            "rds.backup_storage_gb_month",
            region,
            ("rdsBackupGbBeyondFree",),
        ),
    ]
    retention = _num(record.inputs.get("performanceInsightsRetentionPeriod"), 7)
    if record.inputs.get("performanceInsightsEnabled") and retention > 7:
        vcpus = DB_VCPUS.get(klass)
        charges.append(
            Charge(
                f"Performance Insights retention {record.inputs['performanceInsightsRetentionPeriod']:g} days",
                float(vcpus or 0),
                "rds.performance_insights_long_term_vcpu_month" if vcpus else f"rds.vcpus_unknown.{klass}",
                region,
            )
        )
    if _num(record.inputs.get("monitoringInterval")) > 0:
        charges.append(
            Charge(
                "Enhanced Monitoring logs (RDSOSMetrics)",
                ctx.usage.enhanced_monitoring_gb_per_month,
                "cloudwatch.logs_ingest_gb",
                region,
                ("enhancedMonitoringGbPerMonth",),
            )
        )
    if record.inputs.get("manageMasterUserPassword"):
        charges.append(
            Charge(
                "RDS-managed master user secret",
                1,
                "secretsmanager.secret_month",
                region,
                note="the RDS User Guide: storing database secrets in Secrets Manager incurs charges",
            )
        )
    return charges


def _database_gb(ctx: Context) -> float:
    return sum(_num(r.inputs.get("allocatedStorage")) for r in ctx.of_type("aws:rds/instance:Instance"))


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def rds_backup_replication(record: ResourceRecord, ctx: Context) -> list[Charge]:
    destination = ctx.region(record)
    source = _arn_region(str(record.inputs.get("sourceDbInstanceArn", ""))) or ctx.default_region
    stored = ctx.usage.backup_stored_gb if ctx.usage.backup_stored_gb is not None else _database_gb(ctx)
    moved = ctx.usage.cross_region_gb_per_month if ctx.usage.cross_region_gb_per_month is not None else stored
    return [
        Charge(
            f"transfer {source} -> {destination}",
            moved,
            "data_transfer.inter_region_gb",
            source,
            ("crossRegionGbPerMonth",),
        ),
        Charge(
            f"replicated backup storage in {destination}",
            stored,
            "rds.backup_storage_gb_month",
            destination,
            ("backupStoredGb",),
        ),
    ]


def backup_plan(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    stored = ctx.usage.backup_stored_gb if ctx.usage.backup_stored_gb is not None else _database_gb(ctx)
    moved = ctx.usage.cross_region_gb_per_month if ctx.usage.cross_region_gb_per_month is not None else stored
    charges = [
        Charge("recovery points in the vault", stored, "backup.rds_snapshot_gb_month", region, ("backupStoredGb",))
    ]
    destinations = sorted(
        {
            _arn_region(str(copy.get("destinationVaultArn", ""))) or region
            for rule in _json(record.inputs.get("rules")) or []
            for copy in rule.get("copyActions") or []
        }
    )
    for destination in destinations:
        charges += [
            Charge(
                f"copy transfer {region} -> {destination}",
                moved,
                "data_transfer.inter_region_gb",
                region,
                ("crossRegionGbPerMonth",),
            ),
            Charge(
                f"copies stored in {destination}",
                stored,
                "backup.rds_snapshot_gb_month",
                destination,
                ("backupStoredGb",),
            ),
        ]
    return charges


# -- security ------------------------------------------------------------------------------------------------
# AWS KMS bills $1/month for each of the first two rotations of a key's material; later rotations add nothing
# (KMS pricing page; AWS Security Blog, April 2024: "a new limit on the price of all symmetric keys that have had
# two or more rotations").
KMS_BILLED_ROTATIONS = 2


def rotations_billed(age_days: float, period_days: float) -> int:
    """Rotations a key has had at `age_days` when it rotates every `period_days`, capped at the billed two."""
    if period_days <= 0:
        return 0
    return min(int(age_days // period_days), KMS_BILLED_ROTATIONS)


def kms_key(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    charges = [Charge("customer managed key", 1, "kms.key_month", region)]
    if record.inputs.get("enableKeyRotation"):
        # RotationPeriodInDays: "If no value is specified, the default value is 365 days" (AWS::KMS::Key).
        period = _num(record.inputs.get("rotationPeriodInDays"), 365)
        age = ctx.usage.kms_key_age_days
        rotations = rotations_billed(age, period)
        charges.append(
            Charge(
                f"rotated key material ({rotations} billed rotation(s) at {age:g} days, every "
                f"{period:g} days, capped at {KMS_BILLED_ROTATIONS})",
                rotations,
                "kms.rotated_key_material_month",
                region,
                ("kmsKeyAgeDays",),
            )
        )
    if ctx.usage.kms_requests_per_month:
        charges.append(
            Charge(
                "requests beyond the free allowance",
                ctx.usage.kms_requests_per_month / 1e4,
                "kms.requests_10k",
                region,
                ("kmsRequestsPerMonth",),
            )
        )
    return charges


def secret(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    return [
        Charge("secret", 1, "secretsmanager.secret_month", region),
        Charge(
            "API calls",
            ctx.usage.secrets_api_calls_per_month / 1e4,
            "secretsmanager.api_calls_10k",
            region,
            ("secretsApiCallsPerMonth",),
        ),
    ]


def web_acl(record: ResourceRecord, ctx: Context) -> list[Charge]:
    rules = _json(record.inputs.get("rules")) or []
    return [
        Charge("web ACL", 1, "wafv2.web_acl_month", GLOBAL),
        Charge(
            f"rules and rule groups ({len(rules)})",
            len(rules),
            "wafv2.rule_month",
            GLOBAL,
            note="each rule group, managed or custom, bills as one rule (AWS security best-practices guide)",
        ),
        Charge(
            "inspected requests",
            ctx.usage.requests_per_month / 1e6,
            "wafv2.requests_million",
            GLOBAL,
            ("requestsPerMonth",),
        ),
    ]


# -- edge ----------------------------------------------------------------------------------------------------
def distribution(record: ResourceRecord, ctx: Context) -> list[Charge]:
    usage = ctx.usage
    geo = usage.cloudfront_geography
    charges = [
        Charge(
            "HTTPS requests",
            usage.requests_per_month / 1e4,
            f"cloudfront.https_requests_10k.{geo}",
            GLOBAL,
            ("requestsPerMonth", "cloudfrontGeography"),
        ),
        Charge(
            "data transfer out",
            usage.cloudfront_gb_out,
            f"cloudfront.data_out_gb.{geo}",
            GLOBAL,
            ("cloudfrontGbOut", "cloudfrontGeography"),
        ),
    ]
    origins = _json(record.inputs.get("origins")) or []
    if any((o.get("originShield") or {}).get("enabled") for o in origins):
        misses = usage.requests_per_month * (1 - usage.cache_hit_ratio)
        charges.append(
            Charge(
                "Origin Shield requests",
                misses / 1e4,
                f"cloudfront.origin_shield_requests_10k.{geo}",
                GLOBAL,
                ("requestsPerMonth", "cacheHitRatio"),
            )
        )
    return charges


def monitoring_subscription(record: ResourceRecord, ctx: Context) -> list[Charge]:
    config = (record.inputs.get("monitoringSubscription") or {}).get("realtimeMetricsSubscriptionConfig") or {}
    if config.get("realtimeMetricsSubscriptionStatus") != "Enabled":
        return []
    return [Charge("additional (real-time) CloudFront metrics", 1, "cloudfront.realtime_metrics_month", GLOBAL)]


def health_check(record: ResourceRecord, ctx: Context) -> list[Charge]:
    kind = "aws" if ctx.usage.health_check_endpoint == "aws" else "non_aws"
    check_type = str(record.inputs.get("type", "HTTP"))
    features = [
        name
        for name, on in (
            ("HTTPS", check_type.startswith("HTTPS")),
            ("string matching", check_type.endswith("STR_MATCH")),
            ("fast interval (10 s)", _num(record.inputs.get("requestInterval"), 30) == 10),
            ("latency measurement", bool(record.inputs.get("measureLatency"))),
        )
        if on
    ]
    charges = [
        Charge(
            f"health check ({kind.replace('_', '-')} endpoint)",
            1,
            f"route53.health_check_{kind}_month",
            GLOBAL,
            ("healthCheckEndpoint",),
        )
    ]
    if features:
        charges.append(
            Charge(
                f"optional features: {', '.join(features)}",
                len(features),
                f"route53.health_check_feature_{kind}_month",
                GLOBAL,
                ("healthCheckEndpoint",),
            )
        )
    return charges


def hosted_zone(record: ResourceRecord, ctx: Context) -> list[Charge]:
    return [Charge("hosted zone", 1, "route53.hosted_zone_month", GLOBAL)]


# -- observability -------------------------------------------------------------------------------------------
def _alarm_metrics(record: ResourceRecord) -> tuple[int, bool]:
    """(metrics billed, high resolution): metric math alarms bill each metric they read."""
    queries = record.inputs.get("metricQueries") or []
    if not queries:
        return 1, 0 < _num(record.inputs.get("period"), 60) < 60
    stats = [q.get("metric") or q.get("metricStat") for q in queries if q.get("metric") or q.get("metricStat")]
    high = any(0 < _num(s.get("period"), 60) < 60 for s in stats)
    return max(len(stats), 1), high


def metric_alarm(record: ResourceRecord, ctx: Context) -> list[Charge]:
    metrics, high = _alarm_metrics(record)
    if record.inputs.get("thresholdMetricId"):
        metrics *= 3  # an anomaly detection band bills as three metrics
    key = "cloudwatch.alarm_metric_high_res_month" if high else "cloudwatch.alarm_metric_month"
    return [
        Charge(f"alarm ({metrics} metric(s){', high resolution' if high else ''})", metrics, key, ctx.region(record))
    ]


def composite_alarm(record: ResourceRecord, ctx: Context) -> list[Charge]:
    return [Charge("composite alarm", 1, "cloudwatch.composite_alarm_month", ctx.region(record))]


def dashboard(record: ResourceRecord, ctx: Context) -> list[Charge]:
    return [Charge("dashboard", 1, "cloudwatch.dashboard_month", GLOBAL)]


def log_group(record: ResourceRecord, ctx: Context) -> list[Charge]:
    region = ctx.region(record)
    ingest = ctx.usage.log_gb(record.name)
    retention = _num(record.inputs.get("retentionInDays"), 0)
    months = retention / DAYS_PER_MONTH if retention > 0 else 12.0
    klass = str(record.inputs.get("logGroupClass", "STANDARD")).upper()
    suffix = "" if klass == "STANDARD" else f"_{klass.lower()}"
    key = f"logGbPerMonth.{record.name}"
    return [
        Charge(
            f"ingestion ({ingest:g} GB)",
            ingest,
            f"cloudwatch.logs_ingest{suffix}_gb",
            region,
            (key,),
            "standard ingestion rate; vended-log volume tiers not modelled",
        ),
        Charge(
            f"storage (steady state, {retention:g} days retention)"
            if retention
            else "storage (never expires: 12 months shown)",
            ingest * months,
            "cloudwatch.logs_storage_gb_month",
            region,
            (key,),
        ),
    ]


def metric_filter(record: ResourceRecord, ctx: Context) -> list[Charge]:
    transformations = record.inputs.get("metricTransformation") or record.inputs.get("metricTransformations") or [{}]
    count = len(transformations) if isinstance(transformations, list) else 1
    return [
        Charge(f"custom metric(s) published ({count})", count, "cloudwatch.custom_metric_month", ctx.region(record))
    ]


# -- storage -------------------------------------------------------------------------------------------------
def bucket(record: ResourceRecord, ctx: Context) -> list[Charge]:
    gb = ctx.usage.bucket(record.name)
    return [
        Charge(
            f"S3 Standard storage ({gb:g} GB)",
            gb,
            "s3.standard_gb_month",
            ctx.region(record),
            (f"bucketGb.{record.name}",),
            "requests not modelled",
        )
    ]


def ecr_repository(record: ResourceRecord, ctx: Context) -> list[Charge]:
    return [
        Charge(
            f"image storage ({ctx.usage.ecr_gb:g} GB)",
            ctx.usage.ecr_gb,
            "ecr.storage_gb_month",
            ctx.region(record),
            ("ecrGb",),
        )
    ]


PRICERS: dict[str, Pricer] = {
    "aws:ecs/service:Service": fargate_service,
    "aws:ecs/cluster:Cluster": ecs_cluster,
    "aws:lambda/function:Function": lambda_function,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": load_balancer,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": elastic_ip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:rds/instance:Instance": rds_instance,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": rds_backup_replication,
    "aws:backup/plan:Plan": backup_plan,
    "aws:kms/key:Key": kms_key,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:cloudfront/distribution:Distribution": distribution,
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": monitoring_subscription,
    "aws:route53/healthCheck:HealthCheck": health_check,
    "aws:route53/zone:Zone": hosted_zone,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": composite_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": metric_filter,
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketV2:BucketV2": bucket,
    "aws:ecr/repository:Repository": ecr_repository,
}

# No charge of their own (configuration, identity, networking plumbing), or billed through another resource.
FREE: dict[str, str] = {
    "aws:iam/role:Role": "IAM has no charge",
    "aws:iam/policy:Policy": "IAM has no charge",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
    "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
    "aws:ec2/vpc:Vpc": "no charge for the VPC itself",
    "aws:ec2/subnet:Subnet": "no charge",
    "aws:ec2/routeTable:RouteTable": "no charge",
    "aws:ec2/route:Route": "no charge",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge",
    "aws:ec2/internetGateway:InternetGateway": "no charge (data transfer out is billed where it leaves AWS)",
    "aws:ec2/securityGroup:SecurityGroup": "no charge",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "no charge",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge",
    "aws:ec2/flowLog:FlowLog": "delivery billed as log ingestion in the destination log group",
    "aws:ecs/taskDefinition:TaskDefinition": "billed through the service's running tasks (aws:ecs/service:Service)",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "configuration; tasks are billed on the service",
    "aws:appautoscaling/target:Target": "no charge (scaling alarms it creates are AWS-managed)",
    "aws:appautoscaling/policy:Policy": "no charge",
    "aws:lb/listener:Listener": "covered by the load balancer's hours and LCUs",
    "aws:lb/listenerRule:ListenerRule": "covered by the load balancer's LCUs (rule evaluations)",
    "aws:lb/targetGroup:TargetGroup": "no charge",
    "aws:acm/certificate:Certificate": "public certificates that are not exportable have no charge (ACM charges at "
    "issuance and renewal only for exportable ones: aws-controllers-k8s/acm-controller README)",
    "aws:acm/certificateValidation:CertificateValidation": "no resource at AWS (waits for validation)",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "no charge",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "no charge",
    "aws:cloudfront/vpcOrigin:VpcOrigin": "no charge of its own found in the pricing sources; requests and data "
    "are billed on the distribution",
    "aws:cloudwatch/logDelivery:LogDelivery": "delivery billed as ingestion in the destination log group",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "configuration",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "configuration",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "logs billed in the destination log group",
    "aws:kms/alias:Alias": "no charge",
    "aws:secretsmanager/secretVersion:SecretVersion": "billed per secret, not per version",
    "aws:rds/parameterGroup:ParameterGroup": "no charge",
    "aws:rds/subnetGroup:SubnetGroup": "no charge",
    "aws:backup/vault:Vault": "no charge of its own; stored recovery points are billed on the backup plan",
    "aws:backup/selection:Selection": "no charge",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge",
    "aws:s3/bucketPolicy:BucketPolicy": "no charge",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "no charge",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "no charge",
    "aws:s3/bucketVersioning:BucketVersioning": "configuration; versions are billed as bucket storage",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "configuration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "configuration",
    "aws:s3/bucketObjectv2:BucketObjectv2": "billed as bucket storage",
    "aws:sns/topicPolicy:TopicPolicy": "no charge",
    "docker:index/image:Image": "built and pushed by the deploy; storage is billed on the ECR repository",
}

# Billed only by usage this estimate does not model (named in the report, never silently zero).
NOT_MODELLED: dict[str, str] = {
    "aws:sns/topic:Topic": "billed per request and delivery; alarm notification volumes are not modelled",
    "aws:sns/topicSubscription:TopicSubscription": "billed per delivery (email, HTTPS); not modelled",
    "aws:cloudwatch/eventRule:EventRule": "EventBridge events and deliveries are not modelled",
    "aws:cloudwatch/eventTarget:EventTarget": "EventBridge deliveries are not modelled",
    "aws:rds/eventSubscription:EventSubscription": "billed as SNS notifications; not modelled",
    "aws:route53/record:Record": "DNS queries are not modelled",
}

_SKIPPED_PREFIXES = ("pulumi:providers:", "pulumi:pulumi:")


def classify(record: ResourceRecord) -> str:
    """'priced', 'free', 'not-modelled', 'component', 'provider' or 'unclassified'."""
    if record.type.startswith(_SKIPPED_PREFIXES):
        return "provider"
    if not record.custom:
        return "component"
    if record.type in PRICERS:
        return "priced"
    if record.type in FREE:
        return "free"
    if record.type in NOT_MODELLED:
        return "not-modelled"
    return "unclassified"
