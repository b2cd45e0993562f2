"""The pack converts each resource's properties once per request (policies/analyzer_memo.py): same answers, the
memo installed before the pack is built, no answer reused for another message, and pulumi-policy never changes
what the memo shares between policies."""

from __future__ import annotations

import ast
import copy
import threading
from types import ModuleType
from typing import Any

import pulumi_policy.policy
import pytest
from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties

from offline.policy_config import PACK_DIR
from policies import analyzer_memo
from policies.analyzer_memo import MemoJsonFormat


class Counting:
    """json_format's MessageToDict, counted."""

    def __init__(self) -> None:
        self.calls = 0

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        self.calls += 1
        return json_format.MessageToDict(message, *args, **kwargs)


def struct(value: dict[str, Any]) -> Any:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def test_the_same_message_is_converted_once_with_the_real_answer() -> None:
    real = Counting()
    memo = MemoJsonFormat(real)  # type: ignore[arg-type]
    message = struct({"bucket": "logs", "tags": {"team": "platform"}, "rules": [1, "two", None]})
    answers = [memo.MessageToDict(message) for _ in range(104)]  # one per resource policy of the pack
    assert real.calls == 1 and all(a is answers[0] for a in answers)
    assert answers[0] == json_format.MessageToDict(message)


def test_another_message_is_converted_even_when_equal() -> None:
    real = Counting()
    memo = MemoJsonFormat(real)  # type: ignore[arg-type]
    assert memo.MessageToDict(struct({"a": 1})) == memo.MessageToDict(struct({"a": 1})) == {"a": 1}
    assert real.calls == 2


def test_options_go_to_protobuf_every_time() -> None:
    real = Counting()
    memo = MemoJsonFormat(real)  # type: ignore[arg-type]
    message = struct({"a": 1})
    memo.MessageToDict(message, preserving_proto_field_name=True)
    memo.MessageToDict(message, preserving_proto_field_name=True)
    assert real.calls == 2


def test_a_freed_identity_never_returns_an_old_answer() -> None:
    """Messages made and dropped one after another reuse the same addresses; with a memo of two entries, evicted
    entries free theirs. Keyed by bare id() without holding the message, this would answer with another's dict."""
    memo = MemoJsonFormat(max_entries=2)
    for number in range(2000):
        assert memo.MessageToDict(struct({"n": number})) == {"n": number}
    assert len(memo._answers) == 2


def test_threads_get_the_real_answer() -> None:
    memo = MemoJsonFormat()
    messages = [struct({"n": n, "list": list(range(n))}) for n in range(50)]
    wrong: list[int] = []

    def convert() -> None:
        for n, message in enumerate(messages * 4):
            if memo.MessageToDict(message) != {"n": n % 50, "list": list(range(n % 50))}:
                wrong.append(n)

    threads = [threading.Thread(target=convert) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == [] and 50 <= memo.conversions <= 50 * 8


def test_everything_else_of_json_format_passes_through() -> None:
    memo = MemoJsonFormat()
    assert memo.ParseDict is json_format.ParseDict and memo.MessageToJson is json_format.MessageToJson


def fake_analyzer(json_format_value: object) -> ModuleType:
    module = ModuleType("fake_policy")
    module.json_format = json_format_value  # type: ignore[attr-defined]
    return module


def test_install_replaces_only_the_json_format_it_expects_once() -> None:
    module = fake_analyzer(json_format)
    assert analyzer_memo.install(module)
    installed = module.json_format
    assert isinstance(installed, MemoJsonFormat)
    assert analyzer_memo.install(module) and module.json_format is installed  # twice: the same memo
    other = object()
    changed = fake_analyzer(other)
    assert not analyzer_memo.install(changed) and changed.json_format is other  # a changed pulumi-policy
    assert not analyzer_memo.install(ModuleType("no_json_format"))


def test_the_installed_pulumi_policy_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a pulumi-policy upgrade that reads protobuf another way, this fails: the pack is slow again."""
    monkeypatch.setattr(pulumi_policy.policy, "json_format", json_format)
    assert analyzer_memo.install()
    assert isinstance(vars(pulumi_policy.policy)["json_format"], MemoJsonFormat)


def test_the_pack_installs_it_before_it_is_built() -> None:
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    calls = [
        ast.unparse(node.value.func)
        for node in tree.body
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    ]
    assert calls.index("analyzer_memo.install") < calls.index("PolicyPack")


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


def containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in containers(v))]
    return []


@given(
    st.dictionaries(
        st.text(max_size=5),
        JSON | st.builds(lambda v: {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": v}, JSON),
        max_size=4,
    )
)
def test_pulumi_policy_reads_what_the_memo_shares_and_never_changes_it(properties: dict[str, Any]) -> None:
    before = copy.deepcopy(properties)
    for proxy_secrets in (False, True):
        result = deserialize_properties(properties, proxy_secrets)
        assert properties == before
        assert not set(containers(result)) & set(containers(properties))  # nothing of the shared dict handed out
