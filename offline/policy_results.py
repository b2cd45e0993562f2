"""From what the pack said to one result per policy and resource: the protocol reports violations and
not-applicable results only, so a pass is derived (the policy judges the resource's type and said nothing)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from offline.plan import SECRET, UNKNOWN, Plan, ResourceRecord
from offline.policy_model import Answer, Answers, Level, Outcome, PolicyKind, PolicyMeta, Result
from offline.project import ROOT

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi_policy.proxy.UNKNOWN_STRING_VALUE
STACK_TYPE = "pulumi:pulumi:Stack"
ACCEPT_UNKNOWN = "acceptUnknown"  # the policy config key (policies/rules/declare.py)
_UNKNOWN_PATH = re.compile(r"value at \.(\S*) can't be known")


def engine_value(value: Any) -> Any:
    """Plan inputs back to engine form: "[unknown]" -> the unknown sentinel (secrets stay masked)."""
    if isinstance(value, dict):
        return {k: engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_value(v) for v in value]
    if value == UNKNOWN:
        return UNKNOWN_SENTINEL
    return value


def stack_urn(plan: Plan) -> str:
    return f"urn:pulumi:{plan.stack}::{plan.project}::{STACK_TYPE}::{plan.project}-{plan.stack}"


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


VERSIONED = ("pulumi", "pulumi-aws", "pulumi-docker", "pulumi-policy")


def evidence(plan: Plan) -> dict[str, str]:
    """What an auditor needs to tie a report to what it judged: the commit, a digest of the plan (sha256 of
    `<stack>.plan.json` as written) and the SDK, provider and policy library versions."""
    out = {
        "commit": _commit(),
        "planDigest": "sha256:" + hashlib.sha256((plan.to_json() + "\n").encode()).hexdigest(),
        "python": sys.version.split()[0],
    }
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _commit() -> str:
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False)
    return found.stdout.strip() + ("+uncommitted changes" if dirty.stdout.strip() else "")


def sources(plan: Plan) -> dict[str, str]:
    return {r.urn: r.source for r in plan.resources if r.source}


def results(plan: Plan, metas: Sequence[PolicyMeta], answers: Answers) -> list[Result]:
    out: list[Result] = []
    for meta in metas:
        if meta.enforcement == Level.DISABLED:
            continue
        if meta.kind == PolicyKind.RESOURCE:
            out += _resource_results(meta, plan.resources, answers)
        else:
            out += _stack_results(meta, plan, answers.stack)
    return out


def unknown_input(message: str) -> str:
    """The input path pulumi-policy names in "can't run during preview" (`... value at .sslPolicy can't be known`)."""
    found = _UNKNOWN_PATH.search(message)
    return found.group(1) if found else "(an input)"


def _judged_unknown(meta: PolicyMeta, name: str, answer: Answer) -> tuple[Level, str]:
    """Offline there is no `pulumi up` to judge the value later, so an unknown on a mandatory control blocks
    unless the policy config accepts that resource's input by name."""
    path = unknown_input(answer.message)
    level = Level.MANDATORY if meta.enforcement in (Level.MANDATORY, Level.REMEDIATE) else meta.enforcement
    accepted = {str(a) for a in meta.config.get(ACCEPT_UNKNOWN, [])}
    if level == Level.MANDATORY and {f"{name}:{path}", f"*:{path}"} & accepted:
        return Level.ADVISORY, f"{path} is unknown; accepted by the policy config ({ACCEPT_UNKNOWN} {name}:{path})."
    return level, f"{path} is unknown, so the control could not be evaluated."


def observed(meta: PolicyMeta, record: ResourceRecord) -> dict[str, Any]:
    """What a pass saw: the plan's value at each input path the rule declares (`tags.LogClass`), masked when
    the value or a parent of it is secret, None when the input is not set."""
    return {path: _value_at(record, path) for path in meta.inputs}


def _value_at(record: ResourceRecord, path: str) -> Any:
    steps = path.split(".")
    if any(".".join(steps[: i + 1]) in record.secret_paths for i in range(len(steps))):
        return SECRET
    value: Any = record.inputs
    for step in steps:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _result(meta: PolicyMeta, record: ResourceRecord, answer: Answer | None = None) -> Result:
    if answer is None:
        return Result(
            meta.name, record.urn, record.type, record.name, Outcome.PASS, meta.enforcement, "", observed(meta, record)
        )
    return _answered(meta, record.urn, record.type, record.name, answer)


def _answered(meta: PolicyMeta, urn: str, type_: str, name: str, answer: Answer) -> Result:
    level, message = answer.level, answer.message
    if answer.outcome == Outcome.UNKNOWN:
        level, message = _judged_unknown(meta, name, answer)
    return Result(meta.name, urn, type_, name, answer.outcome, level, message)


def _resource_results(meta: PolicyMeta, records: Sequence[ResourceRecord], answers: Answers) -> list[Result]:
    out: list[Result] = []
    for record in records:
        said = [a for a in answers.resource.get(record.urn, []) if a.policy == meta.name]
        if said:
            out += [_result(meta, record, a) for a in said]
        elif record.type in meta.types:
            out.append(_result(meta, record))
    return out


def _stack_results(meta: PolicyMeta, plan: Plan, stack_answers: Sequence[Answer]) -> list[Result]:
    """Violations on named resources, then violations on the stack as a whole; a stack-wide not-applicable or
    unknown applies to every subject; any other subject not named passes."""
    by_urn = {r.urn: r for r in plan.resources}
    said = [a for a in stack_answers if a.policy == meta.name]
    subjects = [r for r in plan.resources if r.type in meta.types]
    stack_wide = [a for a in said if not a.urn]
    out: list[Result] = []
    for answer in said:
        if answer.urn and answer.outcome == Outcome.VIOLATION:
            found = by_urn.get(answer.urn)
            type_, name = (found.type, found.name) if found else ("", answer.urn)
            out.append(Result(meta.name, answer.urn, type_, name, answer.outcome, answer.level, answer.message))
    root = stack_urn(plan)
    for answer in stack_wide:
        if answer.outcome == Outcome.VIOLATION:
            out.append(Result(meta.name, root, STACK_TYPE, plan.stack, answer.outcome, answer.level, answer.message))
    unjudged = [a for a in stack_wide if a.outcome in (Outcome.NOT_APPLICABLE, Outcome.UNKNOWN)]
    if unjudged:
        first = unjudged[0]
        targets = [(r.urn, r.type, r.name) for r in subjects] or [(root, STACK_TYPE, plan.stack)]
        return out + [_answered(meta, u, t, n, first) for u, t, n in targets]
    flagged = {a.urn for a in said if a.urn}
    return out + [_result(meta, r) for r in subjects if r.urn not in flagged]
