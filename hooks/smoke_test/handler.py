"""Smoke test of a new service revision, run by ECS as a deployment lifecycle hook (stdlib only: this file is the
whole deployed package).

ECS invokes the function at the hook's stage with `executionDetails` (serviceArn, targetServiceRevisionArn, traffic
weights) and `hookDetails` (the JSON configured on the service, built by `components.smoke_test_hook.hook_details`),
and reads back `{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}`: FAILED, an error, or no valid status rolls
the deployment back to the last successful revision
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html).

Run after POST_TEST_TRAFFIC_SHIFT, the test listener sends all of its traffic to the new revision, so each path is
requested there: HTTPS to the load balancer's address with the service's host name as SNI and Host header, the
certificate verified against that name. A path fails on a status outside 2xx/3xx (redirects are not followed), a
connection or TLS error, no complete answer within `timeoutSeconds`, or an answer slower than `maxLatencyMs`. Any
failed path fails the hook. Each check writes one JSON line to the log.

Plain HTTP is accepted only towards a loopback address (the unit tests' local server): a function in the VPC can
reach no load balancer there, so the exception opens nothing, and `hook_details` never builds such a URL.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
SCHEMA_VERSION = 1
# The keys of hookDetails, each required (no silent defaults: the program always writes all of them).
KEYS = frozenset({"version", "baseUrl", "hostHeader", "paths", "timeoutSeconds", "maxLatencyMs"})
MAX_PATHS = 10
MAX_PATH_LENGTH = 1024
TIMEOUT_RANGE = (1, 30)  # seconds per request
LATENCY_RANGE = (1, 30_000)  # milliseconds
# Time kept back at the end of an invocation to log and answer before Lambda's own timeout stops the function
# (a function that times out answers nothing, which ECS also treats as a failure, but without saying why).
ANSWER_MARGIN_MS = 2_000
MAX_BODY_BYTES = 64 * 1024  # read (and drop) at most this much of a body: the answer must be complete, not large
USER_AGENT = "app-platform-smoke-test/1"


class DetailsError(ValueError):
    """hookDetails that the program could not have written: the hook fails rather than guessing."""


@dataclass(frozen=True)
class Endpoint:
    """Where requests go (the load balancer's test listener) and the name they are made for."""

    scheme: str
    address: str
    port: int
    host_header: str


@dataclass(frozen=True)
class Details:
    endpoint: Endpoint
    paths: tuple[str, ...]
    timeout_seconds: int
    max_latency_ms: int


@dataclass(frozen=True)
class Outcome:
    path: str
    ok: bool
    reason: str
    status: int | None = None
    latency_ms: float | None = None


def _integer(details: Mapping[str, Any], key: str, bounds: tuple[int, int]) -> int:
    value = details[key]
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DetailsError(f"hookDetails.{key} must be an integer from {low} to {high}, got {value!r}")
    return value


def parse_paths(value: object) -> tuple[str, ...]:
    """1 to MAX_PATHS distinct absolute paths (query allowed), printable ASCII, no fragment, no scheme or host."""
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_PATHS:
        raise DetailsError(f"hookDetails.paths must be a list of 1 to {MAX_PATHS} paths, got {value!r}")
    for index, path in enumerate(value):
        where = f"hookDetails.paths[{index}]"
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
            raise DetailsError(f"{where} must be an absolute path starting with one '/', got {path!r}")
        if len(path) > MAX_PATH_LENGTH or not all("!" <= c <= "~" for c in path) or "#" in path:
            raise DetailsError(f"{where} must be printable ASCII without spaces or '#', at most {MAX_PATH_LENGTH}")
    if len(set(value)) != len(value):
        raise DetailsError(f"hookDetails.paths lists a path twice: {list(value)!r}")
    return tuple(value)


def parse_limits(timeout_seconds: object, max_latency_ms: object) -> tuple[int, int]:
    limits = {"timeoutSeconds": timeout_seconds, "maxLatencyMs": max_latency_ms}
    timeout = _integer(limits, "timeoutSeconds", TIMEOUT_RANGE)
    latency = _integer(limits, "maxLatencyMs", LATENCY_RANGE)
    if latency > timeout * 1000:
        raise DetailsError(f"hookDetails.maxLatencyMs ({latency}) exceeds timeoutSeconds ({timeout} s)")
    return timeout, latency


def _loopback(address: str) -> bool:
    try:
        return address == "localhost" or ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def parse_endpoint(base_url: object, host_header: object) -> Endpoint:
    """`https://<load balancer DNS name>:<test port>` with nothing after it; the Host header is a DNS name."""
    if not isinstance(base_url, str):
        raise DetailsError(f"hookDetails.baseUrl must be a string, got {base_url!r}")
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
        raise DetailsError(f"hookDetails.baseUrl must be https://<host>[:<port>] and nothing more, got {base_url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise DetailsError(f"hookDetails.baseUrl must carry no query, fragment or credentials, got {base_url!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise DetailsError(f"hookDetails.baseUrl must use https (http only to a loopback test server): {base_url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise DetailsError(f"hookDetails.baseUrl has an invalid port: {base_url!r}") from error
    labels = host_header.split(".") if isinstance(host_header, str) else []
    if not (len(labels) >= 2 and all(_label(label) for label in labels)):
        raise DetailsError(f"hookDetails.hostHeader must be a DNS name such as api.example.com, got {host_header!r}")
    return Endpoint(parts.scheme, parts.hostname, port, str(host_header).lower())


def _label(label: str) -> bool:
    return 1 <= len(label) <= 63 and label.isascii() and label.replace("-", "").isalnum() and label[0] != "-"


def parse_details(raw: object) -> Details:
    """hookDetails as ECS passes them: an object (or its JSON text), exactly the keys `hook_details` writes."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise DetailsError(f"hookDetails is not valid JSON: {error}") from error
    if not isinstance(raw, dict):
        raise DetailsError(f"hookDetails must be an object, got {type(raw).__name__}")
    missing, unknown = sorted(KEYS - raw.keys()), sorted(raw.keys() - KEYS)
    if missing or unknown:
        raise DetailsError(f"hookDetails: missing keys {missing}, unknown keys {unknown}; expected {sorted(KEYS)}")
    if raw["version"] != SCHEMA_VERSION or isinstance(raw["version"], bool):
        raise DetailsError(f"hookDetails.version must be {SCHEMA_VERSION}, got {raw['version']!r}")
    timeout, latency = parse_limits(raw["timeoutSeconds"], raw["maxLatencyMs"])
    endpoint = parse_endpoint(raw["baseUrl"], raw["hostHeader"])
    return Details(endpoint, parse_paths(raw["paths"]), timeout, latency)


class _Connection(http.client.HTTPSConnection):
    """TCP to the load balancer's address, TLS for the service's name: SNI and certificate check use `server_name`
    (http.client would use the address, which no certificate of ours names)."""

    def __init__(self, endpoint: Endpoint, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(endpoint.address, endpoint.port, timeout=timeout, context=tls)
        self._tls = tls
        self._server_name = endpoint.host_header

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._server_name)


def _connection(endpoint: Endpoint, timeout: float, tls: ssl.SSLContext) -> http.client.HTTPConnection:
    if endpoint.scheme == "http":
        return http.client.HTTPConnection(endpoint.address, endpoint.port, timeout=timeout)
    return _Connection(endpoint, timeout, tls)


def check(details: Details, path: str, tls: ssl.SSLContext) -> Outcome:
    """One GET on a fresh connection, timed from connect to the last byte read (what a new client waits)."""
    deadline = time.monotonic() + details.timeout_seconds
    started = time.perf_counter()
    connection = _connection(details.endpoint, details.timeout_seconds, tls)
    try:
        connection.connect()  # TCP and TLS handshake, bounded by the connection's timeout
        _arm(connection, deadline)
        connection.request("GET", path, headers={"Host": details.endpoint.host_header, "User-Agent": USER_AGENT})
        _arm(connection, deadline)
        response = connection.getresponse()
        _drain(response, connection, deadline)
        status = response.status
    except TimeoutError:
        return Outcome(path, False, f"no complete answer within {details.timeout_seconds} s")
    except ssl.SSLError as error:
        return Outcome(path, False, f"TLS error: {error}")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(path, False, f"connection error: {type(error).__name__}: {error}")
    finally:
        connection.close()
    latency = round((time.perf_counter() - started) * 1000, 1)
    if not 200 <= status < 400:
        return Outcome(path, False, f"status {status} is not 2xx or 3xx", status, latency)
    if latency > details.max_latency_ms:
        return Outcome(path, False, f"answer took {latency} ms, more than {details.max_latency_ms} ms", status, latency)
    return Outcome(path, True, "ok", status, latency)


def _arm(connection: http.client.HTTPConnection, deadline: float) -> None:
    """Give the next socket operation only the time left before the request's deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if connection.sock is not None:
        connection.sock.settimeout(left)


def _drain(response: http.client.HTTPResponse, connection: http.client.HTTPConnection, deadline: float) -> None:
    """Read the body (up to MAX_BODY_BYTES) before the deadline: a server that trickles bytes times out too."""
    remaining = MAX_BODY_BYTES
    while remaining > 0:
        _arm(connection, deadline)
        chunk = response.read1(min(remaining, 16 * 1024))
        if not chunk:
            return
        remaining -= len(chunk)


def log(record: Mapping[str, Any]) -> None:
    """One JSON object per line on stdout: CloudWatch Logs keeps each line as one event, Logs Insights parses it."""
    sys.stdout.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def _remaining_ms(context: object) -> float:
    remaining: Callable[[], int] | None = getattr(context, "get_remaining_time_in_millis", None)
    return float(remaining()) if remaining is not None else float("inf")


def _where(endpoint: Endpoint) -> dict[str, str]:
    return {"target": f"{endpoint.scheme}://{endpoint.address}:{endpoint.port}", "host": endpoint.host_header}


def run(event: Mapping[str, Any], context: object, tls: ssl.SSLContext) -> dict[str, str]:
    """The hook: validate hookDetails, check every path, answer SUCCEEDED only if all passed."""
    given = event.get("executionDetails")
    execution: Mapping[str, Any] = given if isinstance(given, dict) else {}
    base = {
        "service": execution.get("serviceArn"),
        "revision": execution.get("targetServiceRevisionArn"),
        "stage": event.get("lifecycleStage"),
        "requestId": getattr(context, "aws_request_id", None),
    }
    try:
        details = parse_details(event.get("hookDetails"))
    except DetailsError as error:
        log({**base, "event": "smoke_test.invalid_details", "error": str(error), "hookStatus": FAILED})
        return {"hookStatus": FAILED}
    failed = 0
    for path in details.paths:
        if _remaining_ms(context) - ANSWER_MARGIN_MS < details.timeout_seconds * 1000:
            outcome = Outcome(path, False, "not enough time left in this invocation to check the path")
        else:
            outcome = check(details, path, tls)
        failed += not outcome.ok
        log({**base, "event": "smoke_test.check", **_where(details.endpoint), **asdict(outcome)})
    status = SUCCEEDED if failed == 0 else FAILED
    log({**base, "event": "smoke_test.result", "checked": len(details.paths), "failed": failed, "hookStatus": status})
    return {"hookStatus": status}


def handler(event: Mapping[str, Any], context: object) -> dict[str, str]:
    """Lambda's entry point (`handler.handler`): the system trust store, hostname checking on (the default)."""
    if not isinstance(event, dict):
        log({"event": "smoke_test.invalid_event", "error": f"event is a {type(event).__name__}", "hookStatus": FAILED})
        return {"hookStatus": FAILED}
    return run(event, context, ssl.create_default_context())
