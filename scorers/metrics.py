"""Metrics as vectorised functions of additive counts.

One definition serves a single report (scalars), micro aggregation (summed count columns)
and bootstrap replicates (one element per replicate), so the numbers can never drift apart.

Conventions for empty denominators: with no predictions, precision is 1 when the gold is
empty too (nothing to say, nothing said) and 0 otherwise; with no gold, recall is 1. Rates
whose support is empty (critical recall without critical gold, severity accuracy without
true positives, recall of fixed findings in a report whose author fixed none) are null
rather than invented.

`recall_weighted` weighs each gold finding by its severity (the scorer's `weights` argument,
recorded with every score: critical 3, important 2, suggestion 1 by default); `recall_fixed`
counts only the gold findings whose resolution is `fixed`.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import polars as pl

from harness.core.scores import (  # noqa: F401  (re-exported)
    COUNT_FIELDS, DEFAULT_WEIGHTS, METRIC_FIELDS, SEVERITIES, SWEEP_K)



def _ratio(num: np.ndarray, den: np.ndarray, empty: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)


def _hm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a + b > 0, 2 * a * b / np.where(a + b > 0, a + b, 1.0), 0.0)


def compute(counts: Mapping[str, Any], strict: bool = True) -> dict[str, np.ndarray]:
    """METRIC_FIELDS from COUNT_FIELDS, elementwise over arrays (NaN = undefined).

    Works on scalars (one report), columns (many reports) and bootstrap replicates alike."""
    c = {k: np.asarray(counts.get(k, 0.0), dtype=float) for k in COUNT_FIELDS}
    nan = np.nan
    no_gold = np.where(c["n_gold"] == 0, 1.0, 0.0)
    p_strict = _ratio(c["tp"], c["tp"] + c["fp"], no_gold)
    p_len = _ratio(c["tp"], c["tp"] + c["known_fp"], no_gold)
    recall = _ratio(c["tp"], c["n_gold"], 1.0)
    recall_weighted = _ratio(c["found_weight"], c["gold_weight"], 1.0)
    precision = p_strict if strict else p_len
    out = {
        "precision": precision, "precision_strict": p_strict, "precision_lenient": p_len,
        "recall": recall, "f1": _hm(precision, recall), "f1_strict": _hm(p_strict, recall),
        "f1_lenient": _hm(p_len, recall),
        **{f"recall_{s}": _ratio(c[f"found_{s}"], c[f"gold_{s}"], nan) for s in SEVERITIES},
        "recall_weighted": recall_weighted, "weighted_f1": _hm(precision, recall_weighted),
        # of the gold findings the author fixed (Resolution table), the share found
        "recall_fixed": _ratio(c["found_fixed"], c["gold_fixed"], nan),
        "severity_accuracy": _ratio(c["sev_exact"], c["tp"], nan),
        "over_call_rate": _ratio(c["sev_over"], c["tp"], nan),
        "under_call_rate": _ratio(c["sev_under"], c["tp"], nan),
        "known_fp_rate": _ratio(c["known_fp"], c["n_known_fp"], nan),
        **{f"recall_k{k}": _ratio(c[f"tp_k{k}"], c["n_gold"], 1.0) for k in SWEEP_K},
        "file_hit_rate": _ratio(c["file_hits"], c["gold_located"], nan),
    }
    return {k: out[k] for k in METRIC_FIELDS}


def with_metrics(frame: pl.DataFrame, strict: bool = True) -> pl.DataFrame:
    """Add (or replace) the metric columns of a frame holding the count columns."""
    values = compute({k: frame.get_column(k).cast(pl.Float64).to_numpy() for k in COUNT_FIELDS}, strict)
    return frame.with_columns([pl.Series(k, v, dtype=pl.Float64, nan_to_null=True) for k, v in values.items()])


def metrics_from_counts(counts: Mapping[str, float], strict: bool = True) -> dict[str, float | None]:
    out = {}
    for k, v in compute(counts, strict).items():
        x = float(v)
        out[k] = None if np.isnan(x) else x
    return out
