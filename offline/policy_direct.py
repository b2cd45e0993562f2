"""The pack's policies run in-process on a plan (no gRPC): the reference the Analyzer path must equal, and the
fast path the rule tests use."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyCustomTimeouts, _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from offline.plan import Plan, ResourceRecord
from offline.policy_config import Configured, Declared, load_config, pack_version, reconcile, relative
from offline.policy_model import Answer, Answers, Level, Outcome, PolicyKind, PolicyMeta, PolicyRun, Result
from offline.policy_results import engine_value, evidence, now, results, sources


def run_direct(
    plan: Plan, config_file: Path | Mapping[str, Any] | None = None, policies: Iterable[Any] | None = None
) -> PolicyRun:
    """Call the policies' validate functions directly on the plan. `config_file` may also be the config itself
    (a dict), for tests; `policies` defaults to the whole pack."""
    from policies.rules import PACK_NAME

    started = now()
    metas, found = _judge(plan, config_file, policies)
    return PolicyRun(
        pack=PACK_NAME,
        version=pack_version(),
        stack=plan.stack,
        project=plan.project,
        started=started,
        method="direct in-process validation (policies.rules)",
        config_file="(inline)" if isinstance(config_file, Mapping) else relative(config_file),
        policies=metas,
        results=found,
        resource_count=len(plan.resources),
        sources=sources(plan),
        evidence=evidence(plan),
    )


def direct_results(
    plan: Plan, config_file: Path | Mapping[str, Any] | None = None, policies: Iterable[Any] | None = None
) -> list[Result]:
    """`run_direct`'s results alone, without a report's evidence (commit, plan digest, versions): the rule tests
    judge hundreds of mutated plans, and the evidence (two git calls, the plan serialized) cost more than the
    judging."""
    return _judge(plan, config_file, policies)[1]


def _judge(
    plan: Plan, config_file: Path | Mapping[str, Any] | None, policies: Iterable[Any] | None
) -> tuple[list[PolicyMeta], list[Result]]:
    from policies.rules import POLICIES

    pack: list[Policy] = list(policies) if policies is not None else list(POLICIES)
    file_config = dict(config_file) if isinstance(config_file, Mapping) else load_config(config_file)
    reconciled = reconcile([_declared(p) for p in pack], file_config)
    metas = [_meta(p, reconciled[p.name]) for p in pack]
    view = _PlanView(plan)
    answers = Answers(resource=_resource_answers(view, pack, reconciled, metas))
    if not all(isinstance(p, ResourceValidationPolicy) for p in pack):
        answers.stack = _stack_answers(view, pack, reconciled)
    return metas, results(plan, metas, answers)


def _declared(policy: Policy) -> Declared:
    schema = policy.config_schema
    level = policy.enforcement_level.value if policy.enforcement_level else "advisory"
    return Declared(policy.name, level, schema.properties if schema else {}, (schema.required or []) if schema else [])


def _effective(level: Level) -> Level:
    """pulumi-policy reports `remediate` policies' violations as mandatory."""
    return Level.MANDATORY if level == Level.REMEDIATE else level


class _PlanView:
    """The plan's records as pulumi-policy objects: options, providers and (for stack policies) the graph."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.providers = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}

    @staticmethod
    def options(record: ResourceRecord) -> PolicyResourceOptions:
        aliases = [a for a in record.aliases if a.startswith("urn:")]
        return PolicyResourceOptions(
            record.protect,
            list(record.ignore_changes),
            record.delete_before_replace if record.delete_before_replace else None,
            aliases,
            PolicyCustomTimeouts(0, 0, 0),
            [],
            record.parent,
        )

    @functools.cache  # noqa: B019 - one view per run, dropped with it
    def provider(self, urn: str) -> PolicyProviderResource | None:
        found = self.providers.get(urn)
        if found is None:
            return None
        return PolicyProviderResource(
            found.type, unknown_checking_proxy(engine_value(found.inputs)), found.urn, found.name
        )

    def args(self, record: ResourceRecord, config: Mapping[str, Any]) -> ResourceValidationArgs:
        return ResourceValidationArgs(
            record.type,
            unknown_checking_proxy(engine_value(record.inputs)),
            record.urn,
            record.name,
            self.options(record),
            self.provider(record.provider or ""),
            dict(config),
        )

    def graph(self) -> list[PolicyResource]:
        nodes = {
            r.urn: PolicyResource(
                r.type,
                unknown_checking_proxy(engine_value(r.inputs)),
                r.urn,
                r.name,
                self.options(r),
                self.provider(r.provider or ""),
                None,
                [],
                {},
            )
            for r in self.plan.resources
        }
        for record in self.plan.resources:
            node = nodes[record.urn]
            node.parent = nodes.get(record.parent or "")
            node.dependencies = [nodes[d] for d in record.dependencies if d in nodes]
            node.property_dependencies = {
                key: [nodes[u] for u in urns if u in nodes] for key, urns in record.property_dependencies.items()
            }
        return list(nodes.values())


def _resource_answers(
    view: _PlanView, pack: Sequence[Policy], reconciled: Mapping[str, Configured], metas: Sequence[PolicyMeta]
) -> dict[str, list[Answer]]:
    judged = {m.name: set(m.types) for m in metas}
    out: dict[str, list[Answer]] = {}
    for record in view.plan.resources:
        said = out.setdefault(record.urn, [])
        for policy in pack:
            level, config = reconciled[policy.name]
            if level == Level.DISABLED or not isinstance(policy, ResourceValidationPolicy):
                continue
            if judged[policy.name] and record.type not in judged[policy.name]:
                continue  # the pack's policies skip types they do not judge (their resource:<type> tags)
            said += _validate_resource(policy, view.args(record, config), _effective(level))
    return out


def _validate_resource(policy: ResourceValidationPolicy, args: ResourceValidationArgs, level: Level) -> list[Answer]:
    messages: list[str] = []
    answers: list[Answer] = []
    try:
        policy.validate(args, lambda message, _urn=None: messages.append(message))  # type: ignore[misc]
    except UnknownValueError as exc:
        text = f"can't run policy '{policy.name}': {exc.message}"
        answers.append(Answer(policy.name, Outcome.UNKNOWN, Level.ADVISORY, text, args.urn))
    except _NotApplicableError as exc:
        answers.append(Answer(policy.name, Outcome.NOT_APPLICABLE, level, exc.reason or "", args.urn))
    return answers + [Answer(policy.name, Outcome.VIOLATION, level, m, args.urn) for m in messages]


def _stack_answers(view: _PlanView, pack: Sequence[Policy], reconciled: Mapping[str, Configured]) -> list[Answer]:
    nodes = view.graph()
    out: list[Answer] = []
    for policy in pack:
        level, config = reconciled[policy.name]
        if level == Level.DISABLED or not isinstance(policy, StackValidationPolicy):
            continue
        level = _effective(level)
        reported: list[tuple[str, str]] = []
        try:
            policy.validate(
                StackValidationArgs(nodes, dict(config)),
                lambda message, urn=None, out=reported: out.append((message, urn or "")),  # type: ignore[misc]
            )
        except UnknownValueError as exc:
            out.append(Answer(policy.name, Outcome.UNKNOWN, Level.ADVISORY, f"can't run policy: {exc.message}"))
        except _NotApplicableError as exc:
            out.append(Answer(policy.name, Outcome.NOT_APPLICABLE, level, exc.reason or ""))
        out += [Answer(policy.name, Outcome.VIOLATION, level, m, u) for m, u in reported]
    return out


def _meta(policy: Policy, configured: Configured) -> PolicyMeta:
    framework, severity = policy.framework, policy.severity
    return PolicyMeta(
        name=policy.name,
        display_name=policy.display_name or "",
        description=policy.description,
        kind=PolicyKind.STACK if isinstance(policy, StackValidationPolicy) else PolicyKind.RESOURCE,
        severity=severity.value if severity else "unspecified",
        enforcement=configured.level,
        framework={
            k: getattr(framework, k)
            for k in ("name", "version", "reference", "specification")
            if framework is not None and getattr(framework, k)
        },
        tags=tuple(policy.tags or ()),
        remediation=policy.remediation_steps or "",
        url=policy.url or "",
        config=configured.properties,
    )
