"""Pydantic models of a benchmark report: what `harness report --format json` prints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from harness.core.consolidation import ConsolidationSection
from harness.core.models import RetroTable
from harness.core.scores import METRIC_FIELDS
from harness.core.tables import DASH, first_line

# headline metrics that carry a 95% bootstrap interval over reports
INTERVAL_METRICS = ("precision_strict", "precision_lenient", "recall", "f1_strict", "f1_lenient")
# the acted-on metrics: recall of the findings the author fixed, severity-weighted recall
ACTED_METRICS = ("recall_fixed", "recall_weighted")
SWEEP = ("recall_k0", "recall_k3", "recall_k10")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Estimate(_Model):
    value: float | None
    low: float | None = None
    high: float | None = None


class Usage(_Model):
    cases: int = 0
    scored: int = 0
    parse_failures: int = 0
    errors: int = 0
    skipped: int = 0
    model_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0  # USD of every answer used (cached ones too); None: no known price
    spent: float | None = 0.0  # USD paid by the run; None: no known price
    tool_calls: int = 0
    latency_p50: float | None = None  # seconds per case
    latency_p95: float | None = None


# One side of a training cut-off: every scorer metric (micro) over the reports dated on that side,
# their number, intervals of the headline and acted-on metrics, and whether there are enough
# reports to tell anything (`enough` False: too few reports on this side).
CutoffSide = create_model(
    "CutoffSide", __config__=ConfigDict(extra="forbid"),
    n_reports=(int, 0), enough=(bool, False),
    intervals=(dict[str, Estimate], Field(default_factory=dict)),
    **{m: (float | None, None) for m in METRIC_FIELDS},
)

Unknown = Literal["unknown"]


class ReviewerSummary(_Model):
    """One reviewer (a program run, or a historical agent replayed) aggregated over its reports."""

    reviewer: str  # column label
    run_id: str
    kind: Literal["program", "replay"]
    model: str
    program: str
    program_hash: str
    split: str
    status: str
    scorer: str
    scorer_args: dict[str, Any]
    n_reports: int
    intervals: dict[str, Estimate] = Field(default_factory=dict)  # INTERVAL_METRICS, micro, 95%
    metrics: dict[str, float | None] = Field(default_factory=dict)  # every scorer metric, micro
    counts: dict[str, float] = Field(default_factory=dict)  # summed scorer counts
    known_fp_reraised: int = 0
    found: int = 0  # gold findings found (any epoch)
    unique_insights: int = 0  # ... that no other reviewer of the panel found
    usage: Usage = Field(default_factory=Usage)
    # USD per gold finding found, and per found finding the author fixed; "unknown" when the
    # reviewer has no price (a replay, a model without a price), None when it found none
    cost_per_true_positive: float | Unknown | None = None
    cost_per_fixed_found: float | Unknown | None = None
    # the model's training cut-off (report dates before it may have been read) and the split
    cutoff: str | None = None
    by_cutoff: dict[Literal["before", "after"], CutoffSide] | None = None  # type: ignore[valid-type]


class ReportTable(_Model):
    """One gold report: its Summary table with the reviewers as columns."""

    report_id: str
    table: RetroTable


class CaseLabels(_Model):
    """One reviewer on one report (epoch 0): which gold findings it found and missed, and what
    else it raised (re-raised known false positives, novel findings)."""

    report_id: str
    reviewer: str
    found: list[str] = Field(default_factory=list)  # gold ids
    missed: list[str] = Field(default_factory=list)
    known_fp: list[str] = Field(default_factory=list)  # titles of the predictions
    novel: list[str] = Field(default_factory=list)


class CaseFailure(_Model):
    """A case that errored or whose answer could not be parsed."""

    reviewer: str
    report_id: str
    epoch: int
    status: str  # error | parse_failure
    kind: str | None = None
    error: str | None = None
    answer: str | None = None  # first line of the model's raw answer (redacted), parse failures only


class BenchReport(_Model):
    runs: list[str]  # the requested run ids, in order
    panel: list[str]  # replay run ids of the historical reviewers
    reviewers: list[ReviewerSummary]
    reports: list[ReportTable]
    n_boot: int
    since: str | None = None  # report-date window the report was restricted to
    until: str | None = None
    notes: list[str] = Field(default_factory=list)
    cases: list[CaseLabels] = Field(default_factory=list)
    failures: list[CaseFailure] = Field(default_factory=list)
    # consolidate runs (harness.consolidate): decision metrics, confusion matrices, flipped decisions
    consolidation: ConsolidationSection | None = None


# -- the rows both formats render (md via harness.core.tables, html via its own escaping) ------------


def summary_rows(t: ReportTable) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a report's Summary table: metric rows x one column per reviewer."""
    tbl = t.table
    labels = [tbl.column_labels[i] if i < len(tbl.column_labels) and tbl.column_labels[i] else c
              for i, c in enumerate(tbl.columns)]
    return [""] + labels, [[row.metric] + [row.cells[c].raw if c in row.cells else DASH for c in tbl.columns]
                           for row in tbl.rows]


CASE_HEADER = ["Reviewer", "Found", "Missed", "Known false positives re-raised", "Novel"]


def case_rows(cases: list[CaseLabels]) -> list[list[str]]:
    """One row per reviewer of a report: gold ids found / missed, titles of what else it raised."""
    return [[c.reviewer, ", ".join(c.found) or DASH, ", ".join(c.missed) or DASH,
             "; ".join(c.known_fp) or DASH, "; ".join(c.novel) or DASH] for c in cases]


FAILURE_HEADER = ["Reviewer", "Report", "Epoch", "Status", "Kind", "Message", "Answer"]


def failure_rows(failures: list[CaseFailure]) -> list[list[str]]:
    """One row per failed case: the first line of its message and (parse failures) of its answer."""
    return [[f.reviewer, f.report_id, str(f.epoch), f.status, f.kind or DASH, first_line(f.error) or DASH,
             first_line(f.answer) or DASH] for f in failures]


def cases_by_report(rep: BenchReport) -> dict[str, list[CaseLabels]]:
    out: dict[str, list[CaseLabels]] = {}
    for c in rep.cases:
        out.setdefault(c.report_id, []).append(c)
    return out
