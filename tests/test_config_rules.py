"""Issue #15: every input the mocks would accept but AWS (or the program) would not is refused with its key, before
any resource exists: namespaces, the region's single source, regions and zones, tag values, ALB routing syntax and
limits, listener priorities, time zones, build contexts, credentials in plain values, clear blame."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import ConfigError, load_config
from infra.config.aws_facts import DATA, regions
from infra.config.errors import Problem
from infra.config.load import provider_keys
from tests.helpers import stack_config


def api(**fields: Any) -> dict[str, Any]:
    return {"image": {"context": "app"}, "containerPort": 8080, **fields}


def problems(stack: str = "staging", extra: dict[str, str] | None = None, **sections: Any) -> list[Problem]:
    raw, secrets = stack_config(stack, **sections)
    raw.update(extra or {})
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    return info.value.problems


def one(stack: str = "staging", extra: dict[str, str] | None = None, **sections: Any) -> Problem:
    found = problems(stack, extra, **sections)
    assert len(found) == 1, found
    return found[0]


def loads(stack: str = "staging", extra: dict[str, str] | None = None, **sections: Any) -> Any:
    raw, secrets = stack_config(stack, **sections)
    raw.update(extra or {})
    return load_config(raw, secrets)


# -- namespaces and the region's single source ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("app-platfrom:network", "did you mean 'app-platform'"),
        ("app-plattform:owner", "did you mean 'app-platform'"),
        ("awss:region", "did you mean 'aws'"),
        ("kubernetes:context", "unknown namespace 'kubernetes'"),
    ],
)
def test_unknown_namespaces_are_refused_with_a_suggestion(key: str, hint: str) -> None:
    problem = one(extra={key: "x"})
    assert problem.key == key and hint in problem


def test_aws_keys_other_than_the_region_would_be_ignored_and_are_refused() -> None:
    assert "profile" in provider_keys("aws")  # a real provider setting, still ignored by explicit providers
    problem = one(extra={"aws:profile": "prod"})
    assert problem.key == "aws:profile" and "explicit" in problem and "aws:region" in problem
    assert "did you mean 'region'" in one(extra={"aws:regoin": "eu-west-1"})


def test_docker_and_pulumi_namespaces() -> None:
    assert loads(extra={"docker:host": "unix:///var/run/docker.sock", "pulumi:tags": "{}"}).region == "eu-west-1"
    assert "did you mean 'host'" in one(extra={"docker:hots": "x"})


def test_project_region_is_refused_whatever_its_value() -> None:
    for value in ("eu-west-1", "us-east-1"):
        problem = one(extra={"app-platform:region": value})
        assert problem.key == "app-platform:region" and "aws:region alone" in problem


def test_unknown_setting_gets_a_did_you_mean() -> None:
    problem = one(network={"natGateway": "single"})
    assert problem.key == "app-platform:network.natGateway"
    assert "did you mean 'natGateways'" in problem
    assert "did you mean 'network'" in one(extra={"app-platform:netwrok": "{}"})


# -- regions and zones ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["eu-west-9", "eu-wset-1", "mars-north-1", "EU-WEST-1", ""])
def test_regions_that_do_not_exist(region: str) -> None:
    problem = one(extra={"aws:region": region})
    assert problem.key == "aws:region" and "not an AWS Region" in problem


def test_region_misspelling_suggests_the_real_one() -> None:
    assert "did you mean 'eu-west-1'" in one(extra={"aws:region": "eu-wset-1"})


def test_dr_region_must_exist() -> None:
    problem = one("production", database={"disasterRecovery": {"region": "eu-central-9"}})
    assert problem.key == "app-platform:database.disasterRecovery.region" and "not an AWS Region" in problem


def test_every_listed_region_has_a_source_and_zone_ids() -> None:
    data = json.loads(DATA.read_text())
    for name, entry in data["regions"].items():
        assert entry["source"] and entry["checked"] == "2026-12-03", name
        assert entry["zoneIds"] and all(z.split("-az")[0] for z in entry["zoneIds"]), name
    assert regions()["eu-west-1"].zone_ids == ("euw1-az1", "euw1-az2", "euw1-az3")
    assert regions()["eu-west-1"].verified


@pytest.mark.parametrize(("region", "count"), [("eu-west-1", 3), ("us-west-2", 4), ("us-west-1", 2)])
def test_az_count_cannot_exceed_the_regions_zones(region: str, count: int) -> None:
    assert loads(extra={"aws:region": region}, network={"azCount": count}).network.az_count == count
    problem = one(extra={"aws:region": region}, network={"azCount": count + 1})
    assert problem.key == "app-platform:network.azCount" and f"{region} has {count} Availability Zones" in problem


@pytest.mark.parametrize(
    ("zones", "blamed", "says"),
    [
        (["eu-west-1a", "us-east-1b"], "availabilityZones[1]", "a zone of us-east-1, not of aws:region eu-west-1"),
        (["eu-west-1a", "eu-west-1a"], "availabilityZones[1]", "listed twice"),
        (["euw1-az1", "eu-west-1b"], "availabilityZones[0]", "zone ID"),
        (["west-1a", "eu-west-1b"], "availabilityZones[0]", "not a zone name"),
    ],
)
def test_explicit_zones_belong_to_the_region(zones: list[str], blamed: str, says: str) -> None:
    problem = one(network={"azCount": 2, "availabilityZones": zones})
    assert problem.key == f"app-platform:network.{blamed}" and says in problem


def test_explicit_zones_of_the_region_load() -> None:
    config = loads(network={"azCount": 2, "availabilityZones": ["eu-west-1c", "eu-west-1a"]})
    assert config.network.availability_zones == ["eu-west-1c", "eu-west-1a"]


# -- tags ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("owner", "says"),
    [
        ("team<script>", "not '<>'"),
        ("platform;team", "not ';'"),
        ("aws:team", "aws:"),
        ("AWS:team", "aws:"),
        ("x" * 257, "at most 256"),
        ("tab\there", "not '\\t'"),
    ],
)
def test_tag_values_aws_rejects(owner: str, says: str) -> None:
    problem = one(owner=owner)
    assert problem.key == "app-platform:owner" and says in problem


@pytest.mark.parametrize("owner", ["platform-team", "Platform Team", "équipe_données", "a.b:c/d=e+f-g@h", "x" * 256])
def test_tag_values_aws_accepts(owner: str) -> None:
    assert loads(owner=owner).owner == owner


def test_cost_center_follows_the_same_rules() -> None:
    assert one(costCenter="CC#1042").key == "app-platform:costCenter"


# -- ALB routing ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (["api example.com"], "A-Z a-z 0-9"),
        (["localhost"], "at least one '.'"),
        (["example.c0m"], "only letters may follow"),
        (["example.*"], "only letters may follow"),
        (["https://api.example.com"], "A-Z a-z 0-9"),
        (["a" * 122 + ".example"], "1..128"),
        (["api_v2.example.com"], "A-Z a-z 0-9"),
    ],
)
def test_host_headers_aws_rejects(headers: list[str], says: str) -> None:
    problem = one(services={"api": api(hostHeaders=headers)})
    assert problem.key == "app-platform:services.api.hostHeaders[0]" and says in problem


@pytest.mark.parametrize("header", ["api.example.com", "*.example.com", "API.Example.COM", "api-?.example.com"])
def test_host_headers_aws_accepts(header: str) -> None:
    assert loads(services={"api": api(hostHeaders=[header])}).services["api"].host_headers == [header]


@pytest.mark.parametrize(
    ("patterns", "blamed", "says"),
    [
        (["api/*"], "pathPatterns[0]", "starts with '/'"),
        (["/api/*", "/a b"], "pathPatterns[1]", "allows"),
        (["/%20"], "pathPatterns[0]", "allows"),
        (["/" + "a" * 128], "pathPatterns[0]", "1..128"),
        ([], "pathPatterns", "at least one"),
        (["/a", "/b", "/c", "/d", "/e", "/f"], "pathPatterns", "at most 5 condition values"),
        (["/a*", "/b*", "/c*", "/d*", "/e*?"], "pathPatterns", "at most 5 wildcards"),
    ],
)
def test_path_patterns_aws_rejects(patterns: list[str], blamed: str, says: str) -> None:
    problem = one(services={"api": api(pathPatterns=patterns)})
    assert problem.key == f"app-platform:services.api.{blamed}" and says in problem


def test_condition_values_count_host_headers_too() -> None:
    hosts = ["a.example.com", "b.example.com", "c.example.com"]
    problem = one(services={"api": api(pathPatterns=["/a", "/b", "/c"], hostHeaders=hosts)})
    assert problem.key == "app-platform:services.api.pathPatterns" and "give 6" in problem


def test_public_alb_origin_header_takes_a_condition_value() -> None:
    five = api(pathPatterns=["/a", "/b", "/c", "/d", "/e"])
    assert loads(services={"api": five}).services["api"].path_patterns == ["/a", "/b", "/c", "/d", "/e"]
    problem = one(services={"api": five}, edge={"originMode": "publicAlb"})
    assert problem.key == "app-platform:services.api.pathPatterns" and "origin header" in problem


@pytest.mark.parametrize("pattern", ["/*", "/api/v1/*", "/files/$name~'x'@y:z+&", "*"])
def test_path_patterns_aws_accepts(pattern: str) -> None:
    assert loads(services={"api": api(pathPatterns=[pattern])}).services["api"].path_patterns == [pattern]


def test_listener_priorities_are_unique_across_services() -> None:
    services = {"api": api(priority=10), "admin": api(pathPatterns=["/admin/*"], priority=10)}
    problem = one(services=services)
    assert problem.key == "app-platform:services.api.priority" and "also services.admin's (set)" in problem


def test_explicit_priority_may_not_take_another_services_default() -> None:
    # web services by name: admin -> 10, api -> 20 by default; api set to 10 collides with admin's default.
    services = {"admin": api(pathPatterns=["/admin/*"]), "api": api(priority=10)}
    problem = one(services=services)
    assert problem.key == "app-platform:services.api.priority" and "services.admin's (its default)" in problem


def test_default_priorities_and_workers() -> None:
    services = {"admin": api(pathPatterns=["/admin/*"]), "api": api(), "worker": {"image": {"context": "app"}}}
    config = loads(services=services)
    assert config.listener_priorities() == {"admin": 10, "api": 20}


@pytest.mark.parametrize("priority", [0, 50001, -1])
def test_priority_range(priority: int) -> None:
    assert one(services={"api": api(priority=priority)}).key == "app-platform:services.api.priority"


# -- time zones -----------------------------------------------------------------------------------------------
def schedule(timezone: str) -> dict[str, Any]:
    entry = {"name": "night", "schedule": "cron(0 22 * * ? *)", "minCount": 1, "maxCount": 2, "timezone": timezone}
    return api(autoscaling={"schedules": [entry]})


@pytest.mark.parametrize("zone", ["Europe/Dublin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"])
def test_iana_time_zones_load(zone: str) -> None:
    assert loads(services={"api": schedule(zone)}).services["api"].autoscaling.schedules[0].timezone == zone


@pytest.mark.parametrize(
    ("zone", "says"),
    [("Europe/Dublni", "did you mean 'Europe/Dublin'"), ("CEST", "not an IANA"), ("../etc/passwd", "not an IANA")],
)
def test_time_zones_that_do_not_exist(zone: str, says: str) -> None:
    problem = one(services={"api": schedule(zone)})
    assert problem.key == "app-platform:services.api.autoscaling.schedules[0].timezone" and says in problem


# -- build contexts -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("context", "says"), [("nope", "no such directory"), ("docs", "no Dockerfile"), ("app/Dockerfile", "no such")]
)
def test_build_context_must_be_a_directory_with_a_dockerfile(context: str, says: str) -> None:
    problem = one(services={"api": api(image={"context": context})})
    assert problem.key == "app-platform:services.api.image.context" and says in problem


# -- credentials in plain values ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variable", "value", "reason", "secret"),
    [
        ("DATABASE_URL", "postgres://app:hunter2@db.internal:5432/app", "URL with a password", "databaseUrl"),
        ("PAYMENTS", "sk_live_51HabcdefGHIJKLmnop", "live payment key", "payments"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "AWS access key id", "awsAccessKeyId"),
        ("SIGNING", "-----BEGIN PRIVATE KEY-----\nMIIE", "private key", "signing"),
        ("SESSION_SECRET", "c2VjcmV0LXNlc3Npb24ta2V5LTQy", "high-entropy", "sessionSecret"),
        ("API_TOKEN", "not-so-secret-value", "its name says it is a secret", "apiToken"),
        ("DB_PASS", "not-so-secret-value", "its name says it is a secret", "dbPass"),
        ("smtpPass", "Zx81!qPw-77Lm#rTy", "high-entropy", "smtpPass"),
    ],
)
def test_credentials_in_plain_environment_are_refused_with_the_fix(
    variable: str, value: str, reason: str, secret: str
) -> None:
    problem = one(services={"api": api(environment={"LOG_LEVEL": "info", variable: value})})
    assert problem.key == f"app-platform:services.api.environment.{variable}"
    assert reason in problem
    assert f"pulumi config set --secret --path 'app-platform:secrets.{secret}' <value>" in problem
    assert value not in problem  # never echoed


@pytest.mark.parametrize(
    "environment",
    [
        {"DATABASE_URL": "postgres://db.internal:5432/app?sslmode=require"},
        {"UPSTREAM": "https://api.example.com/v1", "FEATURE_FLAGS": "a,b,c", "DEBUG": "false"},
        {"DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"},
        {"TOKEN_URL": "https://auth.example.com/oauth2/token", "BUILD_SHA": "9f86d081884c7d659a2feaa0c55ad015"},
    ],
)
def test_ordinary_environment_values_load(environment: dict[str, str]) -> None:
    assert loads(services={"api": api(environment=environment)}).services["api"].environment == environment


def test_credentials_anywhere_else_in_plain_config_are_refused() -> None:
    problem = one(notifications={"criticalHttpsEndpoints": ["https://user:hunter2@events.example.com/x"]})
    assert problem.key == "app-platform:notifications.criticalHttpsEndpoints[0]"
    assert "URL with a password" in problem and "pulumi config set --secret --path" in problem
    assert "hunter2" not in problem


def test_a_secret_section_is_not_judged_as_plaintext() -> None:
    raw, secrets = stack_config(
        "staging", notifications={"criticalHttpsEndpoints": ["https://user:hunter2@events.example.com/x"]}
    )
    assert load_config(raw, secrets | {"app-platform:notifications"}).notifications.critical_https_endpoints


# -- clear blame --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["app-platform:owner", "app-platform:domain", "app-platform:costCenter"])
def test_missing_keys_say_missing(key: str) -> None:
    raw, secrets = stack_config("staging")
    del raw[key]
    with pytest.raises(ConfigError) as info:
        load_config(raw, secrets)
    (problem,) = info.value.problems
    assert problem.key == key and "missing" in problem and "<object>" not in problem


def test_missing_region_and_environment_say_missing() -> None:
    for key in ("aws:region", "app-platform:environment"):
        raw, secrets = stack_config("staging")
        del raw[key]
        with pytest.raises(ConfigError) as info:
            load_config(raw, secrets)
        assert info.value.problems[0].key == key and "missing" in info.value.problems[0]


def test_missing_service_field_names_it() -> None:
    problem = one(services={"api": {"containerPort": 8080}})
    assert problem.key == "app-platform:services.api.image" and "missing" in problem


def test_min_count_above_max_count_blames_min_count() -> None:
    problem = one(services={"api": api(minCount=5, maxCount=3, desiredCount=4)})
    assert problem.key == "app-platform:services.api.minCount"
    assert "minCount (5) exceeds maxCount (3)" in problem and "desiredCount" not in problem


def test_schedule_min_count_above_max_count_blames_that_schedule() -> None:
    entry = {"name": "night", "schedule": "cron(0 22 * * ? *)", "minCount": 4, "maxCount": 2}
    problem = one(services={"api": api(autoscaling={"schedules": [entry]})})
    assert problem.key == "app-platform:services.api.autoscaling.schedules[0].minCount"
    assert "minCount (4) exceeds maxCount (2)" in problem


def test_secret_names_in_lists_are_not_credentials() -> None:
    """`secrets` and `appSecrets` list names: entropy beside the word "secrets" proves nothing."""
    config = loads(
        appSecrets=["sessionSigningKey", "webhookSigningKey2"], services={"api": api(secrets=["webhookSigningKey2"])}
    )
    assert config.services["api"].secrets == ["webhookSigningKey2"]


@pytest.mark.parametrize("value", ["5", "[1, 2]", "true", "services"])
def test_sections_of_the_wrong_shape_name_the_section(value: str) -> None:
    for section in ("services", "network", "database"):
        problem = one(extra={f"app-platform:{section}": value})
        assert problem.key.startswith(f"app-platform:{section}"), problem


@pytest.mark.parametrize("value", ["[1]", '{"a": 1}', "Staging", "prod"])
def test_environment_of_any_shape_is_named(value: str) -> None:
    problem = one(extra={"app-platform:environment": value})
    assert problem.key == "app-platform:environment" and "'staging' or 'production'" in problem


# -- load balancer quotas --------------------------------------------------------------------------------------
def many(count: int, workers: int = 0, strategy: str | None = None) -> dict[str, Any]:
    """`count` web services on paths of their own (smoke-tested there), and `workers` workers, beside the stack
    file's own `api`."""
    release: dict[str, Any] = {"strategy": strategy} if strategy else {}
    web = {
        f"s{i:03d}": api(pathPatterns=[f"/s{i}/*"], release=release | {"smokeTest": {"paths": [f"/s{i}/health"]}})
        for i in range(count)
    }
    return web | {f"w{i:03d}": {"image": {"context": "app"}} for i in range(workers)}


def test_a_rolling_web_service_takes_one_target_group_and_rule_and_100_fit() -> None:
    assert len(loads(services=many(99, workers=7)).services) == 107
    problem = one(services=many(100))
    assert problem.key == "app-platform:services"
    assert "101 web services need 101 target groups and 101 listener rules" in problem
    assert "at most 100 target groups (not adjustable)" in problem and "100 rules by default" in problem


def test_a_blue_green_web_service_takes_two_and_50_fit() -> None:
    # Production web services default to blue/green (presets): an alternate group and a test-listener rule each.
    assert len(loads("production", services=many(49)).services) == 50
    problem = one("production", services=many(50))
    assert problem.key == "app-platform:services" and "51 web services need 102 target groups" in problem
    mixed = many(49) | {"zz": api(pathPatterns=["/zz/*"], release={"strategy": "rolling"})}
    assert "51 web services need 101 target groups" in one("production", services=mixed)
    rolled = many(60, strategy="rolling")
    assert len(loads("production", services=rolled).services) == 61
