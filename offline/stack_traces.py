"""The per-resource stack trace the offline engine sends, computed from the frames alone.

Every registration carries the caller's stack; the plan's `source` comes from it (`offline.monitor.declared_at`,
which reads only frames of this repository's components/ and infra/). The SDK builds it with
`traceback.extract_stack()`, which looks up every frame's source line, and makes a protobuf message of every frame
(pytest's and the SDK's included, about a hundred under the test suite): about a tenth of a render's CPU
(profiled on the production stack, 2026-12-03). `stack_trace()` walks the frames, keeps the SDK's rule for where
the caller's frames start, and sends only the frames `declared_at` reads, with each file's URI computed once;
the offline engine installs it for the length of a render (`installed`). `pulumi preview`/`up` never import this
module.
"""

from __future__ import annotations

import contextlib
import functools
import pathlib
import sys
from collections.abc import Iterator
from types import FrameType

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

from offline.monitor import SOURCE_FOLDERS
from offline.project import ROOT

# The SDK's rule: the caller is the frame outside the third `__init__` from the top (Resource, then
# CustomResource or ComponentResource, then the concrete resource class).
_INITS_TO_SKIP = 3
# The files whose frames `declared_at` reads, as code objects name them.
_PROGRAM_FILES = tuple(f"{ROOT / folder}/" for folder in SOURCE_FOLDERS)


@functools.cache
def _uri(filename: str) -> str | None:
    """As `_get_source_position_for_frame`: a file URI, or None where the path has none (`<frozen runpy>`)."""
    if filename == "":
        return None
    try:
        return pathlib.Path(filename).as_uri()
    except ValueError:  # a relative path (`<frozen runpy>`): the SDK drops the position
        return None


def _caller_of_resource(innermost: FrameType | None) -> FrameType | None:
    """The frame that called the resource constructor: the one outside the third `__init__` counted from the
    innermost frame (the SDK's rule), or None when there are fewer than three."""
    inits = 0
    while innermost is not None:
        if innermost.f_code.co_name == "__init__":
            inits += 1
            if inits == _INITS_TO_SKIP:
                return innermost.f_back
        innermost = innermost.f_back
    return None


def stack_trace() -> source_pb2.StackTrace:
    """`pulumi.runtime.resource._get_stack_trace()` without the frames outside the program's files (see the module
    docstring): the same frames, in the same order (innermost first), as the SDK's message once those are dropped."""
    frames = []
    frame = _caller_of_resource(sys._getframe())
    while frame is not None:
        filename, line = frame.f_code.co_filename, frame.f_lineno
        if filename.startswith(_PROGRAM_FILES) and line is not None and (uri := _uri(filename)) is not None:
            frames.append(source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=uri, line=line)))
        frame = frame.f_back
    return source_pb2.StackTrace(frames=frames)


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """The SDK uses `stack_trace` inside the block, its own function again after it."""
    original = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original
