"""A throwaway PostgreSQL cluster in a temporary directory, reachable only on a Unix socket.

Used where the machine has the server binaries (Debian's `postgresql` package, or initdb/pg_ctl on PATH);
elsewhere `start()` raises `UnavailableError` with the reason, and the tests skip with it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "cluster_owner"
PORT = 55432  # only the socket file's name: the cluster listens on no TCP address


class UnavailableError(Exception):
    """No PostgreSQL server binaries, or no way to run them here."""


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


@dataclass
class Cluster:
    root: Path
    socket_dir: Path
    psql: str
    pg_ctl: str
    run_as: str | None

    def env(self, user: str, database: str = "postgres") -> dict[str, str]:
        return {
            "PATH": f"{Path(self.psql).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PGHOST": str(self.socket_dir),
            "PGPORT": str(PORT),
            "PGUSER": user,
            "PGDATABASE": database,
            "PGSSLMODE": "require",  # as the task sets it; libpq ignores sslmode on Unix sockets
            "PGCONNECT_TIMEOUT": "10",
        }

    def query(self, sql: str, user: str = SUPERUSER, database: str = "app") -> str:
        """Run SQL with psql; return its unaligned, tuples-only output. Raises on any error."""
        done = subprocess.run(
            [self.psql, "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            env=self.env(user, database),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"psql failed ({done.returncode}): {done.stderr}")
        return done.stdout.strip()

    def stop(self) -> None:
        _run([self.pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"], self.run_as, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run(command: list[str], run_as: str | None, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, user=run_as, capture_output=True, text=True, timeout=60, check=False)
    if check and done.returncode != 0:
        raise UnavailableError(f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def start() -> Cluster:
    binaries = {name: _binary(name) for name in ("initdb", "pg_ctl", "postgres", "psql")}
    missing = sorted(name for name, path in binaries.items() if path is None)
    if missing:
        raise UnavailableError(
            f"PostgreSQL binaries not found ({', '.join(missing)}): install Debian's postgresql package to run "
            "the SQL against a real server; the fake-catalogue tests still cover its logic"
        )
    run_as: str | None = None
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user when there is one
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise UnavailableError("running as root and no `postgres` user to run initdb as") from None
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="pg-bootstrap-"))
    socket_dir = root / "socket"
    socket_dir.mkdir()
    if run_as is not None:
        for path in (root, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    data = root / "data"
    initdb, pg_ctl, psql = str(binaries["initdb"]), str(binaries["pg_ctl"]), str(binaries["psql"])
    try:
        _run([initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale", "-N"], run_as)
        options = f"-k {socket_dir} -c listen_addresses='' -p {PORT} -c fsync=off"
        _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start"], run_as)
    except UnavailableError:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Cluster(root=root, socket_dir=socket_dir, psql=psql, pg_ctl=pg_ctl, run_as=run_as)
