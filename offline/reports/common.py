"""What several report formats share: summary numbers and wording."""

from __future__ import annotations

from dataclasses import dataclass

from offline.policy_model import Level, Outcome, PolicyMeta, PolicyRun, Result

OUTCOMES = (Outcome.VIOLATION, Outcome.PASS, Outcome.NOT_APPLICABLE, Outcome.UNKNOWN)
OUTCOME_TEXT = {
    Outcome.VIOLATION: "Violation",
    Outcome.PASS: "Pass",
    Outcome.NOT_APPLICABLE: "Not applicable",
    Outcome.UNKNOWN: "Not evaluated (unknown during preview)",
}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "unspecified": 4}


@dataclass(frozen=True)
class Summary:
    mandatory_violations: int
    advisory_violations: int
    passes: int
    not_applicable: int
    unknown: int
    policies_judging: int
    mandatory_unknown: int = 0

    @property
    def passed(self) -> bool:
        return self.mandatory_violations == 0 and self.mandatory_unknown == 0


def summarize(run: PolicyRun) -> Summary:
    judging = {r.policy for r in run.results}
    return Summary(
        mandatory_violations=run.count(Outcome.VIOLATION, Level.MANDATORY),
        advisory_violations=run.count(Outcome.VIOLATION, Level.ADVISORY),
        passes=run.count(Outcome.PASS),
        not_applicable=run.count(Outcome.NOT_APPLICABLE),
        unknown=run.count(Outcome.UNKNOWN),
        policies_judging=len(judging),
        mandatory_unknown=len(run.mandatory_unknowns),
    )


def verdict(run: PolicyRun) -> str:
    summary = summarize(run)
    if summary.passed:
        return f"PASSED: no mandatory violations ({summary.advisory_violations} advisory)"
    unknown = (
        f", {summary.mandatory_unknown} mandatory control(s) not evaluated (unknown input)"
        if summary.mandatory_unknown
        else ""
    )
    return (
        f"FAILED: {summary.mandatory_violations} mandatory violation(s){unknown}, "
        f"{summary.advisory_violations} advisory"
    )


def fsbp(meta: PolicyMeta) -> str:
    """ "EC2.6" / "EC2.55 (unverified)" / "KMS.4 (Security Hub, not FSBP)" / "—"."""
    reference = meta.framework.get("reference", "")
    if not reference:
        return "—"
    status = next((t.split(":", 1)[1] for t in meta.tags if t.startswith("fsbp-status:")), "listed")
    if status == "unverified":
        return f"{reference} (unverified)"
    if status == "not-fsbp":
        return f"{reference} (Security Hub, not FSBP)"
    return reference


def ordered_policies(run: PolicyRun) -> list[PolicyMeta]:
    return sorted(run.policies, key=lambda p: (p.control or "~", p.name))


def sorted_results(results: list[Result]) -> list[Result]:
    order = {o: i for i, o in enumerate(OUTCOMES)}
    return sorted(results, key=lambda r: (order.get(r.outcome, 9), r.type, r.name, r.message))
