"""A stack's outputs, as `pulumi stack output --json` prints them, with errors that name the key and the source."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECRET_PLACEHOLDER = "[secret]"  # what `pulumi stack output --json` prints for a secret without --show-secrets

Runner = Callable[[list[str]], str]


class OutputsError(Exception):
    """The stack outputs cannot be read, or a key the tool needs is missing or has the wrong type."""


def run_command(command: list[str]) -> str:
    """Run a command and return its stdout; a failure becomes an OutputsError with the command's stderr."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    except FileNotFoundError:
        raise OutputsError(f"`{command[0]}` is not installed; pass --outputs FILE instead") from None
    except subprocess.TimeoutExpired:
        raise OutputsError(f"`{' '.join(command)}` did not finish within 120 s") from None
    if done.returncode != 0:
        raise OutputsError(f"`{' '.join(command)}` failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class StackOutputs:
    """The outputs of one stack. `source` says where they came from, for error messages."""

    stack: str
    values: Mapping[str, Any]
    source: str

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: Path, stack: str | None = None) -> StackOutputs:
        try:
            text = path.read_text()
        except OSError as exc:
            raise OutputsError(f"cannot read stack outputs {path}: {exc.strerror or exc}") from None
        return cls.parse(text, source=str(path), stack=stack)

    @classmethod
    def from_pulumi(cls, stack: str, run: Runner = run_command) -> StackOutputs:
        # Without --show-secrets: no tool here needs a secret value, so none is ever printed or held.
        command = ["pulumi", "stack", "output", "--json", "--stack", stack]
        return cls.parse(run(command), source=f"`{' '.join(command)}`", stack=stack)

    @classmethod
    def parse(cls, text: str, *, source: str, stack: str | None = None) -> StackOutputs:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OutputsError(f"stack outputs in {source} are not JSON: {exc}") from None
        if not isinstance(values, dict):
            raise OutputsError(f"stack outputs in {source} must be a JSON object, got {type(values).__name__}")
        name = stack or values.get("environment")
        if not isinstance(name, str) or not name:
            raise OutputsError(f"no stack name: pass --stack, or export `environment` ({source})")
        return cls(stack=name, values=values, source=source)

    # -- typed access --------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The value at a dotted key (`database.identifier`); a missing key raises OutputsError naming it."""
        value: Any = self.values
        walked: list[str] = []
        for part in key.split("."):
            walked.append(part)
            if not isinstance(value, Mapping) or part not in value:
                where = ".".join(walked)
                known = ", ".join(sorted(value)) if isinstance(value, Mapping) else "(not an object)"
                raise OutputsError(f"stack output `{where}` is missing from {self.source} (present: {known})")
            value = value[part]
        if value == SECRET_PLACEHOLDER:
            raise OutputsError(f"stack output `{key}` is a secret in {self.source}; it cannot be used here")
        return value

    def optional(self, key: str) -> Any:
        try:
            return self.get(key)
        except OutputsError:
            return None

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value:
            raise self._type_error(key, "a non-empty string", value)
        return value

    def number(self, key: str) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._type_error(key, "a number", value)
        return float(value)

    def strings(self, key: str) -> list[str]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._type_error(key, "a list of strings", value)
        return list(value)

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.get(key)
        if not isinstance(value, Mapping):
            raise self._type_error(key, "an object", value)
        return value

    def _type_error(self, key: str, expected: str, value: Any) -> OutputsError:
        return OutputsError(f"stack output `{key}` in {self.source} must be {expected}, got {value!r}")


def load(stack: str | None, path: Path | None, run: Runner = run_command) -> StackOutputs:
    """From `path` when given, else from the Pulumi CLI for `stack`."""
    if path is not None:
        return StackOutputs.from_file(path, stack)
    if not stack:
        raise OutputsError("pass --stack (the outputs are read with `pulumi stack output`) or --outputs FILE")
    return StackOutputs.from_pulumi(stack, run)
