"""The SQL that creates (or revokes) the application's database user. Pure text: no AWS, no driver.

Run by the bootstrap task as the RDS master user with `psql --single-transaction --set ON_ERROR_STOP=1`, so a
script applies completely or not at all. Every statement is idempotent: a second run changes nothing.

What the user gets, and why (RDS User Guide, "Creating a database account using IAM authentication";
PostgreSQL 16 "CREATE ROLE", "GRANT"):
- LOGIN, `rds_iam` membership and no password: it can only sign in with an IAM token (RDS checks the token for
  members of rds_iam), so there is no secret to rotate, inject or leak.
- NOCREATEDB, NOCREATEROLE and a CONNECTION LIMIT: the master keeps the connections it needs to repair things.
- CONNECT on its database only (PUBLIC loses the default CONNECT and TEMPORARY), and a schema named after it,
  owned by the master, on which it has USAGE and CREATE: PostgreSQL's default search_path ("$user", public) finds
  it first, and the tables it creates are its own. PUBLIC may not create in `public` (the PostgreSQL 15 default,
  made explicit for 13 and 14).
- A role that already exists with SUPERUSER, REPLICATION or BYPASSRLS, or as a member of any role but rds_iam,
  stops the script: the bootstrap never silently blesses a user with more than it grants.

The master on RDS is not a superuser (rds_superuser): it may not set SUPERUSER/REPLICATION/BYPASSRLS at all, and
since PostgreSQL 16 it may not create a schema owned by another role it cannot SET ROLE to. Hence the checks
instead of NOSUPERUSER clauses, and a master-owned schema with grants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Unquoted PostgreSQL identifiers we accept: lowercase (IAM compares user names case-sensitively), <= 63 bytes.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Role names PostgreSQL or RDS own (besides the pg_* and rds* prefixes), and databases the user must not get.
RESERVED = frozenset({"postgres", "public", "none", "current_user", "current_role", "session_user"})
SYSTEM_DATABASES = frozenset({"postgres", "template0", "template1", "rdsadmin"})
IAM_ROLE = "rds_iam"
MAX_CONNECTION_LIMIT = 8000  # a sanity bound of this tool, not an AWS or PostgreSQL limit


class BootstrapSqlError(ValueError):
    """A name or limit that cannot be put into the SQL safely."""


def quote_ident(name: str) -> str:
    """Double-quoted identifier; only names matching IDENTIFIER get here, so quoting is belt and braces."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class AppUser:
    name: str
    database: str
    connection_limit: int

    def __post_init__(self) -> None:
        if not IDENTIFIER.match(self.name) or self.name in RESERVED or self.name.startswith(("pg_", "rds")):
            raise BootstrapSqlError(
                f"user name {self.name!r}: lowercase letters, digits and '_', starting with a letter, at most 63 "
                "characters; not reserved (pg_*, rds*, postgres, public, none, current_user, ...)"
            )
        if not IDENTIFIER.match(self.database) or self.database in SYSTEM_DATABASES:
            raise BootstrapSqlError(
                f"database name {self.database!r}: lowercase letters, digits and '_', starting with a letter; "
                f"not a system database ({', '.join(sorted(SYSTEM_DATABASES))})"
            )
        if isinstance(self.connection_limit, bool) or not 1 <= self.connection_limit <= MAX_CONNECTION_LIMIT:
            raise BootstrapSqlError(f"connection limit {self.connection_limit!r}: between 1 and {MAX_CONNECTION_LIMIT}")

    @property
    def schema(self) -> str:
        return self.name


def bootstrap_statements(user: AppUser) -> list[str]:
    """Create the user if missing, refuse one with more power than granted, then (re)apply every grant."""
    role, literal = quote_ident(user.name), quote_literal(user.name)
    database, schema = quote_ident(user.database), quote_ident(user.schema)
    return [
        f"""DO $bootstrap$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {literal}) THEN
    CREATE ROLE {role};
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {literal}
             AND (rolsuper OR rolreplication OR rolbypassrls)) THEN
    RAISE EXCEPTION 'role % has SUPERUSER, REPLICATION or BYPASSRLS: refusing to bootstrap it', {literal};
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles granted ON granted.oid = m.roleid
             JOIN pg_catalog.pg_roles member ON member.oid = m.member
             WHERE member.rolname = {literal} AND granted.rolname <> {quote_literal(IAM_ROLE)}) THEN
    RAISE EXCEPTION 'role % is a member of roles other than {IAM_ROLE}: refusing to bootstrap it', {literal};
  END IF;
END
$bootstrap$;""",
        f"ALTER ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE CONNECTION LIMIT {user.connection_limit} PASSWORD NULL;",
        f"GRANT {IAM_ROLE} TO {role};",
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC;",
        f"GRANT CONNECT ON DATABASE {database} TO {role};",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        f"CREATE SCHEMA IF NOT EXISTS {schema};",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role};",
    ]


def revoke_statements(user: AppUser) -> list[str]:
    """Emergency stop: no new logins (even with a valid token), and its open sessions ended. Undo: bootstrap."""
    return [
        f"ALTER ROLE {quote_ident(user.name)} WITH NOLOGIN;",
        "SELECT count(pg_catalog.pg_terminate_backend(pid)) AS terminated_sessions FROM pg_catalog.pg_stat_activity "
        f"WHERE usename = {quote_literal(user.name)};",
    ]


def script(statements: list[str]) -> str:
    return "\n".join(statements) + "\n"
