"""SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per finding, located at the line that
declared the resource, fingerprinted by rule, resource and property path (`policy_identity`)."""

from __future__ import annotations

import json
from typing import Any

from offline.policy_identity import findings, fingerprints, property_path
from offline.policy_model import Level, Outcome, PolicyMeta, PolicyRun, Result
from offline.reports.common import fsbp, ordered_policies

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub ranks alerts by `security-severity` (0-10): >= 9 critical, >= 7 high, >= 4 medium, else low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "unspecified": "0.0"}


def _rule(meta: PolicyMeta) -> dict[str, Any]:
    return {
        "id": meta.name,
        "name": "".join(part.capitalize() for part in meta.name.split("-")),
        "shortDescription": {"text": meta.display_name or meta.name},
        "fullDescription": {"text": meta.description},
        "help": {
            "text": f"{meta.remediation}\nFSBP: {fsbp(meta)}",
            "markdown": f"**Remediation:** {meta.remediation}\n\n**FSBP:** {fsbp(meta)} · [reference]({meta.url})",
        },
        "helpUri": meta.url,
        "defaultConfiguration": {"level": "error" if meta.enforcement == "mandatory" else "warning"},
        "properties": {
            "tags": ["security", *meta.tags],
            "security-severity": SECURITY_SEVERITY.get(meta.severity, "0.0"),
            "precision": "high",
            "control": meta.control,
            "enforcementLevel": meta.enforcement,
            "framework": meta.framework,
        },
    }


def _location(result: Result, run: PolicyRun) -> dict[str, Any]:
    """The line of this repository that declared the resource; the stack file for stack-wide findings."""
    path, _, line = run.sources.get(result.urn, f"Pulumi.{run.stack}.yaml:1").rpartition(":")
    return {
        "physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": int(line)}},
        "logicalLocations": [{"name": result.name, "fullyQualifiedName": result.urn, "kind": "resource"}],
    }


def _result(result: Result, index: int, run: PolicyRun, fingerprint: str) -> dict[str, Any]:
    blocking = result.enforcement == Level.MANDATORY
    unknown = result.outcome == Outcome.UNKNOWN
    kind = "open" if unknown and not blocking else "fail"  # a mandatory unknown fails the offline gate
    level = ("error" if blocking else "warning") if kind == "fail" else "none"
    text = f"{result.name}: {result.message}"
    if unknown:
        text = f"{result.name}: not evaluated{', blocks the offline gate' if blocking else ''}: {result.message}"
    return {
        "ruleId": result.policy,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [_location(result, run)],
        "partialFingerprints": {"policyFinding/v1": fingerprint},
        "properties": {
            "resourceType": result.type,
            "enforcementLevel": result.enforcement,
            "propertyPath": property_path(result.message),
        },
    }


def render(run: PolicyRun) -> str:
    """Findings only (violations and unevaluated controls): passes and not-applicable results stay in the JSON
    and Markdown reports, so code scanning opens no alert for them."""
    metas = ordered_policies(run)
    index = {m.name: i for i, m in enumerate(metas)}
    found = [r for r in findings(run.results) if r.policy in index]
    prints = fingerprints(found)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": run.pack,
                        "version": run.version,
                        "informationUri": "https://www.pulumi.com/docs/iac/crossguard/",
                        "rules": [_rule(m) for m in metas],
                    }
                },
                "automationDetails": {"id": f"pulumi-policy/{run.stack}/"},
                "invocations": [{"executionSuccessful": True, "startTimeUtc": run.started}],
                "results": [_result(r, index[r.policy], run, prints[id(r)]) for r in found],
                "properties": {
                    "stack": run.stack,
                    "project": run.project,
                    "method": run.method,
                    "policyConfig": run.config_file,
                    "note": run.note,
                    **run.evidence,
                },
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
