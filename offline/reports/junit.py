"""JUnit XML: a test suite per policy, a test case per resource it judged.

Only what blocks the gate is a failure: mandatory violations, and mandatory controls left unevaluated (type
`mandatory-unknown`). Advisory findings are not failures, so a passing run reads `failures="0"`: each is kept on
its test case as properties (`advisory-finding`) and in `system-out`. Not-applicable and accepted or advisory
unknowns are skipped with the reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from offline.policy_model import Level, Outcome, PolicyMeta, PolicyRun, Result
from offline.reports.common import fsbp, ordered_policies, sorted_results


def failed(result: Result) -> bool:
    return result.enforcement == Level.MANDATORY and result.outcome in (Outcome.VIOLATION, Outcome.UNKNOWN)


def skipped(result: Result) -> bool:
    return result.outcome in (Outcome.NOT_APPLICABLE, Outcome.UNKNOWN) and not failed(result)


def render(run: PolicyRun) -> str:
    grouped = run.by_policy()
    root = ET.Element(
        "testsuites",
        name=f"{run.pack} {run.version} on {run.stack}",
        tests=str(len(run.results)),
        failures=str(sum(1 for r in run.results if failed(r))),
        skipped=str(sum(1 for r in run.results if skipped(r))),
        timestamp=run.started,
    )
    for meta in ordered_policies(run):
        if grouped.get(meta.name):
            _suite(root, run, meta, grouped[meta.name])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(root: ET.Element, run: PolicyRun, meta: PolicyMeta, results: list[Result]) -> None:
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"{meta.control} {meta.name}",
        tests=str(len(results)),
        failures=str(sum(1 for r in results if failed(r))),
        skipped=str(sum(1 for r in results if skipped(r))),
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
        *run.evidence.items(),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for result in sorted_results(results):
        _case(suite, meta, result)


def _case(suite: ET.Element, meta: PolicyMeta, result: Result) -> None:
    case = ET.SubElement(suite, "testcase", classname=meta.name, name=f"{result.type} {result.name}")
    if failed(result) and result.outcome == Outcome.VIOLATION:
        failure = ET.SubElement(case, "failure", message=result.message, type=result.enforcement)
        failure.text = f"{result.urn}\n{result.message}\nRemediation: {meta.remediation}"
    elif failed(result):
        failure = ET.SubElement(case, "failure", message=result.message, type="mandatory-unknown")
        failure.text = f"{result.urn}\n{result.message}\nAccept it by name (acceptUnknown) or make it known."
    elif result.outcome == Outcome.VIOLATION:
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="advisory-finding", value=result.message)
        ET.SubElement(case, "system-out").text = f"advisory: {result.urn}\n{result.message}"
    elif result.outcome == Outcome.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", message=f"not applicable: {result.message}")
    elif result.outcome == Outcome.UNKNOWN:
        ET.SubElement(case, "skipped", message=f"not evaluated: {result.message}")
