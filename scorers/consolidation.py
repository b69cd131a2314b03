"""The consolidation scorer: a consolidator's answer against a report's consolidation.

Two parts, both additive counts so that micro metrics, bootstrap replicates and per-report
values come from one definition (as in `scorers.metrics`):

* the consolidated set: the default scorer's matcher against the consolidated gold findings
  (precision / recall / F1, severity accuracy: `scorers.metrics.COUNT_FIELDS`);
* the decisions: per original finding, the decision the consolidator took next to the one its
  fate implies. Only findings with a gold decision count (fate `unmatched` has none).

Decision metrics (null when their denominator is empty):

* `decision_accuracy`: correct decisions / findings with a gold decision (a finding the
  consolidator said nothing about is wrong);
* `fp_rejection_recall`: of the findings the gold dropped (fates dropped, false_positive), the
  share the consolidator dropped; `fp_rejection_precision`: of those it dropped, the share the
  gold dropped;
* `downgrade_recall` / `downgrade_precision`: the same for `downgraded`.

The confusion matrix is counts `cm:<gold>:<predicted>` (predicted `none` when no decision was
given). Inputs are plain strings keyed by a finding reference, so the order findings or
decisions come in changes nothing.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from scorers.base import register
from scorers.default import DefaultScorer
from scorers.gold import GoldSet
from scorers.metrics import _ratio
from harness.core.scores import ScoreResult

DECISIONS: tuple[str, ...] = ("kept", "downgraded", "upgraded", "merged", "dropped", "demoted")
PREDICTED: tuple[str, ...] = (*DECISIONS, "none")

CM_FIELDS: tuple[str, ...] = tuple(f"cm:{g}:{p}" for g in DECISIONS for p in PREDICTED)
DECISION_COUNT_FIELDS: tuple[str, ...] = (
    "n_original", "n_decided", "dec_correct", "dec_missing",
    "gold_dropped", "pred_dropped", "both_dropped", "gold_downgraded", "pred_downgraded", "both_downgraded",
    *CM_FIELDS,
)
DECISION_METRIC_FIELDS: tuple[str, ...] = (
    "decision_accuracy", "fp_rejection_recall", "fp_rejection_precision", "downgrade_recall",
    "downgrade_precision",
)


def decision_counts(gold: Mapping[str, str | None], predicted: Mapping[str, str | None]) -> dict[str, float]:
    """Additive counts of one case. `gold`: ref -> gold decision (None: not scored);
    `predicted`: ref -> the consolidator's decision (absent or None: none given)."""
    c = {k: 0.0 for k in DECISION_COUNT_FIELDS}
    c["n_original"] = float(len(gold))
    for ref, g in gold.items():
        if g is None:
            continue
        if g not in DECISIONS:
            raise ValueError(f"unknown gold decision {g!r}")
        p = predicted.get(ref)
        p = p if p in DECISIONS else "none"
        c["n_decided"] += 1
        c[f"cm:{g}:{p}"] += 1
        c["dec_correct"] += g == p
        c["dec_missing"] += p == "none"
        for d, name in (("dropped", "dropped"), ("downgraded", "downgraded")):
            c[f"gold_{name}"] += g == d
            c[f"pred_{name}"] += p == d
            c[f"both_{name}"] += g == d and p == d
    return c


def decision_metrics_array(counts: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """DECISION_METRIC_FIELDS from the counts, elementwise (scalars, columns or replicates; NaN = undefined)."""
    c = {k: np.asarray(counts.get(k, 0.0), dtype=float) for k in DECISION_COUNT_FIELDS}
    nan = np.nan
    return {
        "decision_accuracy": _ratio(c["dec_correct"], c["n_decided"], nan),
        "fp_rejection_recall": _ratio(c["both_dropped"], c["gold_dropped"], nan),
        "fp_rejection_precision": _ratio(c["both_dropped"], c["pred_dropped"], nan),
        "downgrade_recall": _ratio(c["both_downgraded"], c["gold_downgraded"], nan),
        "downgrade_precision": _ratio(c["both_downgraded"], c["pred_downgraded"], nan),
    }


def decision_metrics(counts: Mapping[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, v in decision_metrics_array(counts).items():
        x = float(v)
        out[k] = None if np.isnan(x) else x
    return out


def confusion(counts: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """gold decision -> predicted decision -> count (rows with no finding left out)."""
    out: dict[str, dict[str, int]] = {}
    for g in DECISIONS:
        row = {p: int(counts.get(f"cm:{g}:{p}", 0) or 0) for p in PREDICTED}
        if any(row.values()):
            out[g] = row
    return out


def decision_feedback(rows: Sequence[Mapping[str, Any]], limit: int = 12) -> str:
    """Text for an optimiser (GEPA): every wrong decision named, with the finding and the gold.

    `rows`: ScoredDecision-shaped mappings (ref, title or finding_id, decision, gold, correct)."""
    wrong = [r for r in rows if r.get("gold") is not None and not r.get("correct")]
    if not wrong:
        n = sum(1 for r in rows if r.get("gold") is not None)
        return f"All {n} decisions match the published consolidation."
    lines = [f"{len(wrong)} of {sum(1 for r in rows if r.get('gold') is not None)} decisions differ from the "
             "published consolidation:"]
    for r in wrong[:limit]:
        said = r.get("decision") or "no decision"
        what = r.get("title") or r.get("finding_id") or ""
        hint = _HINTS.get((r.get("gold"), said), "")
        lines.append(f"- {r.get('ref')} ({r.get('severity')}) {what!r}: you said {said}, the report "
                     f"{r.get('gold')} it{hint}.")
    if len(wrong) > limit:
        lines.append(f"- ... and {len(wrong) - limit} more")
    return "\n".join(lines)


_HINTS = {
    ("dropped", "kept"): " (the lead reviewer judged it a false positive)",
    ("dropped", "merged"): " (a false positive, not a duplicate)",
    ("downgraded", "kept"): " (its severity was lowered)",
    ("kept", "dropped"): " (it was a real problem)",
    ("kept", "downgraded"): " (its severity stood)",
    ("demoted", "kept"): " (it became a design observation, not a finding)",
}


@register("consolidation")
class ConsolidationScorer(DefaultScorer):
    """The default matcher for the consolidated set, plus the decision counts and metrics."""

    name = "consolidation"

    def score_case(self, gold: GoldSet, findings: Sequence[Any], gold_decisions: Mapping[str, str | None],
                   decisions: Mapping[str, str | None]) -> ScoreResult:
        result = self.score(gold, findings)
        counts = decision_counts(gold_decisions, decisions)
        result.counts = {**result.counts, **counts}
        result.metrics = {**result.metrics, **decision_metrics(counts)}
        return result
