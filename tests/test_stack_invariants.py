"""Invariants of whole stacks: production protects its data, and two stacks can share one AWS account."""

from __future__ import annotations

from offline.plan import Plan
from offline.stateful import STATEFUL_TYPES


def test_every_stateful_resource_is_protected_in_production(production_plan: Plan) -> None:
    stateful = [r for r in production_plan.resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} == STATEFUL_TYPES  # the check below sees every kind
    unprotected = sorted(f"{r.type} {r.name}" for r in stateful if not r.protect)
    assert unprotected == []


def test_staging_stays_disposable(staging_plan: Plan) -> None:
    """Staging is rebuilt at will: protecting it would only block teardown (deletion protection is off too)."""
    stateful = [r for r in staging_plan.resources if r.type in STATEFUL_TYPES]
    assert stateful and not any(r.protect for r in stateful)


# Inputs that name a resource in AWS. Physical names Pulumi generates differ per stack; names the program sets
# must too, or staging and production could not share an account. (Route 53's referenceName is only a prefix
# of a caller reference the provider makes unique with a timestamp.)
NAME_KEYS = ("name", "alarmName", "dashboardName", "identifier", "bucket", "namePrefix")


def explicit_names(plan: Plan) -> set[tuple[str, str]]:
    names = set()
    for record in plan.resources:
        if not record.custom:
            continue
        for key in NAME_KEYS:
            value = record.inputs.get(key)
            if isinstance(value, str) and value:
                names.add((record.type, value))
        family = record.inputs.get("family")
        if record.type == "aws:ecs/taskDefinition:TaskDefinition" and isinstance(family, str):
            names.add((record.type, family))
    return names


def test_staging_and_production_can_share_an_account(staging_plan: Plan, production_plan: Plan) -> None:
    # Sub-resources of a bucket name the bucket they configure: compare the buckets themselves.
    def owned(names: set[tuple[str, str]]) -> set[tuple[str, str]]:
        return {(t, n) for t, n in names if not (t.startswith("aws:s3/bucket") and t != "aws:s3/bucket:Bucket")}

    assert owned(explicit_names(staging_plan)) & owned(explicit_names(production_plan)) == set()


# -- teardown: staging's stores go with the stack, production's never do -------------------------------------
EMPTIED_ON_DESTROY = {
    "aws:s3/bucket:Bucket": "forceDestroy",
    "aws:backup/vault:Vault": "forceDestroy",
    "aws:ecr/repository:Repository": "forceDelete",
}


def test_staging_tears_down_and_production_stays_protected(plan: Plan) -> None:
    """S3, AWS Backup and ECR refuse to delete a store that still holds objects, recovery points or images."""
    production = plan.stack == "production"
    stores = [r for r in plan.resources if r.type in EMPTIED_ON_DESTROY]
    assert {r.type for r in stores} == set(EMPTIED_ON_DESTROY)
    for record in stores:
        assert record.inputs[EMPTIED_ON_DESTROY[record.type]] is not production, (record.type, record.name)
        assert record.protect is production, (record.type, record.name)
    db = plan.one("aws:rds/instance:Instance")
    assert db.inputs["deletionProtection"] is production and db.protect is production
