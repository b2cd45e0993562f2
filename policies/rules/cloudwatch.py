"""CloudWatch alarms: they notify someone, and every load balancer and database has them."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import (
    Control,
    Report,
    Settings,
    StackView,
    get,
    is_false,
    items,
    label,
    resource_policy,
    stack_policy,
)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
DB = "aws:rds/instance:Instance"
DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring"

C098 = Control(
    "C098",
    "Alarm has an ALARM action",
    Severity.HIGH,
    "CloudWatch.15",
    "not-fsbp",
    cdk_nag=("R5:CloudWatchAlarmAction",),
)
C099 = Control("C099", "Alarm actions enabled", Severity.HIGH, "CloudWatch.17", "not-fsbp", checkov=("CKV_AWS_319",))
# Project control (DESIGN: CloudWatch monitoring of every ALB and database), not in the catalogue.
P001 = Control("P001", "Every load balancer and database has alarms", Severity.MEDIUM, severity_source="suggested")


def has_action(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not items(get(args.props, "alarmActions")):
        report("alarmActions is empty: nobody is told when the alarm fires.")


def actions_enabled(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if is_false(get(args.props, "actionsEnabled")):
        report("actionsEnabled is false.")


def watched(stack: StackView, report: ReportViolation, _: Settings) -> None:
    alarms = stack.of_type(ALARM)
    for target in stack.of_type(*LB, DB):
        if not any(stack.depends_on(alarm, target) for alarm in alarms):
            report(f"{label(target)} has no CloudWatch alarm on its metrics.", target.urn)


POLICIES: list[Policy] = [
    resource_policy(
        "cloudwatch-alarm-has-action",
        C098,
        [ALARM],
        "Every alarm notifies a target (an SNS topic) when it enters ALARM.",
        "Set alarm_actions=[<alerts topic ARN>] (and ok_actions for recovery notices).",
        has_action,
    ),
    resource_policy(
        "cloudwatch-alarm-actions-enabled",
        C099,
        [ALARM],
        "Alarm actions are enabled.",
        "Leave actions_enabled unset or True.",
        actions_enabled,
    ),
    stack_policy(
        "cloudwatch-load-balancers-and-databases-alarmed",
        P001,
        [*LB, DB],
        "Every load balancer and database has at least one CloudWatch alarm on its metrics.",
        "Add aws.cloudwatch.MetricAlarm resources whose dimensions name the load balancer (LoadBalancer = "
        "arn_suffix) and the database (DBInstanceIdentifier).",
        watched,
        promoted=True,
        url=f"{DOCS}/AlarmThatSendsEmail.html",
    ),
]
