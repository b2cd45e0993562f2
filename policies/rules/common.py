"""What every rule shares: control metadata (the anchors auditors look up), the two policy builders and
small readers over resource properties and IAM-style policy documents.

Rules read only resource types and property dicts (camelCase input names), so they judge any program.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

FSBP = "AWS Foundational Security Best Practices"
FSBP_VERSION = "1.0.0"
SECURITY_HUB = "AWS Security Hub (not part of FSBP)"
HUB_DOCS = "https://docs.aws.amazon.com/securityhub/latest/userguide"
CATALOGUE = "policy-controls.md"

Settings = Mapping[str, Any]
Report = Callable[[str], None]
ResourceCheck = Callable[[ResourceValidationArgs, Report, Settings], None]
StackCheck = Callable[["StackView", ReportViolation, Settings], None]


@dataclass(frozen=True)
class Control:
    """One row of the control catalogue: its id, the Security Hub control and the other rule sets' ids.

    `fsbp_status`: "listed" (in AWS's FSBP page), "unverified" (FSBP per third-party mappings only) or
    "not-fsbp" (a Security Hub control of CIS/NIST/PCI, not FSBP)."""

    id: str
    check: str
    severity: Severity
    fsbp: str = ""
    fsbp_status: str = "listed"
    cdk_nag: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    awsguard: tuple[str, ...] = ()
    severity_source: str = "aws"  # aws | third-party | suggested
    hub_other: tuple[str, ...] = ()  # Security Hub controls of other standards (CIS/NIST/PCI) on the same check

    def framework(self) -> PolicyComplianceFramework | None:
        if not self.fsbp:
            return None
        if self.fsbp_status == "not-fsbp":
            return PolicyComplianceFramework(SECURITY_HUB, None, self.fsbp, self.check)
        return PolicyComplianceFramework(FSBP, FSBP_VERSION, self.fsbp, self.check)

    def tags(self, types: Iterable[str]) -> list[str]:
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
        if not self.fsbp or self.fsbp_status == "unverified":
            return None
        first = self.fsbp.split(",")[0].strip()
        service, _, number = first.partition(".")
        return f"{HUB_DOCS}/{service.lower()}-controls.html#{service.lower()}-{number}"


def enforcement(control: Control, promoted: bool) -> EnforcementLevel:
    """Production posture, the pack's default: critical and high are mandatory, and so are the medium and
    low controls this platform's design commits to (`promoted`, each named in the README)."""
    if promoted or control.severity in (Severity.CRITICAL, Severity.HIGH):
        return EnforcementLevel.MANDATORY
    return EnforcementLevel.ADVISORY


def _schema(config: Mapping[str, Mapping[str, Any]] | None) -> tuple[PolicyConfigSchema | None, dict[str, Any]]:
    if not config:
        return None, {}
    properties = {k: dict(v) for k, v in config.items()}
    return PolicyConfigSchema(properties), {k: v["default"] for k, v in config.items() if "default" in v}


def resource_policy(  # noqa: PLR0917 - reads like the table row it encodes
    name: str,
    control: Control,
    types: Sequence[str],
    description: str,
    remediation: str,
    check: ResourceCheck,
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    promoted: bool = False,
    url: str | None = None,
) -> ResourceValidationPolicy:
    """A policy over single resources of `types`. Other types are skipped without a result: the pack's tags
    (`resource:<type>`) say which types a policy judges, so a report can count passes."""
    schema, defaults = _schema(config)
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        settings = {**defaults, **args.get_config()}
        check(args, lambda message: report_violation(message, None), settings)

    return ResourceValidationPolicy(
        validate=validate, **_metadata(name, description, control, types, remediation, schema, promoted, url)
    )


def stack_policy(  # noqa: PLR0917 - reads like the table row it encodes
    name: str,
    control: Control,
    subjects: Sequence[str],
    description: str,
    remediation: str,
    check: StackCheck,
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    promoted: bool = False,
    url: str | None = None,
) -> StackValidationPolicy:
    """A policy over the whole stack; `subjects` are the resource types it judges (one result each)."""
    schema, defaults = _schema(config)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        settings = {**defaults, **args.get_config()}
        check(StackView(args), report_violation, settings)

    return StackValidationPolicy(
        validate=validate, **_metadata(name, description, control, subjects, remediation, schema, promoted, url)
    )


def _metadata(  # noqa: PLR0917 - one place for what every policy tells auditors
    name: str,
    description: str,
    control: Control,
    types: Sequence[str],
    remediation: str,
    schema: PolicyConfigSchema | None,
    promoted: bool,
    url: str | None,
) -> dict[str, Any]:
    """The auditor-facing metadata every policy carries, resource and stack policies alike."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": enforcement(control, promoted),
        "config_schema": schema,
        "display_name": f"{control.id} {control.check}",
        "severity": control.severity,
        "framework": control.framework(),
        "tags": control.tags(types),
        "remediation_steps": remediation,
        "url": url or control.url() or f"{HUB_DOCS}/fsbp-standard.html",
    }


# -- config schema helpers ---------------------------------------------------------------------------------
def integer(default: int, description: str, minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "default": default, "minimum": minimum, "description": description}


def strings(default: Sequence[str], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


def integers(default: Sequence[int], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "integer"}, "default": list(default), "description": description}


def boolean(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


# -- property readers ----------------------------------------------------------------------------------------
def get(props: Any, *path: str | int, default: Any = None) -> Any:
    """A nested value, or `default` when a step is missing. Unknown values raise `UnknownValueError`, which
    the pack reports as "can't run during preview" (what a rule needs is not known yet)."""
    value = props
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or step >= len(value):
                return default
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return default
            value = value[step]
        if value is None:
            return default
    return value


def known(props: Any, *path: str | int) -> Any:
    """Like `get`, but an unknown value reads as None: for joins, where an unknown id just means "ask the
    dependency graph instead"."""
    try:
        return get(props, *path)
    except UnknownValueError:
        return None


def items(value: Any) -> list[Any]:
    """A list input as a list (None -> [], a single value -> [value])."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def text(value: Any) -> str:
    """Numbers as people write them (engine numbers arrive as floats: 30.0 -> "30")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(text(v) for v in value) + "]"
    return str(value)


def document(value: Any) -> dict[str, Any]:
    """A JSON policy input (string or object) as a dict; an unparseable string is an empty document."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    if isinstance(value, Mapping):
        plain: dict[str, Any] = json.loads(json.dumps(_plain(value)))
        return plain
    return {}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(value[k]) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


def statements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = doc.get("Statement", [])
    return [s for s in items(found) if isinstance(s, dict)]


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in items(statement.get("Action"))]


def resources_of(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in items(statement.get("Resource"))]


def principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    out: list[str] = []
    for kind, value in principal.items():
        out += [f"{kind}:{v}" for v in items(value)]
    return out


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    return any(p in ("*", "AWS:*") for p in principals(statement))


# Condition keys that pin an Allow-to-everyone statement to known accounts, organisations or sources.
RESTRICTING_KEYS = (
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:resourceaccount",
    "kms:calleraccount",
    "kms:viaservice",
)


def has_restricting_condition(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    keys = {str(k).lower() for block in condition.values() if isinstance(block, Mapping) for k in block}
    return any(k in keys for k in RESTRICTING_KEYS)


def action_matches(action: str, patterns: Iterable[str]) -> bool:
    """True when `action` (possibly a wildcard like `iam:*`) grants any of `patterns` (case-insensitive)."""
    action = action.lower()
    for wanted in (p.lower() for p in patterns):
        if fnmatch.fnmatchcase(wanted, action) or fnmatch.fnmatchcase(action, wanted):
            return True
    return False


def denies_insecure_transport(doc: Mapping[str, Any]) -> bool:
    """A Deny for everyone when `aws:SecureTransport` is false (S3.5, AwsSolutions-SNS3)."""
    for statement in statements(doc):
        if statement.get("Effect") != "Deny" or not is_public_principal(statement):
            continue
        for operator, block in (statement.get("Condition") or {}).items():
            if operator.lower() != "bool" or not isinstance(block, Mapping):
                continue
            for key, value in block.items():
                if key.lower() == "aws:securetransport" and str(items(value)[0]).lower() == "false":
                    return True
    return False


def policy_documents(args: ResourceValidationArgs) -> list[tuple[str, dict[str, Any]]]:
    """The IAM policy documents a resource carries: (where, document)."""
    props = args.props
    if args.resource_type == "aws:iam/role:Role":
        return [
            (f"inlinePolicies[{get(p, 'name', default=i)}]", document(get(p, "policy")))
            for i, p in enumerate(items(get(props, "inlinePolicies")))
        ]
    return [("policy", document(get(props, "policy")))]


# -- stack joins ----------------------------------------------------------------------------------------------
IDENTITY_KEYS = ("id", "arn", "name", "bucket", "arnSuffix")


class StackView:
    """The stack's resources with the joins the cross-resource rules need.

    A reference from `source.<prop>` to `target` is decided, in order, by the property dependencies the engine
    reports; by equal values when both ids are known (an update, or `pulumi up`); otherwise by `source`
    depending on `target` (a new resource's id is unknown during preview, but the dependency is always there).
    """

    def __init__(self, args: StackValidationArgs) -> None:
        self.args = args
        self.resources: list[PolicyResource] = list(args.resources)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for r in self.resources if r.resource_type in types]

    def not_applicable(self, reason: str) -> None:
        self.args.not_applicable(reason)

    @staticmethod
    def references(source: PolicyResource, prop: str, target: PolicyResource) -> bool:
        """`prop` may be a dotted path (`accessLogs.bucket`); property dependencies are per top-level input."""
        path = prop.split(".")
        deps = source.property_dependencies.get(path[0])
        if deps:
            return any(d.urn == target.urn for d in deps)
        value = known(source.props, *path)
        ids = {str(v) for k in IDENTITY_KEYS if (v := known(target.props, k)) not in (None, "")}
        if value not in (None, "") and ids and {str(v) for v in items(value)} & ids:
            return True
        # Only the dependency graph is left. When `source` depends on several resources of the target's type
        # (a BucketLogging on its bucket and on the log bucket), the one declared next to it (same parent)
        # wins; if that still leaves several, nothing is assumed: an ambiguous join never counts as a pass.
        same_type = [d for d in source.dependencies if d.resource_type == target.resource_type]
        if len(same_type) > 1:
            same_type = [d for d in same_type if _parent(d) == _parent(source)]
        return len(same_type) == 1 and same_type[0].urn == target.urn

    def second_reference(
        self, source: PolicyResource, prop: str, candidates: Sequence[PolicyResource], first: PolicyResource
    ) -> PolicyResource | None:
        """The resource `source.<prop>` points at when `source` also points at `first` through another input
        (a BucketLogging's targetBucket next to its bucket): resolved by property dependencies or known ids when
        there are any, else the one other dependency among `candidates`, else `first` itself (a self-reference)."""
        if source.property_dependencies.get(prop) or known(source.props, prop) in {
            str(known(c.props, k)) for c in candidates for k in IDENTITY_KEYS if known(c.props, k)
        }:
            found = [c for c in candidates if self.references(source, prop, c)]
            return found[0] if len(found) == 1 else None
        others = [c for c in candidates if c.urn != first.urn and self.depends_on(source, c)]
        if len(others) == 1:
            return others[0]
        return first if not others and self.depends_on(source, first) else None

    def referencing(self, target: PolicyResource, types: Sequence[str], prop: str) -> list[PolicyResource]:
        """Resources of `types` whose `prop` points at `target`."""
        return [r for r in self.of_type(*types) if self.references(r, prop, target)]

    def depends_on(self, source: PolicyResource, target: PolicyResource) -> bool:
        return any(d.urn == target.urn for d in source.dependencies)


def _parent(resource: PolicyResource) -> str | None:
    if resource.parent is not None:
        return resource.parent.urn
    return resource.opts.parent if resource.opts is not None else None


def label(resource: PolicyResource) -> str:
    return f"{resource.resource_type.rsplit(':', 1)[-1]} '{resource.name}'"


# Bucket resource types of pulumi-aws 7 (BucketV2 is the deprecated alias of Bucket).
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
