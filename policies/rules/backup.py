"""AWS Backup: vault encryption and plan retention."""

from __future__ import annotations

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .common import Control, Report, Settings, get, integer, items, resource_policy, text

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"

C075 = Control(
    "C075",
    "Backup vault encrypted with a KMS CMK",
    Severity.MEDIUM,
    "Backup.1",
    "unverified",
    checkov=("CKV_AWS_166",),
    severity_source="third-party",
)
# Project control (not in the catalogue): recovery points outlive the configured minimum, like RDS.11 for AWS Backup.
P002 = Control("P002", "Backup plan keeps recovery points long enough", Severity.MEDIUM, severity_source="suggested")


def vault_cmk(args: ResourceValidationArgs, report: Report, _: Settings) -> None:
    if not get(args.props, "kmsKeyArn"):
        report("kmsKeyArn is not set: recovery points use the AWS managed backup key.")


def plan_retention(args: ResourceValidationArgs, report: Report, settings: Settings) -> None:
    minimum = int(settings["minimumRetentionDays"])
    for rule in items(get(args.props, "rules")):
        days = get(rule, "lifecycle", "deleteAfter")
        if days is not None and float(days) < minimum:
            report(f"Rule {get(rule, 'ruleName')} deletes recovery points after {text(days)} days; minimum {minimum}.")


POLICIES: list[Policy] = [
    resource_policy(
        "backup-vault-cmk",
        C075,
        [VAULT],
        "Backup vaults encrypt recovery points with a customer managed KMS key.",
        "Set kms_key_arn on the aws.backup.Vault.",
        vault_cmk,
        promoted=True,
    ),
    resource_policy(
        "backup-plan-retention",
        P002,
        [PLAN],
        "Backup plan rules keep recovery points at least the configured number of days.",
        "Set lifecycle.delete_after on every rule to at least the configured minimum.",
        plan_retention,
        config={"minimumRetentionDays": integer(7, "Minimum recovery point retention in days.", 1)},
        promoted=True,
        url="https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html",
    ),
]
