"""Sample container service the platform deploys by default.

Standard library only, one file: the Docker image copies nothing but this module.

Endpoints:
    GET /        small JSON hello with the version
    GET /health  dependency-aware health: 200 when every dependency is OK, 503 otherwise

Every response is logged as one JSON line on stdout (5xx at level "error"). SIGTERM and SIGINT shut the
server down gracefully (in-flight requests get a short grace period) and the process exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

DEFAULT_PORT = 8080
DEFAULT_HOST = "0.0.0.0"  # a container must listen on all interfaces
DEFAULT_DB_PORT = 5432
DEFAULT_DB_CONNECT_TIMEOUT = 2.0
DRAIN_SECONDS = 10.0  # grace period for in-flight requests on shutdown (ECS stopTimeout defaults to 30 s)

Level = Literal["info", "error"]
DbStatus = Literal["ok", "error", "not_configured"]

_TRUE_WORDS = frozenset({"true", "1", "yes"})


class ConfigError(ValueError):
    """An environment variable has an unusable value (names the variable, never echoes secrets)."""


def _int_env(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer (got {raw!r})") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high} (got {value})")
    return value


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {raw!r})") from None
    if not 0 < value <= 60:  # also rejects nan
        raise ConfigError(f"{name} must be > 0 and <= 60 seconds (got {raw!r})")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment. Secrets (DB_PASSWORD, ...) are never read."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    version: str = "dev"
    db_host: str | None = None
    db_port: int = DEFAULT_DB_PORT
    db_connect_timeout: float = DEFAULT_DB_CONNECT_TIMEOUT
    require_database: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            host=env.get("HOST", "").strip() or DEFAULT_HOST,
            port=_int_env(env, "PORT", DEFAULT_PORT, 0, 65535),
            version=env.get("APP_VERSION", "").strip() or "dev",
            db_host=env.get("DB_HOST", "").strip() or None,
            db_port=_int_env(env, "DB_PORT", DEFAULT_DB_PORT, 1, 65535),
            db_connect_timeout=_float_env(env, "DB_CONNECT_TIMEOUT", DEFAULT_DB_CONNECT_TIMEOUT),
            require_database=env.get("REQUIRE_DATABASE", "").strip().lower() in _TRUE_WORDS,
        )


def utc_now_iso() -> str:
    """ISO-8601 UTC with millisecond precision and a `Z` suffix, e.g. 2025-01-31T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLogger:
    """Writes one JSON object per line; a lock keeps lines from different threads whole."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def log(self, level: Level, message: str, **fields: Any) -> None:
        record: dict[str, Any] = {"timestamp": utc_now_iso(), "level": level, "message": message, **fields}
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        stream = self._stream if self._stream is not None else sys.stdout  # resolved late: tests swap it
        with self._lock:
            stream.write(line)
            stream.flush()


@dataclass(frozen=True)
class DependencyCheck:
    status: DbStatus
    latency_ms: float | None
    detail: str

    @property
    def healthy(self) -> bool:
        return self.status == "ok"


def check_database(settings: Settings) -> DependencyCheck:
    """TCP-connect to DB_HOST:DB_PORT. The detail never names the host: /health is public behind the ALB."""
    if settings.db_host is None:
        if settings.require_database:
            return DependencyCheck("not_configured", None, "DB_HOST is not set but REQUIRE_DATABASE is true")
        return DependencyCheck("not_configured", None, "DB_HOST is not set; database not required")
    started = time.perf_counter()
    try:
        conn = socket.create_connection((settings.db_host, settings.db_port), timeout=settings.db_connect_timeout)
    except TimeoutError:
        return DependencyCheck(
            "error", _elapsed_ms(started), f"TCP connect timed out after {settings.db_connect_timeout:g}s"
        )
    except OSError as exc:  # refused, unreachable, DNS failure (socket.gaierror), ...
        return DependencyCheck("error", _elapsed_ms(started), f"TCP connect failed: {type(exc).__name__}")
    latency = _elapsed_ms(started)
    conn.close()
    return DependencyCheck("ok", latency, "TCP connect succeeded")


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


class AppServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the settings, the logger and an in-flight request counter."""

    # Never block exit on a stuck client; `drain` gives in-flight requests a grace period instead.
    daemon_threads = True

    def __init__(self, settings: Settings, logger: JsonLogger) -> None:
        self.settings = settings
        self.logger = logger
        self.started_monotonic = time.monotonic()
        self._inflight = 0
        self._idle = threading.Condition()
        super().__init__((settings.host, settings.port), RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self._inflight += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until no request is being handled (True) or `timeout` seconds pass (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout=timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):  # client went away mid-response: not our failure
            self.logger.log("info", f"client disconnected: {type(exc).__name__}")
            return
        self.logger.log("error", f"unhandled error while handling a request: {type(exc).__name__}: {exc}")


class RequestHandler(BaseHTTPRequestHandler):
    server: AppServer  # narrows BaseRequestHandler.server for the type checker
    server_version = "sample-app"
    timeout = 75  # seconds a client may take to send its request: bounds how long it can hold a thread

    _started = 0.0
    _status: int | None = None

    def version_string(self) -> str:
        return self.server_version  # without the stdlib's " Python/3.x": do not advertise the runtime

    # -- request lifecycle -------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        self._started = time.perf_counter()
        self._status = None
        super().handle_one_request()
        if self._status is not None:
            self._access_log(self._status)

    def parse_request(self) -> bool:
        self._started = time.perf_counter()  # the request line has arrived: start the clock here
        return super().parse_request()

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    def _dispatch(self, *, send_body: bool) -> None:
        try:
            path = self._route_path()
            if path == "/health":
                status, body = self._health()
            elif path == "/":
                status, body = HTTPStatus.OK, {"message": "hello", "version": self.server.settings.version}
            else:
                status, body = HTTPStatus.NOT_FOUND, {"error": "not found"}
        except Exception as exc:
            self.server.logger.log("error", f"request failed: {type(exc).__name__}: {exc}")
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal server error"}
        self._send_json(status, body, send_body=send_body)

    def _health(self) -> tuple[HTTPStatus, dict[str, Any]]:
        settings = self.server.settings
        database = check_database(settings)
        db_ok = database.healthy or (database.status == "not_configured" and not settings.require_database)
        body = {
            "status": "ok" if db_ok else "degraded",
            "timestamp": utc_now_iso(),
            "uptime": round(time.monotonic() - self.server.started_monotonic, 3),
            "version": settings.version,
            "services": {
                "database": {
                    "status": database.status,
                    "latency_ms": database.latency_ms,
                    "detail": database.detail,
                },
            },
        }
        return (HTTPStatus.OK if db_ok else HTTPStatus.SERVICE_UNAVAILABLE), body

    # -- responses ---------------------------------------------------------------------------------

    def _send_json(
        self,
        status: int,
        body: Mapping[str, Any],
        *,
        send_body: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, unknown method, ...) as JSON instead of HTML."""
        headers = {"Connection": "close"}  # as the stdlib does: the stream may be out of sync
        if code == HTTPStatus.NOT_IMPLEMENTED:  # the stdlib's answer to a method with no do_* handler
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed"
            headers["Allow"] = "GET, HEAD"
        elif message is None:
            try:
                message = HTTPStatus(code).phrase.lower()
            except ValueError:
                message = "error"
        send_body = self.command != "HEAD" and code >= 200 and code not in (204, 205, 304)
        self._send_json(code, {"error": message}, send_body=send_body, headers=headers)

    # -- logging -----------------------------------------------------------------------------------

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called by send_response; remember the status and log once the response is written.
        if isinstance(code, int):
            self._status = int(code)

    def log_message(self, format: str, *args: Any) -> None:
        # Remaining stdlib diagnostics (e.g. "Request timed out") as JSON lines instead of stderr text.
        self.server.logger.log("info", format % args)

    def _access_log(self, status: int) -> None:
        path = self._route_path() if getattr(self, "path", None) else "-"
        method = getattr(self, "command", None) or "-"
        self.server.logger.log(
            "error" if status >= 500 else "info",
            f"{method} {path} {status}",
            method=method,
            path=path,
            status=status,
            duration_ms=round((time.perf_counter() - self._started) * 1000, 2),
        )

    def _route_path(self) -> str:
        # Drop the query string: it is not routed on and may carry tokens that must not reach the logs.
        return urlsplit(self.path).path[:512] or "/"


def make_server(
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    *,
    host: str | None = None,
    log_stream: TextIO | None = None,
) -> AppServer:
    """Build (and bind) the server without starting it.

    `env` defaults to os.environ; `port`/`host` override PORT/HOST (port 0 picks a free port, see
    `AppServer.port`). Call `serve_forever()` to run it, `shutdown()` + `server_close()` to stop it.
    """
    settings = Settings.from_env(os.environ if env is None else env)
    if port is not None:
        settings = replace(settings, port=port)
    if host is not None:
        settings = replace(settings, host=host)
    return AppServer(settings, JsonLogger(log_stream))


def main(env: Mapping[str, str] | None = None) -> int:
    try:
        server = make_server(env=env)
    except (ConfigError, OSError) as exc:
        JsonLogger().log("error", f"cannot start: {exc}")
        return 1

    settings, logger = server.settings, server.logger
    stopping = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            return
        stopping.set()
        logger.log("info", f"received {signal.Signals(signum).name}, shutting down")
        # shutdown() waits for serve_forever() to return, which runs in this (the main) thread: use another.
        threading.Thread(target=server.shutdown, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    logger.log(
        "info",
        "listening",
        host=settings.host,
        port=server.port,
        version=settings.version,
        database_configured=settings.db_host is not None,
        require_database=settings.require_database,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        drained = server.drain(DRAIN_SECONDS)
        server.server_close()
    logger.log("info" if drained else "error", "stopped" if drained else "stopped with requests in flight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
