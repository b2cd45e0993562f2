"""CloudWatch alarms: they notify someone, and every load balancer and database has them."""

from __future__ import annotations

from pulumi_policy import Policy, ReportViolation, ResourceValidationArgs, Severity

from .common import forbid_false, get, items, label
from .declare import MANDATORY, Control, FsbpStatus, Report, ResourceRule, Settings, SeveritySource, StackRule, declared
from .stack import StackView

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
DB = "aws:rds/instance:Instance"
DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring"

# Project control (DESIGN: CloudWatch monitoring of every ALB and database), not in the catalogue.


@ResourceRule(
    name="cloudwatch-alarm-has-action",
    control=Control(
        id="C098",
        title="Alarm has an ALARM action",
        severity=Severity.HIGH,
        fsbp="CloudWatch.15",
        fsbp_status=FsbpStatus.NOT_FSBP,
        cdk_nag=("R5:CloudWatchAlarmAction",),
    ),
    types=[ALARM],
    inputs=("alarmActions",),
    description="Every alarm notifies a target (an SNS topic) when it enters ALARM.",
    remediation="Set alarm_actions=[<alerts topic ARN>] (and ok_actions for recovery notices).",
    enforcement=MANDATORY,
)
def has_action(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not items(get(args.props, "alarmActions")):
        report("alarmActions is empty: nobody is told when the alarm fires.")


@ResourceRule(
    name="cloudwatch-alarm-actions-enabled",
    control=Control(
        id="C099",
        title="Alarm actions enabled",
        severity=Severity.HIGH,
        fsbp="CloudWatch.17",
        fsbp_status=FsbpStatus.NOT_FSBP,
        checkov=("CKV_AWS_319",),
    ),
    types=[ALARM],
    inputs=("actionsEnabled",),
    description="Alarm actions are enabled.",
    remediation="Leave actions_enabled unset or True.",
    enforcement=MANDATORY,
)
def actions_enabled(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    forbid_false(args, report, "actionsEnabled")


@StackRule(
    name="cloudwatch-load-balancers-and-databases-alarmed",
    control=Control(
        id="P001",
        title="Every load balancer and database has alarms",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[*LB, DB],
    description="Every load balancer and database has at least one CloudWatch alarm on its metrics.",
    remediation="Add aws.cloudwatch.MetricAlarm resources whose dimensions name the load balancer (LoadBalancer = "
    "arn_suffix) and the database (DBInstanceIdentifier).",
    enforcement=MANDATORY,
    url=f"{DOCS}/AlarmThatSendsEmail.html",
)
def watched(stack: StackView, report: ReportViolation, _: Settings) -> None:
    alarms = stack.of_type(ALARM)
    for target in stack.of_type(*LB, DB):
        if not any(stack.depends_on(alarm, target) for alarm in alarms):
            report(f"{label(target)} has no CloudWatch alarm on its metrics.", target.urn)


POLICIES: list[Policy] = declared(__name__)
