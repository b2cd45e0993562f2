"""DatabaseBootstrap: the one-off task that holds the master secret, read from the inputs the engine received."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.database_bootstrap import RUN_SQL, SQL_VARIABLE
from offline.plan import Plan
from tests.helpers import policy

TASK = "aws:ecs/taskDefinition:TaskDefinition"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def bootstrap_container(plan: Plan) -> dict[str, Any]:
    [c] = json.loads(plan.one(TASK, "db-bootstrap").inputs["containerDefinitions"])
    return dict(c)


def test_task_definition_runs_psql_as_non_root_without_a_task_role(plan: Plan) -> None:
    task = plan.one(TASK, "db-bootstrap").inputs
    assert task["family"] == f"app-platform-{plan.stack}-db-bootstrap"
    assert "taskRoleArn" not in task  # psql calls no AWS API
    assert task["executionRoleArn"] != plan.one(TASK, "api").inputs["executionRoleArn"]
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    c = bootstrap_container(plan)
    # An exact minor version from ECR Public, never a floating tag.
    assert re.fullmatch(r"public\.ecr\.aws/docker/library/postgres:\d+\.\d+-[a-z]+", c["image"]), c["image"]
    assert c["user"] == "999" and c["readonlyRootFilesystem"] is True and c["privileged"] is False
    assert c["entryPoint"] == ["sh", "-c"] and c["command"] == [RUN_SQL]
    assert c["logConfiguration"]["options"]["awslogs-group"] == plan.outputs["database"]["bootstrap"]["logGroupName"]


def test_container_reaches_the_database_over_tls_with_the_master_secret(plan: Plan) -> None:
    database = plan.outputs["database"]
    c = bootstrap_container(plan)
    variables = {e["name"]: e["value"] for e in c["environment"]}
    assert variables["PGHOST"] == database["address"] and variables["PGPORT"] == str(database["port"])
    assert variables["PGDATABASE"] == database["name"] and variables["PGSSLMODE"] == "require"
    assert SQL_VARIABLE not in variables  # the SQL comes with each run, from ops
    assert c["secrets"] == [
        {"name": "PGUSER", "valueFrom": f"{database['masterSecretArn']}:username::"},
        {"name": "PGPASSWORD", "valueFrom": f"{database['masterSecretArn']}:password::"},
    ]


def test_execution_role_reads_the_master_secret_and_nothing_else(plan: Plan) -> None:
    database = plan.outputs["database"]
    document = policy(plan.one("aws:iam/policy:Policy", "db-bootstrap-execution-policy"))
    grants = {s["Sid"]: s for s in document["Statement"]}
    assert sorted(grants) == ["DecryptMasterSecret", "ReadMasterSecret", "WriteOwnLogs"]
    assert grants["ReadMasterSecret"]["Resource"] == database["masterSecretArn"]
    assert grants["ReadMasterSecret"]["Action"] == "secretsmanager:GetSecretValue"
    secrets_key = plan.one("aws:rds/instance:Instance", "db").inputs["masterUserSecretKmsKeyId"]
    assert grants["DecryptMasterSecret"]["Resource"] == secrets_key
    assert grants["DecryptMasterSecret"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    assert grants["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_security_group_reaches_the_database_port_and_https_only(plan: Plan) -> None:
    database = plan.outputs["database"]
    group = database["bootstrap"]["securityGroupId"]
    egress = [r.inputs for r in plan.of_type(EGRESS) if r.inputs["securityGroupId"] == group]
    to_db = [r for r in egress if r.get("referencedSecurityGroupId") == database["securityGroupId"]]
    assert [(r["fromPort"], r["toPort"]) for r in to_db] == [(database["port"], database["port"])]
    assert {(r["fromPort"], r.get("cidrIpv4")) for r in egress if r not in to_db} == {(443, "0.0.0.0/0")}
    assert not [r for r in plan.of_type(INGRESS) if r.inputs["securityGroupId"] == group]  # no ingress at all
    admitted = [r.inputs for r in plan.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == group]
    assert [(r["securityGroupId"], r["fromPort"]) for r in admitted] == [
        (database["securityGroupId"], database["port"])
    ]


# -- the container's command, run by a real shell against a stand-in psql --------------------------------------
@pytest.fixture
def fake_psql(tmp_path: Path) -> Path:
    """A `psql` on PATH that records its arguments and standard input."""
    script = tmp_path / "psql"
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/args\ncat > {tmp_path}/stdin\nexit "${{PSQL_EXIT:-0}}"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def run_command(directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    shell = shutil.which("sh")
    assert shell
    path = f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        [shell, "-c", RUN_SQL], check=False, env={"PATH": path, **env}, capture_output=True, text=True, timeout=10
    )


def test_command_pipes_the_sql_into_one_psql_transaction(fake_psql: Path) -> None:
    sql = "SELECT 'a;b';\nSELECT 2;"
    done = run_command(fake_psql, **{SQL_VARIABLE: sql})
    assert done.returncode == 0, done.stderr
    args = (fake_psql / "args").read_text().split()
    assert args == ["--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--echo-all", "--single-transaction", "--file", "-"]
    assert (fake_psql / "stdin").read_text() == sql + "\n"


def test_command_fails_without_sql_and_passes_psql_failures_on(fake_psql: Path) -> None:
    missing = run_command(fake_psql)
    assert missing.returncode != 0 and "python -m ops db-bootstrap" in missing.stderr
    assert not (fake_psql / "args").exists()  # psql never started
    failed = run_command(fake_psql, **{SQL_VARIABLE: "SELECT 1;", "PSQL_EXIT": "3"})
    assert failed.returncode == 3
