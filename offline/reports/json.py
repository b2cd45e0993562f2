"""The whole run as JSON: pack, stack, time, every policy's metadata and every result."""

from __future__ import annotations

import json
from dataclasses import asdict

from offline.policy_model import PolicyRun
from offline.reports.common import summarize


def render(run: PolicyRun) -> str:
    data = run.to_dict()
    data["summary"] = asdict(summarize(run))
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
