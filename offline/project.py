"""Read Pulumi.yaml and Pulumi.<stack>.yaml the way the CLI does, minus decryption."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Stands in for a `secure:` value the offline engine cannot decrypt; programs see it as a secret.
OFFLINE_SECRET = "offline-placeholder-secret"


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    main: Path
    config: dict[str, str]
    secret_keys: frozenset[str]


def load_stack(stack: str, root: Path = ROOT, stack_file: Path | None = None) -> StackSettings:
    project_file = root / "Pulumi.yaml"
    path = stack_file or root / f"Pulumi.{stack}.yaml"
    if not project_file.is_file():
        raise StackFileError(f"{project_file} not found")
    if not path.is_file():
        known = sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack file {path.name}; stacks here: {', '.join(known) or 'none'}")
    project = yaml.safe_load(project_file.read_text())
    document = yaml.safe_load(path.read_text()) or {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path.name}: expected a mapping with a `config:` mapping")
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for raw_key, value in (document.get("config") or {}).items():
        key = raw_key if ":" in raw_key else f"{project['name']}:{raw_key}"
        plain, secret = _unwrap(value)
        config[key] = _as_config_text(plain)
        if secret:
            secret_keys.add(key)
    return StackSettings(
        project=project["name"],
        stack=stack,
        main=root / project.get("main", "."),
        config=config,
        secret_keys=frozenset(secret_keys),
    )


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Replace `{secure: ...}` leaves with a placeholder; report whether any were found (the key is secret)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return OFFLINE_SECRET, True
        found = False
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out[key], secret = _unwrap(sub)
            found |= secret
        return out, found
    if isinstance(value, list):
        items = [_unwrap(sub) for sub in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _as_config_text(value: Any) -> str:
    """Programs receive every config value as text: objects and lists as JSON, booleans as true/false."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
