"""The whole run as JSON: pack, stack, time, every policy's metadata and every result."""

from __future__ import annotations

import json
from dataclasses import asdict

from offline.policy_identity import property_path
from offline.policy_model import PolicyRun
from offline.reports.common import summarize


def render(run: PolicyRun) -> str:
    """Each result also carries its control id, severity, declaring line and the property path of its identity."""
    data = run.to_dict()
    data["summary"] = asdict(summarize(run))
    metas = {m.name: m for m in run.policies}
    for result, raw in zip(run.results, data["results"], strict=True):
        meta = metas.get(result.policy)
        raw["control"], raw["severity"] = (meta.control, meta.severity) if meta else ("", "unspecified")
        raw["source"] = run.sources.get(result.urn, "")
        raw["propertyPath"] = property_path(result.message)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
