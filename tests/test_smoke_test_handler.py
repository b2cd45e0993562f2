"""The smoke-test hook's handler against local HTTP and HTTPS servers: pass, failing path, timeout, slow answer,
TLS name checks, malformed hookDetails, and the answer ECS reads."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from hooks.smoke_test import handler as hook

SERVICE_HOST = "api.example.test"
SERVICE_ARN = "arn:aws:ecs:eu-west-1:123456789012:service/main/api"
REVISION_ARN = "arn:aws:ecs:eu-west-1:123456789012:service-revision/main/api/4242"

TRICKLE_WRITES = 30  # 12 s of body at 8 bytes every 0.4 s


@dataclass
class Seen:
    """What the local server received: (path, Host header) per request."""

    requests: list[tuple[str, str | None]] = field(default_factory=list)


class _Routes(BaseHTTPRequestHandler):
    seen: Seen

    def do_GET(self) -> None:
        self.seen.requests.append((self.path, self.headers.get("Host")))
        route = self.path.split("?", 1)[0]
        if route == "/slow":
            time.sleep(0.3)
        if route == "/hang":
            time.sleep(2.5)
        status = {"/broken": 500, "/missing": 404, "/moved": 302, "/empty": 204}.get(route, 200)
        body = b"" if status == 204 else b"ok\n"
        self.send_response(status)
        if route == "/moved":
            self.send_header("Location", "https://elsewhere.example.test/")
        self.send_header("Content-Length", str(len(body) if route != "/trickle" else 8 * TRICKLE_WRITES))
        self.end_headers()
        if route == "/trickle":  # headers at once, then a body too slow to finish within the timeout
            try:
                for _ in range(TRICKLE_WRITES):
                    self.wfile.write(b"x" * 8)
                    self.wfile.flush()
                    time.sleep(0.4)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the hook gave up, as it should
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        return


@dataclass
class Server:
    url: str
    seen: Seen


def _serve(tls: ssl.SSLContext | None) -> Iterator[Server]:
    seen = Seen()
    routes = type("Routes", (_Routes,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), routes)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield Server(f"{scheme}://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _serve(None)


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    server_context: ssl.SSLContext


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A private CA and a certificate for SERVICE_HOST only, as ACM issues one for the service's name."""
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smoke-test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVICE_HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVICE_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = Path(folder, "leaf.pem"), Path(folder, "leaf.key")
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return Pki(ca.public_bytes(serialization.Encoding.PEM), context)


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[Server]:
    yield from _serve(pki.server_context)


def client_tls(pki: Pki | None = None) -> ssl.SSLContext:
    """What the function uses (the default context), trusting the test CA instead of the system store."""
    return ssl.create_default_context(cadata=pki.ca_pem.decode()) if pki else ssl.create_default_context()


def details(base_url: str, paths: list[str], **overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "version": 1,
        "baseUrl": base_url,
        "hostHeader": SERVICE_HOST,
        "paths": paths,
        "timeoutSeconds": 1,
        "maxLatencyMs": 200,
    }
    return value | overrides


def event(hook_details: object) -> dict[str, Any]:
    """The event ECS sends a Lambda hook (executionDetails + the service's hookDetails)."""
    return {
        "executionDetails": {
            "serviceArn": SERVICE_ARN,
            "targetServiceRevisionArn": REVISION_ARN,
            "testTrafficWeights": {REVISION_ARN: 100},
            "productionTrafficWeights": {},
        },
        "hookDetails": hook_details,
        "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
    }


class Context:
    """The parts of Lambda's context object the handler reads."""

    aws_request_id = "req-1"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def invoke(
    hook_details: object, capsys: pytest.CaptureFixture[str], *, tls: ssl.SSLContext | None = None, **kw: Any
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    answer = hook.run(event(hook_details), Context(**kw), tls or client_tls())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return answer, lines


def checks(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = [line for line in lines if line["event"] == "smoke_test.check"]
    assert len(found) == len({line["path"] for line in found})  # one line per checked path
    return {line["path"]: line for line in found}


# -- the answers ECS reads ---------------------------------------------------------------------------------------
def test_all_paths_answering_2xx_or_3xx_succeed(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["/health", "/empty", "/moved", "/api/items?limit=1"]
    # Generous limits: this test is about statuses and headers, and a loaded CI machine can take 200 ms to answer
    # locally (it failed so once); the latency limit has its own tests below.
    answer, lines = invoke(details(server.url, paths, timeoutSeconds=10, maxLatencyMs=5000), capsys)
    assert answer == {"hookStatus": "SUCCEEDED"}
    found = checks(lines)
    assert list(found) == paths
    assert [found[p]["status"] for p in paths] == [200, 204, 302, 200]
    assert all(line["ok"] and line["latency_ms"] < 5000 for line in found.values())
    assert {(line["target"], line["host"]) for line in found.values()} == {(server.url, SERVICE_HOST)}
    # Every request carried the service's host name, in order, and the redirect was not followed.
    assert server.seen.requests == [(p, SERVICE_HOST) for p in paths]
    [result] = [line for line in lines if line["event"] == "smoke_test.result"]
    assert result | {"requestId": None} == {
        "event": "smoke_test.result", "checked": 4, "failed": 0, "hookStatus": "SUCCEEDED", "requestId": None,
        "service": SERVICE_ARN, "revision": REVISION_ARN, "stage": "POST_TEST_TRAFFIC_SHIFT",
    }  # fmt: skip


@pytest.mark.parametrize(("path", "status"), [("/broken", 500), ("/missing", 404)])
def test_one_failing_path_fails_the_hook_and_the_others_are_still_checked(
    server: Server, capsys: pytest.CaptureFixture[str], path: str, status: int
) -> None:
    answer, lines = invoke(details(server.url, ["/health", path, "/ready"]), capsys)
    assert answer == {"hookStatus": "FAILED"}
    found = checks(lines)
    assert (found[path]["ok"], found[path]["status"]) == (False, status)
    assert found[path]["reason"] == f"status {status} is not 2xx or 3xx"
    assert found["/health"]["ok"] and found["/ready"]["ok"]  # the log shows every path, not just the first failure
    assert lines[-1]["failed"] == 1 and lines[-1]["hookStatus"] == "FAILED"


def test_no_answer_within_the_timeout_fails(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    answer, lines = invoke(details(server.url, ["/hang"], maxLatencyMs=1000), capsys)
    assert time.monotonic() - started < 2.0  # gave up at the 1 s timeout, did not wait for the 2.5 s answer
    assert answer == {"hookStatus": "FAILED"}
    assert checks(lines)["/hang"]["reason"] == "no complete answer within 1 s"


def test_a_body_that_trickles_past_the_timeout_fails(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """Headers at once, the body 8 bytes every 0.4 s for 12 s: each read is quick, the answer is not. The hook
    must give up near its 1 s timeout; the bound leaves room for a loaded machine (CI shares two cores with the
    rest of the suite) and still fails a hook that reads the whole trickle."""
    started = time.monotonic()
    answer, lines = invoke(details(server.url, ["/trickle"], maxLatencyMs=1000), capsys)
    assert time.monotonic() - started < TRICKLE_WRITES * 0.4 / 2
    assert answer == {"hookStatus": "FAILED"}
    assert checks(lines)["/trickle"]["reason"] == "no complete answer within 1 s"


def test_an_answer_slower_than_max_latency_fails(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    answer, lines = invoke(details(server.url, ["/health", "/slow"], maxLatencyMs=150), capsys)
    assert answer == {"hookStatus": "FAILED"}
    slow = checks(lines)["/slow"]
    assert slow["status"] == 200 and not slow["ok"] and slow["latency_ms"] >= 300
    assert slow["reason"] == f"answer took {slow['latency_ms']} ms, more than 150 ms"
    # The same answer within a looser limit passes: latency, not the status, failed it.
    answer, _ = invoke(details(server.url, ["/slow"], timeoutSeconds=10, maxLatencyMs=5000), capsys)
    assert answer == {"hookStatus": "SUCCEEDED"}


def closed_port() -> int:
    """A port that was just bound and released: nothing listens on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_closed_port_is_a_connection_error(capsys: pytest.CaptureFixture[str]) -> None:
    answer, lines = invoke(details(f"http://127.0.0.1:{closed_port()}", ["/health"]), capsys)
    assert answer == {"hookStatus": "FAILED"}
    assert checks(lines)["/health"]["reason"].startswith("connection error: ConnectionRefusedError")


def test_not_enough_time_left_fails_instead_of_being_killed(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """A function Lambda stops at its timeout answers nothing; the hook says why before that happens."""
    answer, lines = invoke(details(server.url, ["/health"]), capsys, remaining_ms=2_500)
    assert answer == {"hookStatus": "FAILED"}
    assert "not enough time left" in checks(lines)["/health"]["reason"]
    assert server.seen.requests == []


# -- HTTPS: the load balancer's address, the service's name -----------------------------------------------------
def test_https_uses_the_host_name_for_sni_and_the_certificate(
    tls_server: Server, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    answer, lines = invoke(details(tls_server.url, ["/health"]), capsys, tls=client_tls(pki))
    assert answer == {"hookStatus": "SUCCEEDED"}, lines
    assert tls_server.seen.requests == [("/health", SERVICE_HOST)]


def test_https_with_a_certificate_for_another_name_fails(
    tls_server: Server, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    hook_details = details(tls_server.url, ["/health"], hostHeader="admin.example.test")
    answer, lines = invoke(hook_details, capsys, tls=client_tls(pki))
    assert answer == {"hookStatus": "FAILED"}
    reason = checks(lines)["/health"]["reason"]
    assert reason.startswith("TLS error") and "admin.example.test" in reason
    assert tls_server.seen.requests == []  # nothing was sent over an unverified connection


def test_https_with_an_untrusted_certificate_fails(tls_server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    answer, lines = invoke(details(tls_server.url, ["/health"]), capsys, tls=client_tls())
    assert answer == {"hookStatus": "FAILED"}
    assert "CERTIFICATE_VERIFY_FAILED" in checks(lines)["/health"]["reason"]


def test_the_entry_point_verifies_certificates_and_names() -> None:
    """`handler` builds the default context: verification required, hostname checked."""
    seen: list[ssl.SSLContext] = []
    original = hook.run
    try:
        hook.run = lambda event, context, tls: seen.append(tls) or {"hookStatus": "SUCCEEDED"}  # type: ignore[assignment]
        assert hook.handler(event(details("https://x.example.test", ["/"])), Context()) == {"hookStatus": "SUCCEEDED"}
    finally:
        hook.run = original
    [context] = seen
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


# -- hookDetails the program could not have written --------------------------------------------------------------
GOOD = details("https://internal-api-1.eu-west-1.elb.amazonaws.com:8443", ["/health"])


@pytest.mark.parametrize(
    ("hook_details", "message"),
    [
        (None, "must be an object"),
        ("{not json", "not valid JSON"),
        (["/health"], "must be an object"),
        ({k: v for k, v in GOOD.items() if k != "paths"}, "missing keys ['paths']"),
        (GOOD | {"retries": 3}, "unknown keys ['retries']"),
        (GOOD | {"version": 2}, "version must be 1"),
        (GOOD | {"version": True}, "version must be 1"),
        (GOOD | {"paths": "/health"}, "paths must be a list"),
        (GOOD | {"paths": []}, "paths must be a list of 1 to 10"),
        (GOOD | {"paths": [f"/p{i}" for i in range(11)]}, "paths must be a list of 1 to 10"),
        (GOOD | {"paths": ["health"]}, "paths[0] must be an absolute path"),
        (GOOD | {"paths": ["//evil.example.com/"]}, "paths[0] must be an absolute path"),
        (GOOD | {"paths": ["/ok", "/a b"]}, "paths[1] must be printable ASCII"),
        (GOOD | {"paths": ["/a#frag"]}, "paths[0] must be printable ASCII"),
        (GOOD | {"paths": ["/é"]}, "paths[0] must be printable ASCII"),
        (GOOD | {"paths": ["/h", "/h"]}, "lists a path twice"),
        (GOOD | {"paths": [3]}, "paths[0] must be an absolute path"),
        (GOOD | {"timeoutSeconds": 0}, "timeoutSeconds must be an integer from 1 to 30"),
        (GOOD | {"timeoutSeconds": 31}, "timeoutSeconds must be an integer from 1 to 30"),
        (GOOD | {"timeoutSeconds": 2.5}, "timeoutSeconds must be an integer"),
        (GOOD | {"timeoutSeconds": "5"}, "timeoutSeconds must be an integer"),
        (GOOD | {"timeoutSeconds": True}, "timeoutSeconds must be an integer"),
        (GOOD | {"maxLatencyMs": 0}, "maxLatencyMs must be an integer from 1 to 30000"),
        (GOOD | {"maxLatencyMs": 1500}, "maxLatencyMs (1500) exceeds timeoutSeconds (1 s)"),
        (GOOD | {"baseUrl": 8443}, "baseUrl must be a string"),
        (GOOD | {"baseUrl": "internal-api.elb.amazonaws.com"}, "baseUrl must be https://"),
        (GOOD | {"baseUrl": "ftp://internal-api.elb.amazonaws.com"}, "baseUrl must be https://"),
        (GOOD | {"baseUrl": "https://internal-api.elb.amazonaws.com/prefix"}, "baseUrl must be https://"),
        (GOOD | {"baseUrl": "https://internal-api.elb.amazonaws.com?x=1"}, "no query"),
        (GOOD | {"baseUrl": "https://user:pw@internal-api.elb.amazonaws.com"}, "credentials"),
        (GOOD | {"baseUrl": "https://internal-api.elb.amazonaws.com:99999"}, "invalid port"),
        (GOOD | {"baseUrl": "http://internal-api.elb.amazonaws.com:8443"}, "must use https"),
        (GOOD | {"baseUrl": "http://10.0.1.20:8443"}, "must use https"),
        (GOOD | {"hostHeader": "localhost"}, "hostHeader must be a DNS name"),
        (GOOD | {"hostHeader": "api.example.com:443"}, "hostHeader must be a DNS name"),
        (GOOD | {"hostHeader": "-api.example.com"}, "hostHeader must be a DNS name"),
        (GOOD | {"hostHeader": "api..example.com"}, "hostHeader must be a DNS name"),
        (GOOD | {"hostHeader": None}, "hostHeader must be a DNS name"),
    ],
)
def test_malformed_or_unknown_hook_details_fail_without_a_request(
    hook_details: object, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answer, lines = invoke(hook_details, capsys)
    assert answer == {"hookStatus": "FAILED"}
    [line] = lines
    assert line["event"] == "smoke_test.invalid_details" and line["hookStatus"] == "FAILED"
    assert message in line["error"], line["error"]
    assert line["service"] == SERVICE_ARN


def test_hook_details_as_json_text_are_read_like_an_object(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """CloudFormation and the provider carry hookDetails as a JSON string; ECS may hand it on either way."""
    answer, _ = invoke(json.dumps(details(server.url, ["/health"])), capsys)
    assert answer == {"hookStatus": "SUCCEEDED"}


def test_an_event_without_hook_details_or_not_an_object_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert hook.handler({"executionDetails": {}}, Context()) == {"hookStatus": "FAILED"}
    assert hook.handler(["not", "an", "event"], Context()) == {"hookStatus": "FAILED"}  # type: ignore[arg-type]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["smoke_test.invalid_details", "smoke_test.invalid_event"]


def test_plain_http_is_accepted_only_towards_loopback() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        assert hook.parse_endpoint(url, SERVICE_HOST).scheme == "http"
    endpoint = hook.parse_endpoint("https://internal-a.elb.amazonaws.com:8443/", "API.Example.com")
    assert endpoint == hook.Endpoint("https", "internal-a.elb.amazonaws.com", 8443, "api.example.com")
    assert hook.parse_endpoint("https://internal-a.elb.amazonaws.com", SERVICE_HOST).port == 443


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.one_of(st.text(), st.integers()), max_size=12)))
def test_any_paths_value_is_accepted_or_refused_with_a_named_error(value: object) -> None:
    try:
        paths = hook.parse_paths(value)
    except hook.DetailsError as error:
        assert str(error).startswith("hookDetails.paths")
    else:
        assert isinstance(value, list) and list(paths) == value
        assert all(p.startswith("/") and not p.startswith("//") and p.isascii() and " " not in p for p in paths)


@given(st.integers(min_value=-5, max_value=40), st.integers(min_value=-5, max_value=40_000))
def test_limits_hold_exactly_the_documented_ranges(timeout: int, latency: int) -> None:
    valid = 1 <= timeout <= 30 and 1 <= latency <= 30_000 and latency <= timeout * 1000
    try:
        assert hook.parse_limits(timeout, latency) == (timeout, latency) and valid
    except hook.DetailsError:
        assert not valid
