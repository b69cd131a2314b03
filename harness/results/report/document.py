"""Pydantic models of a benchmark report: what `harness report --format json` prints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.core.models import RetroTable

# headline metrics that carry a 95% bootstrap interval over reports
INTERVAL_METRICS = ("precision_strict", "precision_lenient", "recall", "f1_strict", "f1_lenient")
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
    cost: float = 0.0  # USD of every answer used (cached ones too)
    spent: float = 0.0  # USD paid by the run
    tool_calls: int = 0
    latency_p50: float | None = None  # seconds per case
    latency_p95: float | None = None


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


class ReportTable(_Model):
    """One gold report: its Summary table with the reviewers as columns."""

    report_id: str
    table: RetroTable


class BenchReport(_Model):
    runs: list[str]  # the requested run ids, in order
    panel: list[str]  # replay run ids of the historical reviewers
    reviewers: list[ReviewerSummary]
    reports: list[ReportTable]
    n_boot: int
    notes: list[str] = Field(default_factory=list)
