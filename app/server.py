"""Sample container service the platform deploys by default.

Standard library only, one file: the Docker image copies nothing but this module.

Endpoints:
    GET /        small JSON hello with the version
    GET /health  dependency-aware health: 200 when every dependency is OK, 503 otherwise

Database credentials (DB_AUTH=iam): the service holds no password. For each new connection it signs a 15-minute
RDS IAM authentication token with its task role's credentials (from the ECS container credentials endpoint),
reusing a token for at most TOKEN_REUSE_SECONDS so it is always fresh when presented. Established connections
outlive their token. An authentication failure drops the cached token and role credentials and retries once;
a connection the server ended is replaced once. Without DB_AUTH the check is a TCP connect only.

Every response is logged as one JSON line on stdout (5xx at level "error"). SIGTERM and SIGINT shut the
server down gracefully (in-flight requests get a short grace period) and the process exits 0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Literal, TextIO
from urllib.parse import quote, urlsplit

DEFAULT_PORT = 8080
DEFAULT_HOST = "0.0.0.0"  # a container must listen on all interfaces
DEFAULT_DB_PORT = 5432
DEFAULT_DB_CONNECT_TIMEOUT = 2.0
DRAIN_SECONDS = 10.0  # grace period for in-flight requests on shutdown (ECS stopTimeout defaults to 30 s)

Level = Literal["info", "error"]
DbStatus = Literal["ok", "error", "not_configured"]
DbAuth = Literal["none", "iam"]
SslMode = Literal["verify-full", "require", "disable"]

# RDS IAM authentication tokens live 15 minutes (RDS User Guide, "IAM database authentication"). A token is reused
# for at most 10 minutes, so any token presented has at least 5 minutes left.
TOKEN_LIFETIME_SECONDS = 900
TOKEN_REUSE_SECONDS = 600
# Role credentials are refreshed this long before the expiry the credentials endpoint reports.
CREDENTIALS_MARGIN_SECONDS = 300
# Where Fargate serves the task role's credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is appended).
ECS_CREDENTIALS_HOST = "http://169.254.170.2"
# SQLSTATEs of a rejected login: invalid_password (what RDS answers for a bad or expired IAM token) and
# invalid_authorization_specification (e.g. the role may not log in).
AUTH_FAILURES = frozenset({"28P01", "28000"})

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
    db_auth: DbAuth = "none"
    db_user: str | None = None
    db_name: str | None = None
    db_sslmode: SslMode = "require"
    db_ssl_root_cert: str | None = None
    aws_region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        settings = cls(
            host=env.get("HOST", "").strip() or DEFAULT_HOST,
            port=_int_env(env, "PORT", DEFAULT_PORT, 0, 65535),
            version=env.get("APP_VERSION", "").strip() or "dev",
            db_host=env.get("DB_HOST", "").strip() or None,
            db_port=_int_env(env, "DB_PORT", DEFAULT_DB_PORT, 1, 65535),
            db_connect_timeout=_float_env(env, "DB_CONNECT_TIMEOUT", DEFAULT_DB_CONNECT_TIMEOUT),
            require_database=env.get("REQUIRE_DATABASE", "").strip().lower() in _TRUE_WORDS,
            db_auth=_choice_env(env, "DB_AUTH", ("none", "iam"), "none"),  # type: ignore[arg-type]
            db_user=env.get("DB_USER", "").strip() or None,
            db_name=env.get("DB_NAME", "").strip() or None,
            db_ssl_root_cert=env.get("DB_SSL_ROOT_CERT", "").strip() or None,
            aws_region=(env.get("AWS_REGION", "") or env.get("AWS_DEFAULT_REGION", "")).strip() or None,
        )
        default_mode = "verify-full" if settings.db_ssl_root_cert else "require"
        mode = _choice_env(env, "DB_SSLMODE", ("verify-full", "require", "disable"), default_mode)
        settings = replace(settings, db_sslmode=mode)  # type: ignore[arg-type]
        if settings.db_auth == "iam":
            missing = [
                name
                for name, value in (
                    ("DB_HOST", settings.db_host),
                    ("DB_USER", settings.db_user),
                    ("DB_NAME", settings.db_name),
                    ("AWS_REGION", settings.aws_region),
                )
                if value is None
            ]
            if missing:
                raise ConfigError(f"DB_AUTH=iam needs {', '.join(missing)}")
        if settings.db_sslmode == "verify-full" and not settings.db_ssl_root_cert:
            raise ConfigError("DB_SSLMODE=verify-full needs DB_SSL_ROOT_CERT (the RDS CA bundle)")
        return settings


def _choice_env(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)} (got {raw!r})")
    return raw


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


# -- AWS credentials and RDS IAM authentication tokens ----------------------------------------------------------


class CredentialsError(Exception):
    """The task role's credentials could not be obtained (the message never contains a credential)."""


@dataclass(frozen=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expires_at: float | None  # epoch seconds; None: never (static credentials from the environment)

    def __repr__(self) -> str:  # never print the secret parts
        return f"AwsCredentials(access_key_id={self.access_key_id!r}, expires_at={self.expires_at!r})"


Clock = Callable[[], float]


class RoleCredentials:
    """The task role's credentials, as the AWS SDKs find them in a container: the ECS credentials endpoint
    (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or _FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN), else the
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN variables. Cached until shortly before they
    expire, or until `invalidate()`."""

    def __init__(self, env: Mapping[str, str], clock: Clock = time.time, timeout: float = 2.0) -> None:
        self._env = dict(env)
        self._clock = clock
        self._timeout = timeout
        self._cached: AwsCredentials | None = None
        self._lock = threading.Lock()

    def get(self) -> AwsCredentials:
        with self._lock:
            cached = self._cached
            if cached is None or (
                cached.expires_at is not None and self._clock() >= cached.expires_at - CREDENTIALS_MARGIN_SECONDS
            ):
                cached = self._cached = self._load()
            return cached

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def _load(self) -> AwsCredentials:
        env = self._env
        relative, full = (
            env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
            env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        )
        if relative or full:
            url = f"{ECS_CREDENTIALS_HOST}{relative}" if relative else str(full)
            request = urllib.request.Request(url)
            if not relative and env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"):
                request.add_header("Authorization", env["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # link-local: never a proxy
            try:
                with opener.open(request, timeout=self._timeout) as response:
                    body = json.loads(response.read())
                expires = datetime.fromisoformat(str(body["Expiration"]).replace("Z", "+00:00")).timestamp()
                return AwsCredentials(body["AccessKeyId"], body["SecretAccessKey"], body.get("Token"), expires)
            except (OSError, ValueError, KeyError) as exc:
                raise CredentialsError(f"container credentials endpoint: {type(exc).__name__}") from None
        if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
            return AwsCredentials(
                env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN") or None, None
            )
        raise CredentialsError("no AWS credentials: no container credentials endpoint and no AWS_ACCESS_KEY_ID")


def rds_auth_token(
    *, host: str, port: int, user: str, region: str, credentials: AwsCredentials, now: float | None = None
) -> str:
    """An RDS IAM authentication token: a SigV4 presigned `connect` request for `user`, service `rds-db`, valid
    900 s, without its scheme (what botocore's generate_db_auth_token returns)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    amz_date, day = moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d")
    scope = f"{day}/{region}/rds-db/aws4_request"
    params = {
        "Action": "connect",
        "DBUser": user,
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{credentials.access_key_id}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(TOKEN_LIFETIME_SECONDS),
        "X-Amz-SignedHeaders": "host",
    }
    if credentials.session_token:
        params["X-Amz-Security-Token"] = credentials.session_token
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    netloc = f"{host}:{port}"
    # The payload hash is that of the empty body, as botocore signs RDS presigned URLs.
    canonical = "\n".join(["GET", "/", query, f"host:{netloc}", "", "host", hashlib.sha256(b"").hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{credentials.secret_access_key}".encode()
    for part in (day, region, "rds-db", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{netloc}/?{query}&X-Amz-Signature={signature}"


class IamTokens:
    """Tokens for one database user, reused for at most TOKEN_REUSE_SECONDS. `invalidate()` (after a rejected
    login) drops the token and the role credentials behind it, so the next token is signed afresh."""

    def __init__(self, settings: Settings, credentials: RoleCredentials, clock: Clock = time.time) -> None:
        assert settings.db_host and settings.db_user and settings.aws_region
        self._host, self._port, self._user = settings.db_host, settings.db_port, settings.db_user
        self._region = settings.aws_region
        self._credentials = credentials
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def password(self) -> str:
        with self._lock:
            now = self._clock()
            if self._token is None or now - self._token[1] >= TOKEN_REUSE_SECONDS:
                credentials = self._credentials.get()
                token = rds_auth_token(
                    host=self._host,
                    port=self._port,
                    user=self._user,
                    region=self._region,
                    credentials=credentials,
                    now=now,
                )
                self._token = (token, now)
            return self._token[0]

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
        self._credentials.invalidate()


# -- a minimal PostgreSQL client (protocol 3.0): TLS, cleartext password (what IAM uses), simple queries ---------


class PgError(Exception):
    """An ErrorResponse from the server: `code` is the SQLSTATE."""

    def __init__(self, code: str, message: str, severity: str = "ERROR") -> None:
        super().__init__(f"{severity} {code}: {message}")
        self.code, self.message, self.severity = code, message, severity

    @property
    def authentication_failed(self) -> bool:
        return self.code in AUTH_FAILURES


class PgConnection:
    """One connection. Only what the sample needs: the startup handshake and simple queries."""

    SSL_REQUEST = 80877103
    PROTOCOL = 196608  # 3.0

    def __init__(self, sock: socket.socket) -> None:
        self._sock: socket.socket = sock

    @classmethod
    def connect(cls, settings: Settings, password: str, ssl_context: ssl.SSLContext | None) -> PgConnection:
        assert settings.db_host and settings.db_user and settings.db_name
        sock = socket.create_connection((settings.db_host, settings.db_port), timeout=settings.db_connect_timeout)
        try:
            if ssl_context is not None:
                sock.sendall(struct.pack("!ii", 8, cls.SSL_REQUEST))
                answer = _recv_exact(sock, 1)
                if answer != b"S":
                    raise PgError("08P01", "the server does not accept TLS", "FATAL")
                sock = ssl_context.wrap_socket(sock, server_hostname=settings.db_host)
            connection = cls(sock)
            connection._startup(settings.db_user, settings.db_name, password)
            return connection
        except BaseException:
            sock.close()
            raise

    def _startup(self, user: str, database: str, password: str) -> None:
        fields = {"user": user, "database": database, "application_name": "sample-app"}
        body = (
            struct.pack("!i", self.PROTOCOL)
            + b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in fields.items())
            + b"\0"
        )
        self._sock.sendall(struct.pack("!i", len(body) + 4) + body)
        while True:
            kind, payload = self._read()
            if kind == b"R":
                (code,) = struct.unpack("!i", payload[:4])
                if code == 3:  # cleartext: what RDS asks of an rds_iam user (over TLS only)
                    self._send(b"p", password.encode() + b"\0")
                elif code != 0:
                    raise PgError("28000", f"unsupported authentication request {code}", "FATAL")
            elif kind == b"Z":
                return

    def query(self, sql: str) -> list[list[str | None]]:
        """Run one simple query; return its rows as text."""
        self._send(b"Q", sql.encode() + b"\0")
        rows: list[list[str | None]] = []
        error: PgError | None = None
        while True:
            kind, payload = self._read(raise_errors=False)
            if kind == b"E":
                error = _error_from(payload)
                if error.severity in ("FATAL", "PANIC"):
                    raise error
            elif kind == b"D":
                rows.append(_data_row(payload))
            elif kind == b"Z":
                if error is not None:
                    raise error
                return rows

    def close(self) -> None:
        try:
            self._send(b"X", b"")
        except OSError:
            pass
        finally:
            self._sock.close()

    def _send(self, kind: bytes, body: bytes) -> None:
        self._sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)

    def _read(self, *, raise_errors: bool = True) -> tuple[bytes, bytes]:
        kind = _recv_exact(self._sock, 1)
        (length,) = struct.unpack("!i", _recv_exact(self._sock, 4))
        payload = _recv_exact(self._sock, length - 4)
        if raise_errors and kind == b"E":
            raise _error_from(payload)
        return kind, payload


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise ConnectionResetError("the database closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _error_from(payload: bytes) -> PgError:
    fields = {item[:1]: item[1:].decode(errors="replace") for item in payload.split(b"\0") if item}
    return PgError(fields.get(b"C", "XX000"), fields.get(b"M", "unknown error"), fields.get(b"S", "ERROR"))


def _data_row(payload: bytes) -> list[str | None]:
    (count,) = struct.unpack("!h", payload[:2])
    values: list[str | None] = []
    offset = 2
    for _ in range(count):
        (size,) = struct.unpack("!i", payload[offset : offset + 4])
        offset += 4
        if size < 0:
            values.append(None)
            continue
        values.append(payload[offset : offset + size].decode())
        offset += size
    return values


def ssl_context_for(settings: Settings) -> ssl.SSLContext | None:
    """verify-full: the RDS CA bundle and the host name; require: encrypted, unverified (as libpq's mode)."""
    if settings.db_sslmode == "disable":
        return None
    context = ssl.create_default_context(cafile=settings.db_ssl_root_cert) if settings.db_sslmode == "verify-full" \
        else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # fmt: skip
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.db_sslmode == "require":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class IamDatabase:
    """The service's database connection, authenticated with IAM tokens: one long-lived connection, checked
    with `SELECT 1`; replaced once when the server has ended it; on a rejected login the token and the role
    credentials are dropped and the login retried once. Never logs or returns a token."""

    def __init__(self, settings: Settings, tokens: IamTokens, logger: JsonLogger) -> None:
        self._settings = settings
        self._tokens = tokens
        self._logger = logger
        self._ssl = ssl_context_for(settings)
        self._connection: PgConnection | None = None
        self._lock = threading.Lock()

    def check(self) -> DependencyCheck:
        started = time.perf_counter()
        with self._lock:
            try:
                self._select_one()
            except PgError as exc:
                self._drop()
                if exc.authentication_failed:
                    return DependencyCheck("error", _elapsed_ms(started), f"authentication failed ({exc.code})")
                return DependencyCheck("error", _elapsed_ms(started), f"database error ({exc.code})")
            except CredentialsError as exc:
                return DependencyCheck("error", _elapsed_ms(started), f"no IAM token: {exc}")
            except TimeoutError:
                self._drop()
                return DependencyCheck("error", _elapsed_ms(started), "database timed out")
            except (OSError, ssl.SSLError) as exc:
                self._drop()
                return DependencyCheck("error", _elapsed_ms(started), f"connection failed: {type(exc).__name__}")
        return DependencyCheck("ok", _elapsed_ms(started), "authenticated query succeeded")

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _select_one(self) -> None:
        if self._connection is not None:
            try:
                self._connection.query("SELECT 1")
                return
            except (OSError, PgError) as exc:  # ended by the server (restart, failover, pg_terminate_backend)
                if isinstance(exc, PgError) and exc.severity not in ("FATAL", "PANIC"):
                    raise
                self._logger.log("info", f"database connection lost ({type(exc).__name__}); reconnecting")
                self._drop()
        self._connection = self._login()
        self._connection.query("SELECT 1")

    def _login(self) -> PgConnection:
        try:
            return PgConnection.connect(self._settings, self._tokens.password(), self._ssl)
        except PgError as exc:
            if not exc.authentication_failed:
                raise
            # A token signed with credentials since rotated or revoked: sign a new one with fresh credentials.
            self._logger.log("info", f"database login rejected ({exc.code}); retrying once with fresh credentials")
            self._tokens.invalidate()
            return PgConnection.connect(self._settings, self._tokens.password(), self._ssl)

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class AppServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the settings, the logger, the database (IAM mode) and an in-flight counter."""

    # Never block exit on a stuck client; `drain` gives in-flight requests a grace period instead.
    daemon_threads = True

    def __init__(self, settings: Settings, logger: JsonLogger, database: IamDatabase | None = None) -> None:
        self.settings = settings
        self.logger = logger
        self.database = database
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

    def server_close(self) -> None:
        super().server_close()
        if self.database is not None:
            self.database.close()

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
        client = self.server.database
        database = client.check() if client is not None else check_database(settings)
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
    clock: Clock = time.time,
) -> AppServer:
    """Build (and bind) the server without starting it.

    `env` defaults to os.environ; `port`/`host` override PORT/HOST (port 0 picks a free port, see
    `AppServer.port`). Call `serve_forever()` to run it, `shutdown()` + `server_close()` to stop it.
    `clock` (epoch seconds) dates IAM tokens and expires cached credentials; tests move it.
    """
    environment = os.environ if env is None else env
    settings = Settings.from_env(environment)
    if port is not None:
        settings = replace(settings, port=port)
    if host is not None:
        settings = replace(settings, host=host)
    logger = JsonLogger(log_stream)
    database = None
    if settings.db_auth == "iam":
        tokens = IamTokens(settings, RoleCredentials(environment, clock), clock)
        database = IamDatabase(settings, tokens, logger)
    return AppServer(settings, logger, database)


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
        database_auth=settings.db_auth,
        database_tls=settings.db_sslmode,
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
