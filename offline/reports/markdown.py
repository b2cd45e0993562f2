"""Markdown for a pull-request comment and for audit evidence: the verdict first, then every control."""

from __future__ import annotations

import json

from offline.policy_model import Level, Outcome, PolicyMeta, PolicyRun, Result
from offline.reports.common import OUTCOME_TEXT, OUTCOMES, fsbp, ordered_policies, sorted_results, summarize, verdict


def cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", "<br>") or " "


def _anchors(meta: PolicyMeta) -> str:
    parts = [f"FSBP {fsbp(meta)}"]
    for prefix, name in (("securityhub", "Security Hub"), ("cdk-nag", "cdk-nag"), ("checkov", "Checkov")):
        ids = meta.anchors(prefix)
        if prefix == "securityhub":
            ids = [i for i in ids if i not in meta.framework.get("reference", "")]
        if ids:
            parts.append(f"{name} {', '.join(ids)}")
    if meta.anchors("awsguard"):
        parts.append(f"awsguard {', '.join(meta.anchors('awsguard'))}")
    return " · ".join(parts)


def _violation_table(results: list[Result], run: PolicyRun) -> list[str]:
    lines = ["| Control | FSBP | Severity | Policy | Resource | Finding |", "|---|---|---|---|---|---|"]
    for result in results:
        meta = run.policy(result.policy)
        lines.append(
            f"| {meta.control} | {cell(fsbp(meta))} | {meta.severity} | `{result.policy}` | "
            f"`{cell(result.name)}` ({cell(result.type)}) | {cell(result.message)} |"
        )
    return lines


def render(run: PolicyRun) -> str:
    grouped = run.by_policy()
    idle = [m for m in ordered_policies(run) if not grouped.get(m.name)]
    lines = [*_header(run), *_violations(run), "## Results per control", ""]
    for meta in ordered_policies(run):
        if grouped.get(meta.name):
            lines += _control(meta, grouped[meta.name])
    return "\n".join([*lines, *_idle(idle), *_how_to_read(run)])


def _header(run: PolicyRun) -> list[str]:
    summary = summarize(run)
    lines = [
        f"# Policy report: `{run.stack}`",
        "",
        f"**{verdict(run)}**",
        "",
        f"- Pack: `{run.pack}` version {run.version}",
        f"- Stack: `{run.stack}` (project `{run.project}`), {run.resource_count} resources",
        f"- Evaluated: {run.started} by {run.method}",
        f"- Policy config: `{run.config_file}`",
        *[f"- {key}: `{value}`" for key, value in run.evidence.items()],
        "",
        "## Summary",
        "",
        "| Outcome | Mandatory | Advisory | Total |",
        "|---|---:|---:|---:|",
    ]
    for outcome in OUTCOMES:
        m = run.count(outcome, Level.MANDATORY)
        total = run.count(outcome)
        lines.append(f"| {OUTCOME_TEXT[outcome]} | {m} | {total - m} | {total} |")
    return [
        *lines,
        "",
        f"{summary.policies_judging} of {len(run.policies)} policies had resources to judge in this stack.",
        "",
    ]


def _violations(run: PolicyRun) -> list[str]:
    violations = [r for r in run.results if r.outcome == Outcome.VIOLATION]
    mandatory = [r for r in violations if r.enforcement == Level.MANDATORY]
    advisory = [r for r in violations if r.enforcement != Level.MANDATORY]
    lines: list[str] = []
    if run.mandatory_unknowns:
        lines += [
            "## Mandatory controls not evaluated (unknown inputs block the offline gate)",
            "",
            "The offline engine's mocks return realistic values, so an input still unknown hides what the control "
            "judges. Accept a named one with `acceptUnknown` in the policy config (`<resource name>:<input>`).",
            "",
            *_violation_table(run.mandatory_unknowns, run),
            "",
        ]
    if mandatory:
        lines += ["## Mandatory violations (block the deployment)", "", *_violation_table(mandatory, run), ""]
    if advisory:
        lines += ["## Advisory violations", "", *_violation_table(advisory, run), ""]
    return lines


def _control(meta: PolicyMeta, results: list[Result]) -> list[str]:
    counts = {o: sum(1 for r in results if r.outcome == o) for o in OUTCOME_TEXT}
    tally = ", ".join(f"{n} {OUTCOME_TEXT[o].lower()}" for o, n in counts.items() if n)
    lines = [
        f"### {meta.control} `{meta.name}`",
        "",
        f"{meta.description}",
        "",
        f"- Severity {meta.severity}, {meta.enforcement}; {_anchors(meta)}",
        f"- Result: {tally}",
        f"- Remediation: {meta.remediation}",
        f"- Reference: {meta.url}",
    ]
    shown = {k: v for k, v in meta.config.items() if v or k != "acceptUnknown"}  # no empty acceptance lists
    if shown:
        settings = ", ".join(f"`{k}` = `{v}`" for k, v in sorted(shown.items()))
        lines.append(f"- Settings: {settings}")
    lines += ["", "| Resource | Type | Outcome | Detail |", "|---|---|---|---|"]
    for result in sorted_results(results):
        detail = result.message or _observed(result)
        outcome = OUTCOME_TEXT[result.outcome]
        lines.append(f"| `{cell(result.name)}` | {cell(result.type)} | {outcome} | {cell(detail)} |")
    return [*lines, ""]


def _observed(result: Result) -> str:
    """A pass's evidence: `storageEncrypted: true` (JSON spelling, as in the plan)."""
    return ", ".join(f"`{path}: {json.dumps(value, sort_keys=True)}`" for path, value in result.observed.items())


def _idle(idle: list[PolicyMeta]) -> list[str]:
    if not idle:
        return []
    lines = [
        "## Policies with nothing to judge in this stack",
        "",
        "No resource of the types these policies judge is declared in this stack.",
        "",
        "| Control | Policy | FSBP | Severity | Level | Judges |",
        "|---|---|---|---|---|---|",
    ]
    for meta in idle:
        lines.append(
            f"| {meta.control} | `{meta.name}` | {cell(fsbp(meta))} | {meta.severity} | {meta.enforcement} | "
            f"{cell(', '.join(meta.types))} |"
        )
    return [*lines, ""]


def _how_to_read(run: PolicyRun) -> list[str]:
    return [
        "## How to read this report",
        "",
        f"- {run.note}",
        "- Not applicable: the policy judged the resource and recorded why the control does not apply to it "
        "(for example the AWS limitation that makes it impossible), instead of passing it silently.",
        "- Not evaluated: a value the policy needs is unknown. `pulumi preview` reports it as advisory and `pulumi up` "
        "judges it again; offline there is no `up`, so on a mandatory control it fails the gate unless the policy "
        "config accepts that input (`acceptUnknown`).",
        "- Mandatory violations fail `pulumi preview --policy-pack` and the offline command; advisory ones are "
        "reported only.",
        "",
    ]
