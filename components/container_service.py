"""One container service on Fargate: task definition, roles, service, load-balancer routing, autoscaling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from components import aws, iam
from components.base import AwsContext, PlatformComponent
from components.logs import LogClass, LogSettings, awslogs, encrypted_log_group
from components.release_strategy import ReleaseStrategy, deployment_configuration
from components.security_groups import EgressTarget, Peer, task_security_group, tcp_rule

CONTAINER_USER = "10001"
# Writable scratch space of the read-only root filesystem: (task volume, container path). The image must own
# the path for CONTAINER_USER and declare it a VOLUME (app/Dockerfile, app/README.md explain why).
SCRATCH_MOUNTS: tuple[tuple[str, str], ...] = (("tmp", "/tmp"),)
# ECS Exec with a read-only root filesystem. AWS documents the conflict: "The SSM agent requires that the container
# file system is able to be written to ... making the root file system read-only ... isn't supported" (ECS Exec
# considerations, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html). Design chosen: keep
# the root read-only and give the agent writable task volumes at the paths it writes, the community practice
# of aws/containers-roadmap#1359 (and aws-containers/amazon-ecs-exec-checker#71), not AWS documentation. Why not
# a writable root where Exec is on (staging): the app would then run on another filesystem in staging than in
# production, FSBP ECS.5 would fail there, and a bug that writes to the root would pass staging. The trade-off:
# if a future agent writes elsewhere, Exec stops working (the service keeps running); docs/runbooks/ecs-exec.md
# says how to tell. The agent runs as root whatever the container's user ("The SSM agent and its child processes
# run as root"), so these root-owned volumes need nothing from the image.
EXEC_AGENT_MOUNTS: tuple[tuple[str, str], ...] = (
    ("exec-managed-agents", "/managed-agents"),
    ("exec-ssm-state", "/var/lib/amazon/ssm"),
    ("exec-ssm-logs", "/var/log/amazon/ssm"),
)
# ECS Exec talks to SSM Session Manager; these actions support no resource-level permissions.
EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


# AWS ranges the argument groups check before anything is declared (looked up 2026-12-03):
# - ECS API CapacityProviderStrategyItem: `base` 0..100000, `weight` 0..1000
#   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html);
# - ECS ContainerDefinition `stopTimeout`: "For tasks that use the Fargate launch type, the max stop timeout value is
#   120 seconds and if the parameter is not specified, the default value of 30 seconds is used" (ECS API reference);
# - ECS CreateService `healthCheckGracePeriodSeconds`: "up to 2,147,483,647 seconds", default 0 (ECS API reference).
# - ELB TargetGroupAttribute: `deregistration_delay.timeout_seconds` 0..3600 (default 300),
#   `slow_start.duration_seconds` 30..900, 0 to disable
#   (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html).
DEREGISTRATION_DELAY_RANGE = (0, 3600)
SLOW_START_RANGE = (30, 900)
CAPACITY_BASE_RANGE = (0, 100_000)
CAPACITY_WEIGHT_RANGE = (0, 1_000)
FARGATE_STOP_TIMEOUT_MAX = 120
HEALTH_CHECK_GRACE_MAX = 2_147_483_647


@dataclass(frozen=True)
class SecretRef:
    """An environment variable filled from Secrets Manager (optionally one JSON key of the secret)."""

    env_name: str
    """Name of the environment variable the container sees (e.g. `STRIPE_API_KEY`); required."""
    secret_arn: pulumi.Input[str]
    """ARN of the Secrets Manager secret; required. The execution role may read exactly the ARNs given here."""
    json_key: str | None = None
    """One key of a JSON secret (ECS `valueFrom` `<arn>:<key>::`); default None: the whole secret string."""


@dataclass(frozen=True)
class Routing:
    """How the load balancer reaches a web service."""

    listener_arn: pulumi.Input[str]
    """The production listener (LoadBalancer.listener_arn) the service's rule sits on; required."""
    load_balancer_security_group_id: pulumi.Input[str]
    """The load balancer's security group: the only source admitted on the container port, and given an egress
    rule to the tasks; required."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """The load balancer's `arnSuffix` (`app/<name>/<id>`); with the target group's suffix it makes the resource
    label of the ALBRequestCountPerTarget scaling policy; required."""
    priority: int
    """Priority of the service's listener rule, unique on the listener (1..50000, ELB API CreateRule); required
    (the config gives 10, 20, ... by service name unless set)."""
    path_patterns: Sequence[str]
    """Values of the rule's path-pattern condition (e.g. `/api/*`); required, at least one."""
    host_headers: Sequence[str] = field(default_factory=tuple)
    """Values of the rule's host-header condition; default none: any host name."""
    origin_header: tuple[str, pulumi.Input[str]] | None = None
    """(name, secret value) of the header the edge adds; when set, the production rule requires it, so requests
    that bypass CloudFront match no rule. Default None: no header condition."""
    deregistration_delay_seconds: int = 30
    """Seconds the ALB keeps draining a deregistering task before ECS stops it (0..3600, ELB target group
    attribute). Default 30 rather than ELB's 300: enough for in-flight API requests, where 300 would add almost
    five minutes to every deployment batch and every scale-in."""
    slow_start_seconds: int = 0
    """Seconds a new task's share of requests ramps up: 0 (off) or 30..900 (ELB target group attribute). Default 0:
    a new task gets its full share once healthy. ELB cannot combine slow start with least outstanding requests,
    so a service with slow start is routed round robin (see `algorithm`)."""
    test_listener_arn: pulumi.Input[str] | None = None
    """The load balancer's test listener (LoadBalancer.test_listener_arn). A non-rolling release puts its test
    listener rule there, with the production rule's path and host conditions. Default None: no test rule (rolling
    services never need one)."""

    def __post_init__(self) -> None:
        low, high = DEREGISTRATION_DELAY_RANGE
        if not low <= self.deregistration_delay_seconds <= high:
            raise ValueError(
                f"deregistration_delay_seconds {self.deregistration_delay_seconds}: ELB allows {low}..{high}"
            )
        low, high = SLOW_START_RANGE
        if self.slow_start_seconds != 0 and not low <= self.slow_start_seconds <= high:
            raise ValueError(f"slow_start_seconds {self.slow_start_seconds}: ELB allows 0 (off) or {low}..{high}")
        if not self.path_patterns:
            raise ValueError("path_patterns: a listener rule needs at least one path pattern ('/*' routes every path)")

    @property
    def algorithm(self) -> str:
        """The target groups' `load_balancing.algorithm.type`: least outstanding requests (a slow task gets fewer
        requests, where round robin would queue behind it), except with slow start, which ELB refuses beside it:
        "You cannot enable both slow start mode and least outstanding requests" (ELB user guide, target groups;
        awsdocs/elb-application-load-balancers-user-guide doc_source/load-balancer-target-groups.md, read
        2026-12-03)."""
        return "round_robin" if self.slow_start_seconds else "least_outstanding_requests"


@dataclass(frozen=True)
class Schedule:
    """A scheduled change of the task-count range (Application Auto Scaling scheduled action)."""

    name: str
    """Short name; the action's logical name is `<service>-<name>`; required."""
    schedule: str
    """When it applies: `cron(...)`, `rate(...)` or `at(...)` (Application Auto Scaling expressions); required."""
    min_count: int
    """Task-count floor from then on; required."""
    max_count: int
    """Task-count ceiling from then on; required."""
    timezone: str = "UTC"
    """IANA time zone of `cron` and `at` expressions; default UTC, Application Auto Scaling's own."""


@dataclass(frozen=True)
class Scaling:
    """The task-count range and how Application Auto Scaling moves within it."""

    min_count: int
    """Floor: tasks that always run; required."""
    max_count: int
    """Ceiling: the cost bound of a traffic spike; required."""
    cpu_target: float = 70.0
    """Average CPU utilisation target tracking keeps, percent; default 70: headroom for a spike while a
    scale-out lands."""
    memory_target: float = 75.0
    """Average memory utilisation target tracking keeps, percent; default 75."""
    requests_per_target: int | None = 1000
    """ALB requests per task per minute (ALBRequestCountPerTarget) tracked on web services; default 1000, the
    Application Auto Scaling guide's example target. None disables it; workers never get it."""
    scale_in_cooldown: int = 300
    """Seconds after a scale-in before the next one; default 300, Application Auto Scaling's default for ECS
    services: scale in slowly."""
    scale_out_cooldown: int = 60
    """Seconds after a scale-out before the next one; default 60, where ECS's default is 300: add capacity
    quickly under load."""
    schedules: Sequence[Schedule] = field(default_factory=tuple)
    """Scheduled range changes; default none."""


@dataclass(frozen=True)
class Deployment:
    """How ECS replaces tasks: the rolling-update floor and ceiling, the health-check grace, the stop timeout and
    the alarms that roll a deployment back. The names are ECS's (`minimumHealthyPercent`, `maximumPercent`), as
    are the config keys (`services.<name>.deployment.*`)."""

    minimum_healthy_percent: int = 100
    """Floor during a deployment: share of the desired tasks that must stay running and healthy, percent (ECS
    `minimumHealthyPercent`, rounded up). Default 100, ECS's own: a deployment never drops below full capacity
    (staging's preset trades that for speed with 50). Non-rolling releases need 100 (a config rule)."""
    maximum_percent: int = 200
    """Ceiling during a deployment: tasks allowed running or pending, percent of the desired count (ECS
    `maximumPercent`, rounded down). Default 200, ECS's own: a full new set can start beside the old one, which
    a floor of 100 needs to make progress. Non-rolling releases need 200 (a config rule)."""
    health_check_grace_seconds: int = 60
    """Seconds ECS ignores failing load-balancer health checks after a task starts (ECS
    `healthCheckGracePeriodSeconds`, up to 2,147,483,647; sent for web services only). Default 60, CDK's default for
    an ECS service behind a load balancer (aws/aws-cdk#2936): room to boot, short enough that a broken revision
    fails its deployment quickly."""
    stop_timeout_seconds: int = 30
    """Seconds between SIGTERM and SIGKILL when a task stops (container `stopTimeout`, at most 120 on Fargate).
    Default 30, Fargate's own; the ALB has drained the task by then (`Routing.deregistration_delay_seconds`)."""
    alarm_names: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """CloudWatch alarms that stop and roll back a deployment (ECS deployment alarms); default none, and then the
    block is left unset (ECS rejects an empty list): the circuit breaker still rolls back."""

    def __post_init__(self) -> None:
        if not 0 <= self.health_check_grace_seconds <= HEALTH_CHECK_GRACE_MAX:
            raise ValueError(f"health_check_grace_seconds {self.health_check_grace_seconds}: ECS allows 0.."
                             f"{HEALTH_CHECK_GRACE_MAX}")  # fmt: skip
        if not 0 <= self.stop_timeout_seconds <= FARGATE_STOP_TIMEOUT_MAX:
            raise ValueError(f"stop_timeout_seconds {self.stop_timeout_seconds}: Fargate allows at most "
                             f"{FARGATE_STOP_TIMEOUT_MAX}")  # fmt: skip


@dataclass(frozen=True)
class Capacity:
    """Where tasks run: a base on on-demand Fargate, then FARGATE and FARGATE_SPOT by weight."""

    on_demand_base: int = 0
    """Tasks that always run on on-demand FARGATE before any weight applies (capacity provider `base`,
    0..100000). Default 0; the services tier passes the autoscaling floor, so the baseline never runs on Spot."""
    spot_weight: int = 0
    """FARGATE_SPOT's weight against FARGATE's 1 for the tasks above the base (0..1000). Default 0 = on-demand
    only: AWS may reclaim a Spot task with a two-minute warning, a trade a service opts into (staging's preset
    uses 1: half of the tasks above the base)."""

    def __post_init__(self) -> None:
        for key, value, (low, high) in (
            ("on_demand_base", self.on_demand_base, CAPACITY_BASE_RANGE),
            ("spot_weight", self.spot_weight, CAPACITY_WEIGHT_RANGE),
        ):
            if not low <= value <= high:
                raise ValueError(f"{key} {value}: ECS allows {low}..{high}")


@dataclass(frozen=True)
class EcsExec:
    """ECS Exec: audited shell access to running tasks through SSM Session Manager."""

    enabled: bool = False
    """Allow ECS Exec (`enableExecuteCommand`) and give the SSM agent its writable volumes; default False: no
    shell into a task unless asked (staging's preset turns it on)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """The key that encrypts Exec sessions (the cluster's execute-command configuration): the task role may use
    it; default None: no key grant."""
    log_group_name: pulumi.Input[str] | None = None
    """The cluster's Exec audit log group: the task role may write session logs there and nowhere else; default
    None: no log grant."""


@dataclass(frozen=True)
class ContainerServiceArgs:
    """Arguments of `ContainerService`. The services tier fills them from `services.<name>` and the presets
    (docs/config-reference.md)."""

    context: AwsContext
    """Account, Region and partition: role trust, the awslogs Region, the Exec log ARN; required."""
    tags: Mapping[str, str]
    """Tags on every taggable child (plus a `Name`); required."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster the service runs in; required."""
    cluster_name: pulumi.Input[str]
    """Its name, for the autoscaling resource ID `service/<cluster>/<service>`; required."""
    vpc_id: pulumi.Input[str]
    """The VPC of the task security group and the target groups; required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets the tasks run in, never with a public IP (FSBP ECS.2); required."""
    image_ref: pulumi.Input[str]
    """The image the container runs, by digest (`<repository>@sha256:...`); for a CI-owned service its release
    pointer's value; required."""
    family: str
    """Task definition family (`<project>-<env>-<service>`), by which releases and rollbacks address revisions;
    required."""
    cpu: int
    """Fargate CPU units (256..16384); required, paired with `memory` as Fargate allows (the config checks it)."""
    memory: int
    """Task memory in MiB, a size Fargate pairs with `cpu`; required."""
    desired_count: int
    """Tasks the first deployment starts; required. Afterwards Application Auto Scaling owns the count and later
    changes are ignored."""
    scaling: Scaling
    """The task-count range and its target tracking and schedules; required."""
    logs: LogSettings
    """Key and retention of the service's log group (application logs); required."""
    architecture: Literal["ARM64", "X86_64"] = "ARM64"
    """CPU architecture of the task; default ARM64 (Graviton), what the sample image is built for and the lower
    Fargate rate (offline/cost/prices.json holds both, with their source). X86_64 for images without an arm64
    build."""
    repository_arn: pulumi.Input[str] | None = None
    """The service's own ECR repository, the only one the execution role may pull from; default None (a prebuilt
    image from elsewhere: no ECR grant)."""
    container_port: int | None = None
    """Port the container serves HTTP on; required with `routing` (a web service); default None: a worker."""
    routing: Routing | None = None
    """How the load balancer reaches the service; required with `container_port`; default None: a worker."""
    health_check_path: str = "/health"
    """Path the target groups' health check calls (HTTP 200 expected); default `/health`, the sample app's
    dependency-aware endpoint."""
    liveness_command: Sequence[str] | None = None
    """Container health check (ECS `healthCheck`: every 30 s, 3 retries, 15 s start period); default None: no
    container check, the load balancer's check is the readiness signal."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (the config refuses credentials there); default none."""
    secrets: Sequence[SecretRef] = field(default_factory=tuple)
    """Secrets injected as environment variables; default none."""
    secret_kms_key_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Keys that encrypt those secrets: the execution role may decrypt with them, through Secrets Manager in this
    Region only; default none (AWS-managed keys need no grant)."""
    task_role_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    """The application's own IAM statements (e.g. `rds-db:connect`); default none: the application may call
    nothing."""
    deployment: Deployment = field(default_factory=Deployment)
    """Rolling-update floor and ceiling, health-check grace, stop timeout and rollback alarms; default ECS's own
    safe values (100/200, no rollback alarms)."""
    capacity: Capacity = field(default_factory=Capacity)
    """On-demand base and Spot weight; default on-demand only."""
    ecs_exec: EcsExec = field(default_factory=EcsExec)
    """ECS Exec; default off."""
    egress_https_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """IPv4 ranges the tasks may reach on port 443. Default `0.0.0.0/0`: the tasks call AWS APIs (ECR, Secrets
    Manager, CloudWatch Logs, SSM for Exec) through the NAT gateway wherever no interface endpoint exists (staging
    has none), and those public addresses are neither fixed nor published per service, so no narrower range works;
    only HTTPS is open, and interface endpoints (production) keep that traffic inside the VPC."""
    egress_targets: Sequence[EgressTarget] = field(default_factory=tuple)
    """Security groups the tasks may reach on their port besides HTTPS (the database); default none."""
    release: ReleaseStrategy | None = None
    """How ECS deploys new revisions (components/release_strategy.py). Default None: rolling, what ECS does
    without a strategy. Blue/green, canary and linear need `routing` (a web service)."""


class ContainerService(PlatformComponent):
    """Safe deploys by default: circuit breaker and alarms roll back, capacity never drops below the
    healthy floor, and the count is left to autoscaling once the service exists."""

    service: aws.ecs.Service
    """The ECS service (escape hatch)."""
    task_definition: aws.ecs.TaskDefinition
    """The task definition; old revisions stay registered for rollbacks (escape hatch)."""
    security_group: aws.ec2.SecurityGroup
    """The tasks' security group (escape hatch): the load balancer in on the container port, HTTPS and the
    egress targets out."""
    log_group: aws.cloudwatch.LogGroup
    """The service's encrypted log group (escape hatch)."""
    task_role: aws.iam.Role
    """The application's role (escape hatch); hand out `task_role_arn`, ready once its policy is attached."""
    execution_role: aws.iam.Role
    """The ECS agent's role: pull the image, write logs, read the secrets (escape hatch)."""
    target_group: aws.lb.TargetGroup | None
    """The service's (first) target group (escape hatch); None for a worker."""
    alternate_target_group: aws.lb.TargetGroup | None
    """The second target group of a non-rolling release (escape hatch); None when rolling or a worker."""
    listener_rule: aws.lb.ListenerRule | None
    """The rule on the production listener (escape hatch); None for a worker. ECS owns its action when the
    release is not rolling."""
    test_listener_rule: aws.lb.ListenerRule | None
    """The rule on the test listener (escape hatch); None when rolling, a worker, or without a test listener."""
    infrastructure_role: aws.iam.Role | None
    """The role ECS assumes to shift traffic between the two target groups (escape hatch); None when rolling or a
    worker."""
    autoscaling_target: aws.appautoscaling.Target
    """The scalable target of the task count (escape hatch)."""
    scaling_policies: list[aws.appautoscaling.Policy]
    """Target tracking policies: CPU, memory and, for a web service, requests per target (escape hatches)."""
    scheduled_actions: list[aws.appautoscaling.ScheduledAction]
    """One scheduled action per `Scaling.schedules` entry (escape hatches)."""
    service_name: pulumi.Output[str]
    """The ECS service's name (as the service is named in config)."""
    security_group_id: pulumi.Output[str]
    """The tasks' security group ID: the database and other peers admit it."""
    task_role_arn: pulumi.Output[str]
    """ARN of the task role, resolved once its policy is attached."""
    execution_role_arn: pulumi.Output[str]
    """ARN of the execution role, resolved once its policy is attached."""
    log_group_name: pulumi.Output[str]
    """Name of the service's log group (error-log alarms and `ops` read it)."""
    task_definition_family: pulumi.Output[str]
    """The task definition family, by which `ops rollback` finds earlier revisions."""
    release_targets: list[pulumi.Output[str]]
    """URNs of the task definition and the service: what a release changes (`ops release` runs `pulumi up
    --target` on exactly these)."""
    target_group_arn: pulumi.Output[str] | None
    """ARN of the first target group (None for a worker)."""
    target_group_arn_suffix: pulumi.Output[str] | None
    """Its CloudWatch dimension value (`targetgroup/<name>/<id>`); None for a worker."""
    release_strategy: str
    """The release strategy as configured: "rolling", "blue_green", "canary" or "linear"."""
    alternate_target_group_arn: pulumi.Output[str] | None
    """ARN of the second target group ECS registers the new revision in (None when rolling or a worker). Which of
    the two serves production changes with every release; dashboards and alarms watch both."""
    alternate_target_group_arn_suffix: pulumi.Output[str] | None
    """Its CloudWatch dimension value (`targetgroup/<name>/<id>`); None when rolling or a worker."""

    def __init__(self, name: str, args: ContainerServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("service", name, args.tags, opts)
        web = _web(args)
        release = release_of(args)
        self.release_strategy = release.strategy
        self.log_group = self._log_group(name, args)
        execution = self._execution_role(name, args, self.log_group)
        task = self._task_role(name, args)
        self.task_definition = self._task_definition(name, args, execution, task, self.log_group)
        self.security_group = self._security_group(name, args)
        routes = self._routes(name, args, web, self.security_group, release) if web is not None else None
        infrastructure = self._infrastructure_role(name, args, routes) if routes and routes.alternate else None
        self.service = self._service(
            name,
            args,
            task_definition=self.task_definition,
            sg=self.security_group,
            routes=routes,
            infrastructure=infrastructure,
            release=release,
        )
        scaling = self._autoscaling(name, args, self.service, _request_label(web, routes))
        self.autoscaling_target, self.scaling_policies, self.scheduled_actions = scaling
        self.execution_role, self.task_role = execution.role, task.role
        self.infrastructure_role = infrastructure.role if infrastructure is not None else None
        self.target_group = routes.primary if routes else None
        self.alternate_target_group = routes.alternate if routes else None
        self.listener_rule = routes.production if routes else None
        self.test_listener_rule = routes.test if routes else None
        self.service_name = self.service.name
        self.security_group_id = self.security_group.id
        self.task_role_arn = task.arn
        self.execution_role_arn = execution.arn
        self.log_group_name = self.log_group.name
        self.task_definition_family = self.task_definition.family
        self.target_group_arn = self.target_group.arn if self.target_group else None
        self.target_group_arn_suffix = self.target_group.arn_suffix if self.target_group else None
        alternate = self.alternate_target_group
        self.alternate_target_group_arn = alternate.arn if alternate else None
        self.alternate_target_group_arn_suffix = alternate.arn_suffix if alternate else None
        # What a release changes: `ops release` applies only these (`pulumi up --target`).
        self.release_targets = [self.task_definition.urn, self.service.urn]
        self.register_declared_outputs()

    # -- steps ------------------------------------------------------------------------------------------------
    def _log_group(self, name: str, args: ContainerServiceArgs) -> aws.cloudwatch.LogGroup:
        return encrypted_log_group(
            f"{name}-logs", logs=args.logs, log_class=LogClass.APPLICATION, tags=self.tags_for("logs"), parent=self
        )

    def _execution_role(
        self, name: str, args: ContainerServiceArgs, log_group: aws.cloudwatch.LogGroup
    ) -> iam.GrantedRole:
        return iam.role_with_policy(
            f"{name}-execution",
            service="ecs-tasks.amazonaws.com",
            account_id=args.context.account_id,
            description=f"ECS agent for {name}: pull its image, write its logs, read only its secrets",
            statements=_execution_statements(args, log_group.arn),
            tags=self.tags_for("execution"),
            parent=self,
        )

    def _task_role(self, name: str, args: ContainerServiceArgs) -> iam.GrantedRole:
        return iam.role_with_policy(
            f"{name}-task",
            service="ecs-tasks.amazonaws.com",
            account_id=args.context.account_id,
            description=f"Application permissions of {name}",
            statements=_task_statements(args),
            tags=self.tags_for("task"),
            parent=self,
        )

    def _task_definition(
        self,
        name: str,
        args: ContainerServiceArgs,
        execution: iam.GrantedRole,
        task: iam.GrantedRole,
        log_group: aws.cloudwatch.LogGroup,
    ) -> aws.ecs.TaskDefinition:
        container = _container_definition(name, args, log_group.name)
        return aws.ecs.TaskDefinition(
            name,
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"cpu_architecture": args.architecture, "operating_system_family": "LINUX"},
            execution_role_arn=execution.arn,
            task_role_arn=task.arn,
            container_definitions=pulumi.Output.json_dumps([container]),
            volumes=[{"name": volume} for volume, _ in _writable_mounts(args.ecs_exec.enabled)],
            # Keep old revisions registered: a rollback (ops rollback, or ECS's own circuit breaker) needs them.
            skip_destroy=True,
            tags=self.tags_for(),
            # Fully managed whoever owns releases: a CI-owned service gets its image from its release pointer.
            opts=self.child(),
        )

    def _security_group(self, name: str, args: ContainerServiceArgs) -> aws.ec2.SecurityGroup:
        return task_security_group(
            name,
            vpc_id=args.vpc_id,
            description=f"Tasks of {name}: from its load balancer only; HTTPS out",
            https_cidrs=args.egress_https_cidrs,
            https_description="HTTPS to AWS APIs and external services (via NAT or VPC endpoints)",
            targets=args.egress_targets,
            tags_for=self.tags_for,
            parent=self,
        )

    def _service(
        self,
        name: str,
        args: ContainerServiceArgs,
        *,
        task_definition: aws.ecs.TaskDefinition,
        sg: aws.ec2.SecurityGroup,
        routes: _Routes | None,
        infrastructure: iam.GrantedRole | None,
        release: ReleaseStrategy,
    ) -> aws.ecs.Service:
        """Application Auto Scaling owns the task count once the service exists: `desired_count` only sizes the
        first deployment. Managed here, every `pulumi up` would reset a scaled-out service to it and the daily
        `preview --refresh --expect-no-changes` would fail whenever autoscaling had moved it (the practice of
        terraform-aws-modules/ecs, whose service module always ignores desired_count). The task definition stays
        managed for every service: releases go through Pulumi (components/release_pointer.py)."""
        deployment = args.deployment
        load_balancers: list[Any] = [_load_balancer_entry(name, routes, infrastructure)] if routes is not None else []
        return aws.ecs.Service(
            name,
            cluster=args.cluster_arn,
            task_definition=task_definition.arn,
            desired_count=args.desired_count,
            capacity_provider_strategies=_capacity(args.capacity),
            platform_version="LATEST",
            network_configuration=_network(args.subnet_ids, sg.id),
            load_balancers=load_balancers,
            health_check_grace_period_seconds=deployment.health_check_grace_seconds if load_balancers else None,
            # Both stay on whatever the strategy: "Both methods [circuit breaker, CloudWatch alarms] only support
            # rolling update deployment and blue/green deployment types"
            # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html).
            deployment_circuit_breaker={"enable": True, "rollback": True},
            alarms=_deployment_alarms(deployment.alarm_names),
            deployment_minimum_healthy_percent=deployment.minimum_healthy_percent,
            deployment_maximum_percent=deployment.maximum_percent,
            deployment_configuration=_as_input(deployment_configuration(release)),
            deployment_controller={"type": "ECS"},
            availability_zone_rebalancing="ENABLED",
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            enable_execute_command=args.ecs_exec.enabled,
            wait_for_steady_state=False,
            tags=self.tags_for(),
            opts=self.child(
                depends_on=routes.rules if routes is not None else [],
                ignore_changes=["desiredCount", *_ecs_owned_service_inputs(release)],
            ),
        )

    def _routes(
        self,
        name: str,
        args: ContainerServiceArgs,
        web: tuple[Routing, int],
        sg: aws.ec2.SecurityGroup,
        release: ReleaseStrategy,
    ) -> _Routes:
        """Security-group rules, the target group(s) and the listener rule(s) of a web service. A non-rolling
        release gets a second (alternate) target group, a weighted production rule and a test listener rule."""
        routing, port = web
        self._load_balancer_rules(name, routing, port, sg)
        primary = self._target_group(name, args, routing, port)
        if release.rolling:
            action = {"type": "forward", "target_group_arn": primary.arn}
            rule = self._listener_rule(name, routing.listener_arn, routing, action, include_origin=True)
            return _Routes(primary, None, rule, None, port)
        alternate = self._target_group(alternate_target_group_name(name), args, routing, port)
        owned = not release.adopting
        if release.adopting:
            pulumi.log.warn(
                f"{name}: release.adopt writes what ECS owns during releases; remove it after this update", self
            )
        production = self._listener_rule(
            name, routing.listener_arn, routing, _weighted(primary, alternate, 100), include_origin=True, owned=owned
        )
        test = None
        if routing.test_listener_arn is not None:
            # No origin-header condition: only the smoke-test hook's security group reaches the test port, and the
            # hook would otherwise need the edge's secret.
            test = self._listener_rule(
                f"{name}-test",
                routing.test_listener_arn,
                routing,
                _weighted(primary, alternate, 0),
                include_origin=False,
                owned=owned,
            )
        return _Routes(primary, alternate, production, test, port)

    def _load_balancer_rules(self, name: str, routing: Routing, port: int, sg: aws.ec2.SecurityGroup) -> None:
        """The container port, opened between the load balancer's group and the tasks' group only."""
        tcp_rule(
            f"{name}-from-alb",
            "ingress",
            security_group_id=sg.id,
            port=port,
            peer=Peer(security_group_id=routing.load_balancer_security_group_id),
            description=f"Container port {port} from the load balancer only",
            tags=self.tags_for("from-alb"),
            parent=self,
        )
        tcp_rule(
            f"{name}-alb-to-tasks",
            "egress",
            security_group_id=routing.load_balancer_security_group_id,
            port=port,
            peer=Peer(security_group_id=sg.id),
            description=f"Load balancer to {name} tasks on port {port}",
            tags=self.tags_for("alb-to-tasks"),
            parent=self,
        )

    def _target_group(
        self, logical: str, args: ContainerServiceArgs, routing: Routing, port: int
    ) -> aws.lb.TargetGroup:
        """One target group; the primary and the alternate share every setting, as AWS requires of the pair
        (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html)."""
        return aws.lb.TargetGroup(
            logical,
            vpc_id=args.vpc_id,
            target_type="ip",
            port=port,
            protocol="HTTP",
            protocol_version="HTTP1",
            deregistration_delay=routing.deregistration_delay_seconds,
            slow_start=routing.slow_start_seconds,
            load_balancing_algorithm_type=routing.algorithm,
            health_check={
                "enabled": True,
                "path": args.health_check_path,
                "protocol": "HTTP",
                "port": "traffic-port",
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=self.tags_for(None if logical == self._name else logical.removeprefix(f"{self._name}-")),
            opts=self.child(),
        )

    def _listener_rule(
        self,
        logical: str,
        listener_arn: pulumi.Input[str],
        routing: Routing,
        action: Any,
        *,
        include_origin: bool,
        owned: bool = True,
    ) -> aws.lb.ListenerRule:
        """`owned`: ECS owns a weighted rule's action (ignored), except while a release is being adopted."""
        weighted = "forward" in action and owned
        return aws.lb.ListenerRule(
            logical,
            listener_arn=listener_arn,
            priority=routing.priority,
            conditions=_conditions(routing, include_origin=include_origin),
            actions=[action],
            tags=self.tags_for(None if logical == self._name else logical.removeprefix(f"{self._name}-")),
            # ECS owns a weighted rule's forward action: it moves the weights during every release and leaves the
            # new revision's group at 100 afterwards, rewriting even a plain forward into a weighted one
            # (go-to-k/cdk-real-drift#1730, observed live; terraform-aws-modules/terraform-aws-alb#409: the
            # rotated weights show as drift). Without this, the next `pulumi up` would send production back to
            # whichever group was declared first, which after an even number of releases holds no tasks. Only the
            # whole `actions` is ignored: element paths such as `actions[0].forward.targetGroups[*].weight` are
            # unreliable on this set-typed block (pulumi/pulumi-aws#5771) and, for a new entry, silently send
            # weight 1 (pulumi/pulumi-aws#5772). A rolling rule stays fully managed, and so does a weighted one on
            # the run that adopts an existing service (ignoreChanges would keep its old plain forward).
            opts=self.child(ignore_changes=["actions"] if weighted else None),
        )

    def _infrastructure_role(self, name: str, args: ContainerServiceArgs, routes: _Routes) -> iam.GrantedRole:
        """The role ECS assumes to register tasks and move listener-rule weights, scoped to this service."""
        return iam.role_with_policy(
            f"{name}-lb-infra",
            service="ecs.amazonaws.com",
            account_id=args.context.account_id,
            description=f"ECS infrastructure role for {name}: shifts traffic between its two target groups only",
            statements=load_balancer_infrastructure_statements(
                target_groups=[routes.primary.arn, *([routes.alternate.arn] if routes.alternate else [])],
                rules=[rule.arn for rule in routes.rules],
            ),
            tags=self.tags_for("lb-infra"),
            parent=self,
        )

    def _autoscaling(
        self, name: str, args: ContainerServiceArgs, service: aws.ecs.Service, request_label: pulumi.Output[str] | None
    ) -> tuple[aws.appautoscaling.Target, list[aws.appautoscaling.Policy], list[aws.appautoscaling.ScheduledAction]]:
        """The scalable target, its target tracking policies (requests per target only with a label: web services)
        and its scheduled actions."""
        scaling = args.scaling
        target = aws.appautoscaling.Target(
            name,
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", service.name),
            min_capacity=scaling.min_count,
            max_capacity=scaling.max_count,
            tags=self.tags_for(),
            opts=self.child(),
        )
        metrics: list[tuple[str, str, float, pulumi.Input[str] | None]] = [
            ("cpu", "ECSServiceAverageCPUUtilization", scaling.cpu_target, None),
            ("memory", "ECSServiceAverageMemoryUtilization", scaling.memory_target, None),
        ]
        if scaling.requests_per_target is not None and request_label is not None:
            metrics.append(("requests", "ALBRequestCountPerTarget", float(scaling.requests_per_target), request_label))
        policies = [
            aws.appautoscaling.Policy(
                f"{name}-{suffix}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": value,
                    "scale_in_cooldown": scaling.scale_in_cooldown,
                    "scale_out_cooldown": scaling.scale_out_cooldown,
                    "disable_scale_in": False,
                    "predefined_metric_specification": {"predefined_metric_type": metric, "resource_label": label},
                },
                opts=self.child(),
            )
            for suffix, metric, value, label in metrics
        ]
        return target, policies, [self._scheduled_action(name, target, schedule) for schedule in scaling.schedules]

    def _scheduled_action(
        self, name: str, target: aws.appautoscaling.Target, schedule: Schedule
    ) -> aws.appautoscaling.ScheduledAction:
        return aws.appautoscaling.ScheduledAction(
            f"{name}-{schedule.name}",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            schedule=schedule.schedule,
            timezone=schedule.timezone,
            scalable_target_action={"min_capacity": schedule.min_count, "max_capacity": schedule.max_count},
            opts=self.child(),
        )


def _web(args: ContainerServiceArgs) -> tuple[Routing, int] | None:
    """(routing, container port) of a web service; None for a worker. Either both are given or neither."""
    if (args.routing is None) != (args.container_port is None):
        raise ValueError("a web service needs both container_port and routing; a worker neither")
    if args.routing is None or args.container_port is None:
        return None
    return args.routing, args.container_port


def _request_label(web: tuple[Routing, int] | None, routes: _Routes | None) -> pulumi.Output[str] | None:
    """The ALBRequestCountPerTarget resource label `app/<lb>/<id>/targetgroup/<tg>/<id>`; None for a worker."""
    if web is None or routes is None:
        return None
    return pulumi.Output.concat(web[0].load_balancer_arn_suffix, "/", routes.primary.arn_suffix)


def _load_balancer_entry(name: str, routes: _Routes, infrastructure: iam.GrantedRole | None) -> dict[str, Any]:
    """The service's `load_balancers` entry; a non-rolling release adds the advanced configuration ECS needs to
    shift traffic between the two groups."""
    entry: dict[str, Any] = {
        "target_group_arn": routes.primary.arn,
        "container_name": name,
        "container_port": routes.port,
    }
    if routes.alternate is None or infrastructure is None:
        return entry
    entry["advanced_configuration"] = {
        "alternate_target_group_arn": routes.alternate.arn,
        "production_listener_rule": routes.production.arn,
        "test_listener_rule": routes.test.arn if routes.test is not None else None,
        "role_arn": infrastructure.arn,
    }
    return entry


def _capacity(capacity: Capacity) -> list[Any]:
    """On-demand FARGATE with the base and weight 1; FARGATE_SPOT beside it only with a positive weight."""
    strategies: list[Any] = [{"capacity_provider": "FARGATE", "base": capacity.on_demand_base, "weight": 1}]
    if capacity.spot_weight > 0:
        strategies.append({"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": capacity.spot_weight})
    return strategies


def _execution_statements(args: ContainerServiceArgs, log_group_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
    """The ECS agent's grants: write its own log group, pull its own image, read and decrypt only its secrets."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": log_group_arn.apply(lambda arn: f"{arn}:*"),
        }
    ]
    if args.repository_arn is not None:
        statements += [
            # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullOwnImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": args.repository_arn,
            },
        ]
    if args.secrets:
        statements.append(
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": _sorted_unique([s.secret_arn for s in args.secrets]),
            }
        )
    if args.secret_kms_key_arns:
        statements.append(
            {
                "Sid": "DecryptOwnSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": _sorted_unique(args.secret_kms_key_arns),
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{args.context.region}.amazonaws.com"}
                },
            }
        )
    return statements


def _task_statements(args: ContainerServiceArgs) -> list[Mapping[str, Any]]:
    """The application's own statements, plus ECS Exec's (SSM channels, the audit log group, the session key)
    when Exec is on."""
    statements = list(args.task_role_statements)
    if args.ecs_exec.enabled:
        statements.append({"Sid": "EcsExecChannels", "Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"})
        if args.ecs_exec.log_group_name is not None:
            log_arn = pulumi.Output.concat(
                "arn:", args.context.partition, ":logs:", args.context.region, ":", args.context.account_id,
                ":log-group:", args.ecs_exec.log_group_name, ":*",
            )  # fmt: skip
            statements.append(
                {
                    "Sid": "EcsExecAudit",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": log_arn,
                }
            )
        statements.append(
            {"Sid": "EcsExecLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"}
        )
        if args.ecs_exec.kms_key_arn is not None:
            statements.append(
                {"Sid": "EcsExecSessionKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                 "Resource": args.ecs_exec.kms_key_arn}
            )  # fmt: skip
    return statements


def _container_definition(name: str, args: ContainerServiceArgs, log_group_name: pulumi.Output[str]) -> dict[str, Any]:
    """The one container: non-root, read-only root with writable scratch volumes, an init process, secrets by
    reference, non-blocking logs, and the liveness check when given."""
    container: dict[str, Any] = {
        "name": name,
        "image": args.image_ref,
        "essential": True,
        "user": CONTAINER_USER,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "stopTimeout": args.deployment.stop_timeout_seconds,
        # Writable scratch space (and the ECS Exec agent's paths) for a read-only root filesystem.
        "mountPoints": [
            {"sourceVolume": volume, "containerPath": path, "readOnly": False}
            for volume, path in _writable_mounts(args.ecs_exec.enabled)
        ],
        "linuxParameters": {"initProcessEnabled": True},
        "environment": [{"name": k, "value": v} for k, v in sorted(args.environment.items())],
        "secrets": [
            {
                "name": ref.env_name,
                "valueFrom": pulumi.Output.concat(ref.secret_arn, f":{ref.json_key}::")
                if ref.json_key
                else ref.secret_arn,
            }
            for ref in args.secrets
        ],
        "logConfiguration": awslogs(log_group_name, args.context.region, name, non_blocking=True),
    }
    if args.container_port is not None:
        container["portMappings"] = [{"containerPort": args.container_port, "protocol": "tcp", "name": "http"}]
    if args.liveness_command:
        container["healthCheck"] = {
            "command": list(args.liveness_command),
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 15,
        }
    return container


def release_of(args: ContainerServiceArgs) -> ReleaseStrategy:
    """The service's release strategy (rolling when unset); a worker has no load balancer to shift, so only rolls."""
    release = args.release or ReleaseStrategy()
    if not release.rolling and args.routing is None:
        raise ValueError(f"release strategy {release.strategy} shifts load-balancer traffic: a worker only rolls")
    return release


# Target group names: Pulumi auto-names a target group `<logical name>-<7 hex characters>` and refuses a name
# over AWS's 32-character limit instead of truncating it (pulumi-aws maps aws_lb_target_group's name to an
# auto-name of at most 32 characters; pulumi/pulumi sdk resource.NewUniqueHex: "name '...' plus 7 random chars is
# longer than maximum length 32"). So a logical name may have at most 24 characters; service names have at most
# 20 (infra/config/model.py), which leaves the 4 of "-alt".
TARGET_GROUP_NAME_MAX = 32
AUTONAME_SUFFIX = 8  # "-" and 7 random hex characters
ALTERNATE_SUFFIX = "-alt"
SERVICE_NAME_MAX = TARGET_GROUP_NAME_MAX - AUTONAME_SUFFIX - len(ALTERNATE_SUFFIX)


def alternate_target_group_name(service: str) -> str:
    """`<service>-alt`: the alternate target group's logical name, checked against the 32-character limit."""
    logical = f"{service}{ALTERNATE_SUFFIX}"
    if len(logical) + AUTONAME_SUFFIX > TARGET_GROUP_NAME_MAX:
        raise ValueError(
            f"target group {logical!r} would be auto-named with {len(logical) + AUTONAME_SUFFIX} characters; "
            f"AWS allows {TARGET_GROUP_NAME_MAX} (service names: at most {SERVICE_NAME_MAX} characters)"
        )
    return logical


@dataclass(frozen=True)
class _Routes:
    """What the routing step built: the target group(s) and the listener rule(s) ECS shifts traffic with."""

    primary: aws.lb.TargetGroup
    """The service's first target group (the `load_balancers` entry's `target_group_arn`)."""
    alternate: aws.lb.TargetGroup | None
    """The second group of a non-rolling release; None when the service rolls."""
    production: aws.lb.ListenerRule
    """The rule on the production listener (weighted over both groups when non-rolling)."""
    test: aws.lb.ListenerRule | None
    """The rule on the test listener; None when rolling or when the load balancer has no test listener."""
    port: int
    """The container port the groups forward to (the `load_balancers` entry's `container_port`)."""

    @property
    def rules(self) -> list[aws.lb.ListenerRule]:
        return [self.production, *([self.test] if self.test is not None else [])]


def _conditions(routing: Routing, *, include_origin: bool) -> list[Any]:
    conditions: list[Any] = [{"path_pattern": {"values": list(routing.path_patterns)}}]
    if routing.host_headers:
        conditions.append({"host_header": {"values": list(routing.host_headers)}})
    if include_origin and routing.origin_header is not None:
        header_name, header_value = routing.origin_header
        conditions.append({"http_header": {"http_header_name": header_name, "values": [header_value]}})
    return conditions


def _weighted(primary: aws.lb.TargetGroup, alternate: aws.lb.TargetGroup, primary_weight: int) -> dict[str, Any]:
    """A forward action over both groups, as ECS requires of its production and test rules ("Both targetGroup and
    alternateTargetGroup must be associated with the productionListenerRule or testListenerRule"); weights
    0..999 (ELB API TargetGroupTuple). Production starts on the primary (100/0), the test rule on the alternate
    (0/100), where ECS registers the new revision first. One forward action and nothing else: ECS fails a release
    whose rules mix forward and non-forward actions
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html, Limitations)."""
    return {
        "type": "forward",
        "forward": {
            "target_groups": [
                {"arn": primary.arn, "weight": primary_weight},
                {"arn": alternate.arn, "weight": 100 - primary_weight},
            ],
            "stickiness": {"enabled": False, "duration": 3600},
        },
    }


def load_balancer_infrastructure_statements(
    *, target_groups: Sequence[pulumi.Input[str]], rules: Sequence[pulumi.Input[str]]
) -> list[dict[str, Any]]:
    """AmazonECSInfrastructureRolePolicyForLoadBalancers (v6, edited 2026-02-12,
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSInfrastructureRolePolicyForLoadBalancers.html)
    cut down to one service. The managed policy allows RegisterTargets/DeregisterTargets on every target group and
    ModifyRule/ModifyListener on every rule and listener; these resources support resource-level permissions
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_elasticloadbalancingv2.html), so they
    are scoped to this service's two groups and its production and test rules. ModifyListener is left out: ECS
    changes a listener only when handed one as the production route (a Network Load Balancer's); this service hands
    it rules. The four Describe actions support no resource-level permissions and keep "*"."""
    return [
        {
            "Sid": "ReadLoadBalancing",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            "Resource": "*",
        },
        {
            "Sid": "RegisterTasksInOwnTargetGroups",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": list(target_groups),
        },
        {
            "Sid": "ShiftOwnListenerRules",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:ModifyRule",
            "Resource": list(rules),
        },
    ]


def _ecs_owned_service_inputs(release: ReleaseStrategy) -> list[str]:
    """Service inputs ECS rewrites during a non-rolling release. After each one the new revision's group becomes
    the service's `targetGroupArn` and the old one its `alternateTargetGroupArn`: deployments alternate between
    the two (hashicorp/terraform-provider-aws#45678: a tool that re-sends the declared pair on every update stops
    the alternation). Ignoring exactly these two leaves keeps a refresh after a release free of drift while every
    other input, the advanced configuration's rules and role included, stays managed. Not while adopting: the old
    state of a rolling service has no alternate leaf, and ignoreChanges would drop the declared one."""
    if release.rolling or release.adopting:
        return []
    return ["loadBalancers[0].targetGroupArn", "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn"]


def _as_input(block: dict[str, Any] | None) -> Any:
    """A plain dict where the SDK types a TypedDict: what the engine receives is the same."""
    return block


def _writable_mounts(exec_enabled: bool) -> tuple[tuple[str, str], ...]:
    return SCRATCH_MOUNTS + (EXEC_AGENT_MOUNTS if exec_enabled else ())


def _network(subnet_ids: Sequence[pulumi.Input[str]], security_group_id: pulumi.Input[str]) -> Any:
    """Private subnets, our own security group, never a public IP (FSBP ECS.2)."""
    return {"subnets": list(subnet_ids), "security_groups": [security_group_id], "assign_public_ip": False}


def _deployment_alarms(names: Sequence[pulumi.Input[str]]) -> Any:
    """Alarms that stop and roll back a deployment; ECS rejects an empty list, so none means unset."""
    return {"alarm_names": list(names), "enable": True, "rollback": True} if names else None


def _sorted_unique(values: Sequence[pulumi.Input[str]]) -> pulumi.Output[list[str]]:
    """By value, not by object identity: the same secrets give the same policy document on every run (no false
    drift), and one secret read under two names (username and password keys) is listed once."""
    return pulumi.Output.all(*values).apply(lambda resolved: sorted(set(resolved)))
