"""Lambda runtime identifiers and the day AWS deprecates each one (FSBP Lambda.2 judges against this list).

Standard library only: the pack imports this module as `lambda_runtimes` under the Pulumi CLI (policies/ on
`sys.path`), the program as `policies.lambda_runtimes` (as with `log_retention`), so a component can refuse a
deprecated runtime before anything is declared.

Source: the AWS Lambda Developer Guide, "Lambda runtimes"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), tables "Supported runtimes" and "Deprecated
runtimes", column "Deprecation date", as carried by two copies that cite that page: endoflife.date/aws-lambda
(standard-support end per runtime) and tflint-ruleset-aws `rules/aws_lambda_function_deprecated_runtime.go`
(commit 0103793). Read 2026-12-03. Where the two copies and AWS's page disagree or a date could not be read, the
entry says so (`note`) instead of guessing.

A runtime is supported on a day before its deprecation date. An identifier missing here is unknown: the rule fails
it (add it here with its date and source), because an unlisted runtime cannot be shown to be supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
READ_ON = date(2026, 12, 3)
AL2_NOTE = (
    "Amazon Linux 2 based; AWS lists deprecation on 2026-06-30 with AL2's end of life (its page adds that these "
    "runtimes keep receiving critical patches after it): judged deprecated from that date"
)

CONTAINER_ONLY = "a base image only (the Lambda API has no .zip identifier for it); pulumi-aws still offers the value"


@dataclass(frozen=True)
class Runtime:
    """One runtime identifier as `aws:lambda/function:Function.runtime` spells it, and its deprecation date."""

    identifier: str
    deprecated_on: date
    note: str = ""

    def supported_on(self, day: date) -> bool:
        return day < self.deprecated_on


def _r(identifier: str, year: int, month: int, day: int, note: str = "") -> Runtime:
    return Runtime(identifier, date(year, month, day), note)


RUNTIMES: tuple[Runtime, ...] = (
    # Supported on 2026-12-03 (AWS table "Supported runtimes").
    _r("nodejs24.x", 2028, 4, 30),
    _r("nodejs22.x", 2027, 4, 30),
    _r("python3.14", 2029, 6, 30),
    _r("python3.13", 2029, 6, 30),
    _r("python3.12", 2028, 10, 31),
    _r("java25", 2029, 6, 30),
    _r("java21", 2029, 6, 30),
    _r("dotnet10", 2028, 11, 14),
    _r("ruby3.4", 2028, 3, 31),
    _r("ruby3.3", 2027, 3, 31),
    _r("provided.al2023", 2029, 6, 30),
    # Deprecated during 2026 (AWS table "Supported runtimes" at the time, with these dates).
    _r("dotnet8", 2026, 11, 10),
    _r("python3.11", 2026, 6, 30, AL2_NOTE),
    _r("python3.10", 2026, 6, 30, AL2_NOTE),
    _r("java17", 2026, 6, 30, AL2_NOTE),
    _r("java11", 2026, 6, 30, AL2_NOTE),
    _r("java8.al2", 2026, 6, 30, AL2_NOTE),
    _r("provided.al2", 2026, 6, 30, AL2_NOTE),
    _r("nodejs20.x", 2026, 4, 30),
    _r("ruby3.2", 2026, 3, 31),
    # AWS table "Deprecated runtimes".
    _r("python3.9", 2025, 12, 15),
    _r("nodejs18.x", 2025, 9, 1),
    _r("dotnet6", 2024, 11, 12),
    _r("python3.8", 2024, 10, 14),
    _r("nodejs16.x", 2024, 6, 12),
    _r("dotnet7", 2024, 5, 14, CONTAINER_ONLY),
    _r("java8", 2024, 1, 8),
    _r("go1.x", 2024, 1, 8),
    _r("provided", 2024, 1, 8),
    _r("nodejs14.x", 2023, 12, 4),
    _r("python3.7", 2023, 12, 4),
    _r("ruby2.7", 2023, 11, 27),
    _r("dotnetcore3.1", 2023, 4, 3),
    _r("nodejs12.x", 2023, 3, 31),
    _r("python3.6", 2022, 7, 18),
    _r("dotnet5.0", 2022, 5, 10, CONTAINER_ONLY),
    _r("dotnetcore2.1", 2022, 1, 5),
    _r("nodejs10.x", 2021, 7, 30),
    _r("ruby2.5", 2021, 7, 30),
    _r("python2.7", 2021, 7, 15),
    _r("nodejs8.10", 2020, 3, 6),
    _r("nodejs4.3", 2020, 3, 5),
    _r("nodejs4.3-edge", 2020, 3, 5),
    _r("nodejs6.10", 2019, 8, 12),
    _r("dotnetcore1.0", 2019, 7, 27),
    _r("dotnetcore2.0", 2019, 5, 30),
    _r("nodejs", 2016, 10, 31),
)
"""Every identifier with a sourced deprecation date. Identifiers the Lambda API model knows but whose dates could
not be sourced on 2026-12-03 (botocore 1.44.8 `Runtime` enum: nodejs26.x, python3.15, ruby4.0, java8.al2023,
java11.al2023, java17.al2023) are left out on purpose: unknown until someone adds them with a source."""

BY_IDENTIFIER: dict[str, Runtime] = {r.identifier: r for r in RUNTIMES}


def lookup(identifier: str) -> Runtime | None:
    """The runtime for an identifier exactly as Lambda spells it (lower case, no spaces); None when unknown."""
    return BY_IDENTIFIER.get(identifier)


def supported(day: date) -> list[str]:
    """Identifiers supported on `day`, newest deprecation first (what a remediation message suggests)."""
    return [r.identifier for r in sorted(RUNTIMES, key=lambda r: r.deprecated_on, reverse=True) if r.supported_on(day)]
