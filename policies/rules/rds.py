"""RDS instances, parameter groups, backups, event subscriptions."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import forbid_false, forbid_true, get, is_false, is_true, items, known, label, require_true, text
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
    boolean,
    declared,
    integer,
    strings,
)
from .stack import StackView

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
EVENTS = "aws:rds/eventSubscription:EventSubscription"
REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
# Aurora splits a database in two: the cluster holds storage, backups, network, users and log exports; its
# instances hold compute (public access, monitoring, upgrades, CA). Each rule judges the resource that holds
# what it reads, so an Aurora database is judged like an RDS instance.
STORAGE = (INSTANCE, CLUSTER)
COMPUTE = (INSTANCE, CLUSTER_INSTANCE)
SELECTION = "aws:backup/selection:Selection"
PLAN = "aws:backup/plan:Plan"
DOCS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide"

DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306, "oracle": 1521, "sqlserver": 1433}
DEFAULT_USERS = {"postgres": "postgres", "mysql": "admin", "mariadb": "admin", "oracle": "admin", "sqlserver": "admin"}
CA_CERTIFICATES = ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"]


def _engine(args: ResourceValidationArgs) -> str:
    return str(get(args.props, "engine", default="")).lower()


def _postgres(args: ResourceValidationArgs) -> bool:
    return _engine(args).startswith("postgres") or _engine(args) == "aurora-postgresql"


def _family(engine: str) -> str | None:
    """The engine family whose defaults apply: aurora-postgresql is PostgreSQL, aurora(-mysql) is MySQL."""
    engine = {"aurora-postgresql": "postgres", "aurora-mysql": "mysql", "aurora": "mysql"}.get(engine, engine)
    return next((e for e in DEFAULT_PORTS if engine.startswith(e)), None)


def _replica(args: ResourceValidationArgs) -> bool:
    return bool(get(args.props, "replicateSourceDb"))


@ResourceRule(
    name="rds-storage-encrypted",
    control=Control(
        id="C055",
        title="Storage encrypted (with a customer managed key)",
        severity=Severity.MEDIUM,
        fsbp="RDS.3",
        cdk_nag=("AwsSolutions-RDS2",),
        checkov=("CKV_AWS_16",),
        awsguard=("rds-storage-encrypted",),
    ),
    types=STORAGE,
    inputs=("storageEncrypted", "kmsKeyId"),
    description="Database storage (and so its snapshots) is encrypted with a customer managed KMS key.",
    remediation="Set storage_encrypted=True and kms_key_id=<the database key ARN>.",
    enforcement=MANDATORY,
    config={"requireCustomerManagedKey": boolean(True, "Require kmsKeyId (a CMK), not the AWS managed key.")},
)
def storage_encrypted(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not is_true(get(args.props, "storageEncrypted")):
        report("storageEncrypted is not true.")
    elif settings["requireCustomerManagedKey"] and not get(args.props, "kmsKeyId"):
        report("Storage is encrypted with the AWS managed key; kmsKeyId (a customer managed key) is required.")


@ResourceRule(
    name="rds-not-publicly-accessible",
    control=Control(
        id="C056",
        title="Not publicly accessible",
        severity=Severity.CRITICAL,
        fsbp="RDS.2",
        cdk_nag=("R5:RDSInstancePublicAccess",),
        checkov=("CKV_AWS_17",),
        awsguard=("rds-instance-public-access",),
    ),
    types=COMPUTE,
    inputs=("publiclyAccessible",),
    description="Databases are not reachable from the internet.",
    remediation="Set publicly_accessible=False.",
    enforcement=MANDATORY,
)
def not_public(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    forbid_true(args, report, "publiclyAccessible")


@ResourceRule(
    name="rds-multi-az",
    control=Control(
        id="C057",
        title="Multi-AZ",
        severity=Severity.MEDIUM,
        fsbp="RDS.5",
        cdk_nag=("AwsSolutions-RDS3",),
        checkov=("CKV_AWS_157",),
        awsguard=("rds-instance-multi-az-enabled",),
    ),
    types=[INSTANCE],
    inputs=("multiAz",),
    description="Databases keep a synchronous standby in another Availability Zone.",
    remediation="Set multi_az=True.",
    enforcement=MANDATORY,
)
def multi_az(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    require_true(args, report, "multiAz", ": the database has no standby in another Availability Zone")


@ResourceRule(
    name="rds-backup-retention",
    control=Control(
        id="C058",
        title="Backup retention at least the minimum",
        severity=Severity.MEDIUM,
        fsbp="RDS.11",
        cdk_nag=("AwsSolutions-RDS13",),
        checkov=("CKV_AWS_133",),
        awsguard=("rds-instance-backup-enabled",),
    ),
    types=STORAGE,
    inputs=("backupRetentionPeriod",),
    description="Automated backups are kept at least the configured number of days.",
    remediation="Set backup_retention_period to at least the configured minimum.",
    enforcement=MANDATORY,
    config={"minimumRetentionDays": integer(7, "Minimum automated backup retention in days (RDS.11).", 1)},
)
def backup_retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if _replica(args):
        args.not_applicable("Read replica: automated backups are configured on the source instance.")
    minimum = int(settings["minimumRetentionDays"])
    days = get(args.props, "backupRetentionPeriod")
    if days is None:
        report(f"backupRetentionPeriod is not set (AWS defaults to 1 day); at least {minimum} days are required.")
    elif float(days) < minimum:
        report(f"backupRetentionPeriod is {text(days)} days; at least {minimum} are required.")


@ResourceRule(
    name="rds-deletion-protection",
    control=Control(
        id="C059",
        title="Deletion protection",
        severity=Severity.LOW,
        fsbp="RDS.8",
        cdk_nag=("AwsSolutions-RDS10",),
        checkov=("CKV_AWS_293",),
    ),
    types=STORAGE,
    inputs=("deletionProtection",),
    description="Databases have deletion protection.",
    remediation="Set deletion_protection=True.",
    enforcement=MANDATORY,
)
def deletion_protection(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    require_true(args, report, "deletionProtection")


@ResourceRule(
    name="rds-enhanced-monitoring",
    control=Control(
        id="C060",
        title="Enhanced monitoring",
        severity=Severity.LOW,
        fsbp="RDS.6",
        cdk_nag=("R5:RDSEnhancedMonitoringEnabled",),
        checkov=("CKV_AWS_118",),
    ),
    types=COMPUTE,
    inputs=("monitoringInterval", "monitoringRoleArn"),
    description="Databases publish enhanced monitoring metrics.",
    remediation="Set monitoring_interval (e.g. 60) and monitoring_role_arn.",
    enforcement=ADVISORY,
    config={"maximumIntervalSeconds": integer(60, "Longest accepted monitoring interval in seconds.", 1)},
)
def enhanced_monitoring(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    interval = float(get(args.props, "monitoringInterval", default=0))
    maximum = int(settings["maximumIntervalSeconds"])
    if interval <= 0:
        report("monitoringInterval is 0: enhanced monitoring is off.")
    elif interval > maximum:
        report(f"monitoringInterval is {text(interval)} s; at most {maximum} s is required.")
    if interval > 0 and not get(args.props, "monitoringRoleArn"):
        report("Enhanced monitoring has no monitoringRoleArn.")


@ResourceRule(
    name="rds-log-exports",
    control=Control(
        id="C061",
        title="Database logs exported to CloudWatch",
        severity=Severity.MEDIUM,
        fsbp="RDS.9",
        cdk_nag=("R5:RDSLoggingEnabled",),
        checkov=("CKV_AWS_129",),
        hub_other=("RDS.36",),
    ),
    types=STORAGE,
    inputs=("enabledCloudwatchLogsExports",),
    description="PostgreSQL databases export their logs to CloudWatch Logs.",
    remediation="Set enabled_cloudwatch_logs_exports=['postgresql', 'upgrade'].",
    enforcement=MANDATORY,
    config={
        "requiredPostgresExports": strings(["postgresql", "upgrade"], "Log types every PostgreSQL exports."),
        # Aurora PostgreSQL exports postgresql (and instance, iam-db-auth-error); `upgrade` is RDS-only
        # (RDS API CreateDBCluster EnableCloudwatchLogsExports, checked 2026-12-03).
        "requiredAuroraPostgresExports": strings(["postgresql"], "Log types every Aurora PostgreSQL exports."),
    },
)
def log_exports(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not _postgres(args):
        args.not_applicable(f"Engine {_engine(args) or '(unknown)'}: the required exports are PostgreSQL log types.")
    exported = {str(e) for e in items(get(args.props, "enabledCloudwatchLogsExports"))}
    key = "requiredAuroraPostgresExports" if _engine(args) == "aurora-postgresql" else "requiredPostgresExports"
    missing = [e for e in settings[key] if e not in exported]
    if missing:
        report(f"enabledCloudwatchLogsExports lacks {', '.join(missing)}.")


@ResourceRule(
    name="rds-iam-authentication",
    control=Control(
        id="C062",
        title="IAM database authentication",
        severity=Severity.MEDIUM,
        fsbp="RDS.10",
        checkov=("CKV_AWS_161",),
    ),
    types=STORAGE,
    inputs=("iamDatabaseAuthenticationEnabled",),
    description="Databases accept IAM authentication.",
    remediation="Set iam_database_authentication_enabled=True.",
    enforcement=ADVISORY,
)
def iam_auth(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    require_true(args, report, "iamDatabaseAuthenticationEnabled")


@ResourceRule(
    name="rds-auto-minor-version-upgrade",
    control=Control(
        id="C063",
        title="Automatic minor version upgrades",
        severity=Severity.HIGH,
        fsbp="RDS.13",
        cdk_nag=("PCI/HIPAA:RDSAutomaticMinorVersionUpgradeEnabled",),
        checkov=("CKV_AWS_226",),
    ),
    types=COMPUTE,
    inputs=("autoMinorVersionUpgrade",),
    description="Databases receive minor engine upgrades automatically.",
    remediation="Leave auto_minor_version_upgrade unset or True.",
    enforcement=MANDATORY,
)
def minor_upgrades(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    forbid_false(args, report, "autoMinorVersionUpgrade")


@ResourceRule(
    name="rds-copy-tags-to-snapshots",
    control=Control(
        id="C064", title="Tags copied to snapshots", severity=Severity.LOW, fsbp="RDS.17", checkov=("CKV2_AWS_60",)
    ),
    types=STORAGE,
    inputs=("copyTagsToSnapshot",),
    description="Snapshots inherit the database's tags.",
    remediation="Set copy_tags_to_snapshot=True.",
    enforcement=ADVISORY,
)
def copy_tags(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    require_true(args, report, "copyTagsToSnapshot")


@ResourceRule(
    name="rds-in-vpc-subnet-group",
    control=Control(id="C065", title="Instance in a VPC via a DB subnet group", severity=Severity.HIGH, fsbp="RDS.18"),
    types=STORAGE,
    inputs=("dbSubnetGroupName", "vpcSecurityGroupIds"),
    description="Databases sit in the VPC through a DB subnet group and their own security groups.",
    remediation="Set db_subnet_group_name (isolated subnets) and vpc_security_group_ids.",
    enforcement=MANDATORY,
)
def in_vpc(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "dbSubnetGroupName"):
        report("No dbSubnetGroupName: the instance is not placed in the VPC's private subnets.")
    if not items(get(args.props, "vpcSecurityGroupIds")):
        report("No vpcSecurityGroupIds: the VPC's default security group would apply.")


@ResourceRule(
    name="rds-non-default-port",
    control=Control(
        id="C066",
        title="Port is not the engine default",
        severity=Severity.LOW,
        fsbp="RDS.23",
        cdk_nag=("AwsSolutions-RDS11",),
    ),
    types=STORAGE,
    inputs=("port",),
    description="Databases do not listen on the engine's default port.",
    remediation="Set port to a non-default value (e.g. 5433 for PostgreSQL).",
    enforcement=ADVISORY,
)
def non_default_port(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    family = _family(_engine(args))
    if family is None:
        args.not_applicable(f"Engine {_engine(args) or '(unknown)'} has no known default port.")
    port = get(args.props, "port")
    if port is None or int(float(port)) == DEFAULT_PORTS[str(family)]:
        report(f"The instance listens on the {family} default port {DEFAULT_PORTS[str(family)]}.")


@ResourceRule(
    name="rds-non-default-master-username",
    control=Control(id="C067", title="Master username is not the default", severity=Severity.MEDIUM, fsbp="RDS.25"),
    types=STORAGE,
    inputs=("snapshotIdentifier",),
    description="The master username is not the engine's default.",
    remediation="Set username to a project-specific name.",
    enforcement=ADVISORY,
)
def non_default_user(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if _replica(args) or get(args.props, "snapshotIdentifier"):
        args.not_applicable("The master user comes from the source instance or snapshot.")
    family = _family(_engine(args))
    username = str(get(args.props, "masterUsername" if args.resource_type == CLUSTER else "username", default=""))
    if family is None:
        args.not_applicable(f"Engine {_engine(args) or '(unknown)'} has no known default user.")
    if not username or username == DEFAULT_USERS[str(family)]:
        report(f"The master username is {username or 'not set'}: the engine default is guessable.")


@StackRule(
    name="rds-force-ssl",
    control=Control(
        id="C068",
        title="Parameter group forces TLS (rds.force_ssl=1)",
        severity=Severity.MEDIUM,
        fsbp="RDS.38",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV2_AWS_69",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=STORAGE,
    description="PostgreSQL databases refuse unencrypted connections (custom parameter group with rds.force_ssl=1).",
    remediation="Create an aws.rds.ParameterGroup with rds.force_ssl=1 and pass it as parameter_group_name.",
    enforcement=MANDATORY,
    url=f"{DOCS}/PostgreSQL.Concepts.General.SSL.html",
)
def force_ssl(stack: StackView, report: ReportViolation, _: Settings) -> None:
    """RDS instances read rds.force_ssl from their parameter group, Aurora clusters from their cluster one."""
    for instance in stack.of_type(*STORAGE):
        engine = str(known(instance.props, "engine") or "").lower()
        if not (engine.startswith("postgres") or engine == "aurora-postgresql"):
            continue
        group_type, prop = (
            (CLUSTER_PARAMETER_GROUP, "dbClusterParameterGroupName")
            if instance.resource_type == CLUSTER
            else (PARAMETER_GROUP, "parameterGroupName")
        )
        linked = [g for g in stack.of_type(group_type) if stack.references(instance, prop, g)]
        if not linked:
            report(f"{label(instance)} uses no custom parameter group, so rds.force_ssl is not enforced.", instance.urn)
            continue
        params = {str(known(p, "name")): str(known(p, "value")) for p in items(known(linked[0].props, "parameters"))}
        if params.get("rds.force_ssl") != "1":
            report(f"{label(instance)}: parameter group {linked[0].name} does not set rds.force_ssl=1.", instance.urn)


@ResourceRule(
    name="rds-postgres-logging-parameters",
    control=Control(
        id="C069",
        title="PostgreSQL connection logging parameters",
        severity=Severity.LOW,
        checkov=("CKV2_AWS_30",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[PARAMETER_GROUP],
    inputs=("family", "parameters"),
    description="PostgreSQL parameter groups log connections and disconnections.",
    remediation="Set log_connections=1 and log_disconnections=1 in the parameter group.",
    enforcement=ADVISORY,
    config={"requiredParameters": strings(["log_connections", "log_disconnections"], "Parameters that must be 1.")},
    url=f"{DOCS}/USER_LogAccess.Concepts.PostgreSQL.html",
)
def logging_parameters(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    family = str(get(args.props, "family", default=""))
    if not family.startswith("postgres"):
        args.not_applicable(f"Parameter group family {family}: the logging parameters are PostgreSQL's.")
    params = {str(get(p, "name")): str(get(p, "value")) for p in items(get(args.props, "parameters"))}
    for name in settings["requiredParameters"]:
        if params.get(name) != "1":
            report(f"{name} is not 1.")


@ResourceRule(
    name="rds-performance-insights",
    control=Control(
        id="C070",
        title="Performance Insights enabled with a CMK",
        severity=Severity.LOW,
        checkov=("CKV_AWS_353", "CKV_AWS_354"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=COMPUTE,
    inputs=("performanceInsightsEnabled", "performanceInsightsKmsKeyId"),
    description="Performance Insights is on and encrypted with a customer managed key.",
    remediation="Set performance_insights_enabled=True and performance_insights_kms_key_id.",
    enforcement=ADVISORY,
    url=f"{DOCS}/USER_PerfInsights.html",
)
def performance_insights(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "performanceInsightsEnabled")):
        report("performanceInsightsEnabled is not true.")
    elif not get(args.props, "performanceInsightsKmsKeyId"):
        report("Performance Insights data is not encrypted with a customer managed key.")


@ResourceRule(
    name="rds-current-ca",
    control=Control(
        id="C071",
        title="Current CA certificate",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_211",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=COMPUTE,
    inputs=("caCertIdentifier",),
    description="Databases use a current certificate authority for TLS.",
    remediation="Set ca_cert_identifier to a current CA (e.g. rds-ca-rsa2048-g1).",
    enforcement=ADVISORY,
    config={"allowedCaCertificates": strings(CA_CERTIFICATES, "Current RDS certificate authorities.")},
    url=f"{DOCS}/UsingWithRDS.SSL-certificate-rotation.html",
)
def ca_certificate(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    ca = get(args.props, "caCertIdentifier")
    if ca is not None and ca not in settings["allowedCaCertificates"]:
        report(f"caCertIdentifier {ca} is not a current CA ({', '.join(settings['allowedCaCertificates'])}).")


@StackRule(
    name="rds-in-backup-plan",
    control=Control(
        id="C072",
        title="Database covered by an AWS Backup plan",
        severity=Severity.MEDIUM,
        fsbp="RDS.26",
        fsbp_status=FsbpStatus.NOT_FSBP,
        cdk_nag=("R5:RDSInBackupPlan",),
    ),
    types=STORAGE,
    description="Every database is selected by an AWS Backup plan.",
    remediation="Add an aws.backup.Selection whose resources include the instance ARN, under an aws.backup.Plan.",
    enforcement=MANDATORY,
)
def in_backup_plan(stack: StackView, report: ReportViolation, _: Settings) -> None:
    plans = stack.of_type(PLAN)
    for instance in stack.of_type(*STORAGE):
        selections = [s for s in stack.of_type(SELECTION) if stack.depends_on(s, instance)]
        if not selections:
            report(f"{label(instance)} is in no AWS Backup selection.", instance.urn)
        elif not any(stack.references(s, "planId", p) for s in selections for p in plans):
            report(f"{label(instance)}: its backup selection belongs to no backup plan of this stack.", instance.urn)


@StackRule(
    name="rds-event-subscriptions",
    control=Control(
        id="C073", title="Event subscriptions for critical events", severity=Severity.LOW, fsbp="RDS.20, RDS.21, RDS.22"
    ),
    types=[INSTANCE],
    description="RDS event subscriptions notify SNS of instance and parameter-group events.",
    remediation="Add aws.rds.EventSubscription resources with source_type db-instance and db-parameter-group to the "
    "alerts topic.",
    enforcement=ADVISORY,
    config={
        "requiredSourceTypes": strings(
            ["db-instance", "db-parameter-group"],
            "Event source types that need a subscription (db-security-group, RDS.22, is EC2-Classic only).",
        )
    },
)
def event_subscriptions(stack: StackView, report: ReportViolation, settings: Settings) -> None:
    instances = stack.of_type(INSTANCE)
    if not instances:
        stack.not_applicable("No RDS instance in the stack.")
    covered = set()
    for subscription in stack.of_type(EVENTS):
        if is_false(known(subscription.props, "enabled")) or not known(subscription.props, "snsTopic"):
            continue
        kind = known(subscription.props, "sourceType")
        covered |= set(settings["requiredSourceTypes"]) if not kind else {str(kind)}
    missing = [k for k in settings["requiredSourceTypes"] if k not in covered]
    if missing:
        for instance in instances:
            report(f"No enabled RDS event subscription to SNS covers {', '.join(missing)} events.", instance.urn)


@ResourceRule(
    name="rds-backup-replication-cmk",
    control=Control(
        id="C074",
        title="Cross-Region backup replication encrypted with a CMK",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_245",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[REPLICATION],
    inputs=("kmsKeyId",),
    description="Cross-Region replicated automated backups are encrypted with a customer managed key.",
    remediation="Set kms_key_id to a key in the destination Region.",
    enforcement=ADVISORY,
    url=f"{DOCS}/USER_ReplicateBackups.html",
)
def replication_cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyId"):
        report("The replicated backups are not encrypted with a customer managed key (kmsKeyId).")


POLICIES: list[Policy] = declared(__name__)
