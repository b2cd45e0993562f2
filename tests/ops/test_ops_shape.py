"""ops/ keeps the bar tests/policies/test_code_shape.py sets for offline/ and policies/: no function over 60 lines."""

from __future__ import annotations

import ast

from tests.policies.test_code_shape import MAX_FUNCTION_LINES, ROOT, sources


def long_functions(source: str, name: str) -> list[str]:
    return [
        f"{name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_no_function_in_ops_is_longer_than_60_lines() -> None:
    assert [
        line for path in sources("ops") for line in long_functions(path.read_text(), str(path.relative_to(ROOT)))
    ] == []


def test_the_length_check_finds_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}\n", "m.py") == [f"m.py:1 f ({MAX_FUNCTION_LINES + 1} lines)"]
    assert long_functions("def g():\n    return 1\n", "m.py") == []
