"""A one-off ECS task that runs administrative SQL as the database master user, from inside the VPC.

The database sits in isolated subnets and no pulumi-aws resource creates users inside PostgreSQL, so the
application user is created by this task (started by `python -m ops db-bootstrap`). It is the only holder of
the master secret: application containers never receive it. Its container reads the SQL from the
`BOOTSTRAP_SQL` environment variable (set per run as a container override), runs it with psql in one
transaction, echoes every statement to its log group, and exits non-zero on the first error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.logs import LogClass, LogSettings, awslogs, encrypted_log_group
from components.security_groups import EgressTarget, task_security_group

# The psql client: the Docker official image, mirrored on ECR Public (reachable through NAT without Docker Hub's
# pull limits). psql 17 speaks to PostgreSQL 13-17 servers. Tag seen published (public repositories pin
# postgres:17.11-bookworm, looked up 2026-12-03); the digest could not be sourced here: pin it when you mirror it.
CLIENT_IMAGE = "public.ecr.aws/docker/library/postgres:17.11-bookworm"
# The `postgres` user of the Debian-based official image (groupadd/useradd --uid 999 in its Dockerfile): non-root.
CLIENT_USER = "999"
CONTAINER = "db-bootstrap"
SQL_VARIABLE = "BOOTSTRAP_SQL"
# One transaction, stop at the first error, echo each statement (the log is the record of what ran), no ~/.psqlrc.
RUN_SQL = (
    f': "${{{SQL_VARIABLE}:?set {SQL_VARIABLE} with a container override (python -m ops db-bootstrap)}}"; '
    f'printf "%s\\n" "${SQL_VARIABLE}" | psql --no-psqlrc --set ON_ERROR_STOP=1 --echo-all --single-transaction '
    "--file -"
)


@dataclass(frozen=True)
class DatabaseBootstrapArgs:
    """Arguments of `DatabaseBootstrap`."""

    context: AwsContext
    """Account and Region: the execution role's trust and the log group's ARN; required."""
    tags: Mapping[str, str]
    """Tags on every taggable child; required."""
    family: str
    """The task definition family (`ops db-bootstrap` starts its latest revision by this name); required."""
    vpc_id: pulumi.Input[str]
    """The VPC of the task's security group (the database's); required."""
    database_address: pulumi.Input[str]
    """The database endpoint's host name (`PGHOST`); required."""
    database_port: int
    """The database port (`PGPORT`, and the only port the task may reach on the database); required."""
    database_name: str
    """The database psql connects to (`PGDATABASE`); required."""
    database_security_group_id: pulumi.Input[str]
    """The database's security group, the egress rule's peer; required."""
    master_secret_arn: pulumi.Input[str]
    """ARN of the RDS-managed master secret: user name and password reach the container as secrets, never in
    plain environment; required."""
    secret_kms_key_arn: pulumi.Input[str]
    """ARN of the key encrypting the master secret (the execution role may decrypt with it); required."""
    logs: LogSettings
    """Key and retention of the run log (a security log: it records every administrative statement); required."""
    image: str = CLIENT_IMAGE
    """The psql client image; default the official postgres 17 image mirrored on ECR Public (psql 17 talks to
    PostgreSQL 13-17; no Docker Hub pull limits through NAT)."""
    user: str = CLIENT_USER
    """The container's user; default `999`, the official image's non-root `postgres` user."""
    architecture: Literal["ARM64", "X86_64"] = "ARM64"
    """CPU architecture of the task; default `ARM64` (Graviton, cheaper; the official image is multi-arch)."""
    cpu: int = 256
    """Task CPU units (1024 = one vCPU); default 256, Fargate's smallest: psql needs little."""
    memory: int = 512
    """Task memory in MiB; default 512, the smallest Fargate pairs with 256 CPU units."""
    egress_https_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """CIDRs the task may reach on HTTPS (443): image pull, CloudWatch Logs, Secrets Manager; default anywhere,
    because without interface endpoints those AWS APIs are public addresses reached through NAT; narrow it to
    the VPC CIDR when the network has interface endpoints."""


class DatabaseBootstrap(PlatformComponent):
    """Task definition, execution role (its log group, the master secret and its key: nothing else), a security
    group that reaches the database port and HTTPS only, and the log group that keeps each run's output. No task
    role: psql calls no AWS API."""

    task_definition: aws.ecs.TaskDefinition
    """The task definition (escape hatch)."""
    task_definition_family: pulumi.Output[str]
    """The task definition family `ops db-bootstrap` runs."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the current task definition revision."""
    security_group: aws.ec2.SecurityGroup
    """The task's security group (escape hatch)."""
    security_group_id: pulumi.Output[str]
    """The task's security group ID (pass it to RunTask; the database admits it)."""
    log_group_name: pulumi.Output[str]
    """The log group holding each run's output."""
    execution_role_arn: pulumi.Output[str]
    """ARN of the execution role (logs, master secret and its key only)."""
    container_name: str
    """Name of the container to override `BOOTSTRAP_SQL` in."""
    log_stream_prefix: str
    """The awslogs stream prefix: a run's stream is `<prefix>/<container>/<task id>`."""

    def __init__(self, name: str, args: DatabaseBootstrapArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("database_bootstrap", name, args.tags, opts)
        ctx = args.context
        self.container_name = CONTAINER
        self.log_stream_prefix = name
        log_group = encrypted_log_group(
            f"{name}-logs", logs=args.logs, log_class=LogClass.SECURITY, tags=self.tags_for("logs"), parent=self
        )
        execution_role = iam.role_with_policy(
            f"{name}-execution",
            service="ecs-tasks.amazonaws.com",
            account_id=ctx.account_id,
            description=f"ECS agent for {name}: write its logs, read the database master secret",
            statements=_execution_statements(ctx, log_group.arn, args.master_secret_arn, args.secret_kms_key_arn),
            tags=self.tags_for("execution"),
            parent=self,
        )
        task_definition = aws.ecs.TaskDefinition(
            name,
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"cpu_architecture": args.architecture, "operating_system_family": "LINUX"},
            execution_role_arn=execution_role.arn,
            container_definitions=pulumi.Output.json_dumps([self._container(name, args, log_group.name)]),
            skip_destroy=True,
            tags=self.tags_for(),
            opts=self.child(),
        )
        sg = task_security_group(
            name,
            vpc_id=args.vpc_id,
            description=f"{name}: PostgreSQL to the database, HTTPS to AWS APIs; no ingress",
            https_cidrs=args.egress_https_cidrs,
            https_description="HTTPS: image pull, CloudWatch Logs, Secrets Manager",
            targets=[
                EgressTarget("db", args.database_security_group_id, args.database_port, "PostgreSQL to the database")
            ],
            tags_for=self.tags_for,
            parent=self,
        )
        self.task_definition, self.security_group = task_definition, sg
        self.task_definition_family = task_definition.family
        self.task_definition_arn = task_definition.arn
        self.security_group_id = sg.id
        self.log_group_name = log_group.name
        self.execution_role_arn = execution_role.arn
        self.register_declared_outputs()

    @staticmethod
    def _container(name: str, args: DatabaseBootstrapArgs, log_group_name: pulumi.Output[str]) -> dict[str, Any]:
        environment = {
            "PGHOST": args.database_address,
            "PGPORT": str(args.database_port),
            "PGDATABASE": args.database_name,
            # The parameter group forces TLS (rds.force_ssl). `require` encrypts; verify-full needs the RDS CA
            # bundle in the image, which the stock client image does not carry.
            "PGSSLMODE": "require",
            "PGCONNECT_TIMEOUT": "10",
            "PGAPPNAME": name,
        }
        return {
            "name": CONTAINER,
            "image": args.image,
            "essential": True,
            "user": args.user,
            "privileged": False,
            "readonlyRootFilesystem": True,
            "entryPoint": ["sh", "-c"],
            "command": [RUN_SQL],
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "secrets": [
                {"name": "PGUSER", "valueFrom": pulumi.Output.concat(args.master_secret_arn, ":username::")},
                {"name": "PGPASSWORD", "valueFrom": pulumi.Output.concat(args.master_secret_arn, ":password::")},
            ],
            "linuxParameters": {"initProcessEnabled": True},
            "logConfiguration": awslogs(log_group_name, args.context.region, name),
        }


def _execution_statements(
    ctx: AwsContext,
    log_group_arn: pulumi.Output[str],
    master_secret_arn: pulumi.Input[str],
    secret_kms_key_arn: pulumi.Input[str],
) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": log_group_arn.apply(lambda arn: f"{arn}:*"),
        },
        {
            "Sid": "ReadMasterSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": master_secret_arn,
        },
        {
            "Sid": "DecryptMasterSecret",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": secret_kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{ctx.region}.amazonaws.com"}},
        },
    ]
