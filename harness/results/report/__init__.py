"""Benchmark output: `harness report` (md / json / csv / parquet / html).

Public interface:
- `build_report(store, run_ids, *, panel=None, replay_panel=True, n_boot=1000, seed=0) -> BenchReport`
- `write(report, fmt, output) -> str | None` (text for stdout when `output` is None)
- `ensure_scores(store, run_id, scorer="default", args=None) -> args_hash`: full per-finding scores
  for a run's cases (what compare and gate read).
"""

from harness.results.report.build import build_report, ensure_panel
from harness.results.report.document import BenchReport, Estimate, ReportTable, ReviewerSummary, Usage
from harness.results.report.formats import FORMATS, render, to_markdown, write
from harness.results.stored_scores import ensure_scores, scorer_of

__all__ = ["FORMATS", "BenchReport", "Estimate", "ReportTable", "ReviewerSummary", "Usage", "build_report",
           "ensure_panel", "ensure_scores", "render", "scorer_of", "to_markdown", "write"]
