"""The run model of a policy run: what the runner produces and every report writer reads.

Plain data only, so the runner (`policy_runner`, `policy_direct`) and the writers (`offline/reports/`) both import
it and neither imports the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

PASS_RULE = (
    "The Analyzer protocol reports violations and not-applicable results only. A pass is recorded when a policy "
    "judges the resource's type (its resource:<type> tag) and reported neither for that resource."
)


class Outcome(StrEnum):
    PASS = "pass"
    VIOLATION = "violation"
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"  # a value the policy needs is unknown (pulumi-policy: "can't run during preview")


class Level(StrEnum):
    """Enforcement levels, in the Analyzer protocol's order (`LEVELS.index` is the wire value)."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"
    DISABLED = "disabled"
    REMEDIATE = "remediate"


class PolicyKind(StrEnum):
    RESOURCE = "resource"
    STACK = "stack"


LEVELS: tuple[Level, ...] = tuple(Level)
SEVERITIES = ("unspecified", "low", "medium", "high", "critical")  # the protocol's order


class Answer(NamedTuple):
    """One thing the pack said: a violation, a not-applicable or an unknown, for one policy (and resource)."""

    policy: str
    outcome: Outcome
    level: Level
    message: str
    urn: str = ""  # for stack policies: the resource named, or "" for the stack as a whole


@dataclass
class Answers:
    """What the pack said, per resource and for the stack, before passes are derived."""

    resource: dict[str, list[Answer]] = field(default_factory=dict)  # urn -> answers
    stack: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    display_name: str
    description: str
    kind: PolicyKind
    severity: str
    enforcement: Level  # as configured for this run
    framework: dict[str, str]
    tags: tuple[str, ...]
    remediation: str
    url: str
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t.removeprefix("resource:") for t in self.tags if t.startswith("resource:"))

    @property
    def inputs(self) -> tuple[str, ...]:
        """The input paths the rule declares it judges (`input:<path>` tags; policies/rules/declare.py)."""
        return tuple(t.removeprefix("input:") for t in self.tags if t.startswith("input:"))

    @property
    def control(self) -> str:
        return next((t.removeprefix("control:") for t in self.tags if t.startswith("control:")), "")

    def anchors(self, prefix: str) -> list[str]:
        return [t.split(":", 1)[1] for t in self.tags if t.startswith(prefix + ":")]


@dataclass(frozen=True)
class Result:
    policy: str
    urn: str
    type: str
    name: str
    outcome: Outcome
    enforcement: Level
    message: str = ""
    # For a pass: the plan's value at each input path the rule declares (secrets masked, None when unset), since
    # the protocol reports nothing for passes. Evidence only: not part of a result's identity.
    observed: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def key(self) -> tuple[str, str, str, str, str]:
        """Identity for comparing two runs; the wording of "can't run during preview" differs by path."""
        return (
            self.policy,
            self.urn,
            self.outcome,
            self.enforcement,
            "" if self.outcome == Outcome.UNKNOWN else self.message,
        )


@dataclass
class PolicyRun:
    pack: str
    version: str
    stack: str
    project: str
    started: str
    method: str
    config_file: str
    policies: list[PolicyMeta]
    results: list[Result]
    resource_count: int = 0
    note: str = PASS_RULE
    sources: dict[str, str] = field(default_factory=dict)  # urn -> "components/x.py:42", the declaring line
    evidence: dict[str, str] = field(default_factory=dict)  # commit, plan digest, tool versions (policy_results)

    def by_policy(self) -> dict[str, list[Result]]:
        out: dict[str, list[Result]] = {p.name: [] for p in self.policies}
        for result in self.results:
            out.setdefault(result.policy, []).append(result)
        return out

    def count(self, outcome: Outcome, enforcement: Level | None = None) -> int:
        return sum(
            1 for r in self.results if r.outcome == outcome and (enforcement is None or r.enforcement == enforcement)
        )

    @property
    def mandatory_violations(self) -> list[Result]:
        return [r for r in self.results if r.outcome == Outcome.VIOLATION and r.enforcement == Level.MANDATORY]

    @property
    def mandatory_unknowns(self) -> list[Result]:
        """Mandatory controls the pack could not evaluate (an input unknown) and the config did not accept."""
        return [r for r in self.results if r.outcome == Outcome.UNKNOWN and r.enforcement == Level.MANDATORY]

    @property
    def blocking(self) -> list[Result]:
        """What fails the offline gate (exit 4): mandatory violations and unaccepted mandatory unknowns."""
        return self.mandatory_violations + self.mandatory_unknowns

    def policy(self, name: str) -> PolicyMeta:
        return next(p for p in self.policies if p.name == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for meta, raw in zip(self.policies, data["policies"], strict=True):
            raw["types"], raw["control"] = list(meta.types), meta.control
        return data
