"""One error type for bad settings: it names the config key, the value given and what is allowed."""

from __future__ import annotations

from typing import Any

import pulumi


class ConfigError(pulumi.RunError):
    """Raised before any resource is declared. `problems` holds one line per bad key.

    A RunError, so `pulumi up` prints the message without a Python traceback.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems))

    @classmethod
    def single(cls, key: str, value: Any, allowed: str) -> ConfigError:
        return cls([describe(key, value, allowed)])


class FieldError(ValueError):
    """Raised inside a model validator to blame one field of that model (pydantic only knows the model)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def describe(key: str, value: Any, allowed: str) -> str:
    return f"{key} = {value!r}: {allowed}"
