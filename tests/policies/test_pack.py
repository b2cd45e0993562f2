"""The pack as a whole: metadata auditors rely on, coverage of the control catalogue, per-stack config."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, Severity

import tests.policies
from offline.policy_runner import CONFIG_DIR, reconcile
from policies.rules import POLICIES

ROOT = Path(__file__).resolve().parents[2]
# The control catalogue lives with the pack: a clone on GitHub has nothing beside it.
CATALOGUE = ROOT / "policies" / "controls.md"


def catalogue_text() -> str:
    return CATALOGUE.read_text()


# Every rule-group test module: the ones that declare CASES (found, so a new group cannot be forgotten).
GROUPS = [
    module
    for info in pkgutil.iter_modules(tests.policies.__path__)
    if info.name.startswith("test_")
    and hasattr(module := importlib.import_module(f"tests.policies.{info.name}"), "CASES")
]
# Catalogue rows the pack leaves out, and why (the README lists them for auditors).
OUT_OF_SCOPE = {
    "C050": "runtime-only: whether the S3 origin bucket exists",
    "C079": "runtime-only: rotation success and secret use",
}
# Staging relaxes these cost-driven rules to advisory, and nothing else.
STAGING_RELAXED = {
    "rds-multi-az",
    "rds-deletion-protection",
    "elb-deletion-protection",
    "kms-key-deletion-protection",
    "logs-retention",  # staging keeps security logs 90 days
    "ecs-service-bake-time",  # staging releases roll by default; a blue/green trial there need not bake
}


def declared() -> list[tuple[str, str, dict[str, object], list[str]]]:
    return [
        (
            p.name,
            p.enforcement_level.value if p.enforcement_level else "advisory",
            p.config_schema.properties if p.config_schema else {},
            (p.config_schema.required or []) if p.config_schema else [],
        )
        for p in POLICIES
    ]


def test_every_policy_has_the_metadata_auditors_need() -> None:
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names))
    for policy in POLICIES:
        tags = policy.tags or []
        assert policy.description and policy.remediation_steps and policy.url, policy.name
        assert policy.url.startswith("https://"), policy.name
        assert isinstance(policy.severity, Severity), policy.name
        assert any(t.startswith("control:") for t in tags), policy.name
        assert any(t.startswith("resource:") for t in tags), policy.name
        control = next(t for t in tags if t.startswith("control:"))
        if any(t.startswith("securityhub:") for t in tags) and "fsbp-status:not-fsbp" not in tags:
            assert policy.framework is not None and policy.framework.name == "AWS Foundational Security Best Practices"
            assert f"securityhub:{policy.framework.reference.split(',')[0]}" in tags, control


def expand(row: str) -> str:
    """`CKV_AWS_53..56` -> `CKV_AWS_53 CKV_AWS_54 CKV_AWS_55 CKV_AWS_56`."""

    def spell(match: re.Match[str]) -> str:
        prefix, low, high = match.group(1), int(match.group(2)), int(match.group(3))
        return " ".join(f"{prefix}{n}" for n in range(low, high + 1))

    return re.sub(r"(CKV2?_AWS_)(\d+)\.\.(\d+)", spell, row)


def test_fsbp_ids_and_anchors_match_the_catalogue() -> None:
    """Each policy's FSBP reference and cdk-nag/Checkov tags are the ones its catalogue row lists."""
    text = catalogue_text()
    rows = {m.group(1): expand(m.group(0)) for m in re.finditer(r"^\| (C\d{3}) \|.*$", text, re.M)}
    for policy in POLICIES:
        tags = policy.tags or []
        control = next(t for t in tags if t.startswith("control:")).split(":", 1)[1]
        if control.startswith("P"):
            continue
        row = rows[control]
        for tag in tags:
            kind, _, value = tag.partition(":")
            if kind in ("securityhub", "checkov", "cdk-nag", "awsguard"):
                assert value in row, f"{policy.name}: {tag} is not in row {control}"


def test_every_decidable_catalogue_row_has_a_policy() -> None:
    rows = set(re.findall(r"^\| (C\d{3}) \|", catalogue_text(), re.M))
    covered = {t.split(":", 1)[1] for p in POLICIES for t in p.tags or [] if t.startswith("control:")}
    assert rows - covered == set(OUT_OF_SCOPE)


def test_every_policy_has_a_passing_and_a_failing_case() -> None:
    seen: dict[str, set[str]] = {}
    for group in GROUPS:
        for case in group.CASES:
            seen.setdefault(case.policy, set()).add(case.expected)
    for policy in POLICIES:
        assert {"pass", "violation"} <= seen.get(policy.name, set()), policy.name


def test_critical_and_high_are_mandatory_by_default() -> None:
    for policy in POLICIES:
        if policy.severity in (Severity.CRITICAL, Severity.HIGH):
            assert policy.enforcement_level == EnforcementLevel.MANDATORY, policy.name


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_stack_config_is_valid_for_the_pack(stack: str) -> None:
    reconciled = reconcile(declared(), json.loads((CONFIG_DIR / f"{stack}.json").read_text()))
    for policy in POLICIES:
        if policy.severity in (Severity.CRITICAL, Severity.HIGH) and stack == "production":
            assert reconciled[policy.name][0] == "mandatory", policy.name


def test_staging_relaxes_only_the_named_cost_driven_rules() -> None:
    staging = reconcile(declared(), json.loads((CONFIG_DIR / "staging.json").read_text()))
    production = reconcile(declared(), json.loads((CONFIG_DIR / "production.json").read_text()))
    differing = {name for name in production if staging[name] != production[name]}
    assert differing == STAGING_RELAXED
    for name in STAGING_RELAXED:
        assert (staging[name][0], production[name][0]) == ("advisory", "mandatory")
        assert staging[name][1] == production[name][1]  # thresholds are the same


def test_thresholds_come_from_config_and_bad_values_name_the_key() -> None:
    from offline.policy_runner import PolicyConfigError

    with pytest.raises(PolicyConfigError, match=r"rds-backup-retention\.minimumRetentionDays"):
        reconcile(declared(), {"rds-backup-retention": {"minimumRetentionDays": 0}})
    with pytest.raises(PolicyConfigError, match="unknown policies: no-such-policy"):
        reconcile(declared(), {"no-such-policy": "mandatory"})
    with pytest.raises(PolicyConfigError, match="unknown config key"):
        reconcile(declared(), {"logs-retention": {"minimumRetentionDay": 30}})


def test_readme_lists_every_policy_and_the_out_of_scope_rows() -> None:
    readme = (ROOT / "policies" / "README.md").read_text()
    for policy in POLICIES:
        assert f"`{policy.name}`" in readme, policy.name
    for row in OUT_OF_SCOPE:
        assert row in readme


def test_readme_policy_table_is_the_generated_one() -> None:
    """The README's table is printed by `python -m policies.table` from the pack: a new rule, an anchor or a level
    changed in code and not in the README fails here."""
    from policies.table import readme_table, table

    assert readme_table((ROOT / "policies" / "README.md").read_text()) == table()


def test_a_rule_is_declared_once_with_named_fields_and_high_severity_cannot_be_advisory() -> None:
    from policies.rules.declare import ADVISORY, Control, FsbpStatus, ResourceRule

    control = Control(
        id="C999", title="Example", severity=Severity.HIGH, fsbp="EC2.99", fsbp_status=FsbpStatus.UNVERIFIED
    )
    with pytest.raises(ValueError, match="high severity must be mandatory"):
        ResourceRule(
            name="x", control=control, types=["aws:ec2/vpc:Vpc"], description="d", remediation="r", enforcement=ADVISORY
        )
    assert "fsbp-status:unverified" in control.tags(["aws:ec2/vpc:Vpc"]) and control.url() is None
