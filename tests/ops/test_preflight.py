"""`ops preflight` against the moto stack: a switch back to rolling is refused while the service's production
traffic is on its alternate group, and passes once it is back on the group the stack declared first; a declared
major upgrade is refused until a fresh manual snapshot of the running major exists."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.project import ROOT
from ops import cli, preflight
from ops.aws import Clients
from tests.ops.conftest import STACK, WORKER, MotoStack

ALTERNATE = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app-staging-api-alt/0123456789abcdef"


def rolls(services: set[str]) -> preflight.Intent:
    return preflight.Intent(frozenset(services))


def serving(name: str, group: str) -> dict[str, list[dict[str, object]]]:
    """What describe_services reports for a service whose production traffic is on `group`."""
    return {"loadBalancers": [{"targetGroupArn": group, "containerName": name, "containerPort": 8080}]}


@pytest.fixture
def api_on_alternate(moto_stack: MotoStack, steady_ecs: Callable[..., None]) -> str:
    """Seam: after an odd number of blue/green releases ECS reports the alternate group (moto never swaps it)."""
    api = moto_stack.outputs["services"]["api"]
    steady_ecs(**{api["serviceName"]: serving("api", ALTERNATE)})
    return str(api["targetGroupArn"])


def test_rolling_services_on_their_declared_groups_pass(moto_stack: MotoStack) -> None:
    result = preflight.check(moto_stack.stack_outputs, moto_stack.clients, rolls({"api", "web", WORKER}))
    assert result.refusals == []
    assert result.notes == [f"{WORKER}: not deployed behind the load balancer yet: nothing to check"]


def test_a_switch_back_to_rolling_while_on_the_alternate_group_is_refused(
    moto_stack: MotoStack, api_on_alternate: str
) -> None:
    result = preflight.check(moto_stack.stack_outputs, moto_stack.clients, rolls({"api", "web"}))
    assert result.refusals == [preflight.Refusal("api", preflight.traffic_elsewhere(ALTERNATE, api_on_alternate))]
    message = result.refusals[0].message()
    assert "production traffic is on app-staging-api-alt, not on app-staging-api " in message
    assert "Release once more with the current strategy" in message and preflight.RUNBOOK in message
    assert (ROOT / preflight.RUNBOOK.split("#")[0]).is_file()


def test_a_service_staying_blue_green_may_run_on_either_group(moto_stack: MotoStack, api_on_alternate: str) -> None:
    assert preflight.check(moto_stack.stack_outputs, moto_stack.clients, rolls({"web"})).refusals == []


def test_a_service_that_lists_its_declared_group_first_passes_whatever_else_it_lists(
    moto_stack: MotoStack, steady_ecs: Callable[..., None]
) -> None:
    """One entry per target group: the declared one among them is where a rolling deployment goes (no refusal)."""
    api = moto_stack.outputs["services"]["api"]
    both = serving("api", api["targetGroupArn"])["loadBalancers"] + serving("api", ALTERNATE)["loadBalancers"]
    steady_ecs(**{api["serviceName"]: {"loadBalancers": both}})
    assert preflight.check(moto_stack.stack_outputs, moto_stack.clients, rolls({"api"})).refusals == []


@pytest.mark.parametrize(
    ("changes", "note"),
    [
        ({"services__api": None}, "api: not deployed behind the load balancer yet"),  # a new service
        ({"services__api__targetGroupArn": None}, "api: not deployed behind the load balancer yet"),
        ({"services__api__serviceName": "app-staging-gone"}, "api: service app-staging-gone not found"),
        ({"services": None}, "api: not deployed behind the load balancer yet"),
    ],
)
def test_what_cannot_be_judged_is_said_not_refused(
    moto_stack: MotoStack, changes: dict[str, object], note: str
) -> None:
    result = preflight.check(moto_stack.with_outputs(**changes), moto_stack.clients, rolls({"api"}))
    assert result.refusals == [] and len(result.notes) == 1 and result.notes[0].startswith(note)


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        (ALTERNATE, "app-staging-api-alt"),
        ("arn:aws-cn:elasticloadbalancing:cn-north-1:1:targetgroup/api-1a2b/ff", "api-1a2b"),
        (
            "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/",
            "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/",
        ),
        ("not-an-arn", "not-an-arn"),
    ],
)
def test_group_names_come_from_the_arn(arn: str, name: str) -> None:
    assert preflight.group_name(arn) == name


# -- the stack file ------------------------------------------------------------------------------------------------
def test_the_committed_stacks_say_which_services_roll() -> None:
    """Staging's api rolls (the staging preset); production's releases blue/green (its preset)."""
    assert preflight.read_intent("staging") == preflight.Intent(frozenset({"api"}))
    assert preflight.read_intent("production") == preflight.Intent(frozenset())


def stack_file(
    tmp_path: Path, base: str, release: dict[str, object] | None = None, database: dict[str, str] | None = None
) -> Path:
    """The committed stack file `base` with api's `release` and the `database` section replaced."""
    document = yaml.safe_load((ROOT / f"Pulumi.{base}.yaml").read_text())
    if release is not None:
        document["config"]["app-platform:services"]["api"]["release"] = release
    if database is not None:
        document["config"]["app-platform:database"] = database
    path = tmp_path / f"Pulumi.{base}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_production_switched_back_to_rolling_is_read_from_the_stack_file(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "production", {"strategy": "rolling"})
    assert preflight.read_intent("production", path).rolling == {"api"}


def test_an_invalid_stack_file_names_the_key_and_line(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "staging", {"strategy": "sideways"})
    with pytest.raises(preflight.StackFileInvalidError) as raised:
        preflight.read_intent("staging", path)
    lines = path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "sideways" in text)
    assert f"Pulumi.staging.yaml:{line}:" in str(raised.value)
    assert "app-platform:services.api.release.strategy" in str(raised.value)


# -- the command ---------------------------------------------------------------------------------------------------
def run(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str, outputs: Path | None = None
) -> tuple[int, str, str]:
    outputs = outputs or moto_stack.write(tmp_path / "outputs.json")
    code = cli.main(
        ["preflight", "--stack", STACK, "--outputs", str(outputs), *extra],
        clients_factory=lambda region: moto_stack.clients,
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_passes_a_rolling_service_on_its_declared_group(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(moto_stack, tmp_path, capsys)
    assert (code, err) == (cli.EXIT_OK, "")
    assert "staging: preflight passed (rolling services: api; database major upgrade: none)" in out


def test_the_command_refuses_with_exit_1(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str], api_on_alternate: str
) -> None:
    code, _, err = run(moto_stack, tmp_path, capsys)
    assert code == cli.EXIT_FAILED and err.startswith("REFUSED api: the stack file makes it rolling")


def test_before_the_first_deploy_there_is_nothing_to_check(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({}))  # what `pulumi stack output --json` prints for a stack never deployed
    code, out, _ = run(moto_stack, tmp_path, capsys, outputs=empty)
    assert code == cli.EXIT_OK and "nothing deployed yet" in out


def test_a_bad_stack_file_is_exit_2_before_any_aws_call(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    path = stack_file(folder, "staging", {"strategy": "sideways"})
    regions: list[str] = []

    def clients(region: str) -> Clients:
        regions.append(region)
        return moto_stack.clients

    outputs = moto_stack.write(tmp_path / "o.json")
    argv = ["preflight", "--stack", STACK, "--outputs", str(outputs), "--stack-file", str(path)]
    assert cli.main(argv, clients_factory=clients) == cli.EXIT_USAGE and regions == []
    assert "services.api.release.strategy" in capsys.readouterr().err


def test_a_stack_without_a_stack_file_is_exit_2(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = moto_stack.write(tmp_path / "o.json")
    code = cli.main(
        ["preflight", "--stack", "qa", "--outputs", str(outputs)], clients_factory=lambda r: moto_stack.clients
    )
    assert code == cli.EXIT_USAGE and "no stack file Pulumi.qa.yaml" in capsys.readouterr().err


def test_an_aws_error_is_exit_1_with_its_code(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    def denied(**kwargs: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeServices")

    monkeypatch.setattr(moto_stack.clients("ecs"), "describe_services", denied)
    code, _, err = run(moto_stack, tmp_path, capsys)
    assert code == cli.EXIT_FAILED and "AccessDeniedException: no" in err


# -- a major upgrade needs a snapshot to return to ---------------------------------------------------------------
UPGRADE = ("16", "17")  # the moto stack's database runs 16.4


def upgrading(upgrade: tuple[str, str] = UPGRADE) -> preflight.Intent:
    return preflight.Intent(frozenset(), upgrade)


@pytest.fixture
def manual_snapshot(moto_stack: MotoStack) -> Iterator[str]:
    """A manual snapshot of the stack's database, deleted again (the moto stack is shared by the session)."""
    rds = moto_stack.clients("rds")
    name = "app-staging-db-pre-upgrade-20261203120000"
    rds.create_db_snapshot(DBInstanceIdentifier="app-staging-db", DBSnapshotIdentifier=name)
    yield name
    rds.delete_db_snapshot(DBSnapshotIdentifier=name)


def test_an_upgrade_without_a_manual_snapshot_is_refused(moto_stack: MotoStack) -> None:
    """moto's automated snapshot of the instance does not count: automated ones go with the retention period."""
    (refusal,) = preflight.check(moto_stack.stack_outputs, moto_stack.clients, upgrading()).refusals
    assert refusal.subject == "database"
    assert "upgrades app-staging-db from 16.4 to 17, and no available manual snapshot of it on 16 is under 24 h" in (
        refusal.message()
    )
    assert "`python3.11 dev.py ops db-snapshot --stack staging --reason pre-upgrade`" in refusal.message()
    assert (ROOT / preflight.UPGRADE_RUNBOOK).is_file()


def test_a_fresh_manual_snapshot_lets_the_upgrade_go(moto_stack: MotoStack, manual_snapshot: str) -> None:
    result = preflight.check(moto_stack.stack_outputs, moto_stack.clients, upgrading())
    assert result.refusals == [] and result.notes == [f"database: the upgrade can return to {manual_snapshot}"]


def test_a_snapshot_older_than_the_limit_is_refused(moto_stack: MotoStack, manual_snapshot: str) -> None:
    later = datetime.now(UTC) + preflight.SNAPSHOT_MAX_AGE + timedelta(minutes=5)
    assert preflight.check(moto_stack.stack_outputs, moto_stack.clients, upgrading(), now=later).refusals != []
    just_in = datetime.now(UTC) + preflight.SNAPSHOT_MAX_AGE - timedelta(minutes=5)
    assert preflight.check(moto_stack.stack_outputs, moto_stack.clients, upgrading(), now=just_in).refusals == []


@pytest.mark.parametrize(
    ("upgrade", "refused", "said"),
    [
        (("15", "16"), False, "database: app-staging-db already runs 16.4: nothing to check"),  # the upgrade is done
        (("14", "15"), True, "majorUpgradeFrom is 14, but app-staging-db runs 16.4: correct the stack file"),
    ],
)
def test_the_running_major_decides_whether_there_is_anything_to_check(
    moto_stack: MotoStack, upgrade: tuple[str, str], refused: bool, said: str
) -> None:
    result = preflight.check(moto_stack.stack_outputs, moto_stack.clients, upgrading(upgrade))
    texts = [r.message() for r in result.refusals] if refused else result.notes
    assert texts == [said if not refused else f"database: {said}"]


def test_no_database_output_means_nothing_to_check(moto_stack: MotoStack) -> None:
    result = preflight.check(moto_stack.with_outputs(database=None), moto_stack.clients, upgrading())
    assert result.refusals == [] and result.notes == ["database: not deployed yet: nothing to check"]


class FakeRds:
    """The two calls the check makes, with snapshots split over pages as RDS pages them."""

    def __init__(self, running: str, pages: list[list[dict[str, Any]]]) -> None:
        self.running, self.pages = running, pages

    def describe_db_instances(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "DBInstances": [{"DBInstanceIdentifier": kwargs["DBInstanceIdentifier"], "EngineVersion": self.running}]
        }

    def get_paginator(self, operation: str) -> Any:
        assert operation == "describe_db_snapshots"
        pages = self.pages

        class Paginator:
            def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                assert kwargs["SnapshotType"] == "manual"
                return iter({"DBSnapshots": page} for page in pages)

        return Paginator()


NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def snapshot(name: str, *, status: str = "available", version: str = "16.4", hours: float = 1) -> dict[str, Any]:
    return {
        "DBSnapshotIdentifier": name,
        "Status": status,
        "EngineVersion": version,
        "SnapshotCreateTime": NOW - timedelta(hours=hours),
    }


@pytest.mark.parametrize(
    ("pages", "usable"),
    [
        ([[snapshot("a", status="creating")]], None),  # not complete: nothing to restore yet
        ([[snapshot("a", version="15.8")]], None),  # an older major's snapshot cannot restore this database
        ([[snapshot("a", hours=30)]], None),
        ([[snapshot("a", hours=30)], [snapshot("b", hours=2)]], "b"),  # found on a later page
        ([[snapshot("a", hours=3), snapshot("b", hours=1)]], "b"),  # the newest is named
        ([[]], None),
    ],
)
def test_which_snapshots_count(moto_stack: MotoStack, pages: list[list[dict[str, Any]]], usable: str | None) -> None:
    result = preflight.Result([], [])
    preflight.snapshot_before_upgrade(moto_stack.stack_outputs, FakeRds("16.4", pages), UPGRADE, NOW, result)
    if usable is None:
        assert [r.subject for r in result.refusals] == ["database"] and result.notes == []
    else:
        assert result.refusals == [] and result.notes == [f"database: the upgrade can return to {usable}"]


DECLARED_UPGRADE = {"engineVersion": "17", "majorUpgradeFrom": "16"}


def test_the_stack_file_declares_the_upgrade(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "staging", database=DECLARED_UPGRADE)
    assert preflight.read_intent("staging", path) == preflight.Intent(frozenset({"api"}), ("16", "17"))


def test_the_command_refuses_an_upgrade_without_a_snapshot(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(tmp_path, "staging", database=DECLARED_UPGRADE)
    code, _, err = run(moto_stack, tmp_path, capsys, "--stack-file", str(path))
    assert code == cli.EXIT_FAILED and err.startswith("REFUSED database: the stack file upgrades app-staging-db")


# -- a release applies the stack file too ------------------------------------------------------------------------
class NoApply:
    """Fails the test if a refused release reaches `pulumi up`."""

    def __call__(self, stack: str, targets: object) -> None:
        raise AssertionError(f"pulumi up ran for {stack}")


def release(moto_stack: MotoStack, tmp_path: Path, *argv: str) -> int:
    outputs = moto_stack.write(tmp_path / "outputs.json")
    return cli.main(
        [*argv, "--outputs", str(outputs), "--poll-seconds", "0"],
        clients_factory=lambda region: moto_stack.clients,
        apply=NoApply(),
    )


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_release_of_a_service_the_stack_file_makes_rolling_while_on_alternate_is_refused(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str], api_on_alternate: str, dry_run: list[str]
) -> None:
    """`ops release` (and a CI-owned rollback) runs `pulumi up --target` with this checkout's stack file, in which
    staging's api rolls: the same refusal as the deploy's, before the pointer or Pulumi is touched."""
    code = release(moto_stack, tmp_path, "release", "api", "--image", "repo@sha256:" + "0" * 64, *dry_run)
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILED and err.startswith("REFUSED api: the stack file makes it rolling")


def test_a_release_of_another_service_is_not_held_by_this_one(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str], api_on_alternate: str
) -> None:
    """web is not rolling in the staging stack file (it is not in it): the guard lets it through to the release,
    which then refuses it for its own reason (web is not CI-owned in these outputs)."""
    code = release(moto_stack, tmp_path, "release", "web", "--image", "repo@sha256:" + "0" * 64)
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILED and err.startswith("error: web is not CI-owned")


def test_a_release_with_a_bad_stack_file_is_exit_2_before_pulumi(
    moto_stack: MotoStack, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def invalid(stack: str, stack_file: Path | None = None) -> preflight.Intent:
        raise preflight.StackFileInvalidError("Pulumi.staging.yaml:14:9: app-platform:services.api.release.strategy")

    monkeypatch.setattr(preflight, "read_intent", invalid)
    code = release(moto_stack, tmp_path, "release", "api", "--image", "repo@sha256:" + "0" * 64)
    assert code == cli.EXIT_USAGE
    assert capsys.readouterr().err == "error: Pulumi.staging.yaml:14:9: app-platform:services.api.release.strategy\n"
