"""A mock monitor that records what the engine would receive: parent, dependencies and options included."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc

from offline.mocks import AwsMocks
from offline.plan import SECRET, UNKNOWN, ResourceRecord
from offline.project import ROOT

SOURCE_FOLDERS = ("components/", "infra/")


class RecordingMonitor(mocks.MockMonitor):
    """`MockResourceArgs` carries neither parent nor dependencies; the raw request does."""

    # The marker the program reads to know it renders offline (infra/engine.py, OFFLINE_MARKER): the committed
    # example values render here and are refused under the real engine.
    app_platform_offline_engine = True

    def __init__(self, aws_mocks: AwsMocks) -> None:
        super().__init__(aws_mocks)
        self.aws_mocks = aws_mocks
        self.records: list[ResourceRecord] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            secret_paths: list[str] = []
            if request.type.startswith("pulumi:providers:aws"):
                self.aws_mocks.provider_regions[urn] = str(inputs.get("region") or self.aws_mocks.default_region)
            self.records.append(
                ResourceRecord(
                    urn=urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent=request.parent or None,
                    inputs=_clean(inputs, "", secret_paths),
                    dependencies=sorted(set(request.dependencies)),
                    provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                    protect=bool(request.protect),
                    ignore_changes=list(request.ignoreChanges),
                    replace_on_changes=list(request.replaceOnChanges),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    retain_on_delete=bool(request.retainOnDelete),
                    aliases=[_alias_text(a) for a in request.aliases],
                    secret_paths=secret_paths,
                    property_dependencies={
                        key: sorted(set(deps.urns))
                        for key, deps in sorted(request.propertyDependencies.items())
                        if deps.urns
                    },
                    source=declared_at(request),
                )
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def declared_at(request: Any) -> str | None:
    """`components/x.py:42`: the innermost frame of the request's stack trace (the SDK sends the caller's frames,
    innermost first) that lies under components/ or infra/ of this repository."""
    for frame in request.stackTrace.frames:
        path = Path(unquote(urlparse(frame.pc.uri).path)) if frame.pc.uri else None
        if path is not None and path.is_relative_to(ROOT):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(SOURCE_FOLDERS):
                return f"{relative}:{frame.pc.line}"
    return None


def _alias_text(alias: Any) -> str:
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    return f"name={spec.name} type={spec.type} parent={spec.parentUrn or ('<root>' if spec.noParent else '')}"


def _clean(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Mask secrets (remembering where they were), mark unknowns, and turn integral floats back into ints."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            secret_paths.append(path or "<root>")
            return SECRET
        return {k: _clean(v, f"{path}.{k}" if path else k, secret_paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    if value == rpc.UNKNOWN or isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
