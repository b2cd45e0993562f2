"""What a credential looks like, in one place: the config loader refuses plain environment values that match, and
the policy pack's container-environment check judges rendered task definitions with the same patterns.

Standard library only: the pack imports this module as `credential_patterns` under the Pulumi CLI (policies/ on
`sys.path`), the program as `policies.credential_patterns`.

Formats and their sources (checked 2026-12-03):
- AWS access key ids: 20 characters, a four-letter prefix then base32 ([A-Z2-7]); AKIA long-term keys, ASIA STS
  temporary keys, ABIA STS service bearer tokens, ACCA context-specific credentials (IAM User Guide, "IAM
  identifiers", unique identifier prefixes). AIDA/AROA/AGPA... name users, roles and groups: not credentials.
- Stripe live secret and restricted keys `sk_live_` / `rk_live_` (Stripe docs, "API keys"); `pk_live_` is the
  publishable key and is public by design.
- GitHub tokens `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and fine-grained `github_pat_` (GitHub docs, "About
  authentication to GitHub", token formats).
- Slack tokens `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, app tokens `xapp-`, and incoming-webhook URLs.
- PEM private keys (RFC 7468 labels: PRIVATE KEY, RSA/EC/DSA/OPENSSH/ENCRYPTED PRIVATE KEY, PGP PRIVATE KEY BLOCK).
- JWTs: three base64url parts, the header and payload JSON objects (so both start `eyJ`) (RFC 7519).
"""

from __future__ import annotations

import math
import re
from collections import Counter

_CAMEL = r"(?-i:(?<=[a-z0-9])(?=[A-Z]))"
_SEP = rf"(?:^|[_.\-]|{_CAMEL})"
_END = rf"(?:$|[_.\-0-9]|{_CAMEL})"
# Names that point at a secret rather than hold one (DB_SECRET_ARN, TOKEN_URL, PASSWORD_FILE, kmsKeyId).
_REFERENCE = r"(?:arn|name|id|ids|file|path|url|uri|endpoint|ttl|type|length|version|region|prefix)"

SECRET_NAME = re.compile(
    rf"(?i)^(?!.*{_SEP}{_REFERENCE}$)"
    rf".*(?:passw(?:or)?d|passphrase|secret|token|credentials?|api_?key|private_?key|access_?key"
    rf"|{_SEP}(?:pwd|pass|keys?){_END})"
)
"""Names whose values are credentials: PASSWORD, DB_PASSWD, PWD, DB_PASS, dbPass, CLIENT_SECRET, AUTH_TOKEN,
API_KEY, stripeApiKey, PRIVATE_KEY, SIGNING_KEY, CREDENTIALS. Names that end in a reference word (..._ARN,
..._NAME, ..._ID, ..._FILE, ..._URL, ...) do not match: they say where a secret is, not what it is."""

_URL_AUTHORITY = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://([^/?#\s]*)")
_PLACEHOLDER = re.compile(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|<[^>]*>|\*+|x+|X+)$")

_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key (PEM)", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])")),
    ("live payment key (Stripe)", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{10,}")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("Slack token", re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}")),
    ("Slack webhook URL", re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
)

_MIN_RANDOM_LENGTH = 16
_MIN_BITS_PER_CHAR = 3.0
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9+/=_\-.~!@#$%^&*]+$")
_HOSTNAME = re.compile(r"(?i)^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*\.?$")


def credential_finding(name: str, value: str) -> str | None:
    """Why `value` (set as `name`) is a credential, in a few words, or None when it does not look like one."""
    for reason, pattern in _FORMATS:
        if pattern.search(value):
            return reason
    if _url_with_password(value):
        return "URL with a password"
    if SECRET_NAME.search(name) and _looks_random(value):
        return f"high-entropy value in a secret-sounding variable ({name})"
    return None


def _url_with_password(value: str) -> bool:
    for match in _URL_AUTHORITY.finditer(value):
        authority = match.group(1)
        if "@" not in authority:
            continue
        userinfo = authority.rsplit("@", 1)[0]
        _, colon, password = userinfo.partition(":")
        if colon and password and not _PLACEHOLDER.match(password):
            return True
    return False


def _looks_random(value: str) -> bool:
    """A long token of mixed character classes with high entropy, not an ARN, URL, path, host name or number."""
    if len(value) < _MIN_RANDOM_LENGTH or not _TOKEN_CHARS.match(value):
        return False
    if value.startswith(("arn:", "/", "./")) or "://" in value or _HOSTNAME.match(value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 2 and _bits_per_char(value) >= _MIN_BITS_PER_CHAR


def _bits_per_char(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
