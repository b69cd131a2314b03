"""Metrics as polars expressions over additive counts.

One definition serves a single report (a one-row frame), micro aggregation (summed counts)
and bootstrap replicates (one row per replicate), so the numbers can never drift apart.

Conventions for empty denominators: with no predictions, precision is 1 when the gold is
empty too (nothing to say, nothing said) and 0 otherwise; with no gold, recall is 1. Rates
whose support is empty (critical recall without critical gold, severity accuracy without
true positives) are null rather than invented.
"""

from __future__ import annotations

from typing import Mapping

import polars as pl

SEVERITIES = ("critical", "important", "suggestion")
SWEEP_K = (0, 3, 10)
DEFAULT_WEIGHTS = {"critical": 3.0, "important": 2.0, "suggestion": 1.0}

COUNT_FIELDS: tuple[str, ...] = (
    "n_pred", "n_gold", "n_known_fp", "tp", "known_fp", "novel", "fp", "fn",
    "sev_exact", "sev_over", "sev_under",
    *(f"gold_{s}" for s in SEVERITIES), *(f"found_{s}" for s in SEVERITIES),
    "gold_weight", "found_weight",
    *(f"tp_k{k}" for k in SWEEP_K),
    "gold_located", "file_hits",
)

# headline metrics: what `harness report` / compare / gate pick from
METRIC_FIELDS: tuple[str, ...] = (
    "precision", "precision_strict", "precision_lenient", "recall", "f1", "f1_strict", "f1_lenient",
    *(f"recall_{s}" for s in SEVERITIES), "weighted_recall", "weighted_f1",
    "severity_accuracy", "over_call_rate", "under_call_rate", "known_fp_rate",
    *(f"recall_k{k}" for k in SWEEP_K), "file_hit_rate",
)


def _ratio(num: pl.Expr, den: pl.Expr, empty: pl.Expr | float | None) -> pl.Expr:
    e = empty if isinstance(empty, pl.Expr) else pl.lit(empty, dtype=pl.Float64)
    return pl.when(den > 0).then(num.cast(pl.Float64) / den).otherwise(e)


def _hm(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return pl.when((a + b) > 0).then(2 * a * b / (a + b)).otherwise(0.0)


def metric_exprs(strict: bool = True) -> list[pl.Expr]:
    """Expressions computing METRIC_FIELDS from COUNT_FIELDS columns."""
    c = pl.col
    no_gold = pl.when(c("n_gold") == 0).then(1.0).otherwise(0.0)
    p_strict = _ratio(c("tp"), c("tp") + c("fp"), no_gold)
    p_len = _ratio(c("tp"), c("tp") + c("known_fp"), no_gold)
    recall = _ratio(c("tp"), c("n_gold"), 1.0)
    weighted_recall = _ratio(c("found_weight"), c("gold_weight"), 1.0)
    precision = p_strict if strict else p_len
    exprs = [
        p_strict.alias("precision_strict"),
        p_len.alias("precision_lenient"),
        precision.alias("precision"),
        recall.alias("recall"),
        _hm(p_strict, recall).alias("f1_strict"),
        _hm(p_len, recall).alias("f1_lenient"),
        _hm(precision, recall).alias("f1"),
        *(_ratio(c(f"found_{s}"), c(f"gold_{s}"), None).alias(f"recall_{s}") for s in SEVERITIES),
        weighted_recall.alias("weighted_recall"),
        _hm(precision, weighted_recall).alias("weighted_f1"),
        _ratio(c("sev_exact"), c("tp"), None).alias("severity_accuracy"),
        _ratio(c("sev_over"), c("tp"), None).alias("over_call_rate"),
        _ratio(c("sev_under"), c("tp"), None).alias("under_call_rate"),
        _ratio(c("known_fp"), c("n_known_fp"), None).alias("known_fp_rate"),
        *(_ratio(c(f"tp_k{k}"), c("n_gold"), 1.0).alias(f"recall_k{k}") for k in SWEEP_K),
        _ratio(c("file_hits"), c("gold_located"), None).alias("file_hit_rate"),
    ]
    return exprs


def with_metrics(frame: pl.DataFrame, strict: bool = True) -> pl.DataFrame:
    """Add the metric columns to a frame holding the count columns."""
    return frame.with_columns(metric_exprs(strict))


def metrics_from_counts(counts: Mapping[str, float], strict: bool = True) -> dict[str, float | None]:
    row = pl.DataFrame({k: [float(counts.get(k, 0))] for k in COUNT_FIELDS})
    out = row.select(metric_exprs(strict)).row(0, named=True)
    return {k: out[k] for k in METRIC_FIELDS}
