"""Application secrets: KMS-encrypted, from Pulumi secret config or generated once, never in plaintext."""

from __future__ import annotations

import json

import pytest

from infra.config import load_config
from offline.plan import SECRET, Plan
from offline.render import render
from tests.helpers import stack_config

SECRET_TYPE = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
CONFIG_VALUE = "sk_test_config_value_never_in_a_plan"


@pytest.fixture(scope="module")
def with_config_secret() -> Plan:
    """Staging with `secrets.stripeApiKey` set the way `pulumi config set --secret --path` sets it."""
    return render(
        "staging",
        overrides={"app-platform:secrets": json.dumps({"stripeApiKey": CONFIG_VALUE})},
        secret_keys={"app-platform:secrets"},
    )


def secret_names(plan: Plan) -> set[str]:
    return {r.name.removeprefix("app-secrets-") for r in plan.of_type(SECRET_TYPE)}


def test_every_declared_secret_exists_encrypted_with_the_secrets_key(plan: Plan) -> None:
    config = load_config(*stack_config(plan.stack))
    assert secret_names(plan) == set(config.app_secrets) | set(config.secrets)
    master_key = plan.one("aws:rds/instance:Instance", "db").inputs["masterUserSecretKmsKeyId"]
    for secret in plan.of_type(SECRET_TYPE):
        assert secret.inputs["kmsKeyId"] == master_key  # the customer-managed secrets key, not aws/secretsmanager
        assert secret.inputs["recoveryWindowInDays"] == 30
        assert secret.inputs["namePrefix"].startswith(f"app-platform/{plan.stack}/")
        assert secret.protect is (plan.stack == "production")


def test_generated_values_are_secret_and_kept_across_updates(plan: Plan) -> None:
    config = load_config(*stack_config(plan.stack))
    generated = [n for n in config.app_secrets if n not in config.secrets]
    assert generated
    for name in generated:
        version = plan.one(VERSION, f"app-secrets-{name}")
        assert version.inputs["secretString"] == SECRET and version.secret_paths == ["secretString"]
        # GetRandomPassword returns a new string every run: only the first one may ever be stored.
        assert version.ignore_changes == ["secretString"]
        assert plan.one(SECRET_TYPE, f"app-secrets-{name}").urn in version.dependencies


def test_config_values_are_stored_as_secrets_and_follow_config(with_config_secret: Plan) -> None:
    plan = with_config_secret
    assert "stripeApiKey" in secret_names(plan)
    version = plan.one(VERSION, "app-secrets-stripeApiKey")
    assert version.inputs["secretString"] == SECRET
    assert version.ignore_changes == []  # a new config value is a new secret version (the rotation path)
    assert CONFIG_VALUE not in plan.to_json()
    assert "from Pulumi secret config" in plan.one(SECRET_TYPE, "app-secrets-stripeApiKey").inputs["description"]


def test_master_secret_is_rds_managed_and_exported(plan: Plan) -> None:
    exported = plan.outputs["database"]["masterSecretArn"]
    assert exported.startswith(f"arn:aws:secretsmanager:{plan.one('pulumi:providers:aws', 'aws').inputs['region']}:")
    # RDS creates it; the stack declares no Secret for the master password and never sees the value.
    assert all("master" not in r.name.lower() for r in plan.of_type(SECRET_TYPE))
