"""Tests for the sample container service (app/server.py) and its Dockerfile.

The server runs for real on an ephemeral port on 127.0.0.1 and is called over HTTP; nothing leaves the host.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.server import AppServer, ConfigError, Settings, check_database, make_server

APP_DIR = Path(__file__).resolve().parents[2] / "app"
SECRET = "s3cr3t-do-not-log-9f1c"

# Never route test traffic through a proxy from the environment (HTTP_PROXY etc.).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


class LogBuffer(io.StringIO):
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


@dataclass
class Running:
    server: AppServer
    logs: LogBuffer

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def request(self, path: str, method: str = "GET") -> Response:
        req = urllib.request.Request(self.base + path, method=method)
        try:
            with _OPENER.open(req, timeout=5) as resp:
                result = Response(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            result = Response(err.code, dict(err.headers), err.read())
        # The access log is written after the response; wait until the handler thread has finished.
        assert self.server.drain(2.0)
        return result


@contextmanager
def serving(env: Mapping[str, str], **options: Any) -> Iterator[Running]:
    logs = LogBuffer()
    server = make_server(0, env, host="127.0.0.1", log_stream=logs, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Running(server, logs)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening on it (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def db_listener() -> Iterator[int]:
    """A real TCP listener on 127.0.0.1 standing in for the database; yields its port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


# -- /health -------------------------------------------------------------------------------------------


def test_health_ok_when_database_not_required() -> None:
    with serving({}) as app:
        resp = app.request("/health")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == {"status", "timestamp", "uptime", "version", "services"}
    assert body["status"] == "ok"
    assert body["version"] == "dev"
    assert isinstance(body["uptime"], int | float)
    assert body["uptime"] >= 0
    stamp = datetime.fromisoformat(body["timestamp"])
    assert stamp.utcoffset() is not None
    assert stamp.utcoffset() == UTC.utcoffset(None)
    assert body["timestamp"].endswith("Z")
    assert body["services"] == {
        "database": {
            "status": "not_configured",
            "latency_ms": None,
            "detail": body["services"]["database"]["detail"],
        }
    }
    assert isinstance(body["services"]["database"]["detail"], str)


def test_health_503_when_database_required_but_not_configured() -> None:
    with serving({"REQUIRE_DATABASE": "true"}) as app:
        resp = app.request("/health")
    assert resp.status == 503
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["services"]["database"]["status"] == "not_configured"
    assert body["services"]["database"]["latency_ms"] is None


def test_health_ok_when_database_reachable(db_listener: int) -> None:
    env = {"DB_HOST": "127.0.0.1", "DB_PORT": str(db_listener), "REQUIRE_DATABASE": "true"}
    with serving(env) as app:
        resp = app.request("/health")
    assert resp.status == 200
    body = resp.json()
    assert body["status"] == "ok"
    database = body["services"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], int | float)
    assert database["latency_ms"] >= 0


def test_health_503_when_database_unreachable_and_5xx_logged_as_error() -> None:
    env = {"DB_HOST": "127.0.0.1", "DB_PORT": str(free_port()), "DB_CONNECT_TIMEOUT": "0.5"}
    with serving(env) as app:
        resp = app.request("/health")
        logs = app.logs.lines()
    assert resp.status == 503
    body = resp.json()
    assert body["status"] == "degraded"
    database = body["services"]["database"]
    assert database["status"] == "error"
    assert isinstance(database["latency_ms"], int | float)
    assert "127.0.0.1" not in database["detail"]  # /health is public: do not reveal the database address
    [line] = logs
    assert line["level"] == "error"
    assert line["status"] == 503
    assert line["path"] == "/health"


def test_database_check_uses_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_connect(address: tuple[str, int], timeout: float) -> socket.socket:
        seen.update(address=address, timeout=timeout)
        raise TimeoutError

    monkeypatch.setattr(socket, "create_connection", fake_connect)
    settings = Settings.from_env({"DB_HOST": "db.internal", "DB_CONNECT_TIMEOUT": "0.25"})
    result = check_database(settings)
    assert seen == {"address": ("db.internal", 5432), "timeout": 0.25}
    assert result.status == "error"
    assert "timed out" in result.detail
    assert "db.internal" not in result.detail


def test_version_comes_from_app_version() -> None:
    with serving({"APP_VERSION": "1.4.2-abc123"}) as app:
        health = app.request("/health").json()
        root = app.request("/")
    assert health["version"] == "1.4.2-abc123"
    assert root.status == 200
    assert root.json()["version"] == "1.4.2-abc123"


def test_head_health_has_status_but_no_body() -> None:
    with serving({"REQUIRE_DATABASE": "true"}) as app:
        resp = app.request("/health", method="HEAD")
    assert resp.status == 503
    assert resp.raw == b""


# -- routing and errors --------------------------------------------------------------------------------


def test_unknown_path_is_404_json() -> None:
    with serving({}) as app:
        resp = app.request("/nope")
        [line] = app.logs.lines()
    assert resp.status == 404
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.json() == {"error": "not found"}
    assert line["level"] == "info"
    assert line["status"] == 404


def test_unsupported_method_is_405_json_not_5xx() -> None:
    with serving({}) as app:
        resp = app.request("/health", method="POST")
        [line] = app.logs.lines()
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET, HEAD"
    assert resp.json() == {"error": "method not allowed"}
    assert line["level"] == "info"  # a client mistake must not trip the error-log alarm


# -- logging -------------------------------------------------------------------------------------------


def test_one_json_log_line_per_request() -> None:
    with serving({}) as app:
        app.request("/health?token=abc123")  # the query string is neither routed on nor logged
        app.request("/")
        lines = app.logs.lines()
    assert len(lines) == 2
    for line in lines:
        assert {"timestamp", "level", "message", "path", "status", "duration_ms"} <= set(line)
        assert line["level"] == "info"
        assert isinstance(line["duration_ms"], int | float)
    assert [(line["path"], line["status"]) for line in lines] == [("/health", 200), ("/", 200)]
    assert "abc123" not in app.logs.getvalue()


def test_secret_env_values_never_logged_or_returned(db_listener: int) -> None:
    env = {"DB_HOST": "127.0.0.1", "DB_PORT": str(db_listener), "DB_PASSWORD": SECRET, "API_TOKEN": SECRET}
    with serving(env) as app:
        bodies = [app.request(path).raw for path in ("/", "/health", "/missing")]
        logs = app.logs.getvalue()
    assert logs
    assert SECRET not in logs
    assert all(SECRET.encode() not in body for body in bodies)


# -- configuration -------------------------------------------------------------------------------------


def test_settings_defaults_and_parsing() -> None:
    assert Settings.from_env({}) == Settings(
        host="0.0.0.0", port=8080, version="dev", db_host=None, db_port=5432, db_connect_timeout=2.0
    )
    settings = Settings.from_env({"PORT": "9000", "DB_HOST": " db ", "REQUIRE_DATABASE": "TRUE"})
    assert (settings.port, settings.db_host, settings.require_database) == (9000, "db", True)
    assert not Settings.from_env({"REQUIRE_DATABASE": "false"}).require_database


@pytest.mark.parametrize(
    "env",
    [{"PORT": "http"}, {"PORT": "70000"}, {"DB_PORT": "0"}, {"DB_CONNECT_TIMEOUT": "0"}, {"DB_CONNECT_TIMEOUT": "x"}],
)
def test_invalid_settings_are_rejected(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        Settings.from_env(env)


# -- the process: SIGTERM, stdout, standard library only ----------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_process_serves_and_exits_0_on_sigterm() -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": "0",
        "APP_VERSION": "proc",
        "DB_PASSWORD": SECRET,
    }
    # -I -S: isolated, without site-packages, so the server must run on the standard library alone.
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(APP_DIR / "server.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        assert started["message"] == "listening"
        with _OPENER.open(f"http://127.0.0.1:{started['port']}/health", timeout=5) as resp:
            assert resp.status == 200
            assert json.loads(resp.read())["version"] == "proc"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["message"] for line in lines][-1] == "stopped"
    assert any(line.get("path") == "/health" and line["status"] == 200 for line in lines)
    assert SECRET not in out


# -- Dockerfile ----------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (APP_DIR / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "Dockerfile ends with a line continuation"
    return instructions


def instruction_args(name: str) -> list[str]:
    return [args for keyword, args in dockerfile_instructions() if keyword == name]


def test_dockerfile_base_image_is_pinned() -> None:
    [base] = instruction_args("FROM")
    match = re.fullmatch(r"(?P<image>[\w./-]+):(?P<tag>[\w.-]+)(@sha256:[0-9a-f]{64})?", base)
    assert match, f"FROM must name an image with an explicit tag: {base!r}"
    assert match["tag"] != "latest"
    assert re.match(r"\d+\.\d+\.\d+", match["tag"]), "tag must pin an exact version, e.g. 3.11.11-slim-bookworm"


def test_dockerfile_runs_as_non_root() -> None:
    users = instruction_args("USER")
    assert users, "USER missing: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user == "10001"


def test_dockerfile_healthcheck_exposes_and_env() -> None:
    [healthcheck] = instruction_args("HEALTHCHECK")
    assert not healthcheck.upper().startswith("NONE")
    assert "/health" in healthcheck
    assert "8080" in instruction_args("EXPOSE")[0].split()
    env = " ".join(instruction_args("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env
    copies = instruction_args("COPY") + instruction_args("ADD")
    assert [args.split()[:-1] for args in copies] == [["server.py"]]
    [cmd] = instruction_args("CMD")
    assert json.loads(cmd)[-1].endswith("server.py")  # exec form: python is PID 1 and receives SIGTERM


def healthcheck_command() -> list[str]:
    [healthcheck] = instruction_args("HEALTHCHECK")
    _, _, exec_form = healthcheck.partition("CMD ")
    command: list[str] = json.loads(exec_form)
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def test_dockerfile_healthcheck_command_works() -> None:
    command = healthcheck_command()
    base_env = {"PATH": os.environ.get("PATH", "")}
    for env, expected in (({}, 0), ({"REQUIRE_DATABASE": "true"}, 1)):
        with serving(env) as app:
            result = subprocess.run(
                command,
                check=False,
                env={**base_env, "PORT": str(app.server.port)},
                capture_output=True,
                timeout=10,
            )
        assert result.returncode == expected, result.stderr


def test_dockerignore_admits_only_server_py() -> None:
    rules = [
        line.strip()
        for line in (APP_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules == ["*", "!server.py"]
