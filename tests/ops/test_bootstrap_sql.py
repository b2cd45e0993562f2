"""The bootstrap SQL: against a fake catalogue everywhere, and against a real PostgreSQL where one can start.

The real run uses the bootstrap task's own container command (components.database_bootstrap.RUN_SQL: psql,
one transaction, ON_ERROR_STOP) with a master that is not a superuser, as on RDS.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.database_bootstrap import RUN_SQL, SQL_VARIABLE
from infra.config import ConfigError, load_config
from ops.bootstrap_sql import AppUser, BootstrapSqlError, bootstrap_statements, revoke_statements, script
from tests.helpers import stack_config
from tests.ops import postgres_cluster
from tests.ops.fake_postgres import Catalog, Role, SqlError

USER = AppUser(name="app_user", database="app", connection_limit=100)


# -- the fake catalogue: the logic, everywhere ------------------------------------------------------------------
def test_bootstrap_creates_a_login_role_that_can_only_use_iam_tokens() -> None:
    catalog = Catalog.rds()
    catalog.run(bootstrap_statements(USER))
    role = catalog.roles["app_user"]
    assert role.login and role.password is None and role.connection_limit == 100
    assert role.member_of == {"rds_iam"}
    assert not (role.superuser or role.createdb or role.createrole or role.replication or role.bypassrls)
    assert catalog.databases["app"] == {"app_user"}  # PUBLIC lost CONNECT; the master owns the database
    assert catalog.databases["postgres"] == {"PUBLIC"}  # other databases untouched
    assert catalog.schemas["app_user"] == "app_admin"  # the master owns it: RDS's master cannot SET ROLE app_user
    assert catalog.schema_grants == {"app_user": {"app_user": {"USAGE", "CREATE"}}}
    assert catalog.public_may_create_in_public is False


def test_a_second_run_changes_nothing() -> None:
    catalog = Catalog.rds()
    catalog.run(bootstrap_statements(USER))
    first = copy.deepcopy(catalog)
    catalog.run(bootstrap_statements(USER))
    first.log = catalog.log = []
    assert catalog == first


def test_an_existing_password_user_is_converted_to_token_only() -> None:
    catalog = Catalog.rds()
    catalog.roles["app_user"] = Role(login=True, password="SCRAM-SHA-256$old", createdb=True, connection_limit=-1)
    catalog.run(bootstrap_statements(USER))
    role = catalog.roles["app_user"]
    assert role.password is None and not role.createdb and role.connection_limit == 100 and "rds_iam" in role.member_of


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        (Role(login=True, superuser=True), "SUPERUSER"),
        (Role(login=True, replication=True), "REPLICATION"),
        (Role(login=True, bypassrls=True), "BYPASSRLS"),
        (Role(login=True, member_of={"rds_superuser"}), "member of roles other than rds_iam"),
        (Role(login=True, member_of={"rds_iam", "pg_read_all_data"}), "member of roles other than rds_iam"),
    ],
)
def test_a_more_powerful_existing_role_stops_the_script_and_changes_nothing(existing: Role, message: str) -> None:
    catalog = Catalog.rds()
    catalog.roles["app_user"] = existing
    before = copy.deepcopy(catalog)
    with pytest.raises(SqlError, match=message):
        catalog.run(bootstrap_statements(USER))
    assert catalog == before


def test_outside_rds_the_missing_rds_iam_role_stops_everything() -> None:
    catalog = Catalog.rds()
    del catalog.roles["rds_iam"]
    before = copy.deepcopy(catalog)
    with pytest.raises(SqlError, match='role "rds_iam" does not exist'):
        catalog.run(bootstrap_statements(USER))
    assert catalog == before and "app_user" not in catalog.roles


def test_revoke_stops_logins_and_ends_sessions_and_bootstrap_undoes_it() -> None:
    catalog = Catalog.rds()
    catalog.run(bootstrap_statements(USER))
    catalog.sessions["app_user"] = 7
    catalog.run(revoke_statements(USER))
    assert catalog.roles["app_user"].login is False and "app_user" not in catalog.sessions
    catalog.run(bootstrap_statements(USER))
    assert catalog.roles["app_user"].login is True


def test_script_is_the_statements_one_per_line() -> None:
    statements = bootstrap_statements(USER)
    assert script(statements) == "\n".join(statements) + "\n"


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,62}", fullmatch=True).filter(
    lambda n: (
        not n.startswith(("pg_", "rds"))
        and n not in {"postgres", "public", "none", "current_user", "current_role", "session_user"}
    )
)
DATABASES = st.from_regex(r"[a-z][a-z0-9_]{0,62}", fullmatch=True).filter(
    lambda n: n not in {"postgres", "template0", "template1", "rdsadmin"}
)


@settings(max_examples=60, deadline=None)
@given(user=NAMES, database=DATABASES, limit=st.integers(1, 8000))
def test_any_valid_name_gives_sql_the_fake_accepts(user: str, database: str, limit: int) -> None:
    catalog = Catalog.rds(database=database)
    if user in catalog.roles:
        return
    catalog.run(bootstrap_statements(AppUser(user, database, limit)))
    assert catalog.roles[user].connection_limit == limit and catalog.databases[database] == {user}


@pytest.mark.parametrize(
    ("user", "database", "limit"),
    [
        ("App_User", "app", 10),  # IAM matches case-sensitively: no mixed case
        ('x"; DROP ROLE app_admin; --', "app", 10),
        ("app_user", "app'; --", 10),
        ("pg_app", "app", 10),
        ("rdsapp", "app", 10),
        ("postgres", "app", 10),
        ("app_user", "template1", 10),
        ("app_user", "rdsadmin", 10),
        ("public", "app", 10),
        ("a" * 64, "app", 10),
        ("", "app", 10),
        ("app_user", "app", 0),
        ("app_user", "app", 8001),
        ("app_user", "app", True),
    ],
)
def test_unsafe_names_and_limits_are_refused(user: str, database: str, limit: int) -> None:
    with pytest.raises(BootstrapSqlError):
        AppUser(user, database, limit)


# -- a real PostgreSQL, where this machine has one ------------------------------------------------------------
MASTER = "app_admin"


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres_cluster.Cluster]:
    try:
        started = postgres_cluster.start()
    except postgres_cluster.UnavailableError as exc:
        pytest.skip(str(exc))
    try:
        # What RDS gives: rds_iam, and a master that may create roles and databases but is no superuser.
        started.query("CREATE ROLE rds_iam", database="postgres")
        started.query(f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB", database="postgres")
        started.query(f"GRANT rds_iam TO {MASTER} WITH ADMIN OPTION", database="postgres")
        started.query(f"CREATE DATABASE app OWNER {MASTER}", database="postgres")
        started.query(f"GRANT CREATE ON SCHEMA public TO {MASTER}", database="app")
        yield started
    finally:
        started.stop()


def run_task_command(cluster: postgres_cluster.Cluster, sql: str) -> subprocess.CompletedProcess[str]:
    """The bootstrap container's command, as the task runs it, logged in as the master."""
    shell = shutil.which("sh")
    assert shell
    env = {**cluster.env(MASTER, "app"), SQL_VARIABLE: sql, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([shell, "-c", RUN_SQL], env=env, capture_output=True, text=True, timeout=60, check=False)


def role_facts(cluster: postgres_cluster.Cluster, name: str = "app_user") -> str:
    return cluster.query(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolconnlimit, rolpassword IS NULL, "
        f"pg_has_role('{name}', 'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname = '{name}'"
    )


def test_real_bootstrap_twice_then_the_user_works_in_its_schema(cluster: postgres_cluster.Cluster) -> None:
    for _ in range(2):
        done = run_task_command(cluster, script(bootstrap_statements(USER)))
        assert done.returncode == 0, done.stderr
        assert "CREATE ROLE" not in done.stderr and "ERROR" not in done.stderr
        assert "GRANT CONNECT ON DATABASE" in done.stdout  # --echo-all: the log records every statement
    assert role_facts(cluster) == "t|f|f|f|100|t|t"
    assert cluster.query("SELECT has_database_privilege('app_user', 'app', 'CONNECT')") == "t"
    cluster.query("CREATE ROLE bystander LOGIN", database="postgres")
    assert cluster.query("SELECT has_database_privilege('bystander', 'app', 'CONNECT')") == "f"
    assert cluster.query("SELECT has_schema_privilege('app_user', 'public', 'CREATE')") == "f"
    assert cluster.query("SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'app_user'") == MASTER
    # Logged in as the user: its tables land in its schema ("$user" comes first in the search_path).
    cluster.query("CREATE TABLE orders (id int)", user="app_user")
    assert cluster.query("SELECT schemaname FROM pg_tables WHERE tablename = 'orders'") == "app_user"


def test_real_revoke_then_bootstrap_restores_login(cluster: postgres_cluster.Cluster) -> None:
    assert run_task_command(cluster, script(bootstrap_statements(USER))).returncode == 0
    done = run_task_command(cluster, script(revoke_statements(USER)))
    assert done.returncode == 0, done.stderr
    assert role_facts(cluster).startswith("f|")
    assert run_task_command(cluster, script(bootstrap_statements(USER))).returncode == 0
    assert role_facts(cluster).startswith("t|")


def test_real_failure_rolls_back_every_statement(cluster: postgres_cluster.Cluster) -> None:
    other = AppUser(name="reporting", database="app", connection_limit=5)
    cluster.query("CREATE ROLE reporting LOGIN", database="postgres")
    cluster.query("GRANT pg_read_all_data TO reporting", database="postgres")
    before = cluster.query("SELECT has_database_privilege('reporting', 'app', 'CONNECT'), rolconnlimit "
                           "FROM pg_roles WHERE rolname = 'reporting'")  # fmt: skip
    done = run_task_command(cluster, script(bootstrap_statements(other)))
    assert done.returncode != 0 and "member of roles other than rds_iam" in done.stderr
    after = cluster.query("SELECT has_database_privilege('reporting', 'app', 'CONNECT'), rolconnlimit "
                          "FROM pg_roles WHERE rolname = 'reporting'")  # fmt: skip
    assert after == before and not cluster.query("SELECT 1 FROM pg_namespace WHERE nspname = 'reporting'")


# -- what the stack config accepts, the bootstrap accepts (ops cannot import infra: the rules are pinned here) ---
IDENTIFIER_LIKE = st.from_regex(r"[a-z][a-z0-9_]{0,64}", fullmatch=True) | st.sampled_from(
    ["postgres", "public", "none", "current_user", "rds_iam", "rdsadmin", "pg_monitor", "template1", "app_admin", "app"]
)


@settings(max_examples=150, deadline=None)
@given(user=IDENTIFIER_LIKE, database=IDENTIFIER_LIKE, limit=st.integers(-2, 8002))
def test_every_config_the_stack_accepts_can_be_bootstrapped(user: str, database: str, limit: int) -> None:
    raw, secrets = stack_config(
        "staging", database={"appUsername": user, "databaseName": database, "appConnectionLimit": limit}
    )
    try:
        config = load_config(raw, secrets)
    except ConfigError:
        return
    settings_ = config.database
    AppUser(settings_.app_username, settings_.database_name, settings_.app_connection_limit)  # must not raise


def test_without_server_binaries_the_real_tests_skip_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh runner without PostgreSQL: start() says what is missing and how to get it (the fixture skips)."""
    monkeypatch.setattr(postgres_cluster.shutil, "which", lambda _: None)
    monkeypatch.setattr(postgres_cluster.glob, "glob", lambda _: [])
    with pytest.raises(postgres_cluster.UnavailableError, match=r"initdb, pg_ctl, postgres, psql.*postgresql package"):
        postgres_cluster.start()
