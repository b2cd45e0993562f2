"""A fake PostgreSQL catalogue that runs exactly the statement shapes ops.bootstrap_sql emits, as PostgreSQL would.

It asserts the SQL (any statement it does not recognise fails the test) and models what matters to the
bootstrap: roles and their attributes, role membership, database CONNECT grants, schemas and their grants, open
sessions. Errors are the ones PostgreSQL raises (CREATE ROLE on an existing role, GRANT of a missing role, ...),
and a script is one transaction: on any error nothing it did remains (psql --single-transaction).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

ID = r'"(?P<{name}>[a-z][a-z0-9_]*)"'
LIT = r"'(?P<{name}>[a-z][a-z0-9_]*)'"


class SqlError(Exception):
    """What PostgreSQL would answer with an ERROR."""


@dataclass
class Role:
    login: bool = False
    superuser: bool = False
    replication: bool = False
    bypassrls: bool = False
    createdb: bool = False
    createrole: bool = False
    connection_limit: int = -1
    password: str | None = None
    member_of: set[str] = field(default_factory=set)


@dataclass
class Catalog:
    current_user: str
    roles: dict[str, Role]
    databases: dict[str, set[str]]  # database -> grantees of CONNECT ("PUBLIC" included by default)
    schemas: dict[str, str] = field(default_factory=lambda: {"public": "pg_database_owner"})
    schema_grants: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    public_may_create_in_public: bool = True  # PostgreSQL 13/14 default
    sessions: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @classmethod
    def rds(cls, master: str = "app_admin", database: str = "app") -> Catalog:
        """What a new RDS for PostgreSQL instance holds: rdsadmin, rds_iam, the master (not a superuser)."""
        return cls(
            current_user=master,
            roles={
                "rdsadmin": Role(login=True, superuser=True),
                "rds_superuser": Role(),
                "rds_iam": Role(),
                master: Role(login=True, createdb=True, createrole=True, member_of={"rds_superuser"}),
            },
            databases={database: {"PUBLIC"}, "postgres": {"PUBLIC"}},
        )

    # -- running --------------------------------------------------------------------------------------------
    def run(self, statements: list[str]) -> None:
        """All statements in one transaction: on an error, raise it and keep the catalogue as it was."""
        work = copy.deepcopy(self)
        for statement in statements:
            work._execute(statement)
        self.__dict__.update(work.__dict__)

    def _execute(self, sql: str) -> None:
        for pattern, handler in _HANDLERS:
            match = pattern.fullmatch(sql)
            if match:
                handler(self, **match.groupdict())
                self.log.append(sql)
                return
        raise AssertionError(f"statement the fake does not know (so the bootstrap should not send it):\n{sql}")

    def _role(self, name: str) -> Role:
        if name not in self.roles:
            raise SqlError(f'role "{name}" does not exist')
        return self.roles[name]

    # -- statements -------------------------------------------------------------------------------------------
    def _guarded_create(self, *, name: str, lit2: str, lit3: str, lit4: str, lit5: str, iam: str, lit6: str) -> None:
        assert len({name, lit2, lit3, lit4, lit5, lit6}) == 1, "the block names one role throughout"
        assert iam == "rds_iam"
        if name not in self.roles:
            if not self.roles[self.current_user].createrole:
                raise SqlError("permission denied to create role")
            self.roles[name] = Role()
        role = self.roles[name]
        if role.superuser or role.replication or role.bypassrls:
            raise SqlError(f"role {name} has SUPERUSER, REPLICATION or BYPASSRLS: refusing to bootstrap it")
        if role.member_of - {"rds_iam"}:
            raise SqlError(f"role {name} is a member of roles other than rds_iam: refusing to bootstrap it")

    def _alter_login(self, name: str, limit: str) -> None:
        role = self._role(name)
        if role.superuser:
            raise SqlError("permission denied to alter role")
        role.login, role.createdb, role.createrole = True, False, False
        role.connection_limit, role.password = int(limit), None

    def _nologin(self, name: str) -> None:
        self._role(name).login = False

    def _grant_role(self, granted: str, name: str) -> None:
        self._role(granted)
        self._role(name).member_of.add(granted)

    def _revoke_database(self, database: str) -> None:
        if database not in self.databases:
            raise SqlError(f'database "{database}" does not exist')
        self.databases[database].discard("PUBLIC")

    def _grant_connect(self, database: str, name: str) -> None:
        if database not in self.databases:
            raise SqlError(f'database "{database}" does not exist')
        self._role(name)
        self.databases[database].add(name)

    def _revoke_public_create(self) -> None:
        self.public_may_create_in_public = False

    def _create_schema(self, schema: str) -> None:
        self.schemas.setdefault(schema, self.current_user)

    def _grant_schema(self, schema: str, name: str) -> None:
        if schema not in self.schemas:
            raise SqlError(f'schema "{schema}" does not exist')
        self._role(name)
        self.schema_grants.setdefault(schema, {}).setdefault(name, set()).update({"USAGE", "CREATE"})

    def _terminate(self, name: str) -> None:
        self.sessions.pop(name, None)


_DO_BLOCK = (
    r"DO \$bootstrap\$\n"
    r"BEGIN\n"
    rf"  IF NOT EXISTS \(SELECT FROM pg_catalog\.pg_roles WHERE rolname = {LIT.format(name='name')}\) THEN\n"
    rf"    CREATE ROLE {ID.format(name='lit2')};\n"
    r"  END IF;\n"
    rf"  IF EXISTS \(SELECT FROM pg_catalog\.pg_roles WHERE rolname = {LIT.format(name='lit3')}\n"
    r"             AND \(rolsuper OR rolreplication OR rolbypassrls\)\) THEN\n"
    r"    RAISE EXCEPTION 'role % has SUPERUSER, REPLICATION or BYPASSRLS: refusing to bootstrap it', "
    rf"{LIT.format(name='lit4')};\n"
    r"  END IF;\n"
    r"  IF EXISTS \(SELECT FROM pg_catalog\.pg_auth_members m\n"
    r"             JOIN pg_catalog\.pg_roles granted ON granted\.oid = m\.roleid\n"
    r"             JOIN pg_catalog\.pg_roles member ON member\.oid = m\.member\n"
    rf"             WHERE member\.rolname = {LIT.format(name='lit5')} AND granted\.rolname <> "
    rf"{LIT.format(name='iam')}\) THEN\n"
    r"    RAISE EXCEPTION 'role % is a member of roles other than rds_iam: refusing to bootstrap it', "
    rf"{LIT.format(name='lit6')};\n"
    r"  END IF;\n"
    r"END\n"
    r"\$bootstrap\$;"
)

_HANDLERS = [
    (re.compile(_DO_BLOCK), Catalog._guarded_create),
    (
        re.compile(
            rf"ALTER ROLE {ID.format(name='name')} WITH LOGIN NOCREATEDB NOCREATEROLE "
            r"CONNECTION LIMIT (?P<limit>[1-9][0-9]*) PASSWORD NULL;"
        ),
        Catalog._alter_login,
    ),
    (re.compile(rf"ALTER ROLE {ID.format(name='name')} WITH NOLOGIN;"), Catalog._nologin),
    (re.compile(rf"GRANT (?P<granted>rds_iam) TO {ID.format(name='name')};"), Catalog._grant_role),
    (re.compile(rf"REVOKE ALL ON DATABASE {ID.format(name='database')} FROM PUBLIC;"), Catalog._revoke_database),
    (
        re.compile(rf"GRANT CONNECT ON DATABASE {ID.format(name='database')} TO {ID.format(name='name')};"),
        Catalog._grant_connect,
    ),
    (re.compile(r"REVOKE CREATE ON SCHEMA public FROM PUBLIC;"), Catalog._revoke_public_create),
    (re.compile(rf"CREATE SCHEMA IF NOT EXISTS {ID.format(name='schema')};"), Catalog._create_schema),
    (
        re.compile(rf"GRANT USAGE, CREATE ON SCHEMA {ID.format(name='schema')} TO {ID.format(name='name')};"),
        Catalog._grant_schema,
    ),
    (
        re.compile(
            r"SELECT count\(pg_catalog\.pg_terminate_backend\(pid\)\) AS terminated_sessions "
            rf"FROM pg_catalog\.pg_stat_activity WHERE usename = {LIT.format(name='name')};"
        ),
        Catalog._terminate,
    ),
]
