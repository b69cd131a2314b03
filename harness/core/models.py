"""Pydantic models: the single source of truth for every boundary object.

The gold set (a parsed deep-review report) is `Report`; everything a review program or a
historical agent produces is a list of `Finding`. JSON shapes printed by `--json` are these
models dumped with `by_alias=True`, so the contract fields in the issues live here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator


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


def check_date(value: str | None, what: str) -> str | None:
    """A report-date bound (YYYY-MM-DD) or None; anything else is a HarnessError naming `what`."""
    if value is None:
        return None
    from datetime import date

    from harness.core.errors import HarnessError

    text = str(value).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise HarnessError(f"{what} {value!r} is not a date", hint="use YYYY-MM-DD, e.g. 2026-04-01") from None


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
    # attributions naming a family with several models in the report and nothing to decide
    # which: {"Gemini": ["Gemini 3.1 Pro", "Gemini 3.5 Flash"]}; such a name is not in `agents`
    ambiguous: dict[str, list[str]] = Field(default_factory=dict)
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


_FAMILY_ALIASES = {"openai": "Codex", "anthropic": "Claude", "google": "Gemini"}
_FAMILY_WORD = re.compile(r"[A-Za-z][A-Za-z.]*?(?=\d|$)|[A-Za-z][\w.]*")


def model_family(name: str) -> str:
    """The family of a model as a report names it: its first word without a glued version.

    `Claude Opus 4.7` -> Claude, `Gemma4 31B` -> Gemma, `Qwen3 Coder Next` -> Qwen,
    `GLM-4.7 Flash` -> GLM, `Mistral Large 3` -> Mistral, `[Gemini 3.1 Pro]` -> Gemini.
    No list of families: any model name has one."""
    text = re.sub(r"\(.*?\)", " ", re.sub(r"[\[\]*_`~]", " ", name)).strip()
    if not text:
        return ""
    first = re.split(r"[\s:,/—–-]+", text, maxsplit=1)[0]
    m = _FAMILY_WORD.match(first)
    word = m.group(0) if m else first
    if len(word) < 2 or word[0].isdigit():
        word = first
    return _FAMILY_ALIASES.get(word.lower(), word)


_PR_REF = re.compile(r"^\s*(?:(?P<repo>[\w.-]+/[\w.-]+)\s*)?(?:#|\s|pr\s*#?|pull/)?\s*(?P<n>\d+)\s*$", re.I)


def pr_ref(text: "str | int | None") -> tuple[str | None, int | None]:
    """A pull request as a user names it: `63`, `#63`, `owner/name#63` -> (repo or None, number).
    PR numbers repeat across repositories: (repo, number) is a PR's identity."""
    if text is None or isinstance(text, int):
        return None, text
    m = _PR_REF.match(text)
    if not m:
        from harness.core.errors import HarnessError

        raise HarnessError(f"not a pull request: {text!r}", hint="use 63, #63 or owner/name#63")
    return m.group("repo"), int(m.group("n"))


def pr_key(repo: str | None, pr: int | None) -> str | None:
    """`owner/name#63` (or `#63` when the repository is unknown); None without a PR number."""
    if pr is None:
        return None
    return f"{repo}#{pr}" if repo else f"#{pr}"


class ReviewerStatus(StrEnum):
    available = "available"  # ran and its review is in the report
    dropped = "dropped"  # removed from the round (quota, capacity, crash), struck through or said so
    no_output = "no_output"  # ran but produced nothing usable
    omitted = "omitted"  # ran; the report says its review was left out
    external = "external"  # ran; its review is kept outside the report (included by reference)


class Reviewer(_Model):
    """One reviewer of a report: a MODEL as the header names it (`Gemini 3.5 Flash`)."""

    agent: str  # the model label, the reviewer's identity in the report: "Gemini 3.5 Flash"
    family: str = ""  # "Gemini"; derived from the label when not given
    model: str  # full name as printed (same as agent for header reviewers)
    effort: str | None = None
    status: ReviewerStatus = ReviewerStatus.available
    note: str | None = None  # the reason text ("quota exhausted", "429 capacity", ...)

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        # stored documents before reviewers were models: `available: bool`, agent = family
        if isinstance(data, dict) and "available" in data:
            data = dict(data)
            if not data.pop("available") and "status" not in data:
                data["status"] = ReviewerStatus.dropped
        return data

    @model_validator(mode="after")
    def _family(self) -> "Reviewer":
        if not self.family:
            self.family = model_family(self.model or self.agent)
        return self

    @computed_field  # kept in the JSON for readers of the older shape
    @property
    def available(self) -> bool:
        return self.status == ReviewerStatus.available


class Commit(_Model):
    sha: str
    message: str = ""


class AgentReview(_Model):
    """One agent's original review from the appendix."""

    agent: str  # the reviewer's model label (a Reviewer.agent of the report)
    family: str = ""
    model: str | None = None
    pass_: int | None = Field(default=None, alias="pass")
    status: ReviewerStatus = ReviewerStatus.available  # omitted / external: no findings of its own here
    findings: list[Finding] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    coverage: dict[str, str] = Field(default_factory=dict)  # Coverage Summary: file -> cell
    verdict: str | None = None
    text: str = ""  # the raw markdown of the review

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        if isinstance(data, dict) and "omitted" in data:  # stored before `status`; also a shorthand
            data = dict(data)
            if data.pop("omitted") and "status" not in data:
                data["status"] = ReviewerStatus.omitted
        return data

    @model_validator(mode="after")
    def _family(self) -> "AgentReview":
        if not self.family:
            self.family = model_family(self.model or self.agent)
        return self

    @computed_field  # kept in the JSON for readers of the older shape
    @property
    def omitted(self) -> bool:
        """No review of its own in the report (left out, or kept elsewhere by reference)."""
        return self.status in (ReviewerStatus.omitted, ReviewerStatus.external)


class RetroCell(_Model):
    """A Summary-table cell: the raw text and its parsed value (None when not understood)."""

    raw: str
    value: Any = None


class RetroRow(_Model):
    metric: str
    cells: dict[str, RetroCell]  # column (reviewer model label) -> cell


class RetroTable(_Model):
    """A per-agent Summary table, always normalised to metric rows x agent columns."""

    columns: list[str]  # reviewer model labels (Reviewer.agent) in table order
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
    agent_notes: dict[str, str] = Field(default_factory=dict)  # reviewer model label -> its retro note
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
    round_of: str | None = None  # "Round | 3 (of PR #711)" -> "PR #711"; "2 (of my-branch)" -> "my-branch"
    review_sha: str | None = None
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
        """The (first) review of a reviewer named by its label, or by its family when only one
        model of that family reviewed."""
        for r in self.agent_reviews:
            if r.agent.lower() == agent.lower():
                return r
        fam = {r.agent for r in self.agent_reviews if r.family.lower() == agent.lower()}
        if len(fam) == 1:
            return next(r for r in self.agent_reviews if r.agent in fam)
        return None
