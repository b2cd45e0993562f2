"""A realistic stack in moto, built once per session, and the stack-outputs JSON that describes it.

The fixture creates what the tiers deploy (VPC and subnets, ECS cluster, services and task definition
revisions, ALB with target groups and registered targets, RDS PostgreSQL with backups and its DB subnet group,
CloudWatch alarms, a CloudFront distribution) and writes the outputs in the shape of the stack output contract.
Tests that change AWS state put it back; seams for what moto does not model are applied per test with
`monkeypatch` on the shared clients (reverted after each test).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from app.server import AppServer, make_server
from ops.aws import Clients
from ops.outputs import StackOutputs

REGION = "eu-west-1"
STACK = "staging"
SERVICES = {"api": 2, "web": 2}  # services behind the ALB -> desired count
WORKER = "worker"
ALARMS = ["app-staging-alb-5xx-rate", "app-staging-api-cpu-high", "app-staging-rds-storage-low"]
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed cache policy id


@dataclass
class MotoStack:
    outputs: dict[str, Any]
    clients: Clients
    no_backup_db: str  # a second instance with backups disabled (and so no snapshot at all)

    def with_outputs(self, **changes: Any) -> StackOutputs:
        values = json.loads(json.dumps(self.outputs))
        for dotted, value in changes.items():
            node = values
            *path, last = dotted.split("__")
            for part in path:
                node = node[part]
            if value is None:
                node.pop(last, None)
            else:
                node[last] = value
        return StackOutputs(stack=STACK, values=values, source="test outputs")

    @property
    def stack_outputs(self) -> StackOutputs:
        return self.with_outputs()

    def write(self, path: Path, **changes: Any) -> Path:
        path.write_text(json.dumps(dict(self.with_outputs(**changes).values)))
        return path


def _build(health_url: str) -> MotoStack:
    session = boto3.session.Session(region_name=REGION)
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for tier, base in (("public", 0), ("private", 10), ("isolated", 20)):
        subnets[tier] = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{base + i}.0/24", AvailabilityZone=f"{REGION}{az}")[
                "Subnet"
            ]["SubnetId"]
            for i, az in enumerate("ab")
        ]
    alb_sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]

    elbv2 = session.client("elbv2")
    alb = elbv2.create_load_balancer(
        Name="app-staging", Subnets=subnets["public"], SecurityGroups=[alb_sg], Scheme="internet-facing"
    )["LoadBalancers"][0]

    ecs = session.client("ecs")
    cluster = ecs.create_cluster(clusterName="app-staging")["cluster"]["clusterName"]
    services: dict[str, Any] = {}
    for name in [*SERVICES, WORKER]:
        family = f"app-staging-{name}"
        for image in ("1.0.0", "1.1.0", "1.2.0"):  # three revisions: rollback has somewhere to go
            definition = ecs.register_task_definition(
                family=family,
                requiresCompatibilities=["FARGATE"],
                networkMode="awsvpc",
                cpu="256",
                memory="512",
                containerDefinitions=[{"name": name, "image": f"sample-app:{image}", "essential": True}],
            )["taskDefinition"]
        entry: dict[str, Any] = {
            "serviceName": f"app-staging-{name}",
            "clusterName": cluster,
            "taskDefinitionFamily": family,
            "logGroupName": f"/app-platform/staging/{name}",
            "taskRoleArn": f"arn:aws:iam::123456789012:role/app-staging-{name}-task",
            "desiredCount": SERVICES.get(name, 1),
        }
        load_balancers = []
        if name in SERVICES:
            group = elbv2.create_target_group(
                Name=f"app-staging-{name}",
                Protocol="HTTP",
                Port=8080,
                VpcId=vpc,
                TargetType="ip",
                HealthCheckPath="/health",
            )["TargetGroups"][0]["TargetGroupArn"]
            elbv2.register_targets(
                TargetGroupArn=group,
                Targets=[{"Id": f"10.20.{10 + i}.{40 + len(services)}", "Port": 8080} for i in range(2)],
            )
            load_balancers = [{"targetGroupArn": group, "containerName": name, "containerPort": 8080}]
            entry |= {"targetGroupArn": group, "url": f"https://app.staging.example.com/{name}"}
        ecs.create_service(
            cluster=cluster,
            serviceName=entry["serviceName"],
            taskDefinition=definition["taskDefinitionArn"],
            desiredCount=entry["desiredCount"],
            launchType="FARGATE",
            loadBalancers=load_balancers,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": subnets["private"],
                    "securityGroups": [app_sg],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
        services[name] = entry

    rds = session.client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="app-staging-db", DBSubnetGroupDescription="isolated", SubnetIds=subnets["isolated"]
    )
    db = rds.create_db_instance(
        DBInstanceIdentifier="app-staging-db",
        Engine="postgres",
        EngineVersion="16.4",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        ManageMasterUserPassword=True,
        DBSubnetGroupName="app-staging-db",
        VpcSecurityGroupIds=[db_sg],
        BackupRetentionPeriod=7,
        StorageEncrypted=True,
        DeletionProtection=True,
        PubliclyAccessible=False,
    )["DBInstance"]
    rds.create_db_instance(
        DBInstanceIdentifier="app-staging-nobackup",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        ManageMasterUserPassword=True,
        DBSubnetGroupName="app-staging-db",
        BackupRetentionPeriod=0,
    )
    # moto takes an automated snapshot even with BackupRetentionPeriod 0; AWS takes none. Match AWS.
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier="app-staging-nobackup")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])

    cloudwatch = session.client("cloudwatch")
    for alarm in ALARMS:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            AlarmDescription=f"runbook: docs/runbooks/alarms.md#{alarm.removeprefix('app-staging-')}",
            Namespace="AWS/ApplicationELB",
            MetricName="HTTPCode_Target_5XX_Count",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=3,
            Threshold=10,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="fixture")

    cloudfront = session.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "app-staging",
            "Comment": "app staging",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "alb",
                        "DomainName": alb["DNSName"],
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "alb",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHING_OPTIMIZED,
            },
        }
    )["Distribution"]

    public_url = health_url.removesuffix("/health")
    outputs = {
        "environment": STACK,
        "region": REGION,
        "vpcId": vpc,
        "publicSubnetIds": subnets["public"],
        "privateSubnetIds": subnets["private"],
        "isolatedSubnetIds": subnets["isolated"],
        "logsKeyArn": f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "publicUrl": public_url,
        "healthUrl": health_url,
        "distributionId": distribution["Id"],
        "distributionDomain": distribution["DomainName"],
        "clusterName": cluster,
        "loadBalancerArn": alb["LoadBalancerArn"],
        "services": services,
        "database": {
            "identifier": db["DBInstanceIdentifier"],
            "address": db["Endpoint"]["Address"],
            "port": db["Endpoint"]["Port"],
            "name": "app",
            "masterSecretArn": db["MasterUserSecret"]["SecretArn"],
            "securityGroupId": db_sg,
            "subnetGroupName": "app-staging-db",
            "kmsKeyArn": db["KmsKeyId"],
            "backupRetentionDays": db["BackupRetentionPeriod"],
            "rpoMinutes": 15,
            "rtoMinutes": 60,
        },
        "alarmNames": ALARMS,
        "criticalTopicArn": f"arn:aws:sns:{REGION}:123456789012:app-staging-critical",
        "warningTopicArn": f"arn:aws:sns:{REGION}:123456789012:app-staging-warning",
        "dashboardName": "app-staging",
    }
    return MotoStack(outputs=outputs, clients=Clients(REGION, session), no_backup_db="app-staging-nobackup")


@pytest.fixture(scope="session")
def health_server() -> Iterator[AppServer]:
    """The real sample app on 127.0.0.1 (no database configured: its /health answers 200 "ok")."""
    server = make_server(0, {}, host="127.0.0.1", log_stream=io.StringIO())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def moto_stack(health_server: AppServer) -> Iterator[MotoStack]:
    with mock_aws():
        yield _build(f"http://127.0.0.1:{health_server.port}/health")


@pytest.fixture
def steady_ecs(moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Seam: moto never starts Fargate tasks (runningCount stays 0, rolloutState IN_PROGRESS). This wraps the
    real describe_services and sets what ECS reports once tasks run: runningCount = desiredCount and the PRIMARY
    deployment COMPLETED. `overrides` maps a service name to the fields to report instead."""

    def install(**overrides: dict[str, Any]) -> None:
        ecs = moto_stack.clients("ecs")
        real = ecs.describe_services

        def describe_services(**kwargs: Any) -> dict[str, Any]:
            response = real(**kwargs)
            for service in response["services"]:
                service["runningCount"] = service["desiredCount"]
                for deployment in service["deployments"]:
                    deployment["taskDefinition"] = service["taskDefinition"]  # moto keeps the old one
                    deployment["runningCount"] = deployment["desiredCount"]
                    deployment["rolloutState"] = "COMPLETED"
                service.update(overrides.get(service["serviceName"], {}))
            return response

        monkeypatch.setattr(ecs, "describe_services", describe_services)

    return install
