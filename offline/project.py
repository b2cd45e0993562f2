"""Read Pulumi.yaml and Pulumi.<stack>.yaml the way the CLI does, minus decryption.

Broken files fail with the file, line and column and the offending line, never a traceback. The stack file is
read with the YAML 1.2 core schema: PyYAML's YAML 1.1 extras would silently turn `no` into false, `12:30` into
750, `2024-01-01` into a date and `010` into 8. Duplicate keys are errors (the later one would silently win).
Each config key's position is kept, so a config error can point at the line that set it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

ROOT = Path(__file__).resolve().parent.parent
# Stands in for a `secure:` value the offline engine cannot decrypt; programs see it as a secret.
OFFLINE_SECRET = "offline-placeholder-secret"
# Pulumi stack names: letters, digits, '-', '_' and '.' (an org/project/ prefix is not a file name).
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


@dataclass(frozen=True)
class Location:
    path: Path
    line: int  # 1-based
    column: int  # 1-based
    text: str  # the line itself

    def __str__(self) -> str:
        return f"{shown_path(self.path)}:{self.line}:{self.column}"


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    main: Path
    config: dict[str, str]
    secret_keys: frozenset[str]
    # Where each config key and nested path (`app-platform:services.api.cpu`) is set in the stack file.
    locations: Mapping[str, Location] = field(default_factory=dict)
    path: Path | None = None


def load_stack(stack: str, root: Path = ROOT, stack_file: Path | None = None) -> StackSettings:
    project_file = root / "Pulumi.yaml"
    if stack_file is None and not STACK_NAME.match(stack):
        raise StackFileError(f"{stack!r} is not a stack name (letters, digits, '-', '_', '.')")
    path = stack_file or root / f"Pulumi.{stack}.yaml"
    if not project_file.is_file():
        raise StackFileError(f"{project_file} not found")
    if not path.is_file():
        known = sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack file {path.name}; stacks here: {', '.join(known) or 'none'}")
    project, _, _ = _parse(project_file)
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise StackFileError(f"{shown_path(project_file)}: expected a mapping with a `name:`")
    document, node, text = _parse(path)
    lines = text.splitlines()
    document = {} if document is None else document
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{shown_path(path)}: expected a mapping with a `config:` mapping")
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    locations: dict[str, Location] = {}
    config_node = _child(node, "config")
    for raw_key, value in (document.get("config") or {}).items():
        key_node = _key_node(config_node, raw_key)
        if not isinstance(raw_key, str):
            raise _located(path, lines, key_node, f"config key {raw_key!r} is not a string")
        key = raw_key if ":" in raw_key else f"{project['name']}:{raw_key}"
        if value is None:
            raise _located(path, lines, key_node, f"{key} has no value; give one or remove the key")
        plain, secret = _unwrap(value)
        config[key] = _as_config_text(plain)
        if secret:
            secret_keys.add(key)
        if config_node is not None and key_node is not None:
            _record(locations, (path, lines), key, key_node, _value_node(config_node, key_node))
    return StackSettings(
        project=project["name"],
        stack=stack,
        main=root / str(project.get("main", ".")),
        config=config,
        secret_keys=frozenset(secret_keys),
        locations=locations,
        path=path,
    )


def locate(settings: StackSettings, key: str) -> Location | None:
    """The most specific place in the stack file that sets `key` or the nearest key above it."""
    candidate = key
    while candidate:
        if candidate in settings.locations:
            return settings.locations[candidate]
        cut = max(candidate.rfind("."), candidate.rfind("["))
        if cut <= candidate.find(":"):
            return None
        candidate = candidate[:cut]
    return None


def explain(problems: Sequence[str], settings: StackSettings) -> str:
    """Config problems, each led by the file, line and column that set the key (or the nearest key above it),
    with that line shown; problems about keys the file does not set say so."""
    name = shown_path(settings.path) if settings.path else f"Pulumi.{settings.stack}.yaml"
    out = [f"invalid stack configuration ({name}):"]
    for problem in problems:
        where = locate(settings, getattr(problem, "key", ""))
        if where is None:
            out.append(f"  {problem} (not set in {name}; the preset or the model supplies it)")
        else:
            out.append(f"  {where}: {problem}\n      {where.text.strip()}")
    return "\n".join(out)


def deprecations(settings: StackSettings) -> list[str]:
    """Deprecated config keys the stack file still uses, each led by the file, line and column that sets it."""
    from infra.config.load import deprecations as config_deprecations

    lines = []
    for notice in config_deprecations(settings.config):
        where = locate(settings, notice.key)
        lines.append(f"warning: {where}: {notice}" if where is not None else f"warning: {notice}")
    return lines


def shown_path(path: Path) -> str:
    """The path as the user would type it from where they run the command: relative below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# -- YAML ----------------------------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """YAML 1.2 core schema scalars, no duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from None
            if first is not None:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first set on line {first.line + 1}; the later one would "
                    "silently win)",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits, 10)


_CORE = {
    "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    "tag:yaml.org,2002:int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    "tag:yaml.org,2002:float": (
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    "tag:yaml.org,2002:null": (r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _CORE and not tag.endswith(":timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, (_pattern, _first) in _CORE.items():
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _parse(path: Path) -> tuple[Any, Node | None, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{shown_path(path)}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise StackFileError(f"{shown_path(path)}: cannot read: {exc.strerror}") from None
    try:
        parsed, node = _parsed(text)
        value = copy.deepcopy(parsed)
    except yaml.MarkedYAMLError as exc:
        raise StackFileError(_yaml_message(path, text, exc)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: point at it
        line = text.count("\n", 0, exc.position)
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"character {chr(code)!r} (#x{code:04x}) is not allowed in YAML"
        raise StackFileError(_pointing(path, text.splitlines(), line, column, message)) from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{shown_path(path)}: {exc}") from None
    except RecursionError:
        raise StackFileError(f"{shown_path(path)}: nested too deeply") from None
    return value, node, text


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> tuple[Any, Node | None]:
    """One YAML text's document and node tree, parsed once per process: the pure-Python loader (it must keep
    the marks every error points with) takes about 10 ms for a stack file, and the test suite loads the same
    few files over a thousand times. Callers get a copy of the document; the nodes are only read."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def _yaml_message(path: Path, text: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is None:
        return f"{shown_path(path)}: {problem}"
    context = f" ({exc.context})" if exc.context and exc.problem else ""
    if context and exc.context_mark is not None and exc.context_mark.line != mark.line:
        context = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return _pointing(path, text.splitlines(), mark.line, mark.column, f"{problem}{context}")


def _pointing(path: Path, lines: list[str], line: int, column: int, message: str) -> str:
    shown = lines[line] if 0 <= line < len(lines) else ""
    return f"{shown_path(path)}:{line + 1}:{column + 1}: {message}\n    {shown}\n    {' ' * column}^"


def _located(path: Path, lines: list[str], node: Node | None, message: str) -> StackFileError:
    if node is None:
        return StackFileError(f"{shown_path(path)}: {message}")
    return StackFileError(_pointing(path, lines, node.start_mark.line, node.start_mark.column, message))


def _child(node: Node | None, key: str) -> MappingNode | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key and isinstance(value_node, MappingNode):
                return value_node
    return None


def _key_node(mapping: MappingNode | None, key: Any) -> Node | None:
    if mapping is not None:
        for key_node, _ in mapping.value:
            if isinstance(key_node, ScalarNode) and key_node.value == str(key):
                return key_node
    return None


def _value_node(mapping: MappingNode, key_node: Node) -> Node | None:
    return next((value for key, value in mapping.value if key is key_node), None)


def _record(
    locations: dict[str, Location], source: tuple[Path, list[str]], key: str, at: Node, value: Node | None
) -> None:
    """Remember where `key` is set, then every nested key and list item below it."""
    path, lines = source
    mark = at.start_mark
    text = lines[mark.line] if mark.line < len(lines) else ""
    locations[key] = Location(path, mark.line + 1, mark.column + 1, text)
    if isinstance(value, MappingNode):
        for sub_key, sub_value in value.value:
            if isinstance(sub_key, ScalarNode):
                _record(locations, source, f"{key}.{sub_key.value}", sub_key, sub_value)
    elif isinstance(value, SequenceNode):
        for index, item in enumerate(value.value):
            _record(locations, source, f"{key}[{index}]", item, item)


# -- values as Pulumi hands them to programs -------------------------------------------------------------------
def _unwrap(value: Any) -> tuple[Any, bool]:
    """Replace `{secure: ...}` leaves with a placeholder; report whether any were found (the key is secret)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return OFFLINE_SECRET, True
        found = False
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out[str(key)], secret = _unwrap(sub)
            found |= secret
        return out, found
    if isinstance(value, list):
        items = [_unwrap(sub) for sub in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _as_config_text(value: Any) -> str:
    """Programs receive every config value as text: objects and lists as JSON, booleans as true/false."""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
