"""One error type for bad settings: it names the config key, the value given and what is allowed."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

import pulumi

_LEADING_KEY = re.compile(r"^([A-Za-z0-9_.-]+:[^\s=:]*(?::[^\s=:]+)?)")


class Problem(str):
    """One line of a ConfigError that knows which key it blames (`key`), so a caller can point at the file."""

    key: str

    def __new__(cls, key: str, text: str) -> Problem:
        problem = super().__new__(cls, text)
        problem.key = key
        return problem


class ConfigError(pulumi.RunError):
    """Raised before any resource is declared. `problems` holds one line per bad key.

    A RunError, so `pulumi up` prints the message without a Python traceback.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem(key_of(p), p) for p in problems]
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in self.problems))

    @classmethod
    def single(cls, key: str, value: Any, allowed: str) -> ConfigError:
        return cls([describe(key, value, allowed)])


class FieldError(ValueError):
    """Raised inside a model validator to blame one field of that model (pydantic only knows the model).

    `hide_value` keeps the value out of the message (credentials)."""

    def __init__(self, field: str, message: str, *, hide_value: bool = False) -> None:
        self.field = field
        self.hide_value = hide_value
        super().__init__(message)


def describe(key: str, value: Any, allowed: str) -> Problem:
    return Problem(key, f"{key} = {value!r}: {allowed}")


def blame(key: str, message: str) -> Problem:
    """A problem that shows no value: a missing key, or a value that must not be echoed."""
    return Problem(key, f"{key}: {message}")


def key_of(text: str) -> str:
    """The key a plain problem line starts with (`app-platform:network.cidr = ...`), or the whole line."""
    match = _LEADING_KEY.match(text)
    return match.group(1) if match else text


def suggest(value: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest known spelling, or nothing."""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
