"""What every config section shares: strict, frozen, camelCase keys; the secret-key heuristic."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

SECRET_WORDS = ("password", "passwd", "token", "secret", "key", "credential", "credentials")


@functools.lru_cache(maxsize=4096)
def looks_secret(key: str) -> bool:
    """True for keys such as dbPassword, api_token, stripeApiKey: their values must be Pulumi secrets. Cached:
    every config load asks it of every key path, and the paths repeat."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key).replace("_", " ").replace("-", " ").lower().split()
    return any(word in SECRET_WORDS for word in words)


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, validate_default=True
    )


def checked(check: Callable[[str], str | None]) -> AfterValidator:
    """A field validator from a check that returns why a value is refused (or None): `Annotated[str, checked(f)]`."""

    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)
