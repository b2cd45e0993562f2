"""From Pulumi config (strings, some secret) to a validated StackConfig, or a ConfigError naming the key."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.config.errors import ConfigError, FieldError, describe
from infra.config.model import StackConfig, looks_secret
from infra.config.presets import PRESETS, PRODUCTION_MINIMUMS, SERVICE_DEFAULTS

PROJECT = "app-platform"
REGION_KEY = "aws:region"


def load_from_pulumi() -> StackConfig:
    """Read the running program's config. Works under the CLI and under the offline engine alike."""
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    return load_config(raw, secret_keys)


def load_config(raw: Mapping[str, Any], secret_keys: set[str]) -> StackConfig:
    """`raw` maps full keys (`app-platform:network`, `aws:region`) to the strings Pulumi passes programs."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if full_key == REGION_KEY:
            values["region"] = text
            continue
        if namespace != PROJECT:
            continue
        value = _decode(text)
        is_secret = full_key in secret_keys
        problems.extend(_plaintext_secrets(full_key, key, value, is_secret))
        values[key] = value
    if problems:
        raise ConfigError(problems)

    environment = values.get("environment")
    if environment not in PRESETS:
        raise ConfigError.single(f"{PROJECT}:environment", environment, "set it to 'staging' or 'production'")
    merged = _merge(copy.deepcopy(PRESETS[environment]), values)
    for name, service in list(merged.get("services", {}).items()):
        if isinstance(service, dict):
            merged["services"][name] = _merge(copy.deepcopy(SERVICE_DEFAULTS[environment]), service)
    try:
        config = StackConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError([_explain(error) for error in exc.errors()]) from None
    _check_production(config)
    return config


def _decode(text: Any) -> Any:
    """Pulumi hands objects and lists to programs as JSON text; scalars stay strings for pydantic to coerce."""
    if isinstance(text, str) and text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _plaintext_secrets(full_key: str, key: str, value: Any, is_secret: bool) -> Iterator[str]:
    """Secret-looking keys must have been set with `pulumi config set --secret`; anything else is a leak."""
    if is_secret:
        return
    for path, leaf in _leaves(key, value):
        if any(looks_secret(part) for part in path.split(".")) and leaf not in (None, ""):
            shown = f"{PROJECT}:{path}" if path != key else full_key
            yield (
                f"{shown} is stored in plaintext: secret-looking values must be set with "
                f"`pulumi config set --secret{' --path' if '.' in path else ''} {shown} <value>`"
            )
        elif path.startswith("secrets.") and leaf not in (None, ""):
            yield f"{PROJECT}:{path} is stored in plaintext: every `secrets` entry must be set with --secret"


def _leaves(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for child, sub in value.items():
            yield from _leaves(f"{path}.{child}", sub)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _leaves(f"{path}[{index}]", sub)
    else:
        yield path, value


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = value
    return base


def _explain(error: Any) -> str:
    """Turn one pydantic error into `key = value: what is allowed`, with the key as the stack file spells it."""
    loc = [str(part) for part in error["loc"]]
    ctx_error = (error.get("ctx") or {}).get("error")
    message = str(error["msg"]).removeprefix("Value error, ")
    if isinstance(ctx_error, FieldError):
        loc.append(ctx_error.field)
        message = str(ctx_error)
    if error["type"] == "extra_forbidden":
        message = f"unknown setting; allowed here: {', '.join(_allowed_keys(loc[:-1]))}"
    elif error["type"] == "missing":
        message = "required and not set by the stack or its preset"
    key = REGION_KEY if loc[:1] == ["region"] else f"{PROJECT}:{'.'.join(loc)}"
    value = error.get("input")
    if isinstance(ctx_error, FieldError):
        for part in ctx_error.field.split("."):  # a model-level error may blame a nested key (database.drRegion)
            value = value.get(part, value) if isinstance(value, Mapping) else value
    if isinstance(value, dict | list):
        value = "<object>"
    return describe(key, value, message)


def _allowed_keys(loc: list[str]) -> list[str]:
    model: Any = StackConfig
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            break
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            # A map of named entries (services.<name>): step into the value model.
            continue
        model = field.annotation
        args = getattr(model, "__args__", ())
        model = next((a for a in reversed(args) if isinstance(a, type) and issubclass(a, BaseModel)), model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or n for n, f in model.model_fields.items())
    return []


def _check_production(config: StackConfig) -> None:
    """Floors that keep production highly available and recoverable; presets satisfy them by default."""
    if not config.is_production:
        return
    problems: list[str] = []

    def floor(key: str, value: int, minimum: int) -> None:
        if value < minimum:
            problems.append(describe(f"{PROJECT}:{key}", value, f"production requires at least {minimum}"))

    floor("network.azCount", config.network.az_count, PRODUCTION_MINIMUMS["network.azCount"])
    floor(
        "database.backupRetentionDays",
        config.database.backup_retention_days,
        PRODUCTION_MINIMUMS["database.backupRetentionDays"],
    )
    for name, service in config.services.items():
        for key, value in (
            ("minCount", service.min_count),
            ("desiredCount", service.desired_count),
            ("maxCount", service.max_count),
        ):
            floor(f"services.{name}.{key}", value, PRODUCTION_MINIMUMS[f"services.*.{key}"])
    if not config.tls.https:
        problems.append(describe(f"{PROJECT}:tls.https", False, "production must serve HTTPS"))
    if not config.edge.waf_enabled:
        problems.append(describe(f"{PROJECT}:edge.wafEnabled", False, "production traffic must pass a WAF"))
    if not config.database.multi_az:
        problems.append(describe(f"{PROJECT}:database.multiAz", False, "production requires a Multi-AZ database"))
    if not config.database.deletion_protection:
        problems.append(
            describe(f"{PROJECT}:database.deletionProtection", False, "production requires deletion protection")
        )
    database = config.database
    for key, value, why in (
        ("crossRegionBackups", database.cross_region_backups, "production replicates its backups to drRegion"),
        ("awsBackup", database.aws_backup, "production keeps AWS Backup daily and weekly copies"),
        ("finalSnapshot", database.final_snapshot, "production takes a final snapshot before deletion"),
    ):
        if not value:
            problems.append(describe(f"{PROJECT}:database.{key}", value, why))
    if database.dr_region is None:
        problems.append(describe(f"{PROJECT}:database.drRegion", None, "production requires a DR region"))
    if database.burstable:
        problems.append(
            describe(
                f"{PROJECT}:database.instanceClass",
                database.instance_class,
                "production must not use a burstable (db.t*) class: it slows to a crawl when CPU credits run out",
            )
        )
    if problems:
        raise ConfigError(problems)
