"""Scorers: match a reviewer's findings to a report's gold and compute review-quality metrics.

Public interface (other packages use only these names):

Gold
- `GoldSet(report_id, repo, findings, known_false_positives, reviewer_findings)` (pydantic).
- `gold_for_report(report, fates=None, *, known_fp_fates={"dropped", "false_positive"}) -> GoldSet`.
  `fates`: iterable of objects/dicts with `fate` and either `finding` or `agent` + `index`.

Scoring one report
- `score(gold, predicted, *, scorer="default", **args) -> ScoreResult`. `predicted` may hold
  `Finding`s, dicts or models in the Finding shape or flat (`path`, `line_start`, `line_end`).
  Default args: k=3, strict=True, weights={critical: 3, important: 2, suggestion: 1},
  suffix_paths=True, case_insensitive=False, min_text_line=0.10, min_text_file=0.20,
  min_text_unlocated=0.35. The "judge" scorer adds model, band, max_candidates,
  min_confidence and takes runtime-only `lm=` / `cache=` (never recorded in args).
- `ScoreResult`: scorer, args, metrics (METRIC_FIELDS), counts (COUNT_FIELDS, additive),
  predictions [PredictionLabel: index, label true_positive|known_false_positive|novel,
  severity_match exact|over|under|None, gold_id, affinity, text_affinity, distance, level,
  decided_by, det_label, judge], gold [GoldLabel: id, status found|missed, severity,
  prediction_index, ...], known_false_positives, feedback, judge_usage.
- `feedback(result, gold) -> str`; `dspy_metric(scorer=..., metric="f1", gold_field="gold",
  findings_field="findings", **args)` -> `metric(gold, pred, trace=None, pred_name=None,
  pred_trace=None)` returning `dspy.Prediction(score=..., feedback=...)` (GEPA's form).

Registry
- `Scorer` (Protocol: name, args, score(gold, predicted)), `register(name)`,
  `get_scorer(name, **args)`, `list_scorers()`, `args_hash(args)`.

Many reports (polars; frames from `results_frame` / `gold_frame` or harness.store.scores)
- `aggregate(frame, by=(), strict=True)`: micro metrics from summed counts + `macro_*` means.
- `bootstrap_ci(frame, metric, n=1000, seed=0, kind="micro"|"macro") -> Interval`.
- `paired_bootstrap(frame_a, frame_b, metric, n=1000, seed=0, kind=...) -> PairedDelta`
  (delta = b - a, interval, beyond_noise).
- `unique_insights(gold_labels, by="reviewer", detail=False)`; `panel_results(gold, ...)` scores
  each recorded reviewer of a GoldSet, `gold_frame({report_id: result}, reviewer=NAME)` turns
  results into the rows unique_insights reads.
- `cohen_kappa(a, b)`: judge vs rule agreement.
"""

from __future__ import annotations

from typing import Any

from harness.core.models import Finding
from harness.core.scores import GoldLabel, KnownFalsePositiveLabel, PredictionLabel, ScoreResult
from scorers.aggregate import (
    Interval, PairedDelta, aggregate, bootstrap_ci, concat, gold_frame, paired_bootstrap, results_frame,
    unique_insights,
)
from scorers.base import Scorer, args_hash, get_scorer, list_scorers, register
from scorers.feedback import dspy_metric, feedback
from scorers.findings import coerce_finding, coerce_findings
from scorers.gold import FATES, KNOWN_FP_FATES, GoldSet, gold_for_report
from scorers.judge import cohen_kappa
from scorers.metrics import COUNT_FIELDS, METRIC_FIELDS, compute, metrics_from_counts, with_metrics

# The built-in scorers register themselves when imported: importing them here (scorers.default,
# and scorers.judge above) is what makes `get_scorer("default")` / `get_scorer("judge")` work.
# The registry (scorers.base) never imports them, so there is no cycle.
import scorers.default  # noqa: E402,F401  (registers "default")
import scorers.judge  # noqa: E402,F401  (registers "judge")
import scorers.consolidation  # noqa: E402,F401  (registers "consolidation")


def score(gold: GoldSet, predicted: list[Finding] | list[Any], *, scorer: str = "default",
          **args: Any) -> ScoreResult:
    """Score one reviewer's findings against one report's gold."""
    return get_scorer(scorer, **args).score(gold, predicted)


def panel_results(gold: GoldSet, *, scorer: str = "default", **args: Any) -> dict[str, ScoreResult]:
    """Score every recorded reviewer's original findings (gold.reviewer_findings) with one scorer:
    the historical panel a program's unique insights are counted against."""
    sc = get_scorer(scorer, **args)
    return {agent: sc.score(gold, fs) for agent, fs in sorted(gold.reviewer_findings.items())}


__all__ = [
    "COUNT_FIELDS", "FATES", "KNOWN_FP_FATES", "METRIC_FIELDS", "GoldLabel", "GoldSet", "Interval",
    "KnownFalsePositiveLabel", "PairedDelta", "PredictionLabel", "ScoreResult", "Scorer", "aggregate",
    "args_hash", "bootstrap_ci", "coerce_finding", "coerce_findings", "cohen_kappa", "compute", "concat",
    "dspy_metric", "feedback", "get_scorer", "gold_for_report", "gold_frame", "list_scorers",
    "metrics_from_counts", "paired_bootstrap", "panel_results", "register", "results_frame", "score",
    "unique_insights", "with_metrics",
]
