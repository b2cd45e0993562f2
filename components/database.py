"""RDS PostgreSQL: encrypted, private, TLS-only, observable, recoverable; an RDS-managed master password for
administration and IAM database authentication (`connect_arn`) for the applications."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.encryption_key import EncryptionKey, EncryptionKeyArgs
from components.logs import LogClass, LogSettings, encrypted_log_group
from components.postgres_versions import parameter_group_family, upgrade_problem
from components.security_groups import Peer, tcp_rule

# A CA that supports automatic server-certificate rotation (rds-ca-2019 expired in 2024).
DEFAULT_CA = "rds-ca-rsa2048-g1"
# Log types RDS for PostgreSQL can export, each to /aws/rds/instance/<identifier>/<type>.
LOG_EXPORTS: tuple[str, ...] = ("postgresql", "upgrade")
# The region-wide log group RDS enhanced monitoring writes OS metrics to.
ENHANCED_MONITORING_LOG_GROUP = "RDSOSMetrics"
# A PostgreSQL identifier that needs no quoting (lowercase: IAM authentication compares names case-sensitively).
_DB_USER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class DbParameter:
    """One PostgreSQL parameter of the instance's parameter group."""

    name: str
    """The parameter's name (e.g. `rds.force_ssl`)."""
    value: str
    """Its value, as text (RDS takes every parameter value as a string)."""
    static: bool = False
    """Whether the parameter takes effect only after a reboot (`pending-reboot`; RDS rejects `immediate` for
    static parameters); default False = dynamic, applied immediately."""


# Force TLS, log slow statements (> 100 ms) and every (dis)connection, and load pg_stat_statements.
DEFAULT_PARAMETERS: tuple[DbParameter, ...] = (
    DbParameter("rds.force_ssl", "1"),
    DbParameter("log_min_duration_statement", "100"),
    DbParameter("log_connections", "1"),
    DbParameter("log_disconnections", "1"),
    DbParameter("shared_preload_libraries", "pg_stat_statements", static=True),
)


@dataclass(frozen=True)
class DatabaseArgs:
    """Arguments of `Database`. The presets set the environment-dependent ones (docs/config-reference.md)."""

    context: AwsContext
    """Account, Region and partition: key policies, the monitoring role and `connect_arn`; required."""
    identifier: str
    """The DB instance identifier (lowercase, fixed: alarms, log groups and operators name it); required."""
    engine_version: str
    """PostgreSQL major version (e.g. `17`), as the config key `database.engineVersion` and RDS's EngineVersion
    name it; minor versions upgrade automatically in the maintenance window; required, a change is a major
    upgrade (see `major_upgrade_from`)."""
    instance_class: str
    """The DB instance class (e.g. `db.t4g.medium`); required."""
    allocated_storage: int
    """Initial gp3 storage in GiB; required."""
    max_allocated_storage: int
    """Ceiling in GiB for storage autoscaling (RDS grows storage when free space runs low); required, at least
    `allocated_storage`."""
    multi_az: bool
    """A synchronous standby in another zone with automatic failover; required, an availability-versus-cost
    choice (production on)."""
    backup_retention_days: int
    """Days automated backups (point-in-time restore) are kept, 1 to 35 (RDS's range; 0 would disable backups);
    required."""
    backup_window: str
    """Daily UTC window for automated backups (`hh:mm-hh:mm`, at least 30 minutes, not overlapping
    `maintenance_window`); required."""
    maintenance_window: str
    """Weekly UTC maintenance window (`ddd:hh:mm-ddd:hh:mm`); required."""
    deletion_protection: bool
    """RDS refuses to delete the instance while set; required (production on)."""
    final_snapshot: bool
    """Take a final snapshot (`<identifier>-final-<hash>`) when the instance is deleted; required (production on)."""
    performance_insights_retention_days: int
    """Days Performance Insights data is kept: 7 (free) or a multiple of 31 up to 731; required."""
    vpc_id: pulumi.Input[str]
    """The VPC of the database's security group; required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The isolated subnets of the DB subnet group (at least two zones, RDS's rule); required."""
    clients: Mapping[str, pulumi.Input[str]]
    """Client name -> its security group: the only groups admitted on the database port (more can be admitted
    later with `admit`)."""
    logs: LogSettings
    """Key and retention of the exported PostgreSQL and upgrade logs (security logs); required."""
    tags: Mapping[str, str]
    """Tags on every taggable child; required."""
    port: int = 5433
    """The PostgreSQL port; default 5433 rather than 5432, so scans for the well-known port find nothing."""
    database_name: str = "app"
    """The database created with the instance; default `app`."""
    master_username: str = "app_admin"
    """The master user's name; default `app_admin` (`postgres` and `admin` are the first names guessed). Its
    password is RDS-managed in Secrets Manager, never in config."""
    apply_immediately: bool = False
    """Apply modifications now instead of in the next maintenance window; default False: a class or storage
    change can restart the instance, which should happen in the window."""
    monitoring_interval: int = 60
    """Enhanced Monitoring interval in seconds: 0 (off), 1, 5, 10, 15, 30 or 60; default 60, OS metrics at the
    lowest cost."""
    ca_cert_identifier: str = DEFAULT_CA
    """The server certificate's CA; default `rds-ca-rsa2048-g1`, which supports automatic server-certificate
    rotation (rds-ca-2019 expired in 2024)."""
    parameters: Sequence[DbParameter] = field(default_factory=lambda: DEFAULT_PARAMETERS)
    """The parameter group's parameters; default force TLS, log statements over 100 ms and every
    (dis)connection, load pg_stat_statements."""
    protect: bool = False
    """Pulumi `protect` on the instance and its keys; default False (staging); production protects them."""
    major_upgrade_from: str | None = None
    """The major the instance runs now, set only while upgrading it to `engine_version` (RDS refuses a new
    major without AllowMajorVersionUpgrade); default None, so a stray version change fails at AWS."""


class _InstanceInputs(NamedTuple):
    """What the instance takes from the other children: keys, groups, monitoring role, log groups."""

    storage_key_arn: pulumi.Output[str]
    secrets_key_arn: pulumi.Output[str]
    insights_key_arn: pulumi.Output[str]
    parameter_group_name: pulumi.Output[str]
    subnet_group_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    monitoring_role_arn: pulumi.Output[str]
    log_groups: list[aws.cloudwatch.LogGroup]


class Database(PlatformComponent):
    """One PostgreSQL instance in the isolated subnets, reachable only from the given client security groups.

    Keys, one per purpose: storage (instance, snapshots, automated backups), secrets (the RDS-managed master
    secret, and the application secrets the tier stores with it) and Performance Insights.
    """

    storage_key: EncryptionKey
    """Key of the instance's storage, snapshots and automated backups."""
    secrets_key: EncryptionKey
    """Key of the RDS-managed master secret and of the application secrets stored with it."""
    insights_key: EncryptionKey
    """Key of Performance Insights data."""
    instance: aws.rds.Instance
    """The RDS instance (escape hatch)."""
    parameter_group: aws.rds.ParameterGroup
    """The instance's parameter group, one per family (escape hatch)."""
    subnet_group: aws.rds.SubnetGroup
    """The DB subnet group over the isolated subnets (escape hatch)."""
    security_group: aws.ec2.SecurityGroup
    """The database's security group: no inline rules, no egress (escape hatch)."""
    monitoring_role: aws.iam.Role
    """The Enhanced Monitoring role (escape hatch)."""
    security_group_id: pulumi.Output[str]
    """The database's security group ID."""
    subnet_group_name: pulumi.Output[str]
    """The DB subnet group's name."""
    parameter_group_name: pulumi.Output[str]
    """The parameter group's name (`<name>-postgres<major>`, auto-suffixed)."""
    parameter_group_family: str
    """The parameter group family (`postgres<major>`)."""
    identifier: str
    """The DB instance identifier, as configured."""
    arn: pulumi.Output[str]
    """The instance's ARN."""
    address: pulumi.Output[str]
    """The instance endpoint's host name."""
    port: int
    """The PostgreSQL port."""
    database_name: str
    """The database created with the instance."""
    master_secret_arn: pulumi.Output[str]
    """ARN of the RDS-managed master user secret."""
    resource_id: pulumi.Output[str]
    """The DbiResourceId: immutable for the life of the instance, the key IAM database authentication names."""
    log_group_names: dict[str, pulumi.Output[str]]
    """Exported log type (`postgresql`, `upgrade`) -> its log group's name."""
    monitoring_role_arn: pulumi.Output[str]
    """ARN of the Enhanced Monitoring role (ready once its policy is attached)."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _check_upgrade(args)
        super().__init__("database", name, args.tags, opts)
        self.identifier = args.identifier
        self.port = args.port
        self.database_name = args.database_name
        self._context = args.context
        self.storage_key, self.secrets_key, self.insights_key = self._keys(name, args)
        self.subnet_group = aws.rds.SubnetGroup(
            name,
            subnet_ids=list(args.subnet_ids),
            description=f"Isolated subnets of {args.identifier}",
            tags=self.tags_for("subnets"),
            opts=self.child(),
        )
        self.security_group = self._security_group(name, args)
        self.security_group_id = self.security_group.id
        self.admit(args.clients)
        self.parameter_group = self._parameter_group(name, args)
        self.parameter_group_family = parameter_group_family(args.engine_version)
        log_groups = self._log_groups(name, args)
        monitoring = self._monitoring_role(name, args.context, args.identifier)
        self.instance = self._instance(
            name,
            args,
            _InstanceInputs(
                storage_key_arn=self.storage_key.key_arn,
                secrets_key_arn=self.secrets_key.key_arn,
                insights_key_arn=self.insights_key.key_arn,
                parameter_group_name=self.parameter_group.name,
                subnet_group_name=self.subnet_group.name,
                security_group_id=self.security_group.id,
                monitoring_role_arn=monitoring.arn,
                log_groups=list(log_groups.values()),
            ),
        )
        self.monitoring_role, self.monitoring_role_arn = monitoring.role, monitoring.arn
        self.subnet_group_name = self.subnet_group.name
        self.parameter_group_name = self.parameter_group.name
        self.log_group_names = {log_type: group.name for log_type, group in log_groups.items()}
        self.arn = self.instance.arn
        self.address = self.instance.address
        self.master_secret_arn = self.instance.master_user_secrets.apply(_first_secret_arn)
        self.resource_id = self.instance.resource_id
        self.register_declared_outputs()

    def _keys(self, name: str, args: DatabaseArgs) -> tuple[EncryptionKey, EncryptionKey, EncryptionKey]:
        """Storage, secrets and Performance Insights keys. RDS uses them through grants it creates on the caller's
        behalf (kms:ViaService), so the key policies name only the account; no service principal needs direct
        access."""

        def key(purpose: str, suffix: str) -> EncryptionKey:
            return EncryptionKey(
                f"{name}-{suffix}",
                EncryptionKeyArgs(
                    purpose=purpose,
                    alias=f"alias/{args.identifier}-{suffix}",
                    context=args.context,
                    tags=args.tags,
                    protect=args.protect,
                ),
                self.child(),
            )

        return (
            key("RDS storage, snapshots and automated backups", "storage"),
            key("Secrets Manager: database master secret and application secrets", "secrets"),
            key("RDS Performance Insights", "insights"),
        )

    def _security_group(self, name: str, args: DatabaseArgs) -> aws.ec2.SecurityGroup:
        """No inline rules (standalone rules only) and no egress: the database never opens connections."""
        return aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            description=f"PostgreSQL {args.identifier}: clients of the service tier only",
            tags=self.tags_for("sg"),
            opts=self.child(),
        )

    def _log_groups(self, name: str, args: DatabaseArgs) -> dict[str, aws.cloudwatch.LogGroup]:
        """RDS creates these on first export, unencrypted and kept forever; created first, they are neither."""
        return {
            log_type: encrypted_log_group(
                f"{name}-{log_type}",
                log_group_name=f"/aws/rds/instance/{args.identifier}/{log_type}",
                logs=args.logs,
                log_class=LogClass.SECURITY,
                tags=self.tags_for(log_type),
                parent=self,
            )
            for log_type in LOG_EXPORTS
        }

    def _instance(self, name: str, args: DatabaseArgs, inputs: _InstanceInputs) -> aws.rds.Instance:
        """The instance: encrypted, private, TLS-only, IAM authentication, RDS-managed master password, backups
        kept after deletion, Performance Insights and Enhanced Monitoring, logs exported to `log_groups`."""
        return aws.rds.Instance(
            name,
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=args.major_upgrade_from is not None,
            instance_class=args.instance_class,
            storage_type="gp3",
            allocated_storage=args.allocated_storage,
            max_allocated_storage=args.max_allocated_storage,
            storage_encrypted=True,
            kms_key_id=inputs.storage_key_arn,
            db_name=args.database_name,
            port=args.port,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=inputs.secrets_key_arn,
            iam_database_authentication_enabled=True,
            ca_cert_identifier=args.ca_cert_identifier,
            parameter_group_name=inputs.parameter_group_name,
            db_subnet_group_name=inputs.subnet_group_name,
            vpc_security_group_ids=[inputs.security_group_id],
            publicly_accessible=False,
            network_type="IPV4",
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            # Keep automated backups (PITR) after the instance is deleted, for their retention period.
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=_final_snapshot_identifier(args, inputs.storage_key_arn)
            if args.final_snapshot
            else None,
            apply_immediately=args.apply_immediately,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=inputs.insights_key_arn,
            performance_insights_retention_period=args.performance_insights_retention_days,
            monitoring_interval=args.monitoring_interval,
            monitoring_role_arn=inputs.monitoring_role_arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            tags=self.tags_for(),
            opts=self.child(protect=args.protect, depends_on=list(inputs.log_groups)),
        )

    def _parameter_group(self, name: str, args: DatabaseArgs) -> aws.rds.ParameterGroup:
        """One parameter group per family, named after it (`<name>-postgres17`): a major upgrade declares a new
        resource, so the engine creates it before the instance moves to it (the instance depends on it) and
        deletes the old family's group only after the update, when nothing uses it any more (RDS refuses to
        delete a group in use). A family change replacing one resource would be ordered the same way only while
        nobody sets deleteBeforeReplace on it; here the order is structural. The alias adopts the group of
        stacks deployed before the family was part of its name, without touching it."""
        family = parameter_group_family(args.engine_version)
        return aws.rds.ParameterGroup(
            f"{name}-{family}",
            family=family,
            description=f"PostgreSQL {args.engine_version}: TLS only, slow-statement and connection logging",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(
                    name=p.name, value=p.value, apply_method="pending-reboot" if p.static else "immediate"
                )
                for p in args.parameters
            ],
            tags=self.tags_for("params"),
            opts=self.child(aliases=[pulumi.Alias(name=name)]),
        )

    def admit(self, clients: Mapping[str, pulumi.Input[str]]) -> None:
        """One described ingress rule per named client security group, on the database port only. Callable
        after construction, for clients (the service tier) created after the database. Rules are named after
        their client, so adding or removing one service never touches another's rule."""
        for client, security_group_id in sorted(clients.items()):
            tcp_rule(
                f"{self._name}-from-{client}",
                "ingress",
                security_group_id=self.security_group_id,
                port=self.port,
                peer=Peer(security_group_id=security_group_id),
                description=f"PostgreSQL {self.port} from the {client} service",
                tags=self.tags_for(f"from-{client}"),
                parent=self,
            )

    def connect_arn(self, username: str) -> pulumi.Output[str]:
        """The `rds-db:connect` resource for one database user of this instance, and no other:
        arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user> (Service Authorization
        Reference, Amazon RDS IAM Authentication, resource type db-user). The user name is matched
        case-sensitively, so only lowercase PostgreSQL identifiers are accepted."""
        if not _DB_USER.match(username):
            raise ValueError(f"database user {username!r}: lowercase letters, digits and '_', starting with a letter")
        ctx = self._context
        return pulumi.Output.concat(
            f"arn:{ctx.partition}:rds-db:{ctx.region}:", ctx.account_id, ":dbuser:", self.resource_id, f"/{username}"
        )

    def _monitoring_role(self, name: str, ctx: AwsContext, identifier: str) -> iam.GrantedRole:
        """What the AWS-managed AmazonRDSEnhancedMonitoringRole grants, as a customer-managed policy."""
        group = f"arn:{ctx.partition}:logs:{ctx.region}:"
        group_arn = pulumi.Output.concat(group, ctx.account_id, f":log-group:{ENHANCED_MONITORING_LOG_GROUP}")
        statements: list[dict[str, Any]] = [
            {
                "Sid": "EnableCreationAndManagementOfRDSCloudwatchLogGroups",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                "Resource": group_arn,
            },
            {
                "Sid": "EnableCreationAndManagementOfRDSCloudwatchLogStreams",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                ],
                "Resource": pulumi.Output.concat(group_arn, ":log-stream:*"),
            },
        ]
        return iam.role_with_policy(
            f"{name}-monitoring",
            service="monitoring.rds.amazonaws.com",
            account_id=ctx.account_id,
            statements=statements,
            description=f"RDS enhanced monitoring of {identifier} writes OS metrics to CloudWatch Logs",
            tags=self.tags_for("monitoring"),
            parent=self,
        )


def _check_upgrade(args: DatabaseArgs) -> None:
    """A major upgrade RDS would refuse fails here, before any resource is declared."""
    if args.major_upgrade_from is not None:
        problem = upgrade_problem(args.major_upgrade_from, args.engine_version)
        if problem is not None:
            raise ValueError(f"major upgrade of {args.identifier}: {problem}")


def _first_secret_arn(secrets: Sequence[Any] | None) -> str:
    if not secrets:
        raise ValueError("RDS returned no master user secret although manage_master_user_password is set")
    first = secrets[0]
    return str(first["secret_arn"] if isinstance(first, Mapping) else first.secret_arn)


# DeleteDBInstance FinalDBSnapshotIdentifier: 1 to 255 letters, digits or hyphens, first a letter, no two
# consecutive hyphens, not ending with one (RDS API reference, DeleteDBInstance).
_SNAPSHOT_IDENTIFIER = re.compile(r"^(?!.*--)[A-Za-z][A-Za-z0-9-]{0,254}(?<!-)$")


def _final_snapshot_identifier(args: DatabaseArgs, storage_key_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """`<identifier>-final-<8 hex>`, unique per instance lifetime and stable between runs (no permanent diff).

    A fixed name fails the second time: the first delete (or replacement) leaves `<identifier>-final` behind, and
    the next one stops with DBSnapshotAlreadyExists. The suffix hashes what changes only when there is a new
    instance: its storage key (a key made with the stack, so a torn-down and recreated stack gets a new one) and
    the inputs whose change replaces the instance (offline/stateful.py lists them for aws:rds/instance).
    `pulumi up --replace` of the instance alone keeps the suffix: delete that instance's final snapshot first.
    """
    lifetime = [storage_key_arn, args.database_name, args.master_username]  # engine and encryption are fixed
    return pulumi.Output.all(*lifetime).apply(lambda parts: _snapshot_name(args.identifier, [str(p) for p in parts]))


def _snapshot_name(identifier: str, parts: Sequence[str]) -> str:
    suffix = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]
    name = f"{identifier}-final-{suffix}"
    if not _SNAPSHOT_IDENTIFIER.match(name):
        raise ValueError(f"final snapshot identifier {name!r} breaks RDS's naming rules")
    return name
