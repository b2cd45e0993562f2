"""How a rule is declared: once, beside its check, with named fields (checkov's `BaseResourceCheck` shape).

    @ResourceRule(
        name="rds-multi-az",
        control=Control(id="C057", title="Multi-AZ", severity=Severity.MEDIUM, fsbp="RDS.5", ...),
        types=[INSTANCE],
        description="...", remediation="...", enforcement=MANDATORY,
    )
    def multi_az(args, report, settings): ...

The decorator builds the CrossGuard policy and files it under the check's module; each rule module ends with
`POLICIES = declared(__name__)`, so the pack's order is the order the rules are written in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .stack import StackView

FSBP = "AWS Foundational Security Best Practices"
FSBP_VERSION = "1.0.0"
SECURITY_HUB = "AWS Security Hub (not part of FSBP)"
HUB_DOCS = "https://docs.aws.amazon.com/securityhub/latest/userguide"
MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

Settings = Mapping[str, Any]
Report = Callable[[str], None]
ResourceCheck = Callable[[ResourceValidationArgs, Report, Settings], None]
StackCheck = Callable[[StackView, ReportViolation, Settings], None]
ConfigSchema = Mapping[str, Mapping[str, Any]]
ACCEPT_UNKNOWN = "acceptUnknown"
# Every policy accepts this key. Offline, a mandatory policy that cannot be evaluated because an input is unknown
# fails the gate (the offline engine's mocks return realistic values, so an unknown hides something); a named
# unknown listed here is accepted instead. `pulumi preview` never fails on unknowns (they are advisory "can't run
# during preview" and `pulumi up` judges the known value), so the key changes nothing there.
ACCEPT_UNKNOWN_SCHEMA = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[^:]+:[^:]+$"},
    "default": [],
    "description": "Unknown inputs accepted by the offline gate, as '<resource name>:<input path>' (for example "
    "'api-https:sslPolicy'); '*' as the resource name accepts the input on every resource.",
}


class FsbpStatus(StrEnum):
    """Whether the Security Hub control is in AWS's FSBP list."""

    LISTED = "listed"  # on AWS's FSBP page
    UNVERIFIED = "unverified"  # FSBP per third-party mappings only
    NOT_FSBP = "not-fsbp"  # a Security Hub control of CIS/NIST/PCI, not FSBP


class SeveritySource(StrEnum):
    AWS = "aws"  # Security Hub's severity
    THIRD_PARTY = "third-party"
    SUGGESTED = "suggested"  # ours, where no rule set gives one


@dataclass(frozen=True, kw_only=True)
class Control:
    """One row of the control catalogue: its id and title, and the ids other rule sets give the same check."""

    id: str
    title: str
    severity: Severity
    fsbp: str = ""
    fsbp_status: FsbpStatus = FsbpStatus.LISTED
    cdk_nag: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    awsguard: tuple[str, ...] = ()
    severity_source: SeveritySource = SeveritySource.AWS
    hub_other: tuple[str, ...] = ()  # Security Hub controls of other standards (CIS/NIST/PCI) on the same check

    def framework(self) -> PolicyComplianceFramework | None:
        if not self.fsbp:
            return None
        if self.fsbp_status == FsbpStatus.NOT_FSBP:
            return PolicyComplianceFramework(SECURITY_HUB, None, self.fsbp, self.title)
        return PolicyComplianceFramework(FSBP, FSBP_VERSION, self.fsbp, self.title)

    def tags(self, types: Sequence[str]) -> list[str]:
        tags = [f"control:{self.id}", f"severity-source:{self.severity_source}"]
        if self.fsbp:
            tags += [f"securityhub:{c.strip()}" for c in self.fsbp.split(",")]
            tags.append(f"fsbp-status:{self.fsbp_status}")
        tags += [f"securityhub:{c}" for c in self.hub_other]
        tags += [f"cdk-nag:{i}" for i in self.cdk_nag]
        tags += [f"checkov:{i}" for i in self.checkov]
        tags += [f"awsguard:{i}" for i in self.awsguard]
        tags += [f"resource:{t}" for t in types]
        return tags

    def url(self) -> str | None:
        if not self.fsbp or self.fsbp_status == FsbpStatus.UNVERIFIED:
            return None
        service, _, number = self.fsbp.split(",")[0].strip().partition(".")
        return f"{HUB_DOCS}/{service.lower()}-controls.html#{service.lower()}-{number}"


_DECLARED: dict[str, list[Policy]] = {}


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What every rule declares. `enforcement` is the production default (no config file); critical and high
    severity are always mandatory. `types` are the resource types judged (one result each); `inputs` the input
    paths the check reads (dotted, camelCase, as in `tags.LogClass`), carried as `input:<path>` tags so a report
    can show the value a pass observed (the protocol reports nothing for passes)."""

    name: str
    control: Control
    types: Sequence[str]
    inputs: Sequence[str] = ()
    description: str
    remediation: str
    enforcement: EnforcementLevel
    config: ConfigSchema | None = None
    url: str | None = None
    _defaults: dict[str, Any] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.control.severity in (Severity.CRITICAL, Severity.HIGH) and self.enforcement != MANDATORY:
            raise ValueError(f"{self.name}: {self.control.severity.value} severity must be mandatory")
        self._defaults.update({k: v["default"] for k, v in (self.config or {}).items() if "default" in v})

    def settings(self, configured: Settings) -> dict[str, Any]:
        return {**self._defaults, **configured}

    def metadata(self) -> dict[str, Any]:
        """The auditor-facing metadata every policy carries, resource and stack policies alike."""
        return {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "config_schema": PolicyConfigSchema(
                {**{k: dict(v) for k, v in (self.config or {}).items()}, ACCEPT_UNKNOWN: dict(ACCEPT_UNKNOWN_SCHEMA)}
            ),
            "display_name": f"{self.control.id} {self.control.title}",
            "severity": self.control.severity,
            "framework": self.control.framework(),
            "tags": [*self.control.tags(self.types), *(f"input:{path}" for path in self.inputs)],
            "remediation_steps": self.remediation,
            "url": self.url or self.control.url() or f"{HUB_DOCS}/fsbp-standard.html",
        }

    def _file(self, module: str, policy: Policy) -> None:
        _DECLARED.setdefault(module, []).append(policy)


@dataclass(frozen=True, kw_only=True)
class ResourceRule(Rule):
    """A rule over single resources of `types`; other types are skipped without a result (the pack's
    `resource:<type>` tags say which types a policy judges, so a report can count passes)."""

    def __call__(self, check: ResourceCheck) -> ResourceCheck:
        wanted = frozenset(self.types)

        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if args.resource_type in wanted:
                check(args, lambda message: report_violation(message, None), self.settings(args.get_config()))

        self._file(check.__module__, ResourceValidationPolicy(validate=validate, **self.metadata()))
        return check


@dataclass(frozen=True, kw_only=True)
class StackRule(Rule):
    """A rule over the whole stack; it reports each finding against one resource of `types`."""

    def __call__(self, check: StackCheck) -> StackCheck:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            check(StackView(args), report_violation, self.settings(args.get_config()))

        self._file(check.__module__, StackValidationPolicy(validate=validate, **self.metadata()))
        return check


def declared(module: str) -> list[Policy]:
    """The policies declared in `module`, in the order they are written."""
    return list(_DECLARED.get(module, []))


# -- config schema helpers ---------------------------------------------------------------------------------
def integer(default: int, description: str, minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "default": default, "minimum": minimum, "description": description}


def strings(default: Sequence[str], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


def integers(default: Sequence[int], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "integer"}, "default": list(default), "description": description}


def boolean(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}
