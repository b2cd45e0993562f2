"""ECS: cluster insights and exec logging, Fargate services, task definitions."""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import Control, Report, Settings, get, is_true, items, resource_policy, strings

CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide"

C013 = Control(
    "C013",
    "Container Insights enabled",
    Severity.MEDIUM,
    "ECS.12",
    cdk_nag=("AwsSolutions-ECS4",),
    checkov=("CKV_AWS_65",),
)
C014 = Control(
    "C014",
    "ECS Exec logging configured and encrypted with a CMK",
    Severity.LOW,
    checkov=("CKV_AWS_223", "CKV_AWS_224"),
    severity_source="suggested",
)
C015 = Control("C015", "Services do not assign public IPs", Severity.HIGH, "ECS.2", checkov=("CKV_AWS_333",))
C016 = Control("C016", "Fargate platform version is LATEST", Severity.MEDIUM, "ECS.10", checkov=("CKV_AWS_332",))
C017 = Control("C017", "No privileged containers", Severity.HIGH, "ECS.4", checkov=("CKV_AWS_334",))
C018 = Control("C018", "pidMode is not host", Severity.HIGH, "ECS.3", checkov=("CKV_AWS_335",))
C019 = Control("C019", "Read-only root filesystems", Severity.HIGH, "ECS.5", checkov=("CKV_AWS_336",))
C020 = Control("C020", "No secrets in container environment", Severity.HIGH, "ECS.8", cdk_nag=("AwsSolutions-ECS2",))
C021 = Control(
    "C021",
    "Every container has a logConfiguration",
    Severity.HIGH,
    "ECS.9",
    "unverified",
    cdk_nag=("AwsSolutions-ECS7",),
    severity_source="third-party",
)
C022 = Control(
    "C022",
    "No host network mode",
    Severity.HIGH,
    "ECS.17",
    "unverified",
    cdk_nag=("R5:ECSTaskDefinitionUserForHostMode",),
    hub_other=("ECS.1",),
)
C023 = Control(
    "C023",
    "Linux containers run as a non-root user",
    Severity.MEDIUM,
    "ECS.20",
    "unverified",
    severity_source="suggested",
)
C024 = Control(
    "C024",
    "executionRoleArn differs from taskRoleArn",
    Severity.MEDIUM,
    checkov=("CKV_AWS_249",),
    severity_source="suggested",
)
C025 = Control(
    "C025",
    "EFS volumes use transit encryption",
    Severity.MEDIUM,
    "ECS.18",
    "unverified",
    checkov=("CKV_AWS_97",),
    severity_source="suggested",
)

FSBP_SECRET_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"]
SECRET_NAME = r"(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential)"
ROOT_USERS = ("root", "0", "0:0", "root:root")


def containers(args: ResourceValidationArgs) -> list[dict[str, Any]]:
    """containerDefinitions, a JSON string input, parsed."""
    raw = get(args.props, "containerDefinitions")
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return []
    else:
        parsed = [dict(c) for c in items(raw)]
    return [c for c in items(parsed) if isinstance(c, dict)]


def _name(container: dict[str, Any]) -> str:
    return str(container.get("name", "?"))


def container_insights(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    values = {str(get(s, "value")) for s in items(get(args.props, "settings")) if get(s, "name") == "containerInsights"}
    if not values & {"enabled", "enhanced"}:
        report("Container Insights is not enabled (settings: containerInsights=enabled or enhanced).")


def exec_logging(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    execute = get(args.props, "configuration", "executeCommandConfiguration")
    if execute is None:
        report("No executeCommandConfiguration: ECS Exec sessions would not be logged.")
        return
    if str(get(execute, "logging", default="DEFAULT")) == "NONE":
        report("ECS Exec logging is NONE.")
    if not get(execute, "kmsKeyId"):
        report("ECS Exec sessions are not encrypted with a customer managed KMS key (kmsKeyId).")
    log = get(execute, "logConfiguration")
    if str(get(execute, "logging", default="DEFAULT")) == "OVERRIDE" and not (
        is_true(get(log, "cloudWatchEncryptionEnabled")) or is_true(get(log, "s3BucketEncryptionEnabled"))
    ):
        report("ECS Exec log destination is not encrypted (cloudWatchEncryptionEnabled / s3BucketEncryptionEnabled).")


def no_public_ip(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if is_true(get(args.props, "networkConfiguration", "assignPublicIp")):
        report("networkConfiguration.assignPublicIp is true: tasks get public IP addresses.")


def platform_latest(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    strategies = [
        str(get(s, "capacityProvider", default="")) for s in items(get(args.props, "capacityProviderStrategies"))
    ]
    fargate = str(get(args.props, "launchType", default="")) == "FARGATE" or any(
        s.startswith("FARGATE") for s in strategies
    )
    if not fargate:
        args.not_applicable("Not a Fargate service: ECS.10 judges the Fargate platform version only.")
    version = str(get(args.props, "platformVersion", default="LATEST"))
    allowed = [str(v) for v in settings["allowedPlatformVersions"]]
    if version not in allowed:
        report(f"platformVersion {version} is not one of {allowed}.")


def no_privileged(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for container in containers(args):
        if is_true(container.get("privileged")):
            report(f"Container {_name(container)} runs privileged.")


def no_host_pid(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "pidMode", default="")) == "host":
        report("pidMode is host: containers share the host's process namespace.")


def readonly_root(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for container in containers(args):
        if not is_true(container.get("readonlyRootFilesystem")):
            report(f"Container {_name(container)} has a writable root filesystem (readonlyRootFilesystem is not true).")


def no_secret_environment(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    forbidden = {str(k).upper() for k in settings["forbiddenNames"]}
    pattern = re.compile(str(settings["secretNamePattern"]))
    allowed_suffixes = tuple(str(s).upper() for s in settings["allowedNameSuffixes"])
    for container in containers(args):
        for entry in items(container.get("environment")):
            name = str(get(entry, "name", default=""))
            upper = name.upper()
            if upper in forbidden:
                report(f"Container {_name(container)}: environment variable {name} carries credentials (ECS.8 key).")
            elif pattern.search(name) and not upper.endswith(allowed_suffixes):
                report(
                    f"Container {_name(container)}: environment variable {name} looks like a secret; pass it with "
                    "secrets/valueFrom instead."
                )


def log_configuration(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for container in containers(args):
        if not get(container, "logConfiguration", "logDriver"):
            report(f"Container {_name(container)} has no logConfiguration.")


def no_host_network(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "networkMode", default="")) == "host":
        report("networkMode is host.")


def non_root(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "runtimePlatform", "operatingSystemFamily", default="LINUX")).upper() != "LINUX":
        args.not_applicable("Not a Linux task: the non-root user check applies to Linux containers.")
    for container in containers(args):
        user = container.get("user")
        if user is None:
            report(f"Container {_name(container)} sets no user: it runs as the image's default user (root unless set).")
        elif str(user) in ROOT_USERS:
            report(f"Container {_name(container)} runs as {user}.")


def separate_roles(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    execution, task = get(args.props, "executionRoleArn"), get(args.props, "taskRoleArn")
    if execution and task and execution == task:
        report("The task role is the execution role: the application gets the agent's image-pull and log rights.")


def efs_transit(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    efs = [v for v in items(get(args.props, "volumes")) if get(v, "efsVolumeConfiguration") is not None]
    if not efs:
        args.not_applicable("The task mounts no EFS volume.")
    for volume in efs:
        if str(get(volume, "efsVolumeConfiguration", "transitEncryption", default="DISABLED")) != "ENABLED":
            report(f"EFS volume {get(volume, 'name')} does not enable transit encryption.")


POLICIES: list[Policy] = [
    resource_policy(
        "ecs-cluster-container-insights",
        C013,
        [CLUSTER],
        "ECS clusters publish Container Insights metrics.",
        "Set settings=[{'name': 'containerInsights', 'value': 'enhanced'}] (or 'enabled') on the cluster.",
        container_insights,
    ),
    resource_policy(
        "ecs-cluster-exec-logging",
        C014,
        [CLUSTER],
        "ECS Exec sessions are logged and encrypted with a customer managed key.",
        "Set configuration.executeCommandConfiguration with kms_key_id, logging='OVERRIDE' and an encrypted "
        "CloudWatch log group.",
        exec_logging,
        url=f"{DOCS}/ecs-exec.html",
    ),
    resource_policy(
        "ecs-service-no-public-ip",
        C015,
        [SERVICE],
        "ECS services do not give their tasks public IP addresses.",
        "Set network_configuration.assign_public_ip=False and run the tasks in private subnets.",
        no_public_ip,
    ),
    resource_policy(
        "ecs-service-fargate-latest-platform",
        C016,
        [SERVICE],
        "Fargate services run on the latest platform version.",
        "Leave platform_version unset or set it to 'LATEST'.",
        platform_latest,
        config={"allowedPlatformVersions": strings(["LATEST", "1.4.0"], "Accepted Fargate platform versions.")},
    ),
    resource_policy(
        "ecs-task-no-privileged-containers",
        C017,
        [TASK],
        "No container of a task definition runs privileged.",
        "Remove privileged=true from the container definitions.",
        no_privileged,
    ),
    resource_policy(
        "ecs-task-no-host-pid",
        C018,
        [TASK],
        "Task definitions do not share the host's process namespace.",
        "Remove pid_mode='host' from the task definition.",
        no_host_pid,
    ),
    resource_policy(
        "ecs-task-readonly-root-filesystem",
        C019,
        [TASK],
        "Every container mounts its root filesystem read-only.",
        "Set readonlyRootFilesystem=true on every container; give writable paths their own volumes.",
        readonly_root,
    ),
    resource_policy(
        "ecs-task-no-secrets-in-environment",
        C020,
        [TASK],
        "Containers receive credentials through secrets (valueFrom), never as plain environment variables.",
        "Move the value to Secrets Manager and reference it in the container's secrets list.",
        no_secret_environment,
        config={
            "forbiddenNames": strings(FSBP_SECRET_KEYS, "Environment names FSBP ECS.8 forbids."),
            "secretNamePattern": {"type": "string", "default": SECRET_NAME, "description": "Secret-looking names."},
            "allowedNameSuffixes": strings(
                ["_ARN", "_ID", "_NAME"], "Names that only point at a secret (its ARN or name) are allowed."
            ),
        },
    ),
    resource_policy(
        "ecs-task-log-configuration",
        C021,
        [TASK],
        "Every container sends its logs somewhere (logConfiguration).",
        "Set logConfiguration with the awslogs driver and an encrypted log group on every container.",
        log_configuration,
        url=f"{DOCS}/using_awslogs.html",
    ),
    resource_policy(
        "ecs-task-no-host-network",
        C022,
        [TASK],
        "Task definitions do not use host network mode.",
        "Use network_mode='awsvpc' (required by Fargate).",
        no_host_network,
        url=f"{DOCS}/task-networking.html",
    ),
    resource_policy(
        "ecs-task-non-root-user",
        C023,
        [TASK],
        "Linux containers name a non-root user.",
        "Set user to a non-root uid (e.g. '1000:1000') in every container definition and in the image.",
        non_root,
        url=f"{DOCS}/task_definition_parameters.html",
    ),
    resource_policy(
        "ecs-task-separate-execution-role",
        C024,
        [TASK],
        "The task role and the execution role are different roles.",
        "Give the application its own task role; keep image-pull and log rights on the execution role.",
        separate_roles,
        url=f"{DOCS}/task-iam-roles.html",
    ),
    resource_policy(
        "ecs-task-efs-transit-encryption",
        C025,
        [TASK],
        "EFS volumes of task definitions use transit encryption.",
        "Set efs_volume_configuration.transit_encryption='ENABLED'.",
        efs_transit,
        url=f"{DOCS}/efs-volumes.html",
    ),
]
