"""AWS Backup: vault encryption and plan retention."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import get, items, text
from .declare import MANDATORY, Control, FsbpStatus, Report, ResourceRule, Settings, SeveritySource, declared, integer

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"

# Project control (not in the catalogue): recovery points outlive the configured minimum, like RDS.11 for AWS Backup.


@ResourceRule(
    name="backup-vault-cmk",
    control=Control(
        id="C075",
        title="Backup vault encrypted with a KMS CMK",
        severity=Severity.MEDIUM,
        fsbp="Backup.1",
        fsbp_status=FsbpStatus.UNVERIFIED,
        checkov=("CKV_AWS_166",),
        severity_source=SeveritySource.THIRD_PARTY,
    ),
    types=[VAULT],
    inputs=("kmsKeyArn",),
    description="Backup vaults encrypt recovery points with a customer managed KMS key.",
    remediation="Set kms_key_arn on the aws.backup.Vault.",
    enforcement=MANDATORY,
)
def vault_cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyArn"):
        report("kmsKeyArn is not set: recovery points use the AWS managed backup key.")


@ResourceRule(
    name="backup-plan-retention",
    control=Control(
        id="P002",
        title="Backup plan keeps recovery points long enough",
        severity=Severity.MEDIUM,
        severity_source=SeveritySource.SUGGESTED,
    ),
    types=[PLAN],
    inputs=("rules",),
    description="Backup plan rules keep recovery points at least the configured number of days.",
    remediation="Set lifecycle.delete_after on every rule to at least the configured minimum.",
    enforcement=MANDATORY,
    config={"minimumRetentionDays": integer(7, "Minimum recovery point retention in days.", 1)},
    url="https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html",
)
def plan_retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    minimum = int(settings["minimumRetentionDays"])
    for rule in items(get(args.props, "rules")):
        days = get(rule, "lifecycle", "deleteAfter")
        if days is not None and float(days) < minimum:
            report(f"Rule {get(rule, 'ruleName')} deletes recovery points after {text(days)} days; minimum {minimum}.")


POLICIES: list[Policy] = declared(__name__)
