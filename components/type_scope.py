"""Which pulumi-aws modules mypy reads: the ones the code uses, recorded in pyproject.toml.

    python3.11 dev.py components.type_scope            # whether pyproject.toml lists exactly what the code uses
    python3.11 dev.py components.type_scope --write    # after naming a new AWS resource type: record it

A pulumi-aws service package imports every module it holds (EC2: 183), so mypy analysed the whole of each
service we import, about 30 MB of Python: 18 s of a cold check's 26 s of CPU (2026-12-03, 2 cores; every CI run
and fresh clone is cold). pyproject.toml now skips pulumi-aws except what this module lists: each imported service
package with its argument types (`_inputs`, `_enums`), and the module defining each resource or function the code
names as `aws.<service>.<Name>`. Those keep their full types (argument names and value types are checked); the
nested result types of `outputs.py` read as Any (the renders run that code). A name the list misses fails the
check at once (`Module has no attribute "Instance"`), and tests/test_type_scope.py names the command above.

Read with `ast` and regular expressions, never imported: no pulumi-aws import cost.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
ALIAS_MODULE = ROOT / "components" / "aws.py"
# What dev.py type-checks (its TYPE_TARGETS; a test keeps the two equal): the code whose `aws.<service>.<Name>` count.
CODE_DIRS = ("components", "hooks", "infra", "offline", "policies", "ops", "app")
# pulumi-aws's own plumbing every service module imports, and each service's argument types.
ALWAYS = ("pulumi_aws._enums", "pulumi_aws._inputs", "pulumi_aws._utilities")
PER_SERVICE = ("_enums", "_inputs")
BEGIN = "# type-scope: begin (generated: python3.11 dev.py components.type_scope --write)"
END = "# type-scope: end"
DEFINITION = re.compile(r"^(?:class|def) (\w+)\b", re.M)


class ScopeError(Exception):
    """The code names something pulumi-aws does not define, or pyproject.toml has no generated block."""


def package_dir() -> Path:
    """pulumi-aws's folder, found without importing it."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or spec.origin is None:
        raise ScopeError("pulumi_aws is not installed: run `python3.11 dev.py sync`")
    return Path(spec.origin).parent


def alias_imports(path: Path = ALIAS_MODULE) -> tuple[list[str], list[str]]:
    """The services components/aws.py imports from pulumi_aws, and the other pulumi_aws modules it imports."""
    services: list[str] = []
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "pulumi_aws":
            services += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pulumi_aws."):
            modules.append(node.module)
    return services, modules


def named(paths: Iterable[Path]) -> Iterator[tuple[str, str, str]]:
    """(service, name, where) for every `aws.<service>.<Name>` in the code, where = `file:line`."""
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "aws"
            ):
                yield node.value.attr, node.attr, f"{path.relative_to(ROOT)}:{node.lineno}"


@functools.cache
def code_uses() -> tuple[tuple[str, str, str], ...]:
    """`named` over the project's code (parsed once)."""
    return tuple(named(sorted(path for folder in CODE_DIRS for path in (ROOT / folder).rglob("*.py"))))


@functools.cache
def definitions(service_dir: Path) -> dict[str, str]:
    """Top-level class and function names of a service package -> the module defining them (read once)."""
    found: dict[str, str] = {}
    for path in sorted(service_dir.glob("*.py")):
        for name in DEFINITION.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, path.stem)
    return found


def scope(paths: Iterable[Path] | None = None, aws_dir: Path | None = None) -> list[str]:
    """The pulumi-aws modules mypy must read for this code, sorted."""
    aws_dir = aws_dir or package_dir()
    services, modules = alias_imports()
    wanted = {*ALWAYS, *modules}
    for service in services:
        wanted.add(f"pulumi_aws.{service}")
        wanted |= {f"pulumi_aws.{service}.{m}" for m in PER_SERVICE if (aws_dir / service / f"{m}.py").is_file()}
    index = {service: definitions(aws_dir / service) for service in services}
    for service, name, where in code_uses() if paths is None else named(paths):
        if service not in index:
            raise ScopeError(f"{where}: aws.{service} is not imported by components/aws.py")
        if name not in index[service]:
            raise ScopeError(f"{where}: pulumi_aws.{service} defines no {name}")
        wanted.add(f"pulumi_aws.{service}.{index[service][name]}")
    return sorted(wanted)


def block(modules: list[str]) -> str:
    """The generated TOML array: as many modules to a line as fit in 120 columns."""
    lines: list[str] = []
    for module in modules:
        item = f'"{module}",'
        if lines and len(lines[-1]) + 1 + len(item) <= 120:
            lines[-1] += " " + item
        else:
            lines.append("    " + item)
    return "\n".join([BEGIN, "module = [", *lines, "]", END])


def _span(text: str) -> tuple[int, int]:
    """Where the generated block starts and where its end marker ends."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ScopeError(f"pyproject.toml has no `{BEGIN}` ... `{END}` block")
    return start, end + len(END)


def recorded(text: str) -> list[str]:
    """The modules between the markers of pyproject.toml."""
    start, end = _span(text)
    return re.findall(r'"([\w.]+)"', text[start:end])


def rewritten(text: str, modules: list[str]) -> str:
    start, end = _span(text)
    return text[:start] + block(modules) + text[end:]


def main(argv: list[str]) -> int:
    try:
        modules, text = scope(), PYPROJECT.read_text()
        if argv == ["--write"]:
            text = rewritten(text, modules)
            PYPROJECT.write_text(text)
        listed = recorded(text)
    except ScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if listed != modules:
        missing, extra = sorted(set(modules) - set(listed)), sorted(set(listed) - set(modules))
        print(f"pyproject.toml lacks {missing} and lists unused {extra}: run with --write", file=sys.stderr)
        return 1
    print(f"pyproject.toml lets mypy read {len(modules)} pulumi-aws modules, the ones the code uses")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
