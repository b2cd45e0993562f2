"""A mock monitor that records what the engine would receive (parent, dependencies and options included) and
answers every call without re-entering the event loop.

The SDK's `MockMonitor` serializes its answers with `_sync_await`, which pumps the event loop from inside
the call. The offline engine runs monitor calls on the loop's own thread (see `offline.render`), so each
such call would run other registrations nested inside it: the stack deepens with every resource in flight
(a RecursionError at about 10 services) and a nested pump can wait for a task that is suspended further
up the same stack (the hang at 20). Mock answers are plain values, so serializing them never has to wait:
`_complete` runs the coroutine to its end in one step, and fails loudly if it ever would have to wait.
"""

from __future__ import annotations

import hashlib
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi import asset
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2

from offline.mocks import AwsMocks
from offline.plan import SECRET, UNKNOWN, ResourceRecord
from offline.project import ROOT

SOURCE_FOLDERS = ("components/", "infra/")
# Functions that declare resources for their callers: a finding belongs at the call site that chose the
# arguments, so their frames are passed over while a caller's frame under SOURCE_FOLDERS follows.
SHARED_HELPERS = ("components/logs.py", "components/iam.py", "components/security_groups.py")

STACK_TYPE = "pulumi:pulumi:Stack"
# A path inside the checkout (a Docker build context) is a detail of the machine that renders, never a value AWS
# sees: the plan records it from the checkout's root, so the base and head checkouts of a pull request (two
# folders) render equal plans instead of an update of every image.
CHECKOUT = "<checkout>"
_CHECKOUT_PREFIX = f"{ROOT}/"


class MonitorReentryError(RuntimeError):
    """A mock answer could not be serialized without waiting on the event loop."""


class RecordingMonitor(mocks.MockMonitor):
    """`MockResourceArgs` carries neither parent nor dependencies; the raw request does."""

    # The marker the program reads to know it renders offline (infra/engine.py, OFFLINE_MARKER): the committed
    # example values render here and are refused under the real engine.
    app_platform_offline_engine = True

    def __init__(self, aws_mocks: AwsMocks) -> None:
        super().__init__(aws_mocks)
        self.aws_mocks = aws_mocks
        self.records: list[ResourceRecord] = []

    # -- the calls the SDK makes; the same answers as MockMonitor's, serialized without pumping the loop --------
    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        self.records.append(self._record(request, urn))
        # The mocks see inputs as MockMonitor hands them: unknowns left out (the record keeps them).
        inputs = rpc.deserialize_properties(request.object)
        args = mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.mocks.new_resource(args)
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=_serialize(state))

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        state = rpc.deserialize_properties(request.properties)
        args = mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=state, provider=request.provider, resource_id=request.id
        )
        id_, outputs = self.mocks.new_resource(args)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, id_ or "", outputs)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_serialize(outputs))

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        args = rpc.deserialize_properties(request.args)
        if request.tok == "pulumi:pulumi:getResource":
            registered = self.resources.get(args["urn"])
            if registered is None:
                raise LookupError(f"unknown resource {args['urn']}")
            return resource_pb2.ResourceInvokeResponse(**{"return": _serialize(registered._asdict())})
        answer = self.mocks.call(mocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        values, failures = (answer, None) if isinstance(answer, dict) else answer
        checks = [provider_pb2.CheckFailure(property=key, reason=why) for key, why in failures or []]
        return resource_pb2.ResourceInvokeResponse(failures=checks, **{"return": _serialize(values)})

    # -- what the plan keeps --------------------------------------------------------------------------------------
    def _record(self, request: Any, urn: str) -> ResourceRecord:
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        secret_paths: list[str] = []
        if request.type.startswith("pulumi:providers:aws"):
            self.aws_mocks.provider_regions[urn] = str(inputs.get("region") or self.aws_mocks.default_region)
        return ResourceRecord(
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
            aliases=[self._alias_urn(a, request) for a in request.aliases],
            secret_paths=secret_paths,
            property_dependencies={
                key: sorted(set(deps.urns)) for key, deps in sorted(request.propertyDependencies.items()) if deps.urns
            },
            source=declared_at(request),
        )

    def _alias_urn(self, alias: Any, request: Any) -> str:
        """The URN an alias names. A spec (`Alias(name=...)`) is relative to the resource: its missing type and
        parent are the resource's own, as the engine resolves it, so the diff can match it to the base plan."""
        if alias.urn:
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        return str(self.make_urn(parent, spec.type or request.type, spec.name or request.name))


def _serialize(values: dict[str, Any]) -> struct_pb2.Struct:
    return _complete(rpc.serialize_properties(values, {}))


def _complete(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never waits to its end, synchronously. Plain values (all a mock returns) serialize
    without awaiting anything; an Output or a Resource would have to wait for the loop, which the monitor
    cannot do from inside it without nesting, so that is an error rather than a hidden recursion."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise MonitorReentryError(
        "a mock answer awaited the event loop: mocks must return plain values (no Output, no Resource)"
    )


def declared_at(request: Any) -> str | None:
    """`components/x.py:42`: the innermost frame of the request's stack trace (the SDK sends the caller's frames,
    innermost first) that lies under components/ or infra/ of this repository, passing over the shared helpers
    (SHARED_HELPERS) unless nothing else of ours is on the stack."""
    ours: list[str] = []
    for frame in request.stackTrace.frames:
        path = Path(unquote(urlparse(frame.pc.uri).path)) if frame.pc.uri else None
        if path is not None and path.is_relative_to(ROOT):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(SOURCE_FOLDERS):
                if relative not in SHARED_HELPERS:
                    return f"{relative}:{frame.pc.line}"
                ours.append(f"{relative}:{frame.pc.line}")
    return ours[0] if ours else None


def _clean(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Mask secrets (remembering where they were), mark unknowns, turn integral floats back into ints, and record
    paths inside the checkout from its root (CHECKOUT)."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            secret_paths.append(path or "<root>")
            return SECRET
        return {k: _clean(v, f"{path}.{k}" if path else k, secret_paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    if value == rpc.UNKNOWN or isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, asset.Asset | asset.Archive):
        return _asset(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.startswith(_CHECKOUT_PREFIX):
        return f"{CHECKOUT}/{value.removeprefix(_CHECKOUT_PREFIX)}"
    return value


def _asset(value: asset.Asset | asset.Archive) -> dict[str, Any]:
    """An asset or archive as plain, deterministic data (the engine sends them as special objects): what it holds,
    files by their path in the repository and a SHA-256 of their content, so a code change shows in the plan diff
    as a change of that hash, and two renders of the same code are equal."""
    if isinstance(value, asset.AssetArchive):
        return {"archive": {name: _asset(item) for name, item in sorted(value.assets.items())}}
    if isinstance(value, asset.FileAsset | asset.FileArchive):
        path = Path(str(value.path)).resolve()
        kind = "file" if isinstance(value, asset.FileAsset) else "fileArchive"
        shown = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        return {kind: shown, "sha256": digest}
    if isinstance(value, asset.StringAsset):
        return {"text": {"sha256": hashlib.sha256(str(value.text).encode()).hexdigest()}}
    return {"remote": str(getattr(value, "uri", ""))}
