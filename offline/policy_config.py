"""The policy config, reconciled with what the pack declares as the CLI does (`--policy-pack-config`): `all`,
per-policy enforcement levels, schema defaults, schema validation."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from offline.policy_model import LEVELS, Level
from offline.project import ROOT

PACK_DIR = ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"


class PolicyConfigError(Exception):
    """The policy config file names an unknown policy or a value its schema rejects."""


class Declared(NamedTuple):
    """What the pack declares for one policy: its default level and its config schema."""

    name: str
    level: str
    schema: Mapping[str, Any]
    required: Sequence[str]


class Configured(NamedTuple):
    level: Level
    properties: dict[str, Any]


def config_path(stack: str) -> Path:
    return CONFIG_DIR / f"{stack}.json"


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PolicyConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: the policy config must be a JSON object")
    return data


def reconcile(policies: Sequence[Declared | tuple[Any, ...]], file_config: Mapping[str, Any]) -> dict[str, Configured]:
    """What the pack declares + the file -> {name: (level, properties)}; unknown names and bad values raise."""
    declared = [Declared(*p) for p in policies]
    unknown = sorted(set(file_config) - {p.name for p in declared} - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy config names unknown policies: {', '.join(unknown)}")
    return {p.name: _configure(p, file_config) for p in declared}


def _configure(policy: Declared, file_config: Mapping[str, Any]) -> Configured:
    level = _level(file_config.get("all"), policy.level)
    properties = {k: v["default"] for k, v in policy.schema.items() if isinstance(v, Mapping) and "default" in v}
    entry = file_config.get(policy.name)
    level = _level(entry, level)
    if isinstance(entry, Mapping):
        properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
    if level not in LEVELS:
        raise PolicyConfigError(
            f"{policy.name}: enforcementLevel {level!r} is not one of {', '.join(str(lv) for lv in LEVELS)}"
        )
    extra = sorted(set(properties) - set(policy.schema))
    if extra:
        raise PolicyConfigError(f"{policy.name}: unknown config key(s) {', '.join(extra)}")
    _validate(policy, properties)
    return Configured(Level(level), properties)


def _level(entry: Any, current: str) -> str:
    """An `all` or per-policy entry: a level string, or an object with `enforcementLevel`."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping):
        return str(entry.get("enforcementLevel", current))
    return current


def _validate(policy: Declared, properties: Mapping[str, Any]) -> None:
    """`jsonschema.validate`, with each policy's validator built once: `validate` checks the schema against its
    meta-schema on every call, which made this most of a rule test's time (each run configures ~90 policies)."""
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    document = {"type": "object", "properties": dict(policy.schema), "required": list(policy.required)}
    error = best_match(_validator(json.dumps(document, sort_keys=True)).iter_errors(properties))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(config)"
        raise PolicyConfigError(f"{policy.name}.{where}: {error.message}") from error


@functools.cache
def _validator(document: str) -> Any:
    """A validator of the schema's own draft, its schema checked first, as `jsonschema.validate` does."""
    from jsonschema.validators import validator_for  # type: ignore[import-untyped]

    schema = json.loads(document)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def pack_version(pack_dir: Path = PACK_DIR) -> str:
    """The version the CLI reports: PulumiPolicy.yaml's (Python packs always say 0.0.1 themselves)."""
    data = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    return str(data.get("version", "0.0.1"))


def relative(path: Path | None) -> str:
    """How a config file is named in reports."""
    if path is None:
        return "(none: the pack's defaults)"
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
