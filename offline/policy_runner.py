"""Run the policy pack over an offline plan the way `pulumi preview --policy-pack policies` does.

The pack is started as the CLI starts it, `python -m pulumi.policy <engine-address> .` in `policies/`; it prints
the port of its Analyzer gRPC server. The runner then speaks the Analyzer protocol like the engine:
GetAnalyzerInfo, Configure (the stack's policy config reconciled as the CLI does: `all`, per-policy enforcement
levels, schema defaults, schema validation), ConfigureStack, Analyze for every resource of the plan and
AnalyzeStack with all of them (parent, dependencies and property dependencies as recorded).
The engine address is never dialled: the pack only calls the engine to log, and its runtime settings carry no
engine, so the runner passes a placeholder instead of serving a fake Engine.

`run_direct` runs the same policy objects in-process on the same plan (no gRPC), so tests can show that both
paths give the same results.

The Analyzer protocol reports violations and not-applicable results, not passes. A pass is therefore derived:
the policy judges the resource's type (its `resource:<type>` tag) and reported neither for that resource.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from offline.plan import SECRET, UNKNOWN, Plan, ResourceRecord
from offline.project import ROOT

PACK_DIR = ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"
ENGINE_PLACEHOLDER = "127.0.0.1:0"
LEVELS = ("advisory", "mandatory", "disabled", "remediate")
SEVERITIES = ("unspecified", "low", "medium", "high", "critical")
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi_policy.proxy.UNKNOWN_STRING_VALUE
PASS_RULE = (
    "The Analyzer protocol reports violations and not-applicable results only. A pass is recorded when a policy "
    "judges the resource's type (its resource:<type> tag) and reported neither for that resource."
)


class PolicyConfigError(Exception):
    """The policy config file names an unknown policy or a value its schema rejects."""


class PackError(Exception):
    """The policy pack could not be started or answered with an error."""


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    display_name: str
    description: str
    kind: str  # resource | stack
    severity: str
    enforcement: str  # as configured for this run
    framework: dict[str, str]
    tags: tuple[str, ...]
    remediation: str
    url: str
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t.removeprefix("resource:") for t in self.tags if t.startswith("resource:"))

    @property
    def control(self) -> str:
        return next((t.removeprefix("control:") for t in self.tags if t.startswith("control:")), "")

    def anchors(self, prefix: str) -> list[str]:
        return [t.split(":", 1)[1] for t in self.tags if t.startswith(prefix + ":")]


@dataclass(frozen=True)
class Result:
    policy: str
    urn: str
    type: str
    name: str
    outcome: str  # pass | violation | not-applicable | unknown
    enforcement: str
    message: str = ""

    def key(self) -> tuple[str, str, str, str, str]:
        """Identity for comparing two runs; the wording of "can't run during preview" differs by path."""
        return (
            self.policy,
            self.urn,
            self.outcome,
            self.enforcement,
            "" if self.outcome == "unknown" else self.message,
        )


@dataclass
class PolicyRun:
    pack: str
    version: str
    stack: str
    project: str
    started: str
    method: str
    config_file: str
    policies: list[PolicyMeta]
    results: list[Result]
    resource_count: int = 0
    note: str = PASS_RULE

    def by_policy(self) -> dict[str, list[Result]]:
        out: dict[str, list[Result]] = {p.name: [] for p in self.policies}
        for result in self.results:
            out.setdefault(result.policy, []).append(result)
        return out

    def count(self, outcome: str, enforcement: str | None = None) -> int:
        return sum(
            1 for r in self.results if r.outcome == outcome and (enforcement is None or r.enforcement == enforcement)
        )

    @property
    def mandatory_violations(self) -> list[Result]:
        return [r for r in self.results if r.outcome == "violation" and r.enforcement == "mandatory"]

    def policy(self, name: str) -> PolicyMeta:
        return next(p for p in self.policies if p.name == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for meta, raw in zip(self.policies, data["policies"], strict=True):
            raw["types"], raw["control"] = list(meta.types), meta.control
        return data


# -- configuration, reconciled as the CLI does -------------------------------------------------------------------
def config_path(stack: str) -> Path:
    return CONFIG_DIR / f"{stack}.json"


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PolicyConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: the policy config must be a JSON object")
    return data


def reconcile(
    policies: Sequence[tuple[str, str, Mapping[str, Any], Sequence[str]]], file_config: Mapping[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """(name, default level, schema properties, required) per policy + the file -> {name: (level, properties)}."""
    import jsonschema  # type: ignore[import-untyped]

    names = {p[0] for p in policies}
    unknown = sorted(set(file_config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy config names unknown policies: {', '.join(unknown)}")
    everyone = file_config.get("all")
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, default_level, schema, required in policies:
        level = default_level
        if isinstance(everyone, str):
            level = everyone
        elif isinstance(everyone, Mapping):
            level = str(everyone.get("enforcementLevel", level))
        properties = {k: v["default"] for k, v in schema.items() if isinstance(v, Mapping) and "default" in v}
        entry = file_config.get(name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, Mapping):
            level = str(entry.get("enforcementLevel", level))
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        if level not in LEVELS:
            raise PolicyConfigError(f"{name}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}")
        extra = sorted(set(properties) - set(schema))
        if extra:
            raise PolicyConfigError(f"{name}: unknown config key(s) {', '.join(extra)}")
        document = {"type": "object", "properties": dict(schema), "required": list(required)}
        try:
            jsonschema.validate(properties, document)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "(config)"
            raise PolicyConfigError(f"{name}.{where}: {exc.message}") from exc
        out[name] = (level, properties)
    return out


# -- plan values as the engine sends them -----------------------------------------------------------------------------
def engine_value(value: Any) -> Any:
    """Plan inputs back to engine form: "[unknown]" -> the unknown sentinel (secrets stay masked)."""
    if isinstance(value, dict):
        return {k: engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_value(v) for v in value]
    if value == UNKNOWN:
        return UNKNOWN_SENTINEL
    return value


def pack_version(pack_dir: Path = PACK_DIR) -> str:
    """The version the CLI reports: PulumiPolicy.yaml's (Python packs always say 0.0.1 themselves)."""
    data = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    return str(data.get("version", "0.0.1"))


def stack_urn(plan: Plan) -> str:
    return f"urn:pulumi:{plan.stack}::{plan.project}::pulumi:pulumi:Stack::{plan.project}-{plan.stack}"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- results from raw answers -------------------------------------------------------------------------------------
@dataclass
class _Answers:
    """What the pack said, per resource and for the stack, before passes are derived."""

    resource: dict[str, list[tuple[str, str, str, str]]] = field(
        default_factory=dict
    )  # urn -> (policy, kind, lvl, msg)
    stack: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (policy, kind, level, msg, urn)


def _strip(message: str, description: str) -> str:
    return message[len(description) + 1 :] if message.startswith(description + "\n") else message


def _unknown(message: str) -> bool:
    return message.startswith("can't run policy")


def _results(plan: Plan, metas: Sequence[PolicyMeta], answers: _Answers) -> list[Result]:
    records = [r for r in plan.resources]
    by_urn = {r.urn: r for r in records}
    root = stack_urn(plan)
    out: list[Result] = []
    for meta in metas:
        if meta.enforcement == "disabled":
            continue
        if meta.kind == "resource":
            for record in records:
                said = [a for a in answers.resource.get(record.urn, []) if a[0] == meta.name]
                if not said and record.type not in meta.types:
                    continue
                if not said:
                    out.append(Result(meta.name, record.urn, record.type, record.name, "pass", meta.enforcement))
                for _, kind, level, message in said:
                    out.append(Result(meta.name, record.urn, record.type, record.name, kind, level, message))
            continue
        said_stack = [a for a in answers.stack if a[0] == meta.name]
        subjects = [r for r in records if r.type in meta.types]
        stack_wide = [a for a in said_stack if not a[4]]
        na = [a for a in stack_wide if a[1] in ("not-applicable", "unknown")]
        for _, kind, level, message, urn in said_stack:
            if urn and kind == "violation":
                found = by_urn.get(urn)
                out.append(
                    Result(
                        meta.name,
                        urn,
                        found.type if found else "",
                        found.name if found else urn,
                        kind,
                        level,
                        message,
                    )
                )
        for _, kind, level, message, _urn in stack_wide:
            if kind == "violation":
                out.append(Result(meta.name, root, "pulumi:pulumi:Stack", plan.stack, kind, level, message))
        if na:
            _, kind, level, message, _ = na[0]
            targets = [(r.urn, r.type, r.name) for r in subjects] or [(root, "pulumi:pulumi:Stack", plan.stack)]
            for urn, type_, name in targets:
                out.append(Result(meta.name, urn, type_, name, kind, level, message))
            continue
        flagged = {a[4] for a in said_stack if a[4]}
        for record in subjects:
            if record.urn not in flagged:
                out.append(Result(meta.name, record.urn, record.type, record.name, "pass", meta.enforcement))
    return out


# -- the pack over gRPC ---------------------------------------------------------------------------------------------
def run_pack(plan: Plan, config_file: Path | None = None, *, pack_dir: Path = PACK_DIR, workers: int = 4) -> PolicyRun:
    """Start the pack like the CLI, analyze every resource and the stack, return the results."""
    import grpc  # type: ignore[import-untyped]
    from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    started = _now()
    file_config = load_config(config_file)
    env = {
        **os.environ,
        "PULUMI_PROJECT": plan.project,
        "PULUMI_STACK": plan.stack,
        "PULUMI_DRY_RUN": "true",
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_PLACEHOLDER, "."],
            cwd=pack_dir,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline().decode().strip()
            if not line.isdigit():
                process.wait(timeout=10)
                stderr.seek(0)
                raise PackError(f"policy pack did not start: {line} {stderr.read().decode()[-2000:]}")
            options = [("grpc.max_receive_message_length", 1024 * 1024 * 400)]
            with grpc.insecure_channel(f"127.0.0.1:{line}", options=options) as channel:
                stub = analyzer_pb2_grpc.AnalyzerStub(channel)
                info = stub.GetAnalyzerInfo(empty_pb2.Empty())
                declared = [
                    (
                        p.name,
                        LEVELS[p.enforcementLevel],
                        json_format.MessageToDict(p.configSchema.properties),
                        list(p.configSchema.required),
                    )
                    for p in info.policies
                ]
                reconciled = reconcile(declared, file_config)
                request = analyzer_pb2.ConfigureAnalyzerRequest()
                for name, (level, properties) in reconciled.items():
                    entry = request.policyConfig[name]
                    entry.enforcementLevel = LEVELS.index(level)
                    entry.properties.update(properties)
                stub.Configure(request)
                with contextlib.suppress(grpc.RpcError):  # older packs do not implement it; the CLI carries on
                    stub.ConfigureStack(
                        analyzer_pb2.AnalyzerStackConfigureRequest(
                            stack=plan.stack, project=plan.project, organization="organization", dry_run=True
                        )
                    )
                metas = [_meta_from_info(p, reconciled[p.name]) for p in info.policies]
                providers = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}

                def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
                    message = struct_pb2.Struct()
                    message.update(engine_value(dict(values)))
                    return message

                def options_of(record: ResourceRecord) -> Any:
                    return analyzer_pb2.AnalyzerResourceOptions(
                        protect=record.protect,
                        ignoreChanges=record.ignore_changes,
                        deleteBeforeReplace=record.delete_before_replace,
                        deleteBeforeReplaceDefined=record.delete_before_replace,
                        aliases=[a for a in record.aliases if a.startswith("urn:")],
                        parent=record.parent or "",
                    )

                def provider_of(record: ResourceRecord) -> Any:
                    provider = providers.get(record.provider or "")
                    if provider is None:
                        return None
                    return analyzer_pb2.AnalyzerProviderResource(
                        type=provider.type, properties=struct(provider.inputs), urn=provider.urn, name=provider.name
                    )

                def analyze(record: ResourceRecord) -> tuple[str, Any]:
                    response = stub.Analyze(
                        analyzer_pb2.AnalyzeRequest(
                            type=record.type,
                            properties=struct(record.inputs),
                            urn=record.urn,
                            name=record.name,
                            options=options_of(record),
                            provider=provider_of(record),
                        )
                    )
                    return record.urn, response

                answers = _Answers()
                descriptions = {m.name: m.description for m in metas}
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    for urn, response in pool.map(analyze, plan.resources):
                        said = answers.resource.setdefault(urn, [])
                        for d in response.diagnostics:
                            kind = "unknown" if _unknown(d.message) else "violation"
                            said.append(
                                (d.policyName, kind, LEVELS[d.enforcementLevel], _strip(d.message, d.description))
                            )
                        for n in response.not_applicable:
                            said.append((n.policy_name, "not-applicable", _level(reconciled, n.policy_name), n.reason))
                stack_request = analyzer_pb2.AnalyzeStackRequest(
                    resources=[
                        analyzer_pb2.AnalyzerResource(
                            type=r.type,
                            properties=struct(r.inputs),
                            urn=r.urn,
                            name=r.name,
                            options=options_of(r),
                            provider=provider_of(r),
                            parent=r.parent or "",
                            dependencies=r.dependencies,
                            propertyDependencies={
                                key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                                for key, urns in r.property_dependencies.items()
                            },
                        )
                        for r in plan.resources
                    ]
                )
                response = stub.AnalyzeStack(stack_request)
                for d in response.diagnostics:
                    kind = "unknown" if _unknown(d.message) else "violation"
                    message = _strip(d.message, descriptions.get(d.policyName, d.description))
                    answers.stack.append((d.policyName, kind, LEVELS[d.enforcementLevel], message, d.urn))
                for n in response.not_applicable:
                    answers.stack.append(
                        (n.policy_name, "not-applicable", _level(reconciled, n.policy_name), n.reason, "")
                    )
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
    return PolicyRun(
        pack=info.name,
        version=pack_version(pack_dir),
        stack=plan.stack,
        project=plan.project,
        started=started,
        method="Analyzer gRPC service of `python -m pulumi.policy` (as `pulumi preview --policy-pack`)",
        config_file=_relative(config_file),
        policies=metas,
        results=_results(plan, metas, answers),
        resource_count=len(plan.resources),
    )


def _level(reconciled: Mapping[str, tuple[str, dict[str, Any]]], name: str) -> str:
    return reconciled[name][0] if name in reconciled else "advisory"


def _relative(path: Path | None) -> str:
    if path is None:
        return "(none: the pack's defaults)"
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _meta_from_info(info: Any, configured: tuple[str, dict[str, Any]]) -> PolicyMeta:
    framework = {
        k: getattr(info.framework, k)
        for k in ("name", "version", "reference", "specification")
        if getattr(info.framework, k)
    }
    return PolicyMeta(
        name=info.name,
        display_name=info.displayName,
        description=info.description,
        kind="stack" if info.policy_type == 2 else "resource",
        severity=SEVERITIES[info.severity],
        enforcement=configured[0],
        framework=framework,
        tags=tuple(info.tags),
        remediation=info.remediation_steps,
        url=info.url,
        config=configured[1],
    )


# -- the same policies in-process ------------------------------------------------------------------------------------
def run_direct(
    plan: Plan, config_file: Path | Mapping[str, Any] | None = None, policies: Iterable[Any] | None = None
) -> PolicyRun:
    """Call the policies' validate functions directly on the plan: the reference the gRPC path must equal.
    `config_file` may also be the config itself (a dict), for tests."""
    from pulumi_policy import (
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
    )
    from pulumi_policy.policy import PolicyCustomTimeouts, _NotApplicableError
    from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

    from policies.rules import POLICIES

    started = _now()
    pack: list[Any] = list(policies) if policies is not None else list(POLICIES)
    declared = [
        (
            p.name,
            (p.enforcement_level.value if p.enforcement_level else "advisory"),
            (p.config_schema.properties if p.config_schema else {}),
            (p.config_schema.required or [] if p.config_schema else []),
        )
        for p in pack
    ]
    file_config = dict(config_file) if isinstance(config_file, Mapping) else load_config(config_file)
    reconciled = reconcile(declared, file_config)
    metas = [_meta_from_policy(p, reconciled[p.name]) for p in pack]
    providers = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}

    def opts(record: ResourceRecord) -> Any:
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

    @functools.cache
    def provider_resource(urn: str) -> Any:
        found = providers.get(urn)
        if found is None:
            return None
        return PolicyProviderResource(
            found.type, unknown_checking_proxy(engine_value(found.inputs)), found.urn, found.name
        )

    def provider(record: ResourceRecord) -> Any:
        return provider_resource(record.provider or "")

    answers = _Answers()
    judged = {m.name: set(m.types) for m in metas}
    for record in plan.resources:
        said = answers.resource.setdefault(record.urn, [])
        for policy in pack:
            level, config = reconciled[policy.name]
            if level == "disabled" or not isinstance(policy, ResourceValidationPolicy):
                continue
            if judged[policy.name] and record.type not in judged[policy.name]:
                continue  # the pack's policies skip types they do not judge (their resource:<type> tags)
            level = "mandatory" if level == "remediate" else level
            messages: list[str] = []
            args = ResourceValidationArgs(
                record.type,
                unknown_checking_proxy(engine_value(record.inputs)),
                record.urn,
                record.name,
                opts(record),
                provider(record),
                dict(config),
            )
            try:
                policy.validate(args, lambda message, _urn=None, out=messages: out.append(message))  # type: ignore[misc]
            except UnknownValueError as exc:
                said.append((policy.name, "unknown", "advisory", f"can't run policy '{policy.name}': {exc.message}"))
            except _NotApplicableError as exc:
                said.append((policy.name, "not-applicable", level, exc.reason or ""))
            said += [(policy.name, "violation", level, m) for m in messages]

    if all(isinstance(p, ResourceValidationPolicy) for p in pack):
        return _direct_run(plan, config_file, metas, answers, started)
    nodes = {
        r.urn: PolicyResource(
            r.type, unknown_checking_proxy(engine_value(r.inputs)), r.urn, r.name, opts(r), provider(r), None, [], {}
        )
        for r in plan.resources
    }
    for record in plan.resources:
        node = nodes[record.urn]
        node.parent = nodes.get(record.parent or "")
        node.dependencies = [nodes[d] for d in record.dependencies if d in nodes]
        node.property_dependencies = {
            key: [nodes[u] for u in urns if u in nodes] for key, urns in record.property_dependencies.items()
        }
    for policy in pack:
        level, config = reconciled[policy.name]
        if level == "disabled" or isinstance(policy, ResourceValidationPolicy):
            continue
        level = "mandatory" if level == "remediate" else level
        reported: list[tuple[str, str]] = []
        stack_args = StackValidationArgs(list(nodes.values()), dict(config))
        try:
            policy.validate(stack_args, lambda message, urn=None, out=reported: out.append((message, urn or "")))
        except UnknownValueError as exc:
            answers.stack.append((policy.name, "unknown", "advisory", f"can't run policy: {exc.message}", ""))
        except _NotApplicableError as exc:
            answers.stack.append((policy.name, "not-applicable", level, exc.reason or "", ""))
        answers.stack += [(policy.name, "violation", level, m, u) for m, u in reported]
    return _direct_run(plan, config_file, metas, answers, started)


def _direct_run(
    plan: Plan, config_file: Path | Mapping[str, Any] | None, metas: list[PolicyMeta], answers: _Answers, started: str
) -> PolicyRun:
    from policies.rules import PACK_NAME

    return PolicyRun(
        pack=PACK_NAME,
        version=pack_version(),
        stack=plan.stack,
        project=plan.project,
        started=started,
        method="direct in-process validation (policies.rules)",
        config_file="(inline)" if isinstance(config_file, Mapping) else _relative(config_file),
        policies=metas,
        results=_results(plan, metas, answers),
        resource_count=len(plan.resources),
    )


def _meta_from_policy(policy: Any, configured: tuple[str, dict[str, Any]]) -> PolicyMeta:
    from pulumi_policy import StackValidationPolicy

    framework = policy.framework
    return PolicyMeta(
        name=policy.name,
        display_name=policy.display_name or "",
        description=policy.description,
        kind="stack" if isinstance(policy, StackValidationPolicy) else "resource",
        severity=policy.severity.value if policy.severity else "unspecified",
        enforcement=configured[0],
        framework={
            k: getattr(framework, k)
            for k in ("name", "version", "reference", "specification")
            if framework is not None and getattr(framework, k)
        },
        tags=tuple(policy.tags or ()),
        remediation=policy.remediation_steps or "",
        url=policy.url or "",
        config=configured[1],
    )


def write_reports(run: PolicyRun, out: Path) -> list[Path]:
    """Every report format, named <stack>.policy.<ext>, under `out`."""
    from offline.reports import WRITERS

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, writer in WRITERS.items():
        path = out / f"{run.stack}.policy.{suffix}"
        path.write_text(writer(run))
        written.append(path)
    return written


__all__ = ["SECRET", "PolicyRun", "Result", "reconcile", "run_direct", "run_pack", "write_reports"]
