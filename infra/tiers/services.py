"""Service tier: the cluster, the load balancer and one ContainerService per configured service."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from components import aws
from components.certificate import Certificate, CertificateArgs
from components.cluster import Cluster, ClusterArgs
from components.container_image import ContainerImage, ContainerImageArgs
from components.container_service import (
    Capacity,
    ContainerService,
    ContainerServiceArgs,
    Deployment,
    EcsExec,
    Routing,
    Scaling,
    Schedule,
    SecretRef,
)
from components.encryption_key import EncryptionKey, EncryptionKeyArgs
from components.load_balancer import TEST_LISTENER_PORT, LoadBalancer, LoadBalancerArgs, OriginHeader
from components.release_pointer import ReleasePointer, ReleasePointerArgs, pointer_name
from components.release_strategy import LifecycleHook, ReleaseStrategy
from components.security_groups import EgressTarget
from components.smoke_test_hook import SmokeTestHook, SmokeTestHookArgs, hook_details
from infra.config import PROJECT
from infra.config.model import ServiceConfig
from infra.config.sections.services import env_name
from infra.stack import StackContext
from infra.tiers.foundation import Foundation

ROOT = Path(__file__).resolve().parents[2]
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# The sample app's liveness probe: its process answers HTTP (readiness, with the database, is the ALB's job).
SAMPLE_LIVENESS = (
    "CMD",
    "python",
    "-c",
    "import urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:8080/', timeout=4)",
)


@dataclass(frozen=True)
class DatabaseBinding:
    """What a service needs to reach the database: where it is, the user it connects as, and the one
    `rds-db:connect` resource (that user on that instance) its task role may use to sign IAM tokens."""

    address: pulumi.Input[str]
    """The database's host name (DB_HOST)."""
    port: pulumi.Input[int]
    """The database's TCP port (DB_PORT); egress to it is opened on this port, 5432 when not yet known."""
    name: str
    """The database the application uses (DB_NAME)."""
    username: str
    """The application user, authenticated with IAM tokens (DB_USER)."""
    connect_arn: pulumi.Input[str]
    """The `rds-db:connect` resource of that user on that instance: the task role's only database permission."""
    security_group_id: pulumi.Input[str]
    """The database's security group: the services that use it get egress to it."""

    def connect_statement(self) -> dict[str, Any]:
        """The task role's only database permission: no password exists to inject, rotate or leak."""
        return {"Sid": "ConnectAsAppUser", "Effect": "Allow", "Action": "rds-db:connect", "Resource": self.connect_arn}


@dataclass(frozen=True)
class AppSecrets:
    """Application secrets by name (their ARNs) and the key that encrypts them."""

    arns: Mapping[str, pulumi.Input[str]]
    """Secret ARNs by the names services list under `secrets` (injected as environment variables)."""
    kms_key_arn: pulumi.Input[str] | None
    """The key that encrypts them (the execution role may decrypt with it); None for AWS-managed encryption."""


@dataclass(frozen=True)
class ServiceTier:
    """What the service tier built, and what the data, edge and observability tiers and the stack outputs take
    from it."""

    cluster: Cluster
    """The ECS cluster every service runs in."""
    load_balancer: LoadBalancer
    """The ALB in front of the web services (public behind CloudFront, or internal behind a VPC origin)."""
    services: dict[str, ContainerService]
    """One ContainerService per configured service, by service name."""
    configs: dict[str, ServiceConfig]
    """The validated configuration of each service, by service name."""
    domain: str
    """The stack's domain: the host name of the service URLs."""
    vpc_id: pulumi.Output[str]
    """The VPC the services and the load balancer live in."""
    origin_header: OriginHeader | None = None
    """The secret header CloudFront adds and the listener rules require; None when none is configured."""
    releases: dict[str, dict[str, pulumi.Input[object]]] = field(default_factory=dict)
    """CI-owned services, by name: what `ops release` needs (pointer, repository, built image, what to apply)."""

    def clients_of_database(self) -> dict[str, pulumi.Output[str]]:
        """Security groups of the services that use the database, by service: the only ones it admits."""
        return {name: svc.security_group_id for name, svc in self.services.items() if self.configs[name].use_database}

    def exports(self) -> dict[str, pulumi.Input[object]]:
        """The tier's stack outputs: the cluster, the load balancer and, per service, what operators address."""
        services: dict[str, object] = {}
        for name, service in self.services.items():
            entry: dict[str, object] = {
                "serviceName": service.service_name,
                "clusterName": self.cluster.cluster_name,
                "taskDefinitionFamily": service.task_definition_family,
                "logGroupName": service.log_group_name,
                "taskRoleArn": service.task_role_arn,
                "desiredCount": self.configs[name].desired_count,
            }
            if service.target_group_arn is not None:
                entry["targetGroupArn"] = service.target_group_arn
                entry["url"] = f"https://{self.domain}{_url_path(self.configs[name])}"
            if name in self.releases:
                entry["release"] = self.releases[name]
            services[name] = entry
        return {
            "clusterName": self.cluster.cluster_name,
            "loadBalancerArn": self.load_balancer.arn,
            "services": services,
        }


def any_non_rolling(services: Mapping[str, ServiceConfig]) -> bool:
    """True when some service releases blue/green, canary or linear: the stack then needs the test listener."""
    return any(not service.release.rolling for service in services.values())


def release_strategy(config: ServiceConfig, hooks: Sequence[LifecycleHook]) -> ReleaseStrategy:
    """The component's ReleaseStrategy from a service's validated `release` section."""
    release = config.release
    return ReleaseStrategy(
        strategy=release.strategy,
        bake_minutes=release.bake_minutes,
        canary_percent=release.canary.percent if release.canary else None,
        canary_interval_minutes=release.canary.interval_minutes if release.canary else None,
        linear_step_percent=release.linear.step_percent if release.linear else None,
        linear_interval_minutes=release.linear.interval_minutes if release.linear else None,
        hooks=tuple(hooks) if not release.rolling else (),
        adopting=release.adopt,
    )


def smoke_host(config: ServiceConfig, domain: str) -> str:
    """The name the smoke test sends (SNI, certificate check, Host header): the stack's domain, which the
    listener's certificate covers, unless the service routes only other host names, then its first literal one
    (the test rule matches host names too)."""
    hosts = [host.lower() for host in config.host_headers]
    if not hosts or any(fnmatch.fnmatchcase(domain.lower(), host) for host in hosts):
        return domain
    literal = [host for host in hosts if "*" not in host and "?" not in host]
    return literal[0] if literal else domain


def smoke_test_hooks(
    stack: StackContext, base: Foundation, load_balancer: LoadBalancer
) -> dict[str, list[LifecycleHook]]:
    """One smoke-test Lambda for the stack and, for each non-rolling service, the lifecycle hook that runs it
    after test traffic shifts (POST_TEST_TRAFFIC_SHIFT): its hookDetails name the test listener, the host name and
    the paths to call. No hook (and no Lambda) when every service rolls."""
    config = stack.config
    port = load_balancer.test_listener_port
    if port is None or not any_non_rolling(config.services):
        return {}
    hook = SmokeTestHook(
        "smoke-test",
        SmokeTestHookArgs(
            context=stack.context,
            tags=stack.tags,
            vpc_id=base.network.vpc_id,
            subnet_ids=base.network.private_subnet_ids,
            logs=stack.log_settings(base.logs_key.key_arn),
            load_balancer_security_group_id=load_balancer.security_group_id,
            test_listener_port=port,
        ),
        stack.opts(),
    )
    base_url = pulumi.Output.concat("https://", load_balancer.dns_name, f":{port}")
    hooks: dict[str, list[LifecycleHook]] = {}
    for name, service in sorted(config.services.items()):
        if service.release.rolling:
            continue
        smoke = service.release.smoke_test
        details = hook_details(
            base_url=base_url,
            host_header=smoke_host(service, config.domain),
            paths=service.smoke_paths(),
            timeout_seconds=smoke.timeout_seconds,
            max_latency_ms=smoke.max_latency_ms,
        )
        hooks[name] = [LifecycleHook(hook.function_arn, hook.invoke_role_arn, details)]
    return hooks


def _url_path(config: ServiceConfig) -> str:
    first = config.path_patterns[0].rstrip("*")
    return first if first != "/" else "/"


def compose(
    stack: StackContext,
    base: Foundation,
    *,
    database: DatabaseBinding | None = None,
    app_secrets: AppSecrets | None = None,
    deployment_alarms: Mapping[str, Sequence[pulumi.Input[str]]] | None = None,
    origin_header: OriginHeader | None = None,
) -> ServiceTier:
    """The image key, the cluster, the certificate and the load balancer, then per service (by name) its image,
    its release pointer when CI owns its releases, and the ContainerService. `database`: where the services that
    use it connect; `app_secrets`: the secrets they may read; `deployment_alarms`: alarm names per service that roll
    a deployment back; `origin_header`: the header CloudFront adds, required by the listener rules."""
    config = stack.config
    images_key = _images_key(stack)
    cluster = _cluster(stack, base)
    certificate = _certificate(stack) if config.tls.https else None
    load_balancer = _load_balancer(stack, base, certificate, origin_header)
    hooks = smoke_test_hooks(stack, base, load_balancer)
    priorities = config.listener_priorities()
    services: dict[str, ContainerService] = {}
    releases: dict[str, dict[str, pulumi.Input[object]]] = {}
    for name, svc in sorted(config.services.items()):
        image = _image(stack, name, svc, images_key)
        pointer = _release_pointer(stack, name, image) if svc.deploy_owner == "ci" else None
        routing = _routing(name, svc, load_balancer, priorities, origin_header)
        services[name] = _service(
            stack,
            base,
            cluster,
            name,
            svc,
            image_ref=pointer.image_ref if pointer is not None else image.image_ref,
            repository_arn=image.repository_arn,
            routing=routing,
            access=_access(stack, name, svc, database, app_secrets),
            release=release_strategy(svc, hooks.get(name, ())),
            alarm_names=(deployment_alarms or {}).get(name, ()),
        )
        if pointer is not None and image.repository_url is not None:
            releases[name] = _release_entry(pointer, image.repository_url, image.image_ref, services[name])
    return ServiceTier(
        cluster=cluster,
        load_balancer=load_balancer,
        services=services,
        configs=dict(config.services),
        domain=config.domain,
        vpc_id=base.network.vpc_id,
        origin_header=origin_header,
        releases=releases,
    )


def _images_key(stack: StackContext) -> EncryptionKey:
    """The key every ECR repository of the stack encrypts its images with."""
    return EncryptionKey(
        "images",
        EncryptionKeyArgs(
            purpose="ECR image encryption",
            alias=f"alias/{PROJECT}-{stack.env}-images",
            context=stack.context,
            tags=stack.tags,
            protect=stack.is_production,
        ),
        stack.opts(),
    )


def _cluster(stack: StackContext, base: Foundation) -> Cluster:
    return Cluster(
        "cluster",
        ClusterArgs(
            tags=stack.tags,
            logs=stack.log_settings(base.logs_key.key_arn),
        ),
        stack.opts(),
    )


def _certificate(stack: StackContext) -> Certificate:
    """The listener's certificate for the stack's domain: issued (DNS-validated) or the imported one."""
    config = stack.config
    return Certificate(
        "alb-certificate",
        CertificateArgs(
            domain=config.domain,
            tags=stack.tags,
            hosted_zone_id=config.tls.hosted_zone_id,
            imported_arn=config.tls.certificate_arn,
        ),
        stack.opts(),
    )


def _load_balancer(
    stack: StackContext, base: Foundation, certificate: Certificate | None, origin_header: OriginHeader | None
) -> LoadBalancer:
    """The ALB: public in the public subnets when CloudFront reaches it directly, internal otherwise; with the test
    listener when some service does not roll."""
    config, network = stack.config, base.network
    public_alb = config.edge.origin_mode == "publicAlb"
    prefix_list = aws.ec2.get_managed_prefix_list_output(
        name=CLOUDFRONT_ORIGIN_FACING, opts=pulumi.InvokeOutputOptions(provider=stack.provider)
    )
    elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(provider=stack.provider))
    lb_config = config.load_balancer
    return LoadBalancer(
        "alb",
        LoadBalancerArgs(
            vpc_id=network.vpc_id,
            subnet_ids=network.public_subnet_ids if public_alb else network.private_subnet_ids,
            tags=stack.tags,
            certificate_arn=certificate.arn if certificate else None,
            internal=not public_alb,
            deletion_protection=lb_config.deletion_protection,
            idle_timeout_seconds=lb_config.idle_timeout_seconds,
            access_log_days=lb_config.access_log_days,
            ssl_policy=lb_config.ssl_policy,
            # A public ALB admits only CloudFront's origin-facing ranges; an internal one only the VPC origin
            # (added by the edge tier once CloudFront has created its security group).
            ingress_prefix_list_ids=[prefix_list.id] if public_alb else [],
            origin_header=origin_header,
            log_delivery_account_arn=elb_account.arn,
            protect_logs=stack.is_production,
            test_listener_port=TEST_LISTENER_PORT if any_non_rolling(config.services) else None,
        ),
        stack.opts(),
    )


def _image(stack: StackContext, name: str, svc: ServiceConfig, images_key: EncryptionKey) -> ContainerImage:
    """The service's image: built from its context into its own repository, or the given URI."""
    return ContainerImage(
        f"{name}-image",
        ContainerImageArgs(
            tags=stack.tags,
            kms_key_arn=images_key.key_arn,
            architecture=svc.architecture,
            build_context=ROOT / svc.image.context if svc.image.context else None,
            image_uri=svc.image.uri,
            protect=stack.is_production,
        ),
        stack.opts(),
    )


def _release_pointer(stack: StackContext, name: str, image: ContainerImage) -> ReleasePointer | None:
    """The parameter CI moves to release a CI-owned service, seeded with the image built here; None without a
    repository (the config requires a build context for CI-owned services)."""
    if image.repository_url is None:
        return None
    return ReleasePointer(
        f"{name}-release",
        ReleasePointerArgs(
            tags=stack.tags,
            parameter_name=pointer_name(PROJECT, stack.env, name),
            bootstrap_image=image.image_ref,
            repository_url=image.repository_url,
            service=name,
        ),
        stack.opts(),
    )


def _release_entry(
    pointer: ReleasePointer,
    repository_url: pulumi.Input[str],
    built_image: pulumi.Input[str],
    service: ContainerService,
) -> dict[str, pulumi.Input[object]]:
    """What `ops release` needs for a CI-owned service: the pointer, the repository, the image built here, the
    image to run and what to apply it to."""
    return {
        "parameterName": pointer.parameter_name,
        "repositoryUrl": repository_url,
        "builtImage": built_image,
        "image": pointer.image_ref,
        "targets": service.release_targets,
    }


@dataclass(frozen=True)
class _Access:
    """What a service's task is given to reach the database and its secrets."""

    environment: dict[str, pulumi.Input[str]]
    """The container's environment: the service's own, the stack's, and where the database is."""
    secrets: list[SecretRef]
    """Secrets injected as environment variables."""
    secret_keys: list[pulumi.Input[str]]
    """Keys the execution role may decrypt those secrets with."""
    egress: list[EgressTarget]
    """Security groups the service may reach besides HTTPS (the database)."""
    task_statements: list[dict[str, Any]]
    """Extra task role statements (`rds-db:connect` as the application user)."""


def _access(
    stack: StackContext,
    name: str,
    svc: ServiceConfig,
    database: DatabaseBinding | None,
    app_secrets: AppSecrets | None,
) -> _Access:
    """The service's environment, secrets, egress and task role statements; raises ValueError when it reads a
    secret that does not exist."""
    environment: dict[str, pulumi.Input[str]] = {
        **svc.environment,
        "APP_ENVIRONMENT": stack.env,
        "PORT": str(svc.container_port or 8080),
    }
    egress: list[EgressTarget] = []
    task_statements: list[dict[str, Any]] = []
    if database is not None and svc.use_database:
        database_port = int(database.port) if isinstance(database.port, int) else 5432
        egress.append(EgressTarget("db", database.security_group_id, database_port, "PostgreSQL to the database"))
        environment |= {
            "DB_HOST": database.address,
            "DB_PORT": pulumi.Output.from_input(database.port).apply(str),
            "DB_NAME": database.name,
            "DB_USER": database.username,
            "DB_AUTH": "iam",
            "AWS_REGION": stack.config.region,
            "REQUIRE_DATABASE": "true",
        }
        task_statements.append(database.connect_statement())
    secrets, secret_keys = _secrets(name, svc, app_secrets)
    return _Access(environment, secrets, secret_keys, egress, task_statements)


def _secrets(
    name: str, svc: ServiceConfig, app_secrets: AppSecrets | None
) -> tuple[list[SecretRef], list[pulumi.Input[str]]]:
    """The secrets the service reads, as environment variables, and the key that decrypts them."""
    if not svc.secrets:
        return [], []
    if app_secrets is None or any(s not in app_secrets.arns for s in svc.secrets):
        known = sorted(app_secrets.arns) if app_secrets else []
        raise ValueError(f"service {name} reads unknown secrets {svc.secrets}; known: {known}")
    secrets = [SecretRef(env_name(s), app_secrets.arns[s]) for s in svc.secrets]
    return secrets, [app_secrets.kms_key_arn] if app_secrets.kms_key_arn is not None else []


def _routing(
    name: str,
    svc: ServiceConfig,
    load_balancer: LoadBalancer,
    priorities: Mapping[str, int],
    origin_header: OriginHeader | None,
) -> Routing | None:
    """The listener rule and target group settings of a web service; None for a worker (no container port)."""
    if svc.container_port is None:
        return None
    return Routing(
        listener_arn=load_balancer.listener_arn,
        load_balancer_security_group_id=load_balancer.security_group_id,
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        priority=priorities[name],
        path_patterns=svc.path_patterns,
        host_headers=svc.host_headers,
        origin_header=(origin_header.name, origin_header.value) if origin_header else None,
        deregistration_delay_seconds=svc.deregistration_delay_seconds,
        slow_start_seconds=svc.slow_start_seconds,
        test_listener_arn=load_balancer.test_listener_arn,
    )


def _scaling(svc: ServiceConfig) -> Scaling:
    """The service's task count range, target tracking and scheduled scaling."""
    scaling = svc.autoscaling
    return Scaling(
        min_count=svc.min_count,
        max_count=svc.max_count,
        cpu_target=scaling.cpu_target,
        memory_target=scaling.memory_target,
        requests_per_target=scaling.requests_per_target,
        scale_in_cooldown=scaling.scale_in_cooldown,
        scale_out_cooldown=scaling.scale_out_cooldown,
        schedules=[Schedule(s.name, s.schedule, s.min_count, s.max_count, s.timezone) for s in scaling.schedules],
    )


def _deployment(svc: ServiceConfig, alarm_names: Sequence[pulumi.Input[str]]) -> Deployment:
    """How ECS replaces the service's tasks, and the alarms that roll a deployment back."""
    deployment = svc.deployment
    return Deployment(
        minimum_healthy_percent=deployment.minimum_healthy_percent,
        maximum_percent=deployment.maximum_percent,
        health_check_grace_seconds=deployment.health_check_grace_seconds,
        stop_timeout_seconds=deployment.stop_timeout_seconds,
        alarm_names=alarm_names,
    )


def _service(
    stack: StackContext,
    base: Foundation,
    cluster: Cluster,
    name: str,
    svc: ServiceConfig,
    *,
    image_ref: pulumi.Input[str],
    repository_arn: pulumi.Input[str] | None,
    routing: Routing | None,
    access: _Access,
    release: ReleaseStrategy,
    alarm_names: Sequence[pulumi.Input[str]],
) -> ContainerService:
    """The ECS service, task definition, roles, security group and scaling of one configured service."""
    network = base.network
    return ContainerService(
        name,
        ContainerServiceArgs(
            context=stack.context,
            tags=stack.tags,
            cluster_arn=cluster.cluster_arn,
            cluster_name=cluster.cluster_name,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            image_ref=image_ref,
            repository_arn=repository_arn,
            family=f"{PROJECT}-{stack.env}-{name}",
            cpu=svc.cpu,
            memory=svc.memory,
            architecture=svc.architecture,
            desired_count=svc.desired_count,
            scaling=_scaling(svc),
            logs=stack.log_settings(base.logs_key.key_arn),
            container_port=svc.container_port,
            routing=routing,
            health_check_path=svc.health_check_path,
            liveness_command=SAMPLE_LIVENESS if svc.image.context == "app" else None,
            environment=access.environment,
            secrets=access.secrets,
            secret_kms_key_arns=access.secret_keys,
            task_role_statements=access.task_statements,
            deployment=_deployment(svc, alarm_names),
            # Production's baseline (minCount tasks) always runs on on-demand Fargate.
            capacity=Capacity(on_demand_base=svc.min_count, spot_weight=svc.spot_weight),
            ecs_exec=EcsExec(svc.exec_enabled, base.logs_key.key_arn, cluster.exec_log_group_name),
            egress_targets=access.egress,
            release=release,
        ),
        stack.opts(),
    )
