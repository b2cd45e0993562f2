"""Issue #20's acceptance, read from the rendered plans: the services authenticate to PostgreSQL with IAM tokens
as the application user, their task roles may connect as that user on that instance only, and no application
container receives the master secret (only the one-off bootstrap task does)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.config import ConfigError, load_config
from offline.plan import Plan
from offline.render import render
from tests.helpers import container, env, policy, stack_config, stack_services

TASK = "aws:ecs/taskDefinition:TaskDefinition"
POLICY = "aws:iam/policy:Policy"
INSTANCE = "aws:rds/instance:Instance"
# arn:${Partition}:rds-db:${Region}:${Account}:dbuser:${DbiResourceId}/${DbUserName}
# (Service Authorization Reference, "Amazon RDS IAM Authentication", resource type db-user; read 2026-12-03).
DB_USER_ARN = re.compile(
    r"^arn:aws:rds-db:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):dbuser:(?P<rid>db-[A-Z0-9]+)/(?P<user>.+)$"
)


def statements(plan: Plan, name: str) -> list[dict[str, Any]]:
    return list(policy(plan.one(POLICY, name))["Statement"])


def connect_grants(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Every policy statement, anywhere in the plan, that allows an rds-db action (any spelling of it)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for record in plan.of_type(POLICY):
        for statement in policy(record)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.lower().startswith("rds-db:") or a == "*" for a in actions):
                found.setdefault(record.name, []).append(statement)
    return found


def test_task_role_may_connect_as_the_application_user_on_this_instance_only(plan: Plan) -> None:
    database = plan.outputs["database"]
    grants = connect_grants(plan)
    assert sorted(grants) == ["api-task-policy"]  # the one service that uses the database; nobody else
    [grant] = grants["api-task-policy"]
    assert grant["Effect"] == "Allow" and grant["Action"] == "rds-db:connect"
    match = DB_USER_ARN.match(grant["Resource"])
    assert match, grant["Resource"]
    assert match["user"] == database["appUsername"] == "app_user"
    assert match["rid"] == database["resourceId"]
    assert match["region"] == plan.one("pulumi:providers:aws", "aws").inputs["region"]
    assert "Condition" not in grant and "*" not in grant["Resource"]
    # The resource id comes from the instance itself (a property dependency), not from a copy of it.
    instance = plan.one(INSTANCE, "db")
    assert instance.urn in plan.one(POLICY, "api-task-policy").property_dependencies["policy"]


def test_no_application_container_receives_the_master_secret(plan: Plan) -> None:
    master = plan.outputs["database"]["masterSecretArn"]
    for task in plan.of_type(TASK):
        text = task.inputs["containerDefinitions"]
        if task.name == "db-bootstrap":
            assert master in text  # the administrative task is the one holder
            continue
        assert master not in text, task.name
        for c in json.loads(text):
            names = {e["name"] for e in c.get("environment", [])} | {s["name"] for s in c.get("secrets", [])}
            assert not names & {"DB_PASSWORD", "DB_USERNAME", "PGPASSWORD"}, (task.name, names)
    for record in plan.of_type(POLICY):
        if record.name != "db-bootstrap-execution-policy":
            assert master not in json.dumps(policy(record)), record.name


def test_service_environment_names_user_and_iam_authentication(plan: Plan) -> None:
    database = plan.outputs["database"]
    variables = env(plan, "api")
    assert variables["DB_AUTH"] == "iam"
    assert variables["DB_USER"] == database["appUsername"]
    assert variables["DB_HOST"] == database["address"] and variables["DB_PORT"] == str(database["port"])
    assert variables["DB_NAME"] == database["name"]
    assert variables["AWS_REGION"] == plan.one("pulumi:providers:aws", "aws").inputs["region"]
    assert "secrets" not in container(plan, "api") or not container(plan, "api")["secrets"]
    # Nothing for the execution role to read either: no database secret, no key for it.
    execution = statements(plan, "api-execution-policy")
    assert not [s for s in execution if "secretsmanager" in json.dumps(s["Action"])]
    assert not [s for s in execution if "kms" in json.dumps(s["Action"])]


def test_instance_accepts_iam_authentication_and_keeps_an_rds_managed_master(plan: Plan) -> None:
    db = plan.one(INSTANCE, "db").inputs
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["manageMasterUserPassword"] is True and "password" not in db
    assert db["username"] != plan.outputs["database"]["appUsername"]


def test_a_configured_application_user_reaches_grant_and_environment() -> None:
    raw, _ = stack_config("staging", database={"appUsername": "orders_svc"})
    plan = render("staging", overrides={"app-platform:database": raw["app-platform:database"]})
    [grant] = connect_grants(plan)["api-task-policy"]
    assert grant["Resource"].endswith("/orders_svc") and env(plan, "api")["DB_USER"] == "orders_svc"
    assert plan.outputs["database"]["appUsername"] == "orders_svc"


def test_services_without_the_database_get_no_grant() -> None:
    services = stack_services("staging")
    services["api"]["useDatabase"] = False
    plan = render("staging", overrides={"app-platform:services": json.dumps(services)})
    assert connect_grants(plan) == {}
    assert "DB_USER" not in env(plan, "api")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("App_User", "lowercase"),  # IAM compares the user name case-sensitively
        ("1app", "starting with a letter"),
        ("app-user", "lowercase letters, digits and '_'"),
        ("a" * 64, "at most 63"),
        ("postgres", "reserved"),
        ("rds_iam", "reserved"),
        ("rdsadmin", "reserved"),
        ("pg_monitor", "reserved"),
        ("public", "reserved"),  # CREATE ROLE refuses it: found by the bootstrap property test
        ("none", "reserved"),
        ("app_admin", "must differ from masterUsername"),
        ("", "lowercase"),
    ],
)
def test_bad_application_user_is_a_config_error_naming_the_key(value: str, fragment: str) -> None:
    raw, secrets = stack_config("staging", database={"appUsername": value})
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    message = str(info.value)
    assert "app-platform:database.appUsername" in message and fragment in message, message


@pytest.mark.parametrize("value", [0, -1, 8001, "many"])
def test_bad_connection_limit_is_a_config_error(value: object) -> None:
    raw, secrets = stack_config("staging", database={"appConnectionLimit": value})
    with pytest.raises(ConfigError, match=r"app-platform:database\.appConnectionLimit"):
        load_config(raw, secrets)
