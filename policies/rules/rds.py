"""RDS instances, parameter groups, backups, event subscriptions."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    boolean,
    get,
    integer,
    is_false,
    is_true,
    items,
    known,
    label,
    resource_policy,
    stack_policy,
    strings,
    text,
)

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
EVENTS = "aws:rds/eventSubscription:EventSubscription"
REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
SELECTION = "aws:backup/selection:Selection"
PLAN = "aws:backup/plan:Plan"
DOCS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide"

DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306, "oracle": 1521, "sqlserver": 1433}
DEFAULT_USERS = {"postgres": "postgres", "mysql": "admin", "mariadb": "admin", "oracle": "admin", "sqlserver": "admin"}
CA_CERTIFICATES = ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"]

C055 = Control(
    "C055",
    "Storage encrypted (with a customer managed key)",
    Severity.MEDIUM,
    "RDS.3",
    cdk_nag=("AwsSolutions-RDS2",),
    checkov=("CKV_AWS_16",),
    awsguard=("rds-storage-encrypted",),
)
C056 = Control(
    "C056",
    "Not publicly accessible",
    Severity.CRITICAL,
    "RDS.2",
    cdk_nag=("R5:RDSInstancePublicAccess",),
    checkov=("CKV_AWS_17",),
    awsguard=("rds-instance-public-access",),
)
C057 = Control(
    "C057",
    "Multi-AZ",
    Severity.MEDIUM,
    "RDS.5",
    cdk_nag=("AwsSolutions-RDS3",),
    checkov=("CKV_AWS_157",),
    awsguard=("rds-instance-multi-az-enabled",),
)
C058 = Control(
    "C058",
    "Backup retention at least the minimum",
    Severity.MEDIUM,
    "RDS.11",
    cdk_nag=("AwsSolutions-RDS13",),
    checkov=("CKV_AWS_133",),
    awsguard=("rds-instance-backup-enabled",),
)
C059 = Control(
    "C059", "Deletion protection", Severity.LOW, "RDS.8", cdk_nag=("AwsSolutions-RDS10",), checkov=("CKV_AWS_293",)
)
C060 = Control(
    "C060",
    "Enhanced monitoring",
    Severity.LOW,
    "RDS.6",
    cdk_nag=("R5:RDSEnhancedMonitoringEnabled",),
    checkov=("CKV_AWS_118",),
)
C061 = Control(
    "C061",
    "Database logs exported to CloudWatch",
    Severity.MEDIUM,
    "RDS.9",
    cdk_nag=("R5:RDSLoggingEnabled",),
    checkov=("CKV_AWS_129",),
    hub_other=("RDS.36",),
)
C062 = Control("C062", "IAM database authentication", Severity.MEDIUM, "RDS.10", checkov=("CKV_AWS_161",))
C063 = Control(
    "C063",
    "Automatic minor version upgrades",
    Severity.HIGH,
    "RDS.13",
    cdk_nag=("PCI/HIPAA:RDSAutomaticMinorVersionUpgradeEnabled",),
    checkov=("CKV_AWS_226",),
)
C064 = Control("C064", "Tags copied to snapshots", Severity.LOW, "RDS.17", checkov=("CKV2_AWS_60",))
C065 = Control("C065", "Instance in a VPC via a DB subnet group", Severity.HIGH, "RDS.18")
C066 = Control("C066", "Port is not the engine default", Severity.LOW, "RDS.23", cdk_nag=("AwsSolutions-RDS11",))
C067 = Control("C067", "Master username is not the default", Severity.MEDIUM, "RDS.25")
C068 = Control(
    "C068",
    "Parameter group forces TLS (rds.force_ssl=1)",
    Severity.MEDIUM,
    "RDS.38",
    "unverified",
    checkov=("CKV2_AWS_69",),
    severity_source="third-party",
)
C069 = Control(
    "C069",
    "PostgreSQL connection logging parameters",
    Severity.LOW,
    checkov=("CKV2_AWS_30",),
    severity_source="suggested",
)
C070 = Control(
    "C070",
    "Performance Insights enabled with a CMK",
    Severity.LOW,
    checkov=("CKV_AWS_353", "CKV_AWS_354"),
    severity_source="suggested",
)
C071 = Control("C071", "Current CA certificate", Severity.MEDIUM, checkov=("CKV_AWS_211",), severity_source="suggested")
C072 = Control(
    "C072",
    "Database covered by an AWS Backup plan",
    Severity.MEDIUM,
    "RDS.26",
    "not-fsbp",
    cdk_nag=("R5:RDSInBackupPlan",),
)
C073 = Control("C073", "Event subscriptions for critical events", Severity.LOW, "RDS.20, RDS.21, RDS.22")
C074 = Control(
    "C074",
    "Cross-Region backup replication encrypted with a CMK",
    Severity.MEDIUM,
    checkov=("CKV_AWS_245",),
    severity_source="suggested",
)


def _engine(args: ResourceValidationArgs) -> str:
    return str(get(args.props, "engine", default="")).lower()


def _postgres(args: ResourceValidationArgs) -> bool:
    return _engine(args).startswith("postgres") or _engine(args) == "aurora-postgresql"


def _replica(args: ResourceValidationArgs) -> bool:
    return bool(get(args.props, "replicateSourceDb"))


def storage_encrypted(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not is_true(get(args.props, "storageEncrypted")):
        report("storageEncrypted is not true.")
    elif settings["requireCustomerManagedKey"] and not get(args.props, "kmsKeyId"):
        report("Storage is encrypted with the AWS managed key; kmsKeyId (a customer managed key) is required.")


def not_public(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if is_true(get(args.props, "publiclyAccessible")):
        report("publiclyAccessible is true.")


def multi_az(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "multiAz")):
        report("multiAz is not true: the database has no standby in another Availability Zone.")


def backup_retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if _replica(args):
        args.not_applicable("Read replica: automated backups are configured on the source instance.")
    minimum = int(settings["minimumRetentionDays"])
    days = get(args.props, "backupRetentionPeriod")
    if days is None:
        report(f"backupRetentionPeriod is not set (AWS defaults to 1 day); at least {minimum} days are required.")
    elif float(days) < minimum:
        report(f"backupRetentionPeriod is {text(days)} days; at least {minimum} are required.")


def deletion_protection(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "deletionProtection")):
        report("deletionProtection is not true.")


def enhanced_monitoring(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    interval = float(get(args.props, "monitoringInterval", default=0))
    maximum = int(settings["maximumIntervalSeconds"])
    if interval <= 0:
        report("monitoringInterval is 0: enhanced monitoring is off.")
    elif interval > maximum:
        report(f"monitoringInterval is {text(interval)} s; at most {maximum} s is required.")
    if interval > 0 and not get(args.props, "monitoringRoleArn"):
        report("Enhanced monitoring has no monitoringRoleArn.")


def log_exports(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    if not _postgres(args):
        args.not_applicable(f"Engine {_engine(args) or '(unknown)'}: the required exports are PostgreSQL log types.")
    exported = {str(e) for e in items(get(args.props, "enabledCloudwatchLogsExports"))}
    missing = [e for e in settings["requiredPostgresExports"] if e not in exported]
    if missing:
        report(f"enabledCloudwatchLogsExports lacks {', '.join(missing)}.")


def iam_auth(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "iamDatabaseAuthenticationEnabled")):
        report("iamDatabaseAuthenticationEnabled is not true.")


def minor_upgrades(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if is_false(get(args.props, "autoMinorVersionUpgrade")):
        report("autoMinorVersionUpgrade is false.")


def copy_tags(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "copyTagsToSnapshot")):
        report("copyTagsToSnapshot is not true.")


def in_vpc(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "dbSubnetGroupName"):
        report("No dbSubnetGroupName: the instance is not placed in the VPC's private subnets.")
    if not items(get(args.props, "vpcSecurityGroupIds")):
        report("No vpcSecurityGroupIds: the VPC's default security group would apply.")


def non_default_port(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    family = next((e for e in DEFAULT_PORTS if _engine(args).startswith(e)), None)
    if family is None:
        args.not_applicable(f"Engine {_engine(args) or '(unknown)'} has no known default port.")
    port = get(args.props, "port")
    if port is None or int(float(port)) == DEFAULT_PORTS[str(family)]:
        report(f"The instance listens on the {family} default port {DEFAULT_PORTS[str(family)]}.")


def non_default_user(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if _replica(args) or get(args.props, "snapshotIdentifier"):
        args.not_applicable("The master user comes from the source instance or snapshot.")
    family = next((e for e in DEFAULT_USERS if _engine(args).startswith(e)), None)
    username = str(get(args.props, "username", default=""))
    if family is None:
        args.not_applicable(f"Engine {_engine(args) or '(unknown)'} has no known default user.")
    if not username or username == DEFAULT_USERS[str(family)]:
        report(f"The master username is {username or 'not set'}: the engine default is guessable.")


def force_ssl(stack: StackView, report: ReportViolation, _: Settings) -> None:
    groups = stack.of_type(PARAMETER_GROUP)
    for instance in stack.of_type(INSTANCE):
        engine = str(known(instance.props, "engine") or "").lower()
        if not engine.startswith("postgres"):
            continue
        linked = [g for g in groups if stack.references(instance, "parameterGroupName", g)]
        if not linked:
            report(f"{label(instance)} uses no custom parameter group, so rds.force_ssl is not enforced.", instance.urn)
            continue
        params = {str(known(p, "name")): str(known(p, "value")) for p in items(known(linked[0].props, "parameters"))}
        if params.get("rds.force_ssl") != "1":
            report(f"{label(instance)}: parameter group {linked[0].name} does not set rds.force_ssl=1.", instance.urn)


def logging_parameters(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    family = str(get(args.props, "family", default=""))
    if not family.startswith("postgres"):
        args.not_applicable(f"Parameter group family {family}: the logging parameters are PostgreSQL's.")
    params = {str(get(p, "name")): str(get(p, "value")) for p in items(get(args.props, "parameters"))}
    for name in settings["requiredParameters"]:
        if params.get(name) != "1":
            report(f"{name} is not 1.")


def performance_insights(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not is_true(get(args.props, "performanceInsightsEnabled")):
        report("performanceInsightsEnabled is not true.")
    elif not get(args.props, "performanceInsightsKmsKeyId"):
        report("Performance Insights data is not encrypted with a customer managed key.")


def ca_certificate(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    ca = get(args.props, "caCertIdentifier")
    if ca is not None and ca not in settings["allowedCaCertificates"]:
        report(f"caCertIdentifier {ca} is not a current CA ({', '.join(settings['allowedCaCertificates'])}).")


def in_backup_plan(stack: StackView, report: ReportViolation, _: Settings) -> None:
    plans = stack.of_type(PLAN)
    for instance in stack.of_type(INSTANCE):
        selections = [s for s in stack.of_type(SELECTION) if stack.depends_on(s, instance)]
        if not selections:
            report(f"{label(instance)} is in no AWS Backup selection.", instance.urn)
        elif not any(stack.references(s, "planId", p) for s in selections for p in plans):
            report(f"{label(instance)}: its backup selection belongs to no backup plan of this stack.", instance.urn)


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


def replication_cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyId"):
        report("The replicated backups are not encrypted with a customer managed key (kmsKeyId).")


POLICIES: list[Policy] = [
    resource_policy(
        "rds-storage-encrypted",
        C055,
        [INSTANCE],
        "Database storage (and so its snapshots) is encrypted with a customer managed KMS key.",
        "Set storage_encrypted=True and kms_key_id=<the database key ARN>.",
        storage_encrypted,
        config={"requireCustomerManagedKey": boolean(True, "Require kmsKeyId (a CMK), not the AWS managed key.")},
        promoted=True,
    ),
    resource_policy(
        "rds-not-publicly-accessible",
        C056,
        [INSTANCE],
        "Databases are not reachable from the internet.",
        "Set publicly_accessible=False.",
        not_public,
    ),
    resource_policy(
        "rds-multi-az",
        C057,
        [INSTANCE],
        "Databases keep a synchronous standby in another Availability Zone.",
        "Set multi_az=True.",
        multi_az,
        promoted=True,
    ),
    resource_policy(
        "rds-backup-retention",
        C058,
        [INSTANCE],
        "Automated backups are kept at least the configured number of days.",
        "Set backup_retention_period to at least the configured minimum.",
        backup_retention,
        config={"minimumRetentionDays": integer(7, "Minimum automated backup retention in days (RDS.11).", 1)},
        promoted=True,
    ),
    resource_policy(
        "rds-deletion-protection",
        C059,
        [INSTANCE],
        "Databases have deletion protection.",
        "Set deletion_protection=True.",
        deletion_protection,
        promoted=True,
    ),
    resource_policy(
        "rds-enhanced-monitoring",
        C060,
        [INSTANCE],
        "Databases publish enhanced monitoring metrics.",
        "Set monitoring_interval (e.g. 60) and monitoring_role_arn.",
        enhanced_monitoring,
        config={"maximumIntervalSeconds": integer(60, "Longest accepted monitoring interval in seconds.", 1)},
    ),
    resource_policy(
        "rds-log-exports",
        C061,
        [INSTANCE],
        "PostgreSQL databases export their logs to CloudWatch Logs.",
        "Set enabled_cloudwatch_logs_exports=['postgresql', 'upgrade'].",
        log_exports,
        config={"requiredPostgresExports": strings(["postgresql", "upgrade"], "Log types every PostgreSQL exports.")},
        promoted=True,
    ),
    resource_policy(
        "rds-iam-authentication",
        C062,
        [INSTANCE],
        "Databases accept IAM authentication.",
        "Set iam_database_authentication_enabled=True.",
        iam_auth,
    ),
    resource_policy(
        "rds-auto-minor-version-upgrade",
        C063,
        [INSTANCE],
        "Databases receive minor engine upgrades automatically.",
        "Leave auto_minor_version_upgrade unset or True.",
        minor_upgrades,
    ),
    resource_policy(
        "rds-copy-tags-to-snapshots",
        C064,
        [INSTANCE],
        "Snapshots inherit the database's tags.",
        "Set copy_tags_to_snapshot=True.",
        copy_tags,
    ),
    resource_policy(
        "rds-in-vpc-subnet-group",
        C065,
        [INSTANCE],
        "Databases sit in the VPC through a DB subnet group and their own security groups.",
        "Set db_subnet_group_name (isolated subnets) and vpc_security_group_ids.",
        in_vpc,
    ),
    resource_policy(
        "rds-non-default-port",
        C066,
        [INSTANCE],
        "Databases do not listen on the engine's default port.",
        "Set port to a non-default value (e.g. 5433 for PostgreSQL).",
        non_default_port,
    ),
    resource_policy(
        "rds-non-default-master-username",
        C067,
        [INSTANCE],
        "The master username is not the engine's default.",
        "Set username to a project-specific name.",
        non_default_user,
    ),
    stack_policy(
        "rds-force-ssl",
        C068,
        [INSTANCE],
        "PostgreSQL databases refuse unencrypted connections (custom parameter group with rds.force_ssl=1).",
        "Create an aws.rds.ParameterGroup with rds.force_ssl=1 and pass it as parameter_group_name.",
        force_ssl,
        promoted=True,
        url=f"{DOCS}/PostgreSQL.Concepts.General.SSL.html",
    ),
    resource_policy(
        "rds-postgres-logging-parameters",
        C069,
        [PARAMETER_GROUP],
        "PostgreSQL parameter groups log connections and disconnections.",
        "Set log_connections=1 and log_disconnections=1 in the parameter group.",
        logging_parameters,
        config={"requiredParameters": strings(["log_connections", "log_disconnections"], "Parameters that must be 1.")},
        url=f"{DOCS}/USER_LogAccess.Concepts.PostgreSQL.html",
    ),
    resource_policy(
        "rds-performance-insights",
        C070,
        [INSTANCE],
        "Performance Insights is on and encrypted with a customer managed key.",
        "Set performance_insights_enabled=True and performance_insights_kms_key_id.",
        performance_insights,
        url=f"{DOCS}/USER_PerfInsights.html",
    ),
    resource_policy(
        "rds-current-ca",
        C071,
        [INSTANCE],
        "Databases use a current certificate authority for TLS.",
        "Set ca_cert_identifier to a current CA (e.g. rds-ca-rsa2048-g1).",
        ca_certificate,
        config={"allowedCaCertificates": strings(CA_CERTIFICATES, "Current RDS certificate authorities.")},
        url=f"{DOCS}/UsingWithRDS.SSL-certificate-rotation.html",
    ),
    stack_policy(
        "rds-in-backup-plan",
        C072,
        [INSTANCE],
        "Every database is selected by an AWS Backup plan.",
        "Add an aws.backup.Selection whose resources include the instance ARN, under an aws.backup.Plan.",
        in_backup_plan,
        promoted=True,
    ),
    stack_policy(
        "rds-event-subscriptions",
        C073,
        [INSTANCE],
        "RDS event subscriptions notify SNS of instance and parameter-group events.",
        "Add aws.rds.EventSubscription resources with source_type db-instance and db-parameter-group to the "
        "alerts topic.",
        event_subscriptions,
        config={
            "requiredSourceTypes": strings(
                ["db-instance", "db-parameter-group"],
                "Event source types that need a subscription (db-security-group, RDS.22, is EC2-Classic only).",
            )
        },
    ),
    resource_policy(
        "rds-backup-replication-cmk",
        C074,
        [REPLICATION],
        "Cross-Region replicated automated backups are encrypted with a customer managed key.",
        "Set kms_key_id to a key in the destination Region.",
        replication_cmk,
        url=f"{DOCS}/USER_ReplicateBackups.html",
    ),
]
