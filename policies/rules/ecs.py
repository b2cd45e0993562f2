"""ECS: cluster insights and exec logging, Fargate services, task definitions."""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import forbid_true, get, is_true, items, require_true
from .declare import (
    ADVISORY,
    MANDATORY,
    Control,
    FsbpStatus,
    Report,
    ResourceRule,
    Settings,
    SeveritySource,
    declared,
    strings,
)

if __name__.startswith("policies."):
    from policies.credential_patterns import SECRET_NAME, credential_finding
else:  # under the Pulumi CLI: policies/ is on sys.path and the rules are the top-level package `rules`
    from credential_patterns import (  # type: ignore[import-not-found,no-redef]
        SECRET_NAME,
        credential_finding,
    )

CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide"


FSBP_SECRET_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"]
# PASS as a word (DB_PASS, dbPass). The shared pattern (policies/credential_patterns.py, also the config loader's)
# catches it too since 2026-12-03; this stays as the policy config's own default so stacks that set
# `extraSecretNamePattern` keep its meaning.
EXTRA_SECRET_NAME = r"(?:(?i:(?:^|[_.\-])pass(?:$|[_.\-0-9]))|[a-z0-9]Pass(?:$|[A-Z_0-9]))"
LAMBDA = "aws:lambda/function:Function"
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


@ResourceRule(
    name="ecs-cluster-container-insights",
    control=Control(
        id="C013",
        title="Container Insights enabled",
        severity=Severity.MEDIUM,
        fsbp="ECS.12",
        cdk_nag=("AwsSolutions-ECS4",),
        checkov=("CKV_AWS_65",),
    ),
    types=[CLUSTER],
    inputs=("settings",),
    description="ECS clusters publish Container Insights metrics.",
    remediation="Set settings=[{'name': 'containerInsights', 'value': 'enhanced'}] (or 'enabled') on the cluster.",
    enforcement=ADVISORY,
)
def container_insights(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    values = {str(get(s, "value")) for s in items(get(args.props, "settings")) if get(s, "name") == "containerInsights"}
    if not values & {"enabled", "enhanced"}:
        report("Container Insights is not enabled (settings: containerInsights=enabled or enhanced).")


@ResourceRule(
    name="ecs-cluster-exec-logging",
    control=Control(
        id="C014",
        title="ECS Exec logging configured and encrypted with a CMK",
        severity=Severity.LOW,
        checkov=("CKV_AWS_223", "CKV_AWS_224"),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[CLUSTER],
    inputs=("configuration.executeCommandConfiguration",),
    description="ECS Exec sessions are logged and encrypted with a customer managed key.",
    remediation="Set configuration.executeCommandConfiguration with kms_key_id, logging='OVERRIDE' and an encrypted "
    "CloudWatch log group.",
    enforcement=ADVISORY,
    url=f"{DOCS}/ecs-exec.html",
)
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


@ResourceRule(
    name="ecs-service-no-public-ip",
    control=Control(
        id="C015",
        title="Services do not assign public IPs",
        severity=Severity.HIGH,
        fsbp="ECS.2",
        checkov=("CKV_AWS_333",),
    ),
    types=[SERVICE],
    inputs=("networkConfiguration.assignPublicIp",),
    description="ECS services do not give their tasks public IP addresses.",
    remediation="Set network_configuration.assign_public_ip=False and run the tasks in private subnets.",
    enforcement=MANDATORY,
)
def no_public_ip(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    forbid_true(args, report, "networkConfiguration.assignPublicIp", ": tasks get public IP addresses")


@ResourceRule(
    name="ecs-service-deployment-circuit-breaker",
    control=Control(
        id="P004",
        title="Deployment circuit breaker with rollback",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[SERVICE],
    inputs=("deploymentCircuitBreaker.enable", "deploymentCircuitBreaker.rollback", "deploymentController.type"),
    description="ECS-controlled deployments (rolling, and blue/green, canary and linear alike: AWS's failure "
    "detection supports rolling and blue/green deployment types) stop and roll back by themselves when new tasks "
    "fail to become healthy.",
    remediation="Set deployment_circuit_breaker={'enable': True, 'rollback': True}.",
    enforcement=MANDATORY,
    url=f"{DOCS}/deployment-failure-detection.html",
)
def circuit_breaker(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    controller = str(get(args.props, "deploymentController", "type", default="ECS")).upper()
    if controller != "ECS":
        args.not_applicable(f"Deployment controller {controller}: the circuit breaker applies to the ECS controller.")
    require_true(args, report, "deploymentCircuitBreaker.enable")
    require_true(args, report, "deploymentCircuitBreaker.rollback", ": a failed deployment is stopped, not undone")


@ResourceRule(
    name="ecs-service-fargate-latest-platform",
    control=Control(
        id="C016",
        title="Fargate platform version is LATEST",
        severity=Severity.MEDIUM,
        fsbp="ECS.10",
        checkov=("CKV_AWS_332",),
    ),
    types=[SERVICE],
    inputs=("platformVersion", "capacityProviderStrategies", "launchType"),
    description="Fargate services run on the latest platform version.",
    remediation="Leave platform_version unset or set it to 'LATEST'.",
    enforcement=ADVISORY,
    config={"allowedPlatformVersions": strings(["LATEST", "1.4.0"], "Accepted Fargate platform versions.")},
)
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


@ResourceRule(
    name="ecs-task-no-privileged-containers",
    control=Control(
        id="C017", title="No privileged containers", severity=Severity.HIGH, fsbp="ECS.4", checkov=("CKV_AWS_334",)
    ),
    types=[TASK],
    description="No container of a task definition runs privileged.",
    remediation="Remove privileged=true from the container definitions.",
    enforcement=MANDATORY,
)
def no_privileged(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for container in containers(args):
        if is_true(container.get("privileged")):
            report(f"Container {_name(container)} runs privileged.")


@ResourceRule(
    name="ecs-task-no-host-pid",
    control=Control(
        id="C018", title="pidMode is not host", severity=Severity.HIGH, fsbp="ECS.3", checkov=("CKV_AWS_335",)
    ),
    types=[TASK],
    inputs=("pidMode",),
    description="Task definitions do not share the host's process namespace.",
    remediation="Remove pid_mode='host' from the task definition.",
    enforcement=MANDATORY,
)
def no_host_pid(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "pidMode", default="")) == "host":
        report("pidMode is host: containers share the host's process namespace.")


@ResourceRule(
    name="ecs-task-readonly-root-filesystem",
    control=Control(
        id="C019", title="Read-only root filesystems", severity=Severity.HIGH, fsbp="ECS.5", checkov=("CKV_AWS_336",)
    ),
    types=[TASK],
    description="Every container mounts its root filesystem read-only.",
    remediation="Set readonlyRootFilesystem=true on every container; give writable paths their own volumes.",
    enforcement=MANDATORY,
)
def readonly_root(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for container in containers(args):
        if not is_true(container.get("readonlyRootFilesystem")):
            report(f"Container {_name(container)} has a writable root filesystem (readonlyRootFilesystem is not true).")


def environment(args: ResourceValidationArgs) -> list[tuple[str, str, Any]]:
    """(owner, name, value) of every plain environment variable: containers of a task definition, or a Lambda
    function's `environment.variables`."""
    if args.resource_type == LAMBDA:
        variables = get(args.props, "environment", "variables", default={})
        return [("Function", str(k), variables[k]) for k in variables]
    return [
        (f"Container {_name(c)}", str(get(e, "name", default="")), get(e, "value"))
        for c in containers(args)
        for e in items(c.get("environment"))
    ]


@ResourceRule(
    name="ecs-task-no-secrets-in-environment",
    control=Control(
        id="C020",
        title="No secrets in container environment",
        severity=Severity.HIGH,
        fsbp="ECS.8",
        cdk_nag=("AwsSolutions-ECS2",),
    ),
    types=[TASK, LAMBDA],
    description="Containers receive credentials through secrets (valueFrom), never as plain environment variables.",
    remediation="Move the value to Secrets Manager and reference it in the container's secrets list.",
    enforcement=MANDATORY,
    config={
        "forbiddenNames": strings(FSBP_SECRET_KEYS, "Environment names FSBP ECS.8 forbids."),
        "secretNamePattern": {
            "type": "string",
            "default": SECRET_NAME.pattern,
            "description": "Secret-looking names (policies/credential_patterns.py, shared with the config loader).",
        },
        "extraSecretNamePattern": {
            "type": "string",
            "default": EXTRA_SECRET_NAME,
            "description": "More secret-looking names.",
        },
        "allowedNameSuffixes": strings(
            ["_ARN", "_ID", "_NAME"], "Names that only point at a secret (its ARN or name) are allowed."
        ),
    },
)
def no_secret_environment(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    forbidden = {str(k).upper() for k in settings["forbiddenNames"]}
    names = [re.compile(str(settings["secretNamePattern"])), re.compile(str(settings["extraSecretNamePattern"]))]
    allowed_suffixes = tuple(str(s).upper() for s in settings["allowedNameSuffixes"])
    for owner, name, value in environment(args):
        upper = name.upper()
        finding = credential_finding(name, value) if isinstance(value, str) else None
        if upper in forbidden:
            report(f"{owner}: environment variable {name} carries credentials (ECS.8 key).")
        elif finding:
            report(f"{owner}: environment variable {name} holds a credential ({finding}); pass it with secrets.")
        elif any(p.search(name) for p in names) and not upper.endswith(allowed_suffixes):
            report(f"{owner}: environment variable {name} looks like a secret; pass it with secrets/valueFrom instead.")


@ResourceRule(
    name="ecs-task-log-configuration",
    control=Control(
        id="C021",
        title="Every container has a logConfiguration",
        severity=Severity.HIGH,
        fsbp="ECS.9",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("AwsSolutions-ECS7",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[TASK],
    description="Every container sends its logs somewhere (logConfiguration).",
    remediation="Set logConfiguration with the awslogs driver and an encrypted log group on every container.",
    enforcement=MANDATORY,
    url=f"{DOCS}/using_awslogs.html",
)
def log_configuration(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    for container in containers(args):
        if not get(container, "logConfiguration", "logDriver"):
            report(f"Container {_name(container)} has no logConfiguration.")


@ResourceRule(
    name="ecs-task-no-host-network",
    control=Control(
        id="C022",
        title="No host network mode",
        severity=Severity.HIGH,
        fsbp="ECS.17",
        fsbp_status=FsbpStatus.UNVERIFIED,
        cdk_nag=("R5:ECSTaskDefinitionUserForHostMode",),
        hub_other=("ECS.1",),
    ),
    types=[TASK],
    inputs=("networkMode",),
    description="Task definitions do not use host network mode.",
    remediation="Use network_mode='awsvpc' (required by Fargate).",
    enforcement=MANDATORY,
    url=f"{DOCS}/task-networking.html",
)
def no_host_network(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "networkMode", default="")) == "host":
        report("networkMode is host.")


@ResourceRule(
    name="ecs-task-non-root-user",
    control=Control(
        id="C023",
        title="Linux containers run as a non-root user",
        severity=Severity.MEDIUM,
        fsbp="ECS.20",
        fsbp_status=FsbpStatus.UNVERIFIED,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[TASK],
    inputs=("runtimePlatform.operatingSystemFamily",),
    description="Linux containers name a non-root user.",
    remediation="Set user to a non-root uid (e.g. '1000:1000') in every container definition and in the image.",
    enforcement=ADVISORY,
    url=f"{DOCS}/task_definition_parameters.html",
)
def non_root(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if str(get(args.props, "runtimePlatform", "operatingSystemFamily", default="LINUX")).upper() != "LINUX":
        args.not_applicable("Not a Linux task: the non-root user check applies to Linux containers.")
    for container in containers(args):
        user = container.get("user")
        if user is None:
            report(f"Container {_name(container)} sets no user: it runs as the image's default user (root unless set).")
        elif str(user) in ROOT_USERS:
            report(f"Container {_name(container)} runs as {user}.")


@ResourceRule(
    name="ecs-task-separate-execution-role",
    control=Control(
        id="C024",
        title="executionRoleArn differs from taskRoleArn",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_249",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[TASK],
    inputs=("executionRoleArn", "taskRoleArn"),
    description="The task role and the execution role are different roles.",
    remediation="Give the application its own task role; keep image-pull and log rights on the execution role.",
    enforcement=ADVISORY,
    url=f"{DOCS}/task-iam-roles.html",
)
def separate_roles(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    execution, task = get(args.props, "executionRoleArn"), get(args.props, "taskRoleArn")
    if execution and task and execution == task:
        report("The task role is the execution role: the application gets the agent's image-pull and log rights.")


@ResourceRule(
    name="ecs-task-efs-transit-encryption",
    control=Control(
        id="C025",
        title="EFS volumes use transit encryption",
        severity=Severity.MEDIUM,
        fsbp="ECS.18",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_97",),
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[TASK],
    inputs=("volumes",),
    description="EFS volumes of task definitions use transit encryption.",
    remediation="Set efs_volume_configuration.transit_encryption='ENABLED'.",
    enforcement=ADVISORY,
    url=f"{DOCS}/efs-volumes.html",
)
def efs_transit(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    efs = [v for v in items(get(args.props, "volumes")) if get(v, "efsVolumeConfiguration") is not None]
    if not efs:
        args.not_applicable("The task mounts no EFS volume.")
    for volume in efs:
        if str(get(volume, "efsVolumeConfiguration", "transitEncryption", default="DISABLED")) != "ENABLED":
            report(f"EFS volume {get(volume, 'name')} does not enable transit encryption.")


POLICIES: list[Policy] = declared(__name__)
