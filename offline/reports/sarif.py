"""SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per policy and resource."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from offline.policy_model import Level, Outcome, PolicyMeta, PolicyRun, Result
from offline.reports.common import fsbp, ordered_policies

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub ranks alerts by `security-severity` (0-10): >= 9 critical, >= 7 high, >= 4 medium, else low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "unspecified": "0.0"}
KIND = {"violation": "fail", "pass": "pass", "not-applicable": "notApplicable", "unknown": "open"}


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


def _result(result: Result, index: int, stack_file: str) -> dict[str, Any]:
    kind = KIND[result.outcome]
    if result.outcome == Outcome.UNKNOWN and result.enforcement == Level.MANDATORY:
        kind = "fail"  # it fails the offline gate
    level = ("error" if result.enforcement == "mandatory" else "warning") if kind == "fail" else "none"
    text = {
        "pass": f"{result.name}: passes {result.policy}.",
        "notApplicable": f"{result.name}: not applicable: {result.message}",
        "open": f"{result.name}: not evaluated during preview: {result.message}",
    }.get(kind, f"{result.name}: {result.message}")
    if result.outcome == Outcome.UNKNOWN and kind == "fail":
        text = f"{result.name}: not evaluated, blocks the offline gate: {result.message}"
    fingerprint = hashlib.sha256(f"{result.policy}\0{result.urn}".encode()).hexdigest()
    return {
        "ruleId": result.policy,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": stack_file}, "region": {"startLine": 1}},
                "logicalLocations": [
                    {"name": result.name, "fullyQualifiedName": result.urn, "kind": "resource"},
                ],
            }
        ],
        "partialFingerprints": {"policyResource/v1": fingerprint},
        "properties": {"resourceType": result.type, "enforcementLevel": result.enforcement},
    }


def render(run: PolicyRun) -> str:
    metas = ordered_policies(run)
    index = {m.name: i for i, m in enumerate(metas)}
    stack_file = f"Pulumi.{run.stack}.yaml"
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
                "results": [_result(r, index[r.policy], stack_file) for r in run.results if r.policy in index],
                "properties": {
                    "stack": run.stack,
                    "project": run.project,
                    "method": run.method,
                    "policyConfig": run.config_file,
                    "note": run.note,
                },
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
