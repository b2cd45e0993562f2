"""Example values that render offline but must never reach AWS.

The committed stack files hold examples (a hosted zone ID with EXAMPLE in it, addresses and hosts under
example.com) so that a fresh clone renders. Deployed, they fail late or never finish: DNS validation waits on a
zone that does not exist, and an HTTPS subscription with auto-confirm keeps `pulumi up` waiting for a
confirmation that never comes. Under the real engine the program refuses them, naming each key, before any
resource is declared; the offline engine renders them (infra/engine.py tells the two apart).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from infra.config import PROJECT, StackConfig
from infra.config.errors import ConfigError, describe
from infra.config.sections.observability import RUNBOOK_BASE_URL_EXAMPLE

# Names reserved for documentation and testing (RFC 2606 section 2 and 3, RFC 6761 section 6): nobody owns them.
RESERVED_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")
RESERVED_TLDS: tuple[str, ...] = ("example", "test", "invalid", "localhost")
# AWS's documentation writes example identifiers with EXAMPLE in them (AKIAIOSFODNN7EXAMPLE) and uses the
# account 123456789012.
EXAMPLE_WORD = "EXAMPLE"
EXAMPLE_ACCOUNT = "123456789012"


def reserved_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if any(host == domain or host.endswith(f".{domain}") for domain in RESERVED_DOMAINS):
        return True
    return host.rsplit(".", 1)[-1] in RESERVED_TLDS


def placeholders(config: StackConfig) -> Iterator[str]:
    """One line per example value, naming its key and what to set instead."""
    if reserved_host(config.domain):
        yield describe(f"{PROJECT}:domain", config.domain, "an example domain nobody owns; set the stack's host name")
    tls, edge, notify = config.tls, config.edge, config.notifications
    if tls.hosted_zone_id is not None and EXAMPLE_WORD in tls.hosted_zone_id.upper():
        yield describe(
            f"{PROJECT}:tls.hostedZoneId",
            tls.hosted_zone_id,
            "an example zone ID; set the Route 53 hosted zone of the domain (aws route53 list-hosted-zones-by-name)",
        )
    for key, arn in (("tls.certificateArn", tls.certificate_arn), ("edge.certificateArn", edge.certificate_arn)):
        if arn is not None and f":{EXAMPLE_ACCOUNT}:" in arn:
            yield describe(f"{PROJECT}:{key}", arn, f"AWS's example account {EXAMPLE_ACCOUNT}; set a real ARN")
    for key, emails in (
        ("notifications.criticalEmails", notify.critical_emails),
        ("notifications.warningEmails", notify.warning_emails),
    ):
        for index, email in enumerate(emails):
            if reserved_host(email.rsplit("@", 1)[-1]):
                yield describe(
                    f"{PROJECT}:{key}[{index}]", email, "an example address that can never confirm; set a real one"
                )
    for index, url in enumerate(notify.critical_https_endpoints):
        if reserved_host(urlsplit(url).hostname or ""):
            yield describe(
                f"{PROJECT}:notifications.criticalHttpsEndpoints[{index}]",
                url,
                "an example endpoint: its subscription never confirms and `pulumi up` waits for it; set the paging "
                "service's integration URL (with --secret if it embeds a key)",
            )
    runbooks = config.observability.runbook_base_url
    if runbooks == RUNBOOK_BASE_URL_EXAMPLE or reserved_host(urlsplit(runbooks).hostname or ""):
        yield describe(
            f"{PROJECT}:observability.runbookBaseUrl",
            runbooks,
            "the example repository: every alarm's runbook link would lead nowhere; set where this repository is "
            "browsed (e.g. https://github.com/<org>/<repo>/blob/main)",
        )


def refuse(config: StackConfig) -> None:
    """Raise a ConfigError listing every example value (the real engine's check)."""
    problems = list(placeholders(config))
    if problems:
        raise ConfigError(
            [*problems, "these are the committed examples: the offline engine renders them, AWS never would"]
        )
