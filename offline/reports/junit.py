"""JUnit XML: a test suite per policy, a test case per resource it judged. Violations are failures (their type
says mandatory or advisory), not-applicable and not-evaluated results are skipped with the reason."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from offline.policy_model import Level, Outcome, PolicyRun, Result
from offline.reports.common import fsbp, ordered_policies, sorted_results


def _failed(result: Result) -> bool:
    return result.outcome == Outcome.VIOLATION or (
        result.outcome == Outcome.UNKNOWN and result.enforcement == Level.MANDATORY
    )


def render(run: PolicyRun) -> str:
    grouped = run.by_policy()
    root = ET.Element(
        "testsuites",
        name=f"{run.pack} {run.version} on {run.stack}",
        tests=str(len(run.results)),
        failures=str(run.count(Outcome.VIOLATION) + len(run.mandatory_unknowns)),
        skipped=str(run.count(Outcome.NOT_APPLICABLE) + run.count(Outcome.UNKNOWN) - len(run.mandatory_unknowns)),
        timestamp=run.started,
    )
    for meta in ordered_policies(run):
        results = grouped.get(meta.name, [])
        if not results:
            continue
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{meta.control} {meta.name}",
            tests=str(len(results)),
            failures=str(sum(1 for r in results if _failed(r))),
            skipped=str(sum(1 for r in results if r.outcome in ("not-applicable", "unknown") and not _failed(r))),
            errors="0",
            timestamp=run.started,
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("pack", f"{run.pack} {run.version}"),
            ("stack", run.stack),
            ("control", meta.control),
            ("fsbp", fsbp(meta)),
            ("severity", meta.severity),
            ("enforcementLevel", meta.enforcement),
            ("tags", " ".join(meta.tags)),
            ("remediation", meta.remediation),
            ("url", meta.url),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        for result in sorted_results(results):
            case = ET.SubElement(suite, "testcase", classname=meta.name, name=f"{result.type} {result.name}")
            if result.outcome == "violation":
                failure = ET.SubElement(case, "failure", message=result.message, type=result.enforcement)
                failure.text = f"{result.urn}\n{result.message}\nRemediation: {meta.remediation}"
            elif result.outcome == "not-applicable":
                ET.SubElement(case, "skipped", message=f"not applicable: {result.message}")
            elif result.outcome == Outcome.UNKNOWN and result.enforcement == Level.MANDATORY:
                failure = ET.SubElement(case, "failure", message=result.message, type="mandatory-unknown")
                failure.text = f"{result.urn}\n{result.message}\nAccept it by name (acceptUnknown) or make it known."
            elif result.outcome == Outcome.UNKNOWN:
                ET.SubElement(case, "skipped", message=f"not evaluated during preview: {result.message}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
