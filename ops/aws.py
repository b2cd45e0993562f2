"""boto3 clients for one stack's region, AWS error helpers, and bounded polling with an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# boto3 ships no type information (boto3-stubs are not installed): clients are `Any` at this boundary.
import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

# CloudFront is a global service whose API lives in us-east-1.
GLOBAL_SERVICES = {"cloudfront": "us-east-1"}
AWS_ERRORS = (ClientError, BotoCoreError)
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="app-platform-ops")


class Clients:
    """One cached client per (service, region); typed loosely (`Any`) at the boto3 boundary."""

    def __init__(self, region: str, session: boto3.session.Session | None = None) -> None:
        self.region = region
        self._session = session or boto3.session.Session()
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str | None = None) -> Any:
        where = region or GLOBAL_SERVICES.get(service, self.region)
        key = (service, where)
        if key not in self._cache:
            self._cache[key] = self._session.client(service, region_name=where, config=_CONFIG)
        return self._cache[key]


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def describe_error(exc: BaseException) -> str:
    """`Code: message` for an AWS error, the exception text otherwise."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Clock:
    """Time as the tools see it; tests pass a clock whose sleep does not sleep."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class WaitTimeoutError(Exception):
    """A poll did not reach its goal in time."""


Progress = Callable[[float, str], None]


def poll(
    check: Callable[[], tuple[bool, str]],
    *,
    what: str,
    timeout: float,
    interval: float,
    clock: Clock,
    progress: Progress | None = None,
) -> float:
    """Call `check` until it returns (True, status); return the seconds it took.

    `check` may raise to abort. `progress(elapsed, status)` is called after every check (it may raise too,
    e.g. KeyboardInterrupt). Raises WaitTimeoutError with the last status once `timeout` seconds have passed.
    """
    started = clock.monotonic()
    while True:
        done, status = check()
        elapsed = clock.monotonic() - started
        if progress is not None:
            progress(elapsed, status)
        if done:
            return elapsed
        if elapsed >= timeout:
            raise WaitTimeoutError(f"{what}: not done after {elapsed / 60:.1f} min (last status: {status})")
        clock.sleep(interval)


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
