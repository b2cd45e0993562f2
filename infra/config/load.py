"""From Pulumi config (strings, some secret) to a validated StackConfig, or a ConfigError naming the key."""

from __future__ import annotations

import copy
import functools
import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from infra.config import renames
from infra.config.errors import ConfigError, FieldError, Problem, blame, describe, suggest
from infra.config.model import StackConfig, looks_secret
from infra.config.presets import PRESETS, PRODUCTION_MINIMUMS, SERVICE_DEFAULTS
from policies.credential_patterns import credential_finding

PROJECT = "app-platform"
REGION_KEY = "aws:region"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

RULES: tuple[tuple[str, str], ...] = (
    (
        "namespaces",
        f"Keys are `<namespace>:<key>`. `{PROJECT}:*` are the settings below; `pulumi:*` belong to the engine; "
        "`docker:*` must be a Docker provider setting; `aws:region` is the only `aws:` key (the program's AWS "
        "providers are explicit and read nothing else from config). Any other namespace is an error with a "
        "did-you-mean suggestion; so is an unknown key inside a section.",
    ),
    (
        f"`{PROJECT}:region`",
        "Refused: the region comes from `aws:region` alone (two sources would make the winner depend on key order).",
    ),
    (
        "missing keys",
        "Reported as `missing`, naming the key; production floors (`disasterRecovery.region`, counts, backups) "
        "name theirs.",
    ),
    (
        "secret-looking keys and credential values",
        "A key whose name looks secret (password, token, secret, key, credential), every `secrets.<name>`, and any "
        "plain value that looks like a credential (URL with a password, AWS access key id, live payment key, "
        "GitHub/Slack token, PEM private key, JWT, a long random value beside a secret-sounding name; patterns in "
        "policies/credential_patterns.py, shared with the policy pack) must be set with `pulumi config set "
        "--secret`; the error gives the command and never echoes the value.",
    ),
    (
        "`services.<name>.environment`",
        "Plain variables only: a secret-sounding name or a credential-looking value is refused with the command "
        "that stores it in `secrets` instead (`pulumi config set --secret --path 'app-platform:secrets.<name>' "
        "<value>`) and the `services.<name>.secrets` entry that injects it.",
    ),
    (
        "`services.<name>.minCount`, `maxCount`, `desiredCount`",
        "`minCount <= maxCount` (blamed on `minCount`), then `desiredCount` within them; the same for each "
        "`autoscaling.schedules[]` entry.",
    ),
    (
        "`services.<name>.image.context`",
        "A directory relative to the project root that holds a `Dockerfile`.",
    ),
)


def load_from_pulumi() -> StackConfig:
    """Read the running program's config. Works under the CLI and under the offline engine alike."""
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    config = load_config(raw, secret_keys)
    # Under the mock engine the offline CLI reports them itself, with the stack file's line (offline/project.py).
    if not isinstance(pulumi.runtime.settings.get_monitor(), MockMonitor):
        for notice in deprecations(raw):
            pulumi.log.warn(str(notice))
    return config


def deprecations(raw: Mapping[str, Any]) -> list[Problem]:
    """One notice per moved key the config still spells the old way (infra/config/renames.py)."""
    values = {key.partition(":")[2]: _decode(text) for key, text in raw.items() if key.startswith(f"{PROJECT}:")}
    return renames.deprecations_in(values)


def load_config(raw: Mapping[str, Any], secret_keys: set[str]) -> StackConfig:
    """`raw` maps full keys (`app-platform:network`, `aws:region`) to the strings Pulumi passes programs."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if full_key == REGION_KEY:
            values["region"] = text
            continue
        problem = namespace_problem(full_key)
        if problem is not None:
            problems.append(problem)
            continue
        if namespace != PROJECT:
            continue
        value = _decode(text)
        problems.extend(_plaintext_secrets(full_key, key, value, full_key in secret_keys))
        values[key] = value
    if problems:
        raise ConfigError(problems)
    moved, conflicts = renames.migrate(values)
    if conflicts:
        raise ConfigError(conflicts)
    try:
        return _validated(values)
    except ConfigError as exc:
        raise ConfigError(renames.under_old_names(exc.problems, moved)) from None


def _validated(values: dict[str, Any]) -> StackConfig:
    """Presets merged under the stack's values, then the model and the cross-section rules."""
    environment = values.get("environment")
    if not isinstance(environment, str) or environment not in PRESETS:
        key = f"{PROJECT}:environment"
        if environment is None:
            raise ConfigError([blame(key, "missing: set it to 'staging' or 'production'")])
        raise ConfigError.single(key, environment, "set it to 'staging' or 'production'")
    if "region" not in values:
        raise ConfigError([blame(REGION_KEY, "missing: set it with `pulumi config set aws:region <region>`")])
    merged = _merge(copy.deepcopy(PRESETS[environment]), values)
    services = merged.get("services")
    if isinstance(services, dict):
        for name, service in list(services.items()):
            if isinstance(service, dict):
                services[name] = _merge(service_defaults(environment, service), service)
    try:
        config = StackConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError([_explain(error) for error in exc.errors()]) from None
    _check_production(config)
    _check_build_contexts(config)
    return config


def service_defaults(environment: str, service: Mapping[str, Any]) -> dict[str, Any]:
    """The preset for one service. Its `release` describes the preset's own strategy, so it applies whole or not
    at all: a worker (no containerPort) always rolls, and a stack that picks another strategy starts from an empty
    release section (a preset bake time under `rolling` would otherwise be refused as a conflict)."""
    defaults = copy.deepcopy(SERVICE_DEFAULTS[environment])
    release = service.get("release")
    chosen = release.get("strategy") if isinstance(release, Mapping) else None
    if service.get("containerPort") is None:
        defaults["release"] = {"strategy": "rolling"}
    elif chosen is not None and chosen != defaults["release"]["strategy"]:
        defaults["release"] = {}
    return defaults


def namespace_problem(full_key: str) -> Problem | None:
    """Keys outside this project's settings that the program would silently ignore, or that compete with
    aws:region."""
    namespace, colon, key = full_key.partition(":")
    if not colon:
        return blame(full_key, f"config keys are `<namespace>:<key>`, for example {PROJECT}:{full_key}")
    if namespace == PROJECT:
        if key == "region":
            return blame(
                full_key,
                "not a setting: the region comes from aws:region alone (`pulumi config set aws:region <region>`); "
                "remove this key",
            )
        return None
    if namespace == "pulumi":
        return None
    if namespace == "aws":
        if key in provider_keys("aws"):
            return blame(
                full_key,
                "the program's AWS providers are explicit (infra/stack.py) and take only aws:region from config, "
                "so this key would be ignored; set credentials in the environment (AWS_PROFILE, AWS_ROLE_ARN, ...)",
            )
        return blame(full_key, f"not an AWS provider setting{suggest(key, ['region'])}")
    if namespace == "docker":
        if key in provider_keys("docker"):
            return None
        return blame(full_key, f"not a Docker provider setting{suggest(key, provider_keys('docker'))}")
    known = [PROJECT, "aws", "docker", "pulumi"]
    return blame(
        full_key,
        f"unknown namespace {namespace!r}{suggest(namespace, known)}: this program reads {PROJECT}:*, "
        "aws:region, docker:* and pulumi:* keys",
    )


@functools.cache
def provider_keys(package: str) -> tuple[str, ...]:
    """The config keys a provider package reads (`pulumi_<package>.config`), in their camelCase spelling."""
    module = importlib.import_module(f"pulumi_{package}.config")
    getattr(module, "_utilities", None)  # a lazy module: the first attribute access loads it
    exported = type(sys.modules[f"pulumi_{package}.config"])  # the loaded module's class lists the settings
    return tuple(sorted(to_camel(name) for name, value in vars(exported).items() if isinstance(value, property)))


def _decode(text: Any) -> Any:
    """Pulumi hands objects and lists to programs as JSON text; scalars stay strings for pydantic to coerce."""
    if isinstance(text, str) and text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _plaintext_secrets(full_key: str, key: str, value: Any, is_secret: bool) -> Iterator[Problem]:
    """Secret-looking keys and credential-looking values must have been set with `pulumi config set --secret`;
    anything else sits in the stack file and the plan in plain text. Container environment values are judged by
    the service model, which points at `secrets` instead."""
    if is_secret:
        return
    for path, leaf in _leaves(key, value):
        if leaf in (None, "") or _in_environment(path):
            continue
        shown = f"{PROJECT}:{path}" if path != key else full_key
        command = f"`pulumi config set --secret{' --path' if '.' in path or '[' in path else ''} '{shown}' <value>`"
        if any(looks_secret(part) for part in re.split(r"[.\[\]]", path) if part):
            yield Problem(shown, f"{shown} is stored in plaintext: secret-looking values must be set with {command}")
        elif path.startswith("secrets."):
            yield Problem(shown, f"{shown} is stored in plaintext: every `secrets` entry must be set with {command}")
        elif isinstance(leaf, str) and (reason := credential_finding(_leaf_name(path), leaf)):
            yield Problem(shown, f"{shown} holds a credential ({reason}) in plaintext; set it with {command}")


def _leaf_name(path: str) -> str:
    """The key a value sits under; list items (`appSecrets[0]`, `services.api.secrets[0]`) are names or
    addresses, never named credentials, so entropy beside their list's name proves nothing."""
    return "" if path.endswith("]") else path.rsplit(".", 1)[-1]


def _in_environment(path: str) -> bool:
    parts = path.split(".")
    return len(parts) >= 4 and parts[0] == "services" and parts[2] == "environment"


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


def _explain(error: Any) -> Problem:
    """Turn one pydantic error into `key = value: what is allowed`, with the key as the stack file spells it."""
    loc = [f"[{part}]" if isinstance(part, int) else str(part) for part in error["loc"]]
    ctx_error = (error.get("ctx") or {}).get("error")
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(ctx_error, FieldError):
        loc.append(ctx_error.field)
        message = str(ctx_error)
        value = _pick(value, ctx_error.field)
    key = REGION_KEY if loc[:1] == ["region"] else f"{PROJECT}:{'.'.join(loc)}".replace(".[", "[")
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return blame(key, f"unknown setting{suggest(loc[-1], allowed)}; allowed here: {', '.join(allowed)}")
    if error["type"] == "missing":
        return blame(key, "missing: required and not set by the stack file or its preset")
    if isinstance(ctx_error, FieldError) and ctx_error.hide_value:
        return blame(key, message)
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str)
        value = text if len(text) <= 60 else text[:57] + "..."
    return describe(key, value, message)


def _pick(value: Any, field: str) -> Any:
    """The value at `field` (`database.drRegion`, `hostHeaders[1]`) inside a model's input, as far as it exists."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        if part.startswith("[") and isinstance(value, list) and int(part[1:-1]) < len(value):
            value = value[int(part[1:-1])]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
    return value


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
    database, dr = config.database, config.database.disaster_recovery
    for key, value, why in (
        ("disasterRecovery.crossRegionBackups", dr.cross_region_backups, "production replicates its backups"),
        ("disasterRecovery.awsBackup", dr.aws_backup, "production keeps AWS Backup daily and weekly copies"),
        ("finalSnapshot", database.final_snapshot, "production takes a final snapshot before deletion"),
    ):
        if not value:
            problems.append(describe(f"{PROJECT}:database.{key}", value, why))
    if dr.region is None:
        problems.append(
            blame(f"{PROJECT}:database.disasterRecovery.region", "missing: production requires a DR region")
        )
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


def _check_build_contexts(config: StackConfig, root: Path = PROJECT_ROOT) -> None:
    """A build context is a directory of the project holding a Dockerfile; the mocks would accept any path."""
    problems: list[str] = []
    for name, service in config.services.items():
        context = service.image.context
        if context is None:
            continue
        key = f"{PROJECT}:services.{name}.image.context"
        path = root / context
        if not path.is_dir():
            problems.append(describe(key, context, f"no such directory (relative to the project root {root})"))
        elif not (path / "Dockerfile").is_file():
            problems.append(describe(key, context, "the directory holds no Dockerfile"))
    if problems:
        raise ConfigError(problems)
