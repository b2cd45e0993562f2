"""The sample app's database credentials (DB_AUTH=iam): IAM tokens signed with the task role, reused briefly,
re-signed with fresh role credentials after a rejected login, and a connection the server ended replaced.

Everything runs for real on 127.0.0.1: the app, a fake ECS credentials endpoint and a fake RDS that speaks the
PostgreSQL protocol and judges IAM tokens (tests/app/fake_services.py). A test clock moves time.
"""

from __future__ import annotations

import io
import json
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import botocore.auth  # type: ignore[import-untyped]
import botocore.loaders  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.server import (
    TOKEN_REUSE_SECONDS,
    AwsCredentials,
    ConfigError,
    CredentialsError,
    RoleCredentials,
    Settings,
    rds_auth_token,
)
from tests.app.fake_services import Clock, FakeCredentialsEndpoint, FakeRds
from tests.app.test_server import Running, serving

START = datetime(2026, 12, 3, 8, 0, tzinfo=UTC).timestamp()


@dataclass
class World:
    clock: Clock
    iam: FakeCredentialsEndpoint
    rds: FakeRds

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.rds.port),
            "DB_NAME": "app",
            "DB_USER": "app_user",
            "DB_AUTH": "iam",
            "DB_SSLMODE": "disable" if self.rds.tls is None else "require",
            "AWS_REGION": "eu-west-1",
            "REQUIRE_DATABASE": "true",
            **self.iam.env(),
            **extra,
        }

    def honour_current_keys(self) -> None:
        self.rds.honoured_keys.add(self.iam.keys.access_key_id)


@pytest.fixture
def world() -> Iterator[World]:
    clock = Clock(START)
    iam = FakeCredentialsEndpoint(clock)
    rds = FakeRds(clock)
    created = World(clock, iam, rds)
    created.honour_current_keys()
    try:
        yield created
    finally:
        rds.close()
        iam.close()


def app_with(world: World, **extra: str) -> AbstractContextManager[Running]:
    return serving(world.env(**extra), clock=world.clock)


def health(app: Running) -> tuple[int, dict[str, Any]]:
    response = app.request("/health")
    return response.status, response.json()["services"]["database"]


def key_of(token: str) -> str:
    return parse_qs(token.partition("/?")[2])["X-Amz-Credential"][0].split("/")[0]


# -- the pattern, while it runs -----------------------------------------------------------------------------------
def test_connects_as_the_application_user_with_a_token_of_the_task_role(world: World) -> None:
    with app_with(world) as app:
        status, database = health(app)
    assert status == 200 and database["status"] == "ok" and database["detail"] == "authenticated query succeeded"
    [login] = world.rds.logins
    assert login.accepted and (login.user, login.database) == ("app_user", "app")
    assert key_of(login.token) == world.iam.keys.access_key_id
    assert world.rds.queries == 1


def test_role_credentials_rotated_and_old_keys_revoked_while_running(world: World) -> None:
    """The issue's case: credentials change under a running task. A connection the server ends is replaced; the
    cached token (old keys) is rejected once; the app re-signs with the new keys and is healthy again."""
    with app_with(world) as app:
        assert health(app)[0] == 200
        old = world.iam.keys.access_key_id
        world.iam.rotate()
        world.rds.honoured_keys = {world.iam.keys.access_key_id}  # IAM no longer honours the old keys
        world.clock.advance(60)
        assert health(app)[0] == 200  # the open session does not need the token again
        assert world.rds.terminate_sessions() == 1  # failover / pg_terminate_backend
        status, database = health(app)
        logs = app.logs.lines()
    assert status == 200 and database["status"] == "ok"
    attempts = [(key_of(login.token), login.accepted) for login in world.rds.logins]
    assert attempts == [(old, True), (old, False), (world.iam.keys.access_key_id, True)]  # exactly one retry
    assert world.iam.calls == 2  # the rejected login dropped the cached credentials
    messages = [line["message"] for line in logs]
    assert any(m.startswith("database connection lost") for m in messages)
    assert "database login rejected (28P01); retrying once with fresh credentials" in messages


def test_a_token_is_re_signed_before_it_expires(world: World) -> None:
    with app_with(world) as app:
        assert health(app)[0] == 200
        world.clock.advance(TOKEN_REUSE_SECONDS - 1)
        world.rds.terminate_sessions()
        assert health(app)[0] == 200  # still the first token: 599 s old
        world.clock.advance(2)
        world.rds.terminate_sessions()
        assert health(app)[0] == 200  # a new token, before the 900 s lifetime ends
    tokens = [login.token for login in world.rds.logins]
    assert [login.accepted for login in world.rds.logins] == [True, True, True]
    assert tokens[0] == tokens[1] != tokens[2]
    assert world.iam.calls == 1  # the role credentials (6 h) were still good


def test_an_open_connection_outlives_its_token(world: World) -> None:
    with app_with(world) as app:
        assert health(app)[0] == 200
        world.clock.advance(3600)  # far past the token's 15 minutes
        assert health(app)[0] == 200
    assert len(world.rds.logins) == 1 and world.rds.queries == 2


def test_revoked_access_fails_after_exactly_one_retry_and_leaks_no_token(world: World) -> None:
    world.rds.honoured_keys.clear()  # rds-db:connect removed from the task role
    with app_with(world) as app:
        response = app.request("/health")
        logs = app.logs.getvalue()
    database = response.json()["services"]["database"]
    assert response.status == 503 and database == {
        "status": "error",
        "latency_ms": database["latency_ms"],
        "detail": "authentication failed (28P01)",
    }
    assert len(world.rds.logins) == 2 and not any(login.accepted for login in world.rds.logins)
    for login in world.rds.logins:  # neither the token nor the keys behind it reach the logs or the response
        assert login.token not in logs and login.token not in response.raw.decode()
    assert world.iam.keys.secret_access_key not in logs and world.iam.keys.session_token not in logs
    assert "X-Amz-Signature" not in logs


def test_credentials_endpoint_down_is_unhealthy_not_a_crash(world: World) -> None:
    world.iam.close()
    with app_with(world) as app:
        status, database = health(app)
    assert status == 503 and database["detail"].startswith("no IAM token: container credentials endpoint")
    assert world.rds.logins == []


def test_database_down_is_unhealthy(world: World) -> None:
    world.rds.close()
    with app_with(world) as app:
        status, database = health(app)
    assert status == 503 and database["detail"].startswith("connection failed")
    assert "127.0.0.1" not in database["detail"]


def test_tls_is_required_unless_disabled(world: World) -> None:
    """RDS accepts IAM tokens over TLS only: in `require` mode a server without TLS is refused."""
    with app_with(world, DB_SSLMODE="require") as app:
        status, database = health(app)
    assert status == 503 and database["detail"] == "database error (08P01)"
    assert world.rds.logins == []  # the token was never sent in the clear


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a certificate for the TLS test")
    directory = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(directory / "key.pem"),
         "-out", str(directory / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return directory


@pytest.mark.parametrize("mode", ["verify-full", "require"])
def test_over_tls_verified_against_the_ca_bundle(world: World, certificate: Path, mode: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    world.rds.close()
    world.rds = FakeRds(world.clock, tls=context, honoured_keys={world.iam.keys.access_key_id})
    with app_with(world, DB_SSLMODE=mode, DB_SSL_ROOT_CERT=str(certificate / "cert.pem")) as app:
        assert health(app)[0] == 200


def test_verify_full_refuses_a_server_the_bundle_does_not_vouch_for(
    world: World, certificate: Path, tmp_path: Path
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    world.rds.close()
    world.rds = FakeRds(world.clock, tls=context, honoured_keys={world.iam.keys.access_key_id})
    bundle = tmp_path / "another-ca.pem"  # a valid CA bundle, but not the one that signed the server
    subprocess.run(
        [str(shutil.which("openssl")), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=other", "-keyout", str(tmp_path / "k.pem"), "-out", str(bundle)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with app_with(world, DB_SSLMODE="verify-full", DB_SSL_ROOT_CERT=str(bundle)) as app:
        status, database = health(app)
    assert status == 503 and database["detail"].startswith("connection failed: SSL")
    assert world.rds.logins == []


# -- the token itself -------------------------------------------------------------------------------------------
# botocore's model files, read once for all examples: a client per example then costs 0.02 s instead of 0.17 s.
MODELS = botocore.loaders.create_loader()


@settings(max_examples=25, deadline=None)
@given(
    user=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    port=st.integers(1150, 65535),
    moment=st.integers(1_700_000_000, 1_900_000_000),
    session=st.one_of(st.none(), st.text("abcdefXYZ0123456789+/=", min_size=1, max_size=40)),
)
def test_token_is_the_one_botocore_signs(user: str, port: int, moment: int, session: str | None) -> None:
    host = "app-platform-staging-db.c1d6b617d5d4.eu-west-1.rds.amazonaws.com"
    credentials = AwsCredentials("ASIAEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", session, None)
    ours = rds_auth_token(host=host, port=port, user=user, region="eu-west-1", credentials=credentials, now=moment)
    session_obj = botocore.session.Session()
    session_obj.register_component("data_loader", MODELS)
    session_obj.set_credentials("ASIAEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", session)
    client = session_obj.create_client("rds", region_name="eu-west-1")
    frozen = datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *_, **__: frozen
    try:
        theirs = client.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region="eu-west-1")
    finally:
        botocore.auth.get_current_datetime = original
    assert ours.partition("/?")[0] == theirs.partition("/?")[0] == f"{host}:{port}"
    assert parse_qs(ours.partition("/?")[2]) == parse_qs(theirs.partition("/?")[2])  # same signature included


# -- settings and credentials sources -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DB_AUTH": "iam", "DB_HOST": "db", "DB_NAME": "app", "AWS_REGION": "eu-west-1"}, "DB_AUTH=iam needs DB_USER"),
        ({"DB_AUTH": "iam", "DB_HOST": "db", "DB_USER": "u", "DB_NAME": "app"}, "needs AWS_REGION"),
        ({"DB_AUTH": "password"}, "DB_AUTH must be one of none, iam"),
        ({"DB_SSLMODE": "prefer"}, "DB_SSLMODE must be one of verify-full, require, disable"),
        ({"DB_SSLMODE": "verify-full"}, "needs DB_SSL_ROOT_CERT"),
    ],
)
def test_bad_database_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_settings_default_to_tls_and_verify_when_a_bundle_is_given() -> None:
    assert Settings.from_env({}).db_sslmode == "require" and Settings.from_env({}).db_auth == "none"
    assert Settings.from_env({"DB_SSL_ROOT_CERT": "/etc/rds.pem"}).db_sslmode == "verify-full"
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).aws_region == "eu-west-1"


def test_fargate_relative_uri_goes_to_the_link_local_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    class Opener:
        def open(self, request: Any, timeout: float) -> Any:
            seen.append(request.full_url)
            body = json.dumps(
                {"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T", "Expiration": "2026-12-03T14:00:00Z"}
            )
            return io.BytesIO(body.encode())

    monkeypatch.setattr("urllib.request.build_opener", lambda *_: Opener())
    credentials = RoleCredentials({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"}, lambda: START)
    got = credentials.get()
    assert seen == ["http://169.254.170.2/v2/credentials/abc"]
    assert (got.access_key_id, got.session_token) == ("A", "T") and "S" not in repr(got)


def test_static_environment_credentials_and_none_at_all() -> None:
    static = RoleCredentials({"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}).get()
    assert static.access_key_id == "AKIA" and static.session_token is None and static.expires_at is None
    with pytest.raises(CredentialsError, match="no AWS credentials"):
        RoleCredentials({}).get()


def test_credentials_are_refreshed_before_they_expire(world: World) -> None:
    credentials = RoleCredentials(world.iam.env(), world.clock)
    first = credentials.get()
    world.clock.advance(6 * 3600 - 301)
    assert credentials.get() == first and world.iam.calls == 1
    world.iam.rotate()
    world.clock.advance(2)  # inside the 5-minute margin: fetched again
    assert credentials.get().access_key_id == world.iam.keys.access_key_id and world.iam.calls == 2
