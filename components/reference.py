"""Generate docs/components.md from the components' own declarations, so the reference cannot drift from them.

python -m components.reference > docs/components.md

Read with `ast`, never imported: no pulumi-aws import cost and no side effect. A component is a class deriving
(through the package) from `PlatformComponent`; its arguments are the dataclass its `__init__` takes as `args`,
its outputs the public attributes annotated in its class body. Each field and output is documented by a PEP 257
attribute docstring: the string literal right after the annotated name (what, unit, default and why).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BASE = "PlatformComponent"
# Modules with nothing to document (plumbing, re-exports) or that are tooling (this generator, type_scope).
SKIPPED = frozenset({"__init__", "aws", "reference", "type_scope"})


@dataclass(frozen=True)
class Entry:
    """One documented name: an args field or an output attribute."""

    name: str
    type: str
    default: str | None
    doc: str | None


@dataclass(frozen=True)
class ClassDoc:
    """A class as the reference shows it: a component (with outputs and its args class) or a dataclass."""

    module: str
    name: str
    doc: str | None
    bases: tuple[str, ...]
    entries: tuple[Entry, ...]
    is_dataclass: bool
    args_class: str | None


def _docstring_after(body: list[ast.stmt], index: int) -> str | None:
    nxt = body[index + 1] if index + 1 < len(body) else None
    if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
        return " ".join(nxt.value.value.split())
    return None


def _default(node: ast.expr | None) -> str | None:
    """The default as written; a `field(default_factory=...)` shows the factory's result expression."""
    if node is None:
        return None
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ("field", "dataclasses.field"):
        for keyword in node.keywords:
            if keyword.arg == "default":
                return ast.unparse(keyword.value)
            if keyword.arg == "default_factory":
                factory = keyword.value
                return ast.unparse(factory.body if isinstance(factory, ast.Lambda) else factory) + "()" * (
                    not isinstance(factory, ast.Lambda)
                )
    return ast.unparse(node)


def _entries(klass: ast.ClassDef) -> tuple[Entry, ...]:
    found = []
    for index, node in enumerate(klass.body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name.startswith("_") or ast.unparse(node.annotation).startswith("ClassVar"):
                continue
            found.append(
                Entry(name, ast.unparse(node.annotation), _default(node.value), _docstring_after(klass.body, index))
            )
    return tuple(found)


def _args_class(klass: ast.ClassDef) -> str | None:
    for node in klass.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            for arg in node.args.args + node.args.kwonlyargs:
                if arg.arg == "args" and arg.annotation is not None:
                    return ast.unparse(arg.annotation)
    return None


def _is_dataclass(klass: ast.ClassDef) -> bool:
    return any("dataclass" in ast.unparse(d) for d in klass.decorator_list)


def module_classes(path: Path) -> list[ClassDoc]:
    """Every top-level class of one module, as the reference reads it."""
    tree = ast.parse(path.read_text())
    return [
        ClassDoc(
            module=path.stem,
            name=node.name,
            doc=ast.get_docstring(node),
            bases=tuple(ast.unparse(b).split(".")[-1] for b in node.bases),
            entries=_entries(node),
            is_dataclass=_is_dataclass(node),
            args_class=_args_class(node),
        )
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    ]


def modules() -> dict[str, list[ClassDoc]]:
    """Module name -> its classes, for every documented module of the package."""
    return {path.stem: module_classes(path) for path in sorted(PACKAGE_DIR.glob("*.py")) if path.stem not in SKIPPED}


def component_names(found: dict[str, list[ClassDoc]]) -> set[str]:
    """Classes deriving, within the package, from PlatformComponent (AlarmSet's subclasses included)."""
    bases = {c.name: set(c.bases) for classes in found.values() for c in classes}
    components = {BASE}
    changed = True
    while changed:
        grown = {name for name, parents in bases.items() if parents & components}
        changed = not grown <= components
        components |= grown
    return components - {BASE}


def module_doc(path: Path) -> str | None:
    return ast.get_docstring(ast.parse(path.read_text()))


def missing_docs(path: Path, found: dict[str, list[ClassDoc]] | None = None) -> list[str]:
    """What one module leaves undocumented: classes without a docstring, fields and outputs without one.
    `found`: the package's `modules()` when the caller checks several of its files (each call parses them all)."""
    if path.parent != PACKAGE_DIR:
        found = {path.stem: module_classes(path)}
    elif found is None:
        found = modules()
    components = component_names(found)
    problems = []
    for klass in found.get(path.stem) or module_classes(path):
        if not (klass.is_dataclass or klass.name in components):
            continue
        if not klass.doc:
            problems.append(f"{path.stem}.{klass.name}: no class docstring")
        problems += [f"{path.stem}.{klass.name}.{e.name}: no docstring" for e in klass.entries if not e.doc]
    return problems


def _cell(text: str | None) -> str:
    return "—" if text is None else text.replace("|", "\\|").replace("\n", " ")


def _code(text: str | None) -> str:
    return "required" if text is None else f"`{_cell(text)}`"


def _class_section(klass: ClassDoc, heading: str) -> Iterator[str]:
    yield f"{heading} `{klass.name}`"
    yield ""
    yield klass.doc or "(no description)"
    yield ""


def _component(klass: ClassDoc) -> Iterator[str]:
    yield from _class_section(klass, "###")
    if klass.args_class:
        yield f"Arguments: [`{klass.args_class}`](#{klass.args_class.lower()}) (below)."
        yield ""
    yield "| Output | Type | Description |"
    yield "|---|---|---|"
    for e in klass.entries:
        yield f"| `{e.name}` | `{_cell(e.type)}` | {_cell(e.doc)} |"
    yield ""


def _dataclass(klass: ClassDoc) -> Iterator[str]:
    yield from _class_section(klass, "####")
    yield "| Field | Type | Default | Description |"
    yield "|---|---|---|---|"
    for e in klass.entries:
        yield f"| `{e.name}` | `{_cell(e.type)}` | {_code(e.default)} | {_cell(e.doc)} |"
    yield ""


def _module(name: str, classes: list[ClassDoc], components: set[str]) -> Iterator[str]:
    documented = [c for c in classes if c.is_dataclass or c.name in components]
    if not documented:
        return
    yield f"## `components/{name}.py`"
    yield ""
    if doc := module_doc(PACKAGE_DIR / f"{name}.py"):
        yield doc
        yield ""
    # Components first (what a reader came for), then the dataclasses their arguments are made of.
    for klass in sorted(documented, key=lambda c: c.name not in components):
        yield from _component(klass) if klass.name in components else _dataclass(klass)


def generate() -> str:
    found = modules()
    components = component_names(found)
    header = [
        "# Component reference",
        "",
        "Generated by `python -m components.reference` from the attribute docstrings in `components/`;",
        "a test fails when this file is stale or a field or output has no description. Per module: each",
        "component with its outputs (children exposed as escape hatches included), then the argument dataclasses",
        "with type, default and description.",
        "",
    ]
    body = [line for name, classes in found.items() for line in _module(name, classes, components)]
    return "\n".join([*header, *body]).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(generate(), end="")
