"""Convert each resource's properties from protobuf once per request, not once per policy.

pulumi-policy's Analyze and AnalyzeStack call `json_format.MessageToDict` on the same properties message for every
policy (and on the provider's for every resource): about 2.5 conversions per resource per policy, 72,000 for
production's 282 resources, 2.0 of the pack's 5.0 s of CPU (measured 2026-12-03, pulumi-policy 1.20). `install()`
gives the module a `json_format` whose `MessageToDict` remembers its answer for each message object. The memo holds
the message itself, so its identity cannot pass to another message while remembered, and pulumi-policy never
changes a request. This runs in the pack process under `pulumi preview --policy-pack` and the offline runner
alike, so both stay one path.

The remembered dicts are shared between policies. That is safe because pulumi-policy only reads them:
`deserialize_properties` builds new containers from them (tests/policies/test_analyzer_memo.py checks that against
the installed pulumi-policy), and a policy's config is copied before the policy sees it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from types import ModuleType
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]

# Enough for every resource and provider of a 20-service stack (about 900) several times over: a few MB at most.
MAX_ENTRIES = 4096


class MemoJsonFormat:
    """`google.protobuf.json_format` with `MessageToDict(message)` remembered; everything else passed through."""

    def __init__(self, real: ModuleType = json_format, max_entries: int = MAX_ENTRIES) -> None:
        self._real = real
        self._max = max_entries
        self._answers: OrderedDict[int, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()  # the gRPC server answers on several threads
        self.conversions = 0

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:  # noqa: N802 - protobuf's
        if args or kwargs:  # other options: other answers; pulumi-policy passes none
            converted: dict[str, Any] = self._real.MessageToDict(message, *args, **kwargs)
            return converted
        with self._lock:
            found = self._answers.get(id(message))
        if found is not None and found[0] is message:
            return found[1]
        answer: dict[str, Any] = self._real.MessageToDict(message)
        with self._lock:
            self.conversions += 1
            self._answers[id(message)] = (message, answer)  # the message held: its id stays its own
            if len(self._answers) > self._max:
                self._answers.popitem(last=False)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install(analyzer: ModuleType | None = None) -> bool:
    """Give pulumi-policy's analyzer module the remembering `json_format`; False (and nothing changed) when the
    module no longer reads `json_format` the way this expects."""
    if analyzer is None:
        import pulumi_policy.policy

        analyzer = pulumi_policy.policy
    current = getattr(analyzer, "json_format", None)
    if isinstance(current, MemoJsonFormat):
        return True
    if current is not json_format:
        return False
    setattr(analyzer, "json_format", MemoJsonFormat())  # noqa: B010 - a module attribute mypy cannot see
    return True
