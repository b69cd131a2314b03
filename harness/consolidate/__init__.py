"""The consolidate task: benchmark and tune the step that merges several reviews into one.

A deep review has reviewers, which raise findings, and a consolidator, which reads them all,
merges duplicates, downgrades some, drops false positives and writes the consolidated report.
Every report holds the consolidator's input (the original reviews in its appendix) and its
output (the consolidated findings and, through the fates, what became of each original
finding), so the consolidator is benchmarked like a reviewer:

- `models`: OriginalFinding, Consolidation (consolidated findings + one decision per original
  finding), ScoredDecision;
- `cases`: which reports are consolidate cases and what the consolidator is shown;
- `baselines`: `union`, `majority`, `replay:published` (no model);
- `programs`: `consolidate`, `consolidate_cot` (DSPy, registered beside the review programs);
- `run`: the runner's solvers and score function (`harness bench --task consolidate`);
- `results`: run metrics with intervals, confusion matrix, flipped decisions;
- `tune`: examples and the GEPA metric for `harness tune --task consolidate`.

Metrics are the `consolidation` scorer's (scorers/consolidation.py).
"""
