"""Leaving blue/green, canary or linear for rolling is a traffic risk the plan shows no replacement for: the diff
and the pull-request comment name it, with the check to run (docs/runbooks/deploy.md)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offline.diff import SERVICE_TYPE, STRATEGY_RUNBOOK, diff_plans, to_json, to_markdown
from offline.plan import Plan
from offline.pr_comment import StackInput, build, is_risky
from offline.project import ROOT
from offline.render import render
from tests.helpers import stack_config


def with_strategy(plan: Plan, configuration: Any) -> Plan:
    """`plan` with the api service's deploymentConfiguration replaced (None: removed, as a rolling service)."""
    changed = copy.deepcopy(plan)
    service = changed.one(SERVICE_TYPE, "api")
    if configuration is None:
        service.inputs.pop("deploymentConfiguration", None)
    else:
        service.inputs["deploymentConfiguration"] = configuration
    return changed


def test_production_api_going_back_to_rolling_is_flagged(production_plan: Plan) -> None:
    raw, secrets = stack_config("production")
    services = json.loads(raw["app-platform:services"])
    services["api"]["release"] = {"strategy": "rolling"}
    raw["app-platform:services"] = json.dumps(services)
    diff = diff_plans(production_plan, render("production", overrides=raw, secret_keys=secrets))
    assert [c.name for c in diff.back_to_rolling] == ["api"]
    markdown = to_markdown(diff)
    assert "> **Services leave blue/green, canary or linear for rolling.**" in markdown
    assert f"> - **BACK TO ROLLING** `{SERVICE_TYPE}` `api`" in markdown
    assert to_json(diff)["backToRolling"] == [diff.back_to_rolling[0].urn]
    item = StackInput("production", diff)
    assert is_risky(item)
    comment = build([item])
    assert "BACK TO ROLLING `api`" in comment.split("### `production`", 1)[0]  # the headline, before the stack
    assert (ROOT / STRATEGY_RUNBOOK.split("#")[0]).is_file()
    assert "### Changing the strategy of a deployed service" in (ROOT / "docs/runbooks/deploy.md").read_text()


@pytest.mark.parametrize(
    ("before", "after", "flagged"),
    [
        ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}, {"strategy": "ROLLING"}, True),
        ({"strategy": "CANARY"}, None, True),  # the block removed: ECS's default is ROLLING
        ({"strategy": "LINEAR"}, {"bakeTimeInMinutes": "0"}, True),  # no strategy: ROLLING
        ({"strategy": "blue_green"}, {"strategy": "rolling"}, True),  # another spelling
        ({"strategy": "BLUE_GREEN"}, {"strategy": "CANARY"}, False),  # still two groups
        ({"strategy": "ROLLING"}, {"strategy": "BLUE_GREEN"}, False),  # the other way: release.adopt's job
        (None, {"strategy": "ROLLING"}, False),
    ],
)
def test_every_shape_of_leaving_an_alternating_strategy(
    production_plan: Plan, before: Any, after: Any, flagged: bool
) -> None:
    diff = diff_plans(with_strategy(production_plan, before), with_strategy(production_plan, after))
    assert [c.name for c in diff.back_to_rolling] == (["api"] if flagged else [])
    assert ("BACK TO ROLLING" in to_markdown(diff)) is flagged


def test_an_unchanged_blue_green_service_is_not_flagged(production_plan: Plan) -> None:
    assert diff_plans(production_plan, copy.deepcopy(production_plan)).back_to_rolling == []
