"""Pydantic models: the single source of truth for every boundary object.

The gold set (a parsed deep-review report) is `Report`; everything a review program or a
historical agent produces is a list of `Finding`. JSON shapes printed by `--json` are these
models dumped with `by_alias=True`, so the contract fields in the issues live here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Severity(StrEnum):
    critical = "critical"
    important = "important"
    suggestion = "suggestion"

    @property
    def rank(self) -> int:
        """Ordinal scale: critical (3) > important (2) > suggestion (1)."""
        return _SEVERITY_RANK[self]

    @property
    def letter(self) -> str:
        return self.value[0].upper()

    @classmethod
    def from_letter(cls, letter: str) -> "Severity":
        return {"C": cls.critical, "I": cls.important, "S": cls.suggestion}[letter.upper()]


_SEVERITY_RANK = {Severity.critical: 3, Severity.important: 2, Severity.suggestion: 1}


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


ResolutionStatus = Literal["fixed", "skipped", "commented", "deferred", "unknown"]
RESOLUTION_STATUSES: tuple[str, ...] = ("fixed", "skipped", "commented", "deferred", "unknown")

# An action cell ("Fixed", "Test written", "Auto-resolved by I2", "Won't fix", "Skipped — deferred
# to a follow-up PR") -> a status word. First match wins; the note only turns a skip into a deferral.
_STATUS_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((w, re.compile(p, re.I)) for w, p in (
    ("deferred", r"^(deferred|defer|postponed|later|follow([- ]?up)?|tracked|todo|backlog)\b"),
    ("skipped", r"^(skipped|skip|won'?t[- ]fix|wontfix|not (fixed|addressed|applicable)|declined|rejected"
                r"|ignored|dismissed|disagreed?|no action|dropped|n/?a)\b"),
    ("commented", r"^(commented|comment(ed)? added|replied|reply|acknowledged|ack|explained|noted"
                  r"|answered|discussed)\b"),
    ("fixed", r"^(fixed|fix|done|addressed|resolved|implemented|applied|auto[- ]?(resolved|covered|fixed)?"
              r"|tests? (written|added|cleaned|updated)|docs? (updated|added|fixed)"
              r"|documentation (updated|drafted|added|fixed)|changed|updated|removed|refactored)\b"),
))
_DEFERRAL_NOTE = re.compile(r"^\W*(deferred|postponed|follow[- ]?up)\b|\b(deferred to|left for a|architectural "
                            r"follow[- ]?up|in a follow[- ]?up)\b", re.I)


def resolution_status(action: str, note: str | None = None) -> ResolutionStatus:
    """The status word of a Resolution row's action (and note): fixed, skipped, commented,
    deferred, or unknown when the words say none of these."""
    text = re.sub(r"^\W+", "", " ".join(action.replace("*", "").replace("`", "").split()))
    for word, pattern in _STATUS_RULES:
        if pattern.match(text):
            if word == "skipped" and note and _DEFERRAL_NOTE.search(note):
                return "deferred"
            return word  # type: ignore[return-value]
    return "unknown"


# when one finding has rows with different actions, the one that did the most wins
_STATUS_ORDER = {"fixed": 4, "commented": 3, "deferred": 2, "skipped": 1, "unknown": 0}


def resolution_by_finding(resolutions: list["Resolution"]) -> dict[str, ResolutionStatus]:
    out: dict[str, ResolutionStatus] = {}
    for r in resolutions:
        status = resolution_status(r.action, r.note)
        for fid in r.finding_ids:
            if _STATUS_ORDER[status] >= _STATUS_ORDER[out.get(fid, "unknown")]:
                out[fid] = status
    return out


class Location(_Model):
    """A cited place: a closed line range on the new side of the diff, or a whole file."""

    path: str
    line_start: int | None = None
    line_end: int | None = None

    @field_validator("line_end")
    @classmethod
    def _end_not_before_start(cls, v: int | None, info: Any) -> int | None:
        start = info.data.get("line_start")
        if v is not None and start is not None and v < start:
            return start
        return v


class Finding(_Model):
    """One finding, consolidated (gold) or raised by a reviewer (agent review, program, replay)."""

    id: str = ""
    severity: Severity
    title: str
    agents: list[str] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    body: str = ""
    tags: list[str] = Field(default_factory=list)  # e.g. ["regression"], ["gap"], ["future"]
    category: str | None = None
    reconciliation: str | None = None  # inline "Reconciliation note" text
    withdrawn: bool = False  # the agent withdrew it inside its own review
    # consolidated findings only: what the author did about it, from the report's Resolution table
    # (absent on agent and predicted findings, so their JSON and hashes are unchanged)
    resolution: ResolutionStatus | None = Field(default=None, exclude_if=lambda v: v is None)


class ObservationKind(StrEnum):
    design_concern = "design_concern"
    design_strength = "design_strength"
    testing_gap = "testing_gap"
    limitation = "limitation"
    declined = "declined"  # "Declined in prior rounds": re-raised findings a prior round declined


class Observation(_Model):
    """Design observations, testing gaps and acknowledged limitations: not findings, kept apart."""

    kind: ObservationKind
    index: int = 0
    title: str = ""
    text: str
    agents: list[str] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


class Reviewer(_Model):
    agent: str  # family name: Claude, Codex, Gemini, ...
    model: str  # full name: Claude Opus 4.7
    effort: str | None = None
    available: bool = True  # False when struck through (~~Gemini 3.1 Pro~~ (429 capacity))
    note: str | None = None


class Commit(_Model):
    sha: str
    message: str = ""


class AgentReview(_Model):
    """One agent's original review from the appendix."""

    agent: str
    model: str | None = None
    pass_: int | None = Field(default=None, alias="pass")
    findings: list[Finding] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    coverage: dict[str, str] = Field(default_factory=dict)  # Coverage Summary: file -> cell
    verdict: str | None = None
    omitted: bool = False  # the report says the original review was omitted
    text: str = ""  # the raw markdown of the review


class RetroCell(_Model):
    """A Summary-table cell: the raw text and its parsed value (None when not understood)."""

    raw: str
    value: Any = None


class RetroRow(_Model):
    metric: str
    cells: dict[str, RetroCell]  # column (agent family) -> cell


class RetroTable(_Model):
    """A per-agent Summary table, always normalised to metric rows x agent columns."""

    columns: list[str]  # agent families in table order
    column_labels: list[str] = Field(default_factory=list)  # as printed, e.g. "Claude Opus 4.6"
    rows: list[RetroRow] = Field(default_factory=list)
    transposed: bool = False  # the published table had one row per agent

    def row(self, metric: str) -> RetroRow | None:
        key = metric.strip().lower()
        for r in self.rows:
            if r.metric.strip().strip("*").lower() == key:
                return r
        return None


class PublishedRetro(_Model):
    present: bool = True
    absent_reason: str | None = None
    agent_notes: dict[str, str] = Field(default_factory=dict)  # agent heading -> paragraph text
    summary: RetroTable | None = None
    reconciliation: str | None = None  # "**Reconciliation:**" paragraph(s)
    closing: str | None = None  # prose after the Summary table


class Resolution(_Model):
    ref: str  # as printed: "Critical #1: ...", "C1", "Testing Gaps #3–#8"
    action: str  # Fixed / Skipped / Commented / ...
    note: str | None = None
    finding_ids: list[str] = Field(default_factory=list)  # consolidated ids the ref resolves to


class ParseWarning(_Model):
    where: str  # section / line, e.g. "line 212: ## Appendix / ### [Gemini]"
    message: str


class Report(_Model):
    id: str
    source: str = ""  # file path or git:REF:path
    content_hash: str = ""
    title: str | None = None
    date: str | None = None  # ISO "2026-03-21T00:54" or "2026-03-21"
    repo: str | None = None
    pr: int | None = None
    pr_title: str | None = None
    round: int | None = None
    author: str | None = None
    branch: str | None = None
    commits: list[Commit] = Field(default_factory=list)
    reviewers: list[Reviewer] = Field(default_factory=list)
    verdict: str | None = None
    wall_clock_s: float | None = None
    header: dict[str, str] = Field(default_factory=dict)  # every header row, raw
    findings: list[Finding] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    agent_reviews: list[AgentReview] = Field(default_factory=list)
    published_retro: PublishedRetro = Field(default_factory=lambda: PublishedRetro(present=False))
    resolutions: list[Resolution] = Field(default_factory=list)
    warnings: list[ParseWarning] = Field(default_factory=list)

    @model_validator(mode="after")
    def _resolve_findings(self) -> "Report":
        """Every consolidated finding carries its resolution (unknown without a Resolution row)."""
        if any(f.resolution is None for f in self.findings):
            by_id = resolution_by_finding(self.resolutions)
            for f in self.findings:
                if f.resolution is None:
                    f.resolution = by_id.get(f.id, "unknown")
        return self

    def agent_review(self, agent: str) -> AgentReview | None:
        for r in self.agent_reviews:
            if r.agent.lower() == agent.lower():
                return r
        return None
