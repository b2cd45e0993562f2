"""Run the policy pack over an offline plan the way `pulumi preview --policy-pack policies` does.

The pack is started as the CLI starts it, `python -m pulumi.policy <engine-address> .` in `policies/`; it prints
the port of its Analyzer gRPC server. The runner then speaks the Analyzer protocol like the engine:
GetAnalyzerInfo, Configure (the stack's policy config reconciled as the CLI does, `policy_config`),
ConfigureStack, Analyze for every resource of the plan and AnalyzeStack with all of them (parent, dependencies
and property dependencies as recorded).
The engine address is never dialled: the pack only calls the engine to log, and its runtime settings carry no
engine, so the runner passes a placeholder instead of serving a fake Engine.

`policy_direct.run_direct` runs the same policy objects in-process on the same plan (no gRPC), so tests can show
that both paths give the same results; `policy_results` turns what the pack said into results (passes derived).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from offline.plan import SECRET, Plan, ResourceRecord
from offline.policy_config import (
    CONFIG_DIR,
    PACK_DIR,
    Configured,
    Declared,
    PolicyConfigError,
    config_path,
    load_config,
    pack_version,
    reconcile,
    relative,
)
from offline.policy_direct import run_direct
from offline.policy_model import (
    LEVELS,
    PASS_RULE,
    SEVERITIES,
    Answer,
    Answers,
    Level,
    Outcome,
    PolicyKind,
    PolicyMeta,
    PolicyRun,
    Result,
)
from offline.policy_results import engine_value, evidence, now, results, sources
from offline.reports import WRITERS

ENGINE_PLACEHOLDER = "127.0.0.1:0"
STACK_POLICY = 2  # analyzer_pb2.PolicyType.POLICY_TYPE_STACK
MAX_MESSAGE = 1024 * 1024 * 400


class PackError(Exception):
    """The policy pack could not be started or answered with an error."""


def run_pack(plan: Plan, config_file: Path | None = None, *, pack_dir: Path = PACK_DIR, workers: int = 4) -> PolicyRun:
    """Start the pack like the CLI, analyze every resource and the stack, return the results."""
    started = now()
    file_config = load_config(config_file)
    with (
        _pack_process(plan, pack_dir) as port,
        grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", MAX_MESSAGE)]
        ) as channel,
    ):
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        reconciled = _configure(stub, plan, info, file_config)
        metas = [_meta(p, reconciled[p.name]) for p in info.policies]
        wire = _Wire(plan)
        answers = Answers(resource=_analyze_resources(stub, wire, reconciled, workers))
        answers.stack = _analyze_stack(stub, wire, metas, reconciled)
    return PolicyRun(
        pack=info.name,
        version=pack_version(pack_dir),
        stack=plan.stack,
        project=plan.project,
        started=started,
        method="Analyzer gRPC service of `python -m pulumi.policy` (as `pulumi preview --policy-pack`)",
        config_file=relative(config_file),
        policies=metas,
        results=results(plan, metas, answers),
        resource_count=len(plan.resources),
        sources=sources(plan),
        evidence=evidence(plan),
    )


@contextlib.contextmanager
def _pack_process(plan: Plan, pack_dir: Path) -> Iterator[str]:
    """`python -m pulumi.policy` in the pack folder, as the CLI starts it; yields the port it prints."""
    env = {
        **os.environ,
        "PULUMI_PROJECT": plan.project,
        "PULUMI_STACK": plan.stack,
        "PULUMI_DRY_RUN": "true",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_PLACEHOLDER, "."]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, cwd=pack_dir, stdout=subprocess.PIPE, stderr=stderr, env=env)
        try:
            assert process.stdout is not None
            line = process.stdout.readline().decode().strip()
            if not line.isdigit():
                process.wait(timeout=10)
                stderr.seek(0)
                raise PackError(f"policy pack did not start: {line} {stderr.read().decode()[-2000:]}")
            yield line
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _configure(stub: Any, plan: Plan, info: Any, file_config: Mapping[str, Any]) -> dict[str, Configured]:
    """Configure (levels and properties reconciled as the CLI does), then ConfigureStack."""
    declared = [
        Declared(
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
    return reconciled


class _Wire:
    """Plan records as Analyzer protocol messages."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.providers = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}

    @staticmethod
    def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
        message = struct_pb2.Struct()
        message.update(engine_value(dict(values)))
        return message

    @staticmethod
    def options(record: ResourceRecord) -> Any:
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=record.protect,
            ignoreChanges=record.ignore_changes,
            deleteBeforeReplace=record.delete_before_replace,
            deleteBeforeReplaceDefined=record.delete_before_replace,
            aliases=[a for a in record.aliases if a.startswith("urn:")],
            parent=record.parent or "",
        )

    def provider(self, record: ResourceRecord) -> Any:
        provider = self.providers.get(record.provider or "")
        if provider is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider.type, properties=self.struct(provider.inputs), urn=provider.urn, name=provider.name
        )

    def _fields(self, record: ResourceRecord) -> dict[str, Any]:
        return {
            "type": record.type,
            "properties": self.struct(record.inputs),
            "urn": record.urn,
            "name": record.name,
            "options": self.options(record),
            "provider": self.provider(record),
        }

    def analyze_request(self, record: ResourceRecord) -> Any:
        return analyzer_pb2.AnalyzeRequest(**self._fields(record))

    def stack_resource(self, record: ResourceRecord) -> Any:
        """A resource of AnalyzeStack: the same fields, and its place in the graph."""
        return analyzer_pb2.AnalyzerResource(
            **self._fields(record),
            parent=record.parent or "",
            dependencies=record.dependencies,
            propertyDependencies={
                key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                for key, urns in record.property_dependencies.items()
            },
        )


def _strip(message: str, description: str) -> str:
    """Diagnostics repeat the policy's description on the first line; the result keeps what was found."""
    return message[len(description) + 1 :] if message.startswith(description + "\n") else message


def _diagnostic(d: Any, description: str, urn: str) -> Answer:
    outcome = Outcome.UNKNOWN if d.message.startswith("can't run policy") else Outcome.VIOLATION
    return Answer(d.policyName, outcome, LEVELS[d.enforcementLevel], _strip(d.message, description), urn)


def _not_applicable(n: Any, reconciled: Mapping[str, Configured], urn: str) -> Answer:
    level = reconciled[n.policy_name].level if n.policy_name in reconciled else Level.ADVISORY
    return Answer(n.policy_name, Outcome.NOT_APPLICABLE, level, n.reason, urn)


def _analyze_resources(
    stub: Any, wire: _Wire, reconciled: Mapping[str, Configured], workers: int
) -> dict[str, list[Answer]]:
    def analyze(record: ResourceRecord) -> tuple[str, Any]:
        return record.urn, stub.Analyze(wire.analyze_request(record))

    out: dict[str, list[Answer]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for urn, response in pool.map(analyze, wire.plan.resources):
            said = out.setdefault(urn, [])
            said += [_diagnostic(d, d.description, urn) for d in response.diagnostics]
            said += [_not_applicable(n, reconciled, urn) for n in response.not_applicable]
    return out


def _analyze_stack(
    stub: Any, wire: _Wire, metas: list[PolicyMeta], reconciled: Mapping[str, Configured]
) -> list[Answer]:
    request = analyzer_pb2.AnalyzeStackRequest(resources=[wire.stack_resource(r) for r in wire.plan.resources])
    response = stub.AnalyzeStack(request)
    descriptions = {m.name: m.description for m in metas}
    said = [_diagnostic(d, descriptions.get(d.policyName, d.description), d.urn) for d in response.diagnostics]
    return said + [_not_applicable(n, reconciled, "") for n in response.not_applicable]


def _meta(info: Any, configured: Configured) -> PolicyMeta:
    framework = {
        k: getattr(info.framework, k)
        for k in ("name", "version", "reference", "specification")
        if getattr(info.framework, k)
    }
    return PolicyMeta(
        name=info.name,
        display_name=info.displayName,
        description=info.description,
        kind=PolicyKind.STACK if info.policy_type == STACK_POLICY else PolicyKind.RESOURCE,
        severity=SEVERITIES[info.severity],
        enforcement=configured.level,
        framework=framework,
        tags=tuple(info.tags),
        remediation=info.remediation_steps,
        url=info.url,
        config=configured.properties,
    )


def write_reports(run: PolicyRun, out: Path) -> list[Path]:
    """Every report format, named <stack>.policy.<ext>, under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, writer in WRITERS.items():
        path = out / f"{run.stack}.policy.{suffix}"
        path.write_text(writer(run))
        written.append(path)
    return written


__all__ = [
    "CONFIG_DIR",
    "PASS_RULE",
    "SECRET",
    "PackError",
    "PolicyConfigError",
    "PolicyRun",
    "Result",
    "config_path",
    "reconcile",
    "run_direct",
    "run_pack",
    "write_reports",
]
