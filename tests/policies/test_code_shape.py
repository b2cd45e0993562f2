"""Shape rules (issues #13 and #25): short functions in the engine, the pack, the components and the program,
and no import cycle among offline/.

Read from the source with `ast`, so a function-level (lazy) import counts as much as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60


def sources(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every absolute import of `path`, anywhere in the file; `from a import b` gives `a` and `a.b` (b may be a
    module). Relative imports are left out."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """The offline modules `path` imports, anywhere in the file (`from a import b` counts `a.b` if a module)."""
    return imported(path) & known


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (a -> b -> a), or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [*path, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_no_function_in_offline_or_policies_is_longer_than_60_lines() -> None:
    assert [line for path in sources("offline", "policies") for line in long_functions(path)] == []


def test_no_function_in_components_or_infra_is_longer_than_60_lines() -> None:
    """Constructors and tier compositions are sequences of named steps (issue #25)."""
    assert [line for path in sources("components", "infra") for line in long_functions(path)] == []


def test_the_length_rule_can_fail(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def f() -> None:\n{body}\n")
    (tmp_path / "short.py").write_text("def g() -> None:\n    pass\n")
    assert long_functions(tmp_path / "long.py", tmp_path) == ["long.py:1 f (61 lines)"]
    assert long_functions(tmp_path / "short.py", tmp_path) == []


def test_offline_modules_import_no_cycle() -> None:
    paths = {module_name(p): p for p in sources("offline")}
    graph = {name: imports(path, set(paths)) - {name} for name, path in paths.items()}
    assert cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree() -> None:
    """The checker itself can fail: the runner and the report writers importing each other was the old shape."""
    assert cycle({"offline.policy_runner": {"offline.reports"}, "offline.reports": {"offline.policy_runner"}}) == [
        "offline.policy_runner",
        "offline.reports",
        "offline.policy_runner",
    ]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_reports_read_the_run_model_not_the_runner() -> None:
    for path in sources("offline/reports"):
        assert "offline.policy_runner" not in imports(path, {"offline.policy_runner"}), path
