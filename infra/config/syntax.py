"""Value syntax AWS enforces but the mock engine does not: tag values, ALB host-header and path-pattern values,
listener rule limits, IANA time zones. Each check returns why a value is refused, or None.

Sources (checked 2026-12-03):
- Tags: up to 256 Unicode characters; letters, numbers, spaces representable in UTF-8 and `_ . : / = + - @`
  (the set every tagging service accepts); the `aws:` prefix is reserved. AWS Tagging / service docs "Tag
  restrictions" (for example https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html and the EFS
  API Tag pattern `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`).
- ALB host-header values: up to 128 characters, A-Z a-z 0-9 - . and the wildcards * ?, at least one "." and only
  letters after the final "." (ELB API Reference, HostHeaderConditionConfig and RuleCondition Values).
- ALB path-pattern values: up to 128 characters, case-sensitive, A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & and * ?
  (ELB API Reference, PathPatternConditionConfig and RuleCondition Values).
- Rule quotas: 5 condition values and 5 wildcards per rule, not adjustable ("Quotas for your Application Load
  Balancers", Rules). Listener rule priority 1..50000, unique per listener (API RulePriorityPair, CreateRule).
- Per load balancer: 100 target groups, not adjustable; 100 rules excluding default rules, adjustable ("Quotas
  for your Application Load Balancers", Load balancers and Rules,
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html, read 2026-12-03).
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo

from infra.config.errors import suggest

TAG_VALUE_MAX = 256
TAG_SYMBOLS = set("_.:/=+-@")
HOST_HEADER_MAX = 128
PATH_PATTERN_MAX = 128
CONDITION_VALUES_PER_RULE = 5
WILDCARDS_PER_RULE = 5
PRIORITY_RANGE = (1, 50000)
TARGET_GROUPS_PER_ALB = 100
RULES_PER_ALB_DEFAULT = 100

_HOST = re.compile(r"^[A-Za-z0-9.*?-]+$")
_PATH = re.compile(r"^[A-Za-z0-9_.$/~\"'@:+&*?-]+$")

RULES: tuple[tuple[str, str], ...] = (
    (
        "`app-platform:owner`, `app-platform:costCenter` (tag values)",
        f"At most {TAG_VALUE_MAX} characters: letters, digits, spaces and `_ . : / = + - @`; no `aws:` prefix. "
        "Source: AWS tag restrictions (the set every tagging service accepts).",
    ),
    (
        "`services.<name>.hostHeaders[]`",
        f"ALB host names: at most {HOST_HEADER_MAX} characters of `A-Z a-z 0-9 - .` and the wildcards `*` `?`, "
        "at least one `.`, only letters after the last `.`. Source: ELB API HostHeaderConditionConfig.",
    ),
    (
        "`services.<name>.pathPatterns[]`",
        f"ALB path patterns: at most {PATH_PATTERN_MAX} characters of `A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + &` and "
        "`*` `?`, starting with `/` (request paths do) or `*`. Source: ELB API PathPatternConditionConfig.",
    ),
    (
        "`services.<name>` routing",
        f"At most {CONDITION_VALUES_PER_RULE} condition values (path patterns + host headers + the origin header "
        f"with `edge.originMode: publicAlb`) and {WILDCARDS_PER_RULE} wildcards per listener rule. Source: "
        "Quotas for your Application Load Balancers (Rules).",
    ),
    (
        "`services.<name>.priority`",
        f"{PRIORITY_RANGE[0]}..{PRIORITY_RANGE[1]} and unique across the stack's web services, counting the "
        "defaults (10, 20, ... by service name). Source: ELB API RulePriorityPair; a listener cannot have two "
        "rules with one priority.",
    ),
    (
        "`services.<name>.autoscaling.schedules[].timezone`",
        "An IANA time zone known to Python's `zoneinfo` (for example `Europe/Dublin`, `UTC`).",
    ),
)


def tag_value_problem(value: str) -> str | None:
    if len(value) > TAG_VALUE_MAX:
        return f"tag values hold at most {TAG_VALUE_MAX} characters (got {len(value)})"
    if value.lower().startswith("aws:"):
        return "tag values must not start with `aws:` (reserved for AWS)"
    bad = sorted({c for c in value if not _tag_char(c)})
    if bad:
        return f"tag values allow letters, digits, spaces and _ . : / = + - @ only; not {''.join(bad)!r}"
    return None


def _tag_char(char: str) -> bool:
    return char in TAG_SYMBOLS or unicodedata.category(char)[0] in "LNZ"


def host_header_problem(value: str) -> str | None:
    if not 1 <= len(value) <= HOST_HEADER_MAX:
        return f"a host name has 1..{HOST_HEADER_MAX} characters"
    if not _HOST.match(value):
        return "a host name allows A-Z a-z 0-9 - . and the wildcards * ? only"
    if "." not in value:
        return "a host name needs at least one '.' (example.com, *.example.com)"
    if not value.rsplit(".", 1)[1].isalpha() or not value.rsplit(".", 1)[1].isascii():
        return "only letters may follow the last '.' of a host name"
    return None


def path_pattern_problem(value: str) -> str | None:
    if not 1 <= len(value) <= PATH_PATTERN_MAX:
        return f"a path pattern has 1..{PATH_PATTERN_MAX} characters"
    if not _PATH.match(value):
        return "a path pattern allows A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & and the wildcards * ? only"
    if not value.startswith(("/", "*")):
        return "a path pattern starts with '/' (request paths do) or '*'"
    return None


def wildcards(values: list[str]) -> int:
    return sum(value.count("*") + value.count("?") for value in values)


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_problem(value: str) -> str | None:
    known = time_zones()
    if value in known or (not known and value == "UTC"):
        return None
    if not known:
        return "this machine has no IANA time zone database to check it against (install tzdata); use UTC"
    return f"not an IANA time zone{suggest(value, sorted(known))} (for example Europe/Dublin, America/New_York, UTC)"
