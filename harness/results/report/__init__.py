"""Benchmark output: `harness report` (md / json / csv / parquet / html).

Public interface:
- `build_report(store, run_ids, *, panel=None, replay_panel=True, n_boot=1000, seed=0, k=None) -> BenchReport`
  (reads stored scores only: it never runs a model or a replay and never writes)
- `write(report, fmt, output) -> str | None` (text for stdout when `output` is None)
- `read_scores(store, run, view) -> (scores, gold labels)`: a run's stored scores under a view
  (`run_view(run, k=...)`), what compare and gate read.
"""

from harness.results.report.build import build_report, find_panel
from harness.results.report.formats import FORMATS, render, to_markdown, write
from harness.results.report.document import BenchReport, Estimate, ReportTable, ReviewerSummary, Usage
from harness.results.stored_scores import View, read_scores, run_view

__all__ = ["FORMATS", "BenchReport", "Estimate", "ReportTable", "ReviewerSummary", "Usage", "View", "build_report",
           "find_panel", "read_scores", "render", "run_view", "to_markdown", "write"]
