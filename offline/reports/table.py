"""Terminal summary: one line per policy that judged something, then every violation."""

from __future__ import annotations

from offline.policy_model import Outcome, PolicyRun
from offline.reports.common import ordered_policies, summarize, verdict


def render(run: PolicyRun) -> str:
    summary = summarize(run)
    grouped = run.by_policy()
    lines = [
        f"Policy pack {run.pack} {run.version} on stack {run.stack} ({run.started}), config {run.config_file}",
        f"{verdict(run)}; {summary.passes} passed, {summary.not_applicable} not applicable, "
        f"{summary.unknown} not evaluated, {summary.policies_judging} of {len(run.policies)} policies judged "
        f"{run.resource_count} resources",
        "Evidence: " + ", ".join(f"{key} {value}" for key, value in run.evidence.items()),
        "",
        f"{'control':<8} {'policy':<48} {'severity':<9} {'level':<10} {'pass':>5} {'fail':>5} {'n/a':>5}",
    ]
    for meta in ordered_policies(run):
        results = grouped.get(meta.name, [])
        if not results:
            continue
        fails = sum(1 for r in results if r.outcome == "violation")
        lines.append(
            f"{meta.control:<8} {meta.name:<48} {meta.severity:<9} {meta.enforcement:<10} "
            f"{sum(1 for r in results if r.outcome == 'pass'):>5} {fails:>5} "
            f"{sum(1 for r in results if r.outcome == 'not-applicable'):>5}"
        )
    violations = [r for r in run.results if r.outcome == Outcome.VIOLATION] + run.mandatory_unknowns
    if violations:
        lines += ["", "Violations:"]
        for result in sorted(violations, key=lambda r: (r.enforcement != "mandatory", r.policy, r.name)):
            message = result.message.replace("\n", " ")
            tag = result.enforcement if result.outcome == Outcome.VIOLATION else "mandatory, not evaluated"
            lines.append(f"  [{tag}] {result.policy}: {result.type} {result.name}: {message}")
    return "\n".join(lines) + "\n"
