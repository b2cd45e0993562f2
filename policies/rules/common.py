"""Small readers over resource properties and IAM-style policy documents, shared by every rule.

Rules read only resource types and property dicts (camelCase input names), so they judge any program.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError


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


def label(resource: PolicyResource) -> str:
    return f"{resource.resource_type.rsplit(':', 1)[-1]} '{resource.name}'"


# Bucket resource types of pulumi-aws 7 (BucketV2 is the deprecated alias of Bucket).
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


# -- shared shapes of a check ----------------------------------------------------------------------------------
def require_true(args: ResourceValidationArgs, report: Callable[[str], None], path: str, why: str = "") -> None:
    """A boolean input (dotted `path`) must be true; unset counts as false (AWS's default for these flags)."""
    if not is_true(get(args.props, *path.split("."))):
        report(f"{path} is not true{why}.")


def forbid_true(args: ResourceValidationArgs, report: Callable[[str], None], path: str, why: str = "") -> None:
    """A boolean input must not be true; unset is fine."""
    if is_true(get(args.props, *path.split("."))):
        report(f"{path} is true{why}.")


def forbid_false(args: ResourceValidationArgs, report: Callable[[str], None], path: str, why: str = "") -> None:
    """A boolean input must not be explicitly false (AWS defaults it to true)."""
    if is_false(get(args.props, *path.split("."))):
        report(f"{path} is false{why}.")
