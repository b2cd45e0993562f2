"""Stack config: presets, validation with errors that name the key, secrets never in plaintext."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import ConfigError, load_config
from infra.config.model import FARGATE_SIZES, looks_secret
from infra.config.windows import overlap_day
from tests.helpers import stack_config


def load(stack: str = "staging", secret_keys: set[str] | None = None, **sections: Any) -> Any:
    raw, secrets = stack_config(stack, **sections)
    return load_config(raw, secrets | (secret_keys or set()))


def error_of(stack: str = "staging", **sections: Any) -> str:
    with pytest.raises(ConfigError) as info:
        load(stack, **sections)
    return str(info.value)


def test_presets_fill_what_the_stack_file_leaves_out() -> None:
    staging, production = load("staging"), load("production")
    assert (staging.database.backup_retention_days, production.database.backup_retention_days) == (7, 30)
    assert (staging.network.nat_gateways, production.network.nat_gateways) == ("single", "perAz")
    assert (staging.database.multi_az, production.database.multi_az) == (False, True)
    assert production.services["api"].min_count >= 2
    assert production.services["api"].cpu == 1024  # the stack file overrides the preset's 512


def test_wrong_fargate_pair_names_the_memory_key() -> None:
    message = error_of(services={"api": {"image": {"context": "app"}, "cpu": 256, "memory": 4096}})
    assert "app-platform:services.api.memory = 4096" in message
    assert "512..2048" in message


def test_unknown_cpu_lists_allowed_units() -> None:
    message = error_of(services={"api": {"image": {"context": "app"}, "cpu": 300, "memory": 512}})
    assert "app-platform:services.api.cpu = 300" in message and "256, 512, 1024" in message


def test_overlapping_windows_are_rejected_with_the_day() -> None:
    message = error_of(database={"backupWindow": "03:00-03:30", "maintenanceWindow": "sun:02:00-sun:04:00"})
    assert "app-platform:database.maintenanceWindow" in message and "on sun" in message


@pytest.mark.parametrize(
    ("backup", "maintenance", "day"),
    [
        ("03:00-03:30", "sun:02:00-sun:04:00", "sun"),  # the old runbook's collision
        ("03:00-03:30", "sun:04:00-sun:05:00", None),
        ("23:45-00:15", "mon:00:00-mon:00:30", "sun"),  # backup crossing midnight into Monday
        ("05:00-06:00", "sat:23:30-sun:05:30", "sun"),  # maintenance crossing midnight
        ("12:00-12:30", "wed:12:30-wed:13:00", None),  # touching is not overlapping
    ],
)
def test_window_overlap(backup: str, maintenance: str, day: str | None) -> None:
    assert overlap_day(backup, maintenance) == day


def test_plaintext_password_is_rejected() -> None:
    raw, secrets = stack_config("staging")
    raw["app-platform:dbPassword"] = "hunter2"
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    assert "app-platform:dbPassword is stored in plaintext" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_plaintext_nested_secret_is_rejected_and_secret_one_accepted() -> None:
    raw, secrets = stack_config("staging", secrets={"stripeApiKey": "sk_live_x"})
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    assert "app-platform:secrets.stripeApiKey is stored in plaintext" in str(info.value)
    config = load_config(raw, secrets | {"app-platform:secrets"})
    assert config.secrets["stripeApiKey"].get_secret_value() == "sk_live_x"
    assert "sk_live_x" not in repr(config)


def test_secret_looking_environment_variable_is_refused() -> None:
    message = error_of(services={"api": {"image": {"context": "app"}, "environment": {"API_TOKEN": "x"}}})
    assert "app-platform:services.api.environment" in message and "API_TOKEN" in message


def test_production_with_seven_day_backups_fails() -> None:
    message = error_of("production", database={"backupRetentionDays": 7})
    assert "app-platform:database.backupRetentionDays = 7: production requires at least 30" in message


def test_production_minimums() -> None:
    message = error_of(
        "production",
        network={"azCount": 1},
        tls={"https": False},
        services={"api": {"image": {"context": "app"}, "minCount": 1, "desiredCount": 1}},
    )
    assert "app-platform:network.azCount = 1" in message
    assert "app-platform:tls.https = False" in message
    assert "app-platform:services.api.minCount = 1" in message


def test_subnets_must_fit_the_vpc() -> None:
    message = error_of(network={"cidr": "10.0.0.0/22", "azCount": 3, "privatePrefix": 24})
    assert "app-platform:network.cidr = '10.0.0.0/22'" in message and "do not fit" in message
    message = error_of(network={"cidr": "10.0.0.0/24", "azCount": 2})
    assert "private prefix /20 must be between /24 and /28" in message


def test_public_cidr_and_bad_retention_are_named() -> None:
    assert "app-platform:network.cidr = '8.8.0.0/16'" in error_of(network={"cidr": "8.8.0.0/16"})
    message = error_of(logRetentionDays="45")
    assert "app-platform:logRetentionDays" in message and "30, 60, 90" in message


def test_security_log_retention_is_a_value_cloudwatch_accepts_or_never_expire() -> None:
    message = error_of(securityLogRetentionDays="366")
    assert "app-platform:securityLogRetentionDays" in message and "365, 400" in message and "0 to never" in message
    assert load("staging", securityLogRetentionDays="0").security_log_retention_days == 0  # never expire
    assert load("production", securityLogRetentionDays="0").security_log_retention_days == 0


def test_security_logs_never_kept_shorter_than_application_logs_or_cloudwatch16_in_production() -> None:
    message = error_of(securityLogRetentionDays="14")  # staging: application logs are kept 30
    assert "app-platform:securityLogRetentionDays" in message and "logRetentionDays (30)" in message
    message = error_of("production", securityLogRetentionDays="180")
    assert "app-platform:securityLogRetentionDays" in message and "at least 365" in message
    assert load("production", securityLogRetentionDays="400").security_log_retention_days == 400
    assert load("staging", securityLogRetentionDays="180").security_log_retention_days == 180


def test_unknown_key_lists_the_allowed_ones() -> None:
    message = error_of(network={"natGateway": "single"})
    assert "app-platform:network.natGateway" in message and "natGateways" in message


def test_missing_environment_is_named() -> None:
    raw, secrets = stack_config("staging")
    del raw["app-platform:environment"]
    with pytest.raises(ConfigError, match="app-platform:environment"):
        load_config(raw, secrets)


def test_https_needs_a_certificate_source() -> None:
    assert "app-platform:tls.https" in error_of(tls={"https": True, "hostedZoneId": None})


@pytest.mark.parametrize("key", ["dbPassword", "api_token", "stripeApiKey", "SIGNING_KEY", "clientSecret"])
def test_secret_looking_keys(key: str) -> None:
    assert looks_secret(key)


@pytest.mark.parametrize("key", ["domain", "monkey", "keyboardLayout", "tokenizer"])
def test_ordinary_keys(key: str) -> None:
    assert not looks_secret(key)


# -- property-based: any value at any key either loads or fails with that key named --------------------
KEYS = [
    ("network", "cidr"), ("network", "azCount"), ("network", "natGateways"), ("network", "privatePrefix"),
    ("database", "backupRetentionDays"), ("database", "backupWindow"), ("database", "maintenanceWindow"),
    ("database", "engineVersion"), ("database", "performanceInsightsRetentionDays"), ("database", "allocatedStorage"),
    ("tls", "https"), ("notifications", "criticalEmails"),
]  # fmt: skip
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=30),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=VALUES, stack=st.sampled_from(["staging", "production"]))
def test_fuzzed_values_fail_only_with_the_key_named(key: tuple[str, str], value: Any, stack: str) -> None:
    section, field = key
    raw, secrets = stack_config(stack)
    current = json.loads(raw.get(f"app-platform:{section}", "{}"))
    current[field] = value
    raw[f"app-platform:{section}"] = json.dumps(current)
    try:
        load_config(raw, secrets)
    except ConfigError as exc:
        assert f"app-platform:{section}" in str(exc)


@settings(max_examples=100, deadline=None)
@given(cpu=st.sampled_from(sorted(FARGATE_SIZES)), memory=st.integers(128, 130_000))
def test_fuzzed_fargate_sizes(cpu: int, memory: int) -> None:
    service = {"image": {"context": "app"}, "cpu": cpu, "memory": memory}
    raw, secrets = stack_config("staging", services={"api": service})
    if memory in FARGATE_SIZES[cpu]:
        assert load_config(raw, secrets).services["api"].memory == memory
    else:
        with pytest.raises(ConfigError, match=r"app-platform:services\.api\.memory"):
            load_config(raw, secrets)
