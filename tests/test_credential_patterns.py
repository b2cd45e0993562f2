"""The shared credential patterns: every known format is found wherever it sits in a value, under any name; ordinary
values (URLs without a password, ARNs, host names, short words, booleans, numbers) are not."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.credential_patterns import SECRET_NAME, credential_finding

BASE32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
FAST = settings(max_examples=60, deadline=None)

names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,30}", fullmatch=True)
plain_names = st.sampled_from(["HOST", "LOG_LEVEL", "PORT", "REGION", "FEATURE_FLAGS", "appName", "baseUrl"])
secret_names = st.sampled_from(
    ["PASSWORD", "DB_PASSWORD", "dbPassword", "PASSWD", "PWD", "SECRET", "CLIENT_SECRET", "TOKEN", "AUTH_TOKEN",
     "API_KEY", "apiKey", "stripeApiKey", "PRIVATE_KEY", "SIGNING_KEY", "CREDENTIALS", "APIKEY", "SESSION_KEY_2"]
)  # fmt: skip
around = st.text(alphabet=" ,;=:\"'", max_size=3)


def embedded(token: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The token alone or inside other text, as it appears in a connection string or a list."""
    return st.tuples(around, token, around).map("".join)


aws_key_ids = st.tuples(st.sampled_from(["AKIA", "ASIA", "ABIA", "ACCA"]), st.text(BASE32, min_size=16, max_size=16))
github_tokens = st.one_of(
    st.tuples(st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]), st.text(ALNUM, min_size=36, max_size=40)),
    st.tuples(st.just("github_pat_"), st.text(ALNUM + "_", min_size=22, max_size=82)),
)


@FAST
@given(name=names, key=aws_key_ids, text=around)
def test_aws_access_key_ids_are_found_under_any_name(name: str, key: tuple[str, str], text: str) -> None:
    assert credential_finding(name, text + "".join(key) + text) == "AWS access key id"


@FAST
@given(
    name=names,
    prefix=st.sampled_from(["AIDA", "AROA", "AGPA", "ANPA", "AIPA"]),
    rest=st.text(BASE32, min_size=16, max_size=16),
)
def test_iam_unique_ids_are_not_credentials(name: str, prefix: str, rest: str) -> None:
    """AIDA/AROA/... name users and roles; they appear in policies and logs and are not secret."""
    assert credential_finding(name if not SECRET_NAME.search(name) else "X", prefix + rest) is None


@FAST
@given(name=names, kind=st.sampled_from(["sk_live_", "rk_live_"]), body=st.text(ALNUM, min_size=10, max_size=99))
def test_live_payment_keys(name: str, kind: str, body: str) -> None:
    assert credential_finding(name, kind + body) == "live payment key (Stripe)"


@pytest.mark.parametrize("value", ["pk_live_51Habcdefghijklmnop", "sk_test_51Habcdefghijklmnop"])
def test_publishable_and_test_payment_keys_are_not_live_secrets(value: str) -> None:
    assert credential_finding("STRIPE_PUBLISHABLE", value) is None


@FAST
@given(name=names, token=github_tokens)
def test_github_tokens(name: str, token: tuple[str, str]) -> None:
    assert credential_finding(name, "".join(token)) == "GitHub token"


@FAST
@given(name=names, kind=st.sampled_from(["xoxb", "xoxp", "xoxa", "xoxr", "xoxs", "xapp"]),
       body=st.text(ALNUM + "-", min_size=10, max_size=60))  # fmt: skip
def test_slack_tokens(name: str, kind: str, body: str) -> None:
    assert credential_finding(name, f"{kind}-{body}") == "Slack token"


def test_slack_webhook_url() -> None:
    url = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    assert credential_finding("ALERTS_WEBHOOK", url) == "Slack webhook URL"


@pytest.mark.parametrize(
    "label", ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
              "PGP PRIVATE KEY BLOCK"],
)  # fmt: skip
def test_pem_private_keys(label: str) -> None:
    pem = f"-----BEGIN {label}-----\nMIIEvQ...\n-----END {label}-----"
    assert credential_finding("TLS", pem) == "private key (PEM)"


def test_pem_public_material_is_not_a_credential() -> None:
    assert credential_finding("TLS_CERT", "-----BEGIN CERTIFICATE-----\nMIIB...") is None
    assert credential_finding("JWKS", "-----BEGIN PUBLIC KEY-----\nMIIB...") is None


@FAST
@given(name=names, parts=st.lists(st.text(ALNUM + "_-", min_size=8, max_size=40), min_size=2, max_size=2),
       signature=st.text(ALNUM + "_-", max_size=43))  # fmt: skip
def test_json_web_tokens(name: str, parts: list[str], signature: str) -> None:
    token = f"eyJ{parts[0]}.eyJ{parts[1]}.{signature}"
    assert credential_finding(name, f"Bearer {token}") == "JSON web token"


schemes = st.sampled_from(["postgres", "postgresql", "mysql", "redis", "rediss", "amqp", "mongodb+srv", "https"])
# RFC 1123 labels: no label ends with a hyphen (the module rightly reads "a000234-.a01" as no host name).
hosts = st.from_regex(r"[a-z]([a-z0-9-]{0,19}[a-z0-9])?(\.[a-z]([a-z0-9-]{0,19}[a-z0-9])?){0,3}", fullmatch=True)
dotted_hosts = st.from_regex(r"[a-z]([a-z0-9-]{0,19}[a-z0-9])?(\.[a-z]([a-z0-9-]{0,19}[a-z0-9])?){1,3}", fullmatch=True)
users = st.text(ALNUM + "._-", max_size=12)
passwords = st.text(ALNUM + "!$&'()*+,;=._~-%", min_size=1, max_size=30).filter(
    lambda p: not (set(p) <= {"*"} or set(p) <= {"x"} or set(p) <= {"X"} or p.startswith("$"))
)


@FAST
@given(name=names, scheme=schemes, user=users, password=passwords, rest=st.tuples(hosts, st.sampled_from(["", "/db"])))
def test_urls_with_a_password(name: str, scheme: str, user: str, password: str, rest: tuple[str, str]) -> None:
    url = f"{scheme}://{user}:{password}@{rest[0]}{rest[1]}"
    assert credential_finding(name, url) == "URL with a password"


@FAST
@given(name=plain_names, scheme=schemes, user=users, host=hosts, port=st.sampled_from(["", ":5432", ":6379"]))
def test_urls_without_a_password(name: str, scheme: str, user: str, host: str, port: str) -> None:
    assert credential_finding(name, f"{scheme}://{host}{port}/app?sslmode=require") is None
    assert credential_finding(name, f"{scheme}://{user}@{host}{port}/app") is None


@pytest.mark.parametrize("password", ["${DB_PASSWORD}", "$DB_PASSWORD", "{{ password }}", "<password>", "***", "xxx"])
def test_url_password_placeholders_are_not_credentials(password: str) -> None:
    assert credential_finding("DATABASE_URL", f"postgres://app:{password}@db.internal:5432/app") is None


@FAST
@given(name=secret_names, token=st.text(ALNUM + "+/", min_size=24, max_size=64))
def test_random_tokens_beside_secret_names(name: str, token: str) -> None:
    """A 24+ character draw from 64 symbols is random by construction unless hypothesis shrinks it to a repeat."""
    # No symbol a quarter of the token (not 000...), and not a path (the module reads "/..." as one).
    spread = max(token.count(c) for c in token) * 4 <= len(token) and not token.startswith("/")
    if len(set(token)) >= 12 and spread and sum(c.isdigit() for c in token) and sum(c.isalpha() for c in token):
        assert credential_finding(name, token) == f"high-entropy value in a secret-sounding variable ({name})"


@pytest.mark.parametrize(
    "name, value",
    [
        ("API_KEY", "9f86d081884c7d659a2feaa0c55ad015"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("SESSION_SECRET", "c2VjcmV0LXNlc3Npb24ta2V5LTQy"),
        ("clientSecret", "3f1b6c1e-8a2d-4b7e-9c0f-5d6e7a8b9c0d"),
    ],
)
def test_known_random_values_beside_secret_names(name: str, value: str) -> None:
    assert credential_finding(name, value) is not None


ordinary_values = st.one_of(
    st.sampled_from(["true", "false", "yes", "no", "on", "off", "info", "debug", "eu-west-1", "production"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(string.ascii_letters, max_size=15),
    dotted_hosts,
    st.tuples(st.sampled_from(["iam", "secretsmanager", "kms", "s3"]), st.text(string.digits, min_size=12, max_size=12),
              st.text(ALNUM + "/-_", min_size=1, max_size=40))
    .map(lambda p: f"arn:aws:{p[0]}:eu-west-1:{p[1]}:{p[2]}"),
    st.text(ALNUM + "/-_.", max_size=40).map(lambda p: "/" + p),
)  # fmt: skip


@FAST
@given(name=st.one_of(secret_names, plain_names), value=ordinary_values)
def test_ordinary_values_are_not_credentials(name: str, value: str) -> None:
    assert credential_finding(name, value) is None


@FAST
@given(name=plain_names, token=st.text(ALNUM, min_size=16, max_size=64))
def test_random_values_beside_plain_names_are_not_judged_by_entropy(name: str, token: str) -> None:
    """Build ids, digests and request ids are random too; entropy alone is evidence only beside a secret name."""
    finding = credential_finding(name, token)
    assert finding is None or not finding.startswith("high-entropy")


@pytest.mark.parametrize(
    "name",
    ["PASSWORD", "DB_PASSWORD", "dbPassword", "db-password", "PASSWD", "PWD", "DB_PWD", "SECRET", "CLIENT_SECRET",
     "TOKEN", "AUTH_TOKEN", "githubToken", "API_KEY", "APIKEY", "apiKey", "stripeApiKey", "PRIVATE_KEY", "SIGNING_KEY",
     "ACCESS_KEY", "KEY", "CREDENTIALS", "GOOGLE_CREDENTIAL", "PASSPHRASE", "API_KEY_2",
     "DB_PASS", "dbPass", "db-pass", "PASS", "SMTP_PASS_1", "redisPassV2"],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert SECRET_NAME.search(name)


@pytest.mark.parametrize(
    "name",
    ["HOST", "HOSTNAME", "LOG_LEVEL", "PORT", "KEYBOARD_LAYOUT", "MONKEY", "KEYCLOAK_REALM", "DB_SECRET_ARN",
     "secretArn", "TOKEN_URL", "PASSWORD_FILE", "kmsKeyId", "API_KEY_NAME", "SECRET_REGION", "PASSWORD_MIN_LENGTH",
     "PASSPORT_NUMBER", "BYPASS_CACHE", "COMPASS_HEADING", "passenger", "DB_PASS_FILE"],
)  # fmt: skip
def test_names_that_are_not_secrets(name: str) -> None:
    assert not SECRET_NAME.search(name)


@FAST
@given(prefix=st.from_regex(r"[A-Z][A-Z0-9]{0,10}", fullmatch=True),
       word=st.sampled_from(["PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "CREDENTIALS"]))  # fmt: skip
def test_secret_words_under_any_prefix_and_case(prefix: str, word: str) -> None:
    snake = f"{prefix}_{word}"
    camel = prefix.lower() + "".join(part.capitalize() for part in word.split("_"))
    assert SECRET_NAME.search(snake)
    assert SECRET_NAME.search(camel)
    assert not SECRET_NAME.search(f"{snake}_ARN")


def test_never_raises_on_arbitrary_text() -> None:
    @settings(max_examples=200, deadline=None)
    @given(name=st.text(max_size=40), value=st.text(max_size=200))
    def check(name: str, value: str) -> None:
        result = credential_finding(name, value)
        assert result is None or isinstance(result, str)

    check()
