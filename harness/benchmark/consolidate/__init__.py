"""The consolidate task: benchmark and tune the step that merges several reviews into one.

A deep review has reviewers, which raise findings, and a consolidator, which reads them all,
merges duplicates, downgrades some, drops false positives and writes the consolidated report.
Every report holds the consolidator's input (the original reviews in its appendix) and its
output (the consolidated findings and, through the fates, what became of each original
finding), so the consolidator is benchmarked like a reviewer. The pieces, by layer:

- `harness.core.consolidation`: OriginalFinding, Consolidation (consolidated findings + one
  decision per original finding), ScoredDecision, and the report/compare result models;
- `cases` (here): which reports are consolidate cases and what the consolidator is shown;
- `baselines` (here): `union`, `majority`, `replay:published` (no model);
- `harness.benchmark.programs.consolidators`: `consolidate`, `consolidate_cot` (DSPy,
  registered beside the review programs);
- `run` (here): the runner's solvers and score function (`harness bench --task consolidate`);
- `metrics` (here): run metrics with bootstrap intervals and the confusion matrix;
- `harness.results.consolidation`: report / compare sections (flipped decisions, html);
- `harness.tune.consolidate`: examples and the GEPA metric (`harness tune --task consolidate`);
- `scorers.consolidation`: the `consolidation` scorer; `harness.store.consolidation`: the
  `run_decisions` table.
"""
