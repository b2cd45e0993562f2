"""Stand-ins for what the sample app talks to in a task: the ECS credentials endpoint and RDS for PostgreSQL
with IAM authentication. Both run for real on 127.0.0.1 in threads.

FakeRds speaks PostgreSQL protocol 3.0 as RDS does for an rds_iam user: it asks for a cleartext password and
accepts it only if it is an IAM token for this host, port and user, signed with credentials the fake IAM still
honours, dated within the token's 15 minutes (by the test's clock). It answers `SELECT 1`, can end every open
session (as pg_terminate_backend or a failover does) and records every login attempt.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class RoleKeys:
    access_key_id: str
    secret_access_key: str
    session_token: str


class FakeCredentialsEndpoint:
    """The container credentials endpoint: the task role's current keys, with an Expiration; `rotate()` issues
    new ones (as STS does when ECS refreshes the role session)."""

    def __init__(self, clock: Callable[[], float], authorization: str = "test-authorization-token") -> None:
        self.clock = clock
        self.authorization = authorization
        self.generation = 0
        self.calls = 0
        self.keys = self._keys()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.calls += 1
                if self.headers.get("Authorization") != endpoint.authorization:
                    self.send_response(401)
                    self.end_headers()
                    return
                expires = datetime.fromtimestamp(endpoint.clock(), UTC) + timedelta(hours=6)
                body = json.dumps(
                    {
                        "AccessKeyId": endpoint.keys.access_key_id,
                        "SecretAccessKey": endpoint.keys.secret_access_key,
                        "Token": endpoint.keys.session_token,
                        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "RoleArn": "arn:aws:iam::123456789012:role/api-task",
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def _keys(self) -> RoleKeys:
        n = self.generation
        return RoleKeys(f"ASIAROLEKEY{n:09d}", f"secret/{n}/wJalrXUtnFEMI/K7MDENG", f"session-token-{n}")

    def rotate(self) -> RoleKeys:
        self.generation += 1
        self.keys = self._keys()
        return self.keys

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v2/credentials/task-role"

    def env(self) -> dict[str, str]:
        return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.authorization}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Login:
    user: str
    database: str
    token: str
    accepted: bool
    reason: str


@dataclass
class FakeRds:
    clock: Callable[[], float]
    user: str = "app_user"
    database: str = "app"
    region: str = "eu-west-1"
    tls: ssl.SSLContext | None = None
    honoured_keys: set[str] = field(default_factory=set)  # access key ids IAM still accepts
    logins: list[Login] = field(default_factory=list)
    queries: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._port = int(self._listener.getsockname()[1])
        self._sessions: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return self._port

    # -- what the tests do -------------------------------------------------------------------------------------
    def terminate_sessions(self) -> int:
        """End every open session with FATAL 57P01, as pg_terminate_backend (or a failover) does."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            try:
                session.sendall(
                    _message(b"E", _error("FATAL", "57P01", "terminating connection due to administrator command"))
                )
                session.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            session.close()
        return len(sessions)

    def close(self) -> None:
        self._stopping = True
        self.terminate_sessions()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread (Linux)
        self._listener.close()

    def judge(self, user: str, database: str, token: str) -> tuple[bool, str]:
        """Accept an IAM token the way RDS does (as far as the fake can: the signature is tested separately)."""
        if user != self.user or database != self.database:
            return False, "wrong user or database"
        address, _, query = token.partition("/?")
        if address != f"127.0.0.1:{self.port}":
            return False, "token for another endpoint"
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if params.get("Action") != "connect" or params.get("DBUser") != user:
            return False, "token for another action or user"
        key_id, _, scope = params.get("X-Amz-Credential", "").partition("/")
        if key_id not in self.honoured_keys:
            return False, "signed with credentials IAM no longer honours"
        if not scope.endswith(f"/{self.region}/rds-db/aws4_request") or "X-Amz-Signature" not in params:
            return False, "not an rds-db token"
        signed = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        if not signed - 60 <= self.clock() <= signed + int(params["X-Amz-Expires"]):
            return False, "token expired"
        return True, "ok"

    # -- the server --------------------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            self._session(client)
        except (OSError, ssl.SSLError, struct.error):
            pass
        finally:
            client.close()

    def _session(self, client: socket.socket) -> None:
        (length,) = struct.unpack("!i", _exact(client, 4))
        body = _exact(client, length - 4)
        if struct.unpack("!i", body[:4])[0] == 80877103:  # SSLRequest
            if self.tls is None:
                client.sendall(b"N")
            else:
                client.sendall(b"S")
                client = self.tls.wrap_socket(client, server_side=True)
            (length,) = struct.unpack("!i", _exact(client, 4))
            body = _exact(client, length - 4)
        parts = body[4:].split(b"\0")
        startup = {parts[i].decode(): parts[i + 1].decode() for i in range(0, len(parts) - 1, 2) if parts[i]}
        client.sendall(_message(b"R", struct.pack("!i", 3)))  # AuthenticationCleartextPassword
        kind = _exact(client, 1)
        (length,) = struct.unpack("!i", _exact(client, 4))
        password = _exact(client, length - 4).rstrip(b"\0").decode()
        assert kind == b"p"
        accepted, reason = self.judge(startup.get("user", ""), startup.get("database", ""), password)
        self.logins.append(Login(startup.get("user", ""), startup.get("database", ""), password, accepted, reason))
        if not accepted:
            client.sendall(
                _message(b"E", _error("FATAL", "28P01", f'PAM authentication failed for user "{startup.get("user")}"'))
            )
            return
        client.sendall(_message(b"R", struct.pack("!i", 0)) + _message(b"S", b"server_version\x0016.4\x00"))
        client.sendall(_message(b"K", struct.pack("!ii", 1234, 5678)) + _message(b"Z", b"I"))
        with self._lock:
            self._sessions.append(client)
        while True:
            kind = _exact(client, 1)
            (length,) = struct.unpack("!i", _exact(client, 4))
            payload = _exact(client, length - 4)
            if kind == b"X":
                return
            if kind == b"Q":
                self.queries += 1
                assert payload == b"SELECT 1\0", payload
                column = b"?column?\0" + struct.pack("!ihihih", 0, 0, 23, 4, -1, 0)
                row = struct.pack("!hi", 1, 1) + b"1"
                client.sendall(
                    _message(b"T", struct.pack("!h", 1) + column)
                    + _message(b"D", row)
                    + _message(b"C", b"SELECT 1\0")
                    + _message(b"Z", b"I")
                )


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _error(severity: str, code: str, message: str) -> bytes:
    return b"S" + severity.encode() + b"\0C" + code.encode() + b"\0M" + message.encode() + b"\0\0"


def _exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("peer closed")
        data += chunk
    return data


class Clock:
    """Epoch seconds the test moves forward."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
