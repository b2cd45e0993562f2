"""The committed example values render offline and are refused, key by key, under the real engine."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import settings

from infra import engine
from infra.config import ConfigError, load_config
from infra.placeholders import placeholders, reserved_host
from offline.monitor import RecordingMonitor
from offline.plan import Plan
from offline.render import render
from tests.helpers import stack_config

REAL = {
    "app-platform:domain": "app.staging.acme-corp.io",
    "app-platform:tls": json.dumps({"https": True, "hostedZoneId": "Z0123456789ABCDEFGHIJ"}),
    "app-platform:notifications": json.dumps(
        {
            "warningEmails": ["platform-alerts@acme-corp.io"],
            "criticalEmails": ["platform-oncall@acme-corp.io"],
            "criticalHttpsEndpoints": ["https://events.pagerduty.com/integration/0123abcd/enqueue"],
        }
    ),
    "app-platform:observability": json.dumps({"runbookBaseUrl": "https://github.com/acme-corp/app-platform/blob/main"}),
}


@pytest.fixture
def real_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render as the CLI would run the program: the monitor carries no offline marker."""
    monkeypatch.setattr(RecordingMonitor, engine.OFFLINE_MARKER, False)


def test_the_offline_engine_marks_its_monitor(plan: Plan) -> None:
    assert getattr(RecordingMonitor, engine.OFFLINE_MARKER) is True
    assert plan.resources  # the committed examples render offline


@pytest.mark.parametrize(
    ("stack", "keys"),
    [
        ("staging", ["domain", "tls.hostedZoneId", "notifications.criticalEmails[0]",
                     "notifications.warningEmails[0]", "observability.runbookBaseUrl"]),
        ("production", ["domain", "tls.hostedZoneId", "notifications.criticalEmails[0]",
                        "notifications.warningEmails[0]", "notifications.criticalHttpsEndpoints[0]",
                        "observability.runbookBaseUrl"]),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("real_engine")
def test_the_real_engine_refuses_the_committed_examples_by_key(stack: str, keys: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        render(stack)
    named = [line.split(" = ", 1)[0] for line in info.value.problems if " = " in line]
    assert named == [f"app-platform:{key}" for key in keys]


@pytest.mark.usefixtures("real_engine")
def test_the_real_engine_deploys_real_values() -> None:
    plan = render("staging", overrides=REAL)
    subscription = next(
        r for r in plan.of_type("aws:sns/topicSubscription:TopicSubscription") if r.inputs["protocol"] == "https"
    )
    assert subscription.inputs["endpoint"].startswith("https://events.pagerduty.com/")


def test_a_real_monitor_is_never_taken_for_the_offline_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's monitor is a gRPC stub: no marker. Nothing from outside the process (environment) can set it."""
    monkeypatch.setenv("APP_PLATFORM_OFFLINE_ENGINE", "1")
    monkeypatch.setattr(settings, "get_monitor", object)
    assert engine.offline_engine() is False

    class Truthy:
        app_platform_offline_engine = "yes"  # only True itself counts

    monkeypatch.setattr(settings, "get_monitor", Truthy)
    assert engine.offline_engine() is False
    monkeypatch.setattr(settings, "get_monitor", lambda: None)
    assert engine.offline_engine() is False


@pytest.mark.parametrize(
    "host",
    ["example.com", "EXAMPLE.COM", "app.example.com.", "events.pagerduty.example.com", "example.net",
     "mail.example.org", "app.example", "svc.test", "x.invalid", "localhost"],
)  # fmt: skip
def test_reserved_hosts(host: str) -> None:
    assert reserved_host(host)


@pytest.mark.parametrize("host", ["acme-corp.io", "notexample.com", "example.com.au", "myexample.org", "test.io"])
def test_real_hosts(host: str) -> None:
    assert not reserved_host(host)


@given(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True), st.sampled_from(["com", "net", "org"]))
def test_every_name_under_a_reserved_domain_is_reserved(label: str, tld: str) -> None:
    assert reserved_host(f"{label}.example.{tld}") and not reserved_host(f"{label}.example.{tld}.au")


def test_example_certificates_are_refused_too() -> None:
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    raw, secrets = stack_config("staging", edge={"certificateArn": arn})
    raw.update(REAL)
    problems = list(placeholders(load_config(raw, secrets)))
    assert [p.split(" = ")[0] for p in problems] == ["app-platform:edge.certificateArn"]
    raw, secrets = stack_config("staging")
    raw.update(REAL)
    assert list(placeholders(load_config(raw, secrets))) == []


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://github.com/example-org/app-platform/blob/main", True),  # the committed example (the default)
        ("https://git.example.com/platform/app-platform/-/blob/main", True),  # a reserved host
        ("https://docs.internal.test/app-platform", True),
        ("https://github.com/acme-corp/app-platform/blob/main", False),
        ("https://github.com/example-organisation/app-platform/blob/main", False),  # only the example itself
    ],
)
def test_the_runbook_links_must_lead_somewhere_real(url: str, refused: bool) -> None:
    raw, secrets = stack_config("staging", **{"app-platform:observability": {"runbookBaseUrl": url}})
    raw.update({k: v for k, v in REAL.items() if k != "app-platform:observability"})
    found = [line for line in placeholders(load_config(raw, secrets)) if "observability.runbookBaseUrl" in line]
    assert bool(found) is refused, found
