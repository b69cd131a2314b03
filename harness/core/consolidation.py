"""Boundary models of the consolidate task (pydantic: the single source of truth).

A consolidator reads every reviewer's original findings (`OriginalFinding`, each with a
case-unique `ref`) and answers a `Consolidation`: the consolidated findings and one
`FindingDecision` per original finding. The gold of a case is the report's consolidated
findings plus, per original finding, the decision its fate implies (`gold_decision`).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from harness.core.models import Finding, Location, Severity


class Decision(StrEnum):
    kept = "kept"
    downgraded = "downgraded"
    upgraded = "upgraded"
    merged = "merged"
    dropped = "dropped"
    demoted = "demoted"


DECISIONS: tuple[str, ...] = tuple(d.value for d in Decision)

#: fate (harness.gold.fates.Fate value) -> the decision a consolidator should have taken; `unmatched`
#: (no trace of the finding in the report) has no gold decision and is left out of the metrics
FATE_DECISION: dict[str, str | None] = {
    "kept": "kept", "downgraded": "downgraded", "upgraded": "upgraded", "merged": "merged",
    "dropped": "dropped", "false_positive": "dropped", "demoted": "demoted", "unmatched": None,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OriginalFinding(_Model):
    """One finding of one reviewer's original review, as the consolidator sees it."""

    ref: str  # unique in the case, e.g. "Claude-3": what decisions point at
    reviewer: str  # the model label (e.g. "Claude Opus 4.7"), else the agent name
    agent: str  # the agent key the fates use
    idx: int  # position among the agent's findings (all passes): the fates' `idx`
    finding_id: str = ""  # the reviewer's own id (I1, S3, ...)
    severity: Severity
    title: str
    locations: list[Location] = Field(default_factory=list)
    body: str = ""

    def as_finding(self) -> Finding:
        return Finding(id=self.finding_id, severity=self.severity, title=self.title, agents=[self.reviewer],
                       locations=self.locations, body=self.body)

    def prompt_dict(self) -> dict:
        """What the consolidator is shown (no fate, no gold)."""
        out = {"ref": self.ref, "reviewer": self.reviewer, "id": self.finding_id, "severity": self.severity.value,
               "title": self.title,
               "locations": [_loc_text(loc) for loc in self.locations]}
        if self.body:
            out["body"] = self.body
        return out


def _loc_text(loc: Location) -> str:
    if loc.line_start is None:
        return loc.path
    if loc.line_end is None or loc.line_end == loc.line_start:
        return f"{loc.path}:{loc.line_start}"
    return f"{loc.path}:{loc.line_start}-{loc.line_end}"


class ConsolidatedFinding(_Model):
    id: str = ""  # C1, I2, ... (what decisions' `target` names)
    severity: Severity
    title: str
    locations: list[Location] = Field(default_factory=list)
    body: str = ""
    reviewers: list[str] = Field(default_factory=list)  # the reviewers credited

    def as_finding(self) -> Finding:
        return Finding(id=self.id, severity=self.severity, title=self.title, agents=list(self.reviewers),
                       locations=self.locations, body=self.body)


class FindingDecision(_Model):
    ref: str  # OriginalFinding.ref
    decision: Decision
    target: str | None = None  # the consolidated finding it went to (kept/downgraded/upgraded/merged)
    reason: str = ""


class Consolidation(_Model):
    """A consolidator's answer for one case."""

    findings: list[ConsolidatedFinding] = Field(default_factory=list)
    decisions: list[FindingDecision] = Field(default_factory=list)

    def consolidated(self) -> list[Finding]:
        return [f.as_finding() for f in self.findings]


class ScoredDecision(_Model):
    """One original finding's decision next to its gold (a row of `run_decisions`)."""

    ref: str
    agent: str
    idx: int
    finding_id: str = ""
    severity: str
    title: str = ""
    decision: str | None = None  # None: the consolidator said nothing about it
    target: str | None = None
    reason: str = ""
    gold_fate: str | None = None  # the stored fate (None: no fate stored)
    gold: str | None = None  # FATE_DECISION[gold_fate]; None: not scored
    correct: bool | None = None


# -- results (report / compare) -----------------------------------------------------------------


class RunConsolidation(_Model):
    """One consolidate run in `harness report`: decision metrics (95% intervals) and confusion matrix."""

    run_id: str
    label: str
    n_reports: int = 0
    n_decisions: int = 0
    intervals: dict[str, dict[str, float | None]] = Field(default_factory=dict)  # metric -> value, low, high
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict)  # gold -> predicted -> n
    cost_per_report: float | None = None


class DecisionFlip(_Model):
    report_id: str
    ref: str
    title: str = ""
    gold: str | None = None
    a: str | None = None  # decision in run A (first epoch); None: none given
    b: str | None = None
    change: str  # fixed (wrong in A, right in B) | broke | changed (both wrong, or not scored)


class DecisionDelta(_Model):
    metric: str
    a: float | None
    b: float | None
    delta: float | None  # b - a
    low: float | None
    high: float | None
    beyond_noise: bool


class DecisionComparison(_Model):
    run_a: str
    run_b: str
    n_reports: int = 0  # reports both runs scored
    n_common: int = 0  # original findings decided in both runs
    fixed: int = 0
    broke: int = 0
    changed: int = 0
    metrics: list[DecisionDelta] = Field(default_factory=list)  # paired bootstrap over common reports
    flips: list[DecisionFlip] = Field(default_factory=list)
    confusion_a: dict[str, dict[str, int]] = Field(default_factory=dict)
    confusion_b: dict[str, dict[str, int]] = Field(default_factory=dict)


class ConsolidationSection(_Model):
    runs: list[RunConsolidation] = Field(default_factory=list)
    comparison: DecisionComparison | None = None  # the first two runs, when there are two or more
