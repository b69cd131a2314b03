"""Aggregation over many reports: micro/macro metrics, bootstrap intervals, unique insights.

Inputs are polars frames with one row per scored (report, epoch[, run ...]) holding the count
columns of `scorers.metrics.COUNT_FIELDS` and the metric columns (what
`harness.store.scores.scores_frame` returns, or `results_frame` builds from in-memory results).
Resampling is over reports (epochs of one report are summed first) and vectorised: a replicate
is a row of a weight matrix, never a Python loop over reports.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import polars as pl
from pydantic import BaseModel

from harness.core.scores import ScoreResult
from scorers.metrics import COUNT_FIELDS, METRIC_FIELDS, compute, with_metrics


class Interval(BaseModel):
    metric: str
    kind: str  # micro | macro
    value: float | None
    low: float | None
    high: float | None
    n_reports: int
    n_boot: int


class PairedDelta(BaseModel):
    metric: str
    kind: str
    a: float | None
    b: float | None
    delta: float | None  # b - a (candidate minus baseline)
    low: float | None
    high: float | None
    beyond_noise: bool  # the interval of the delta excludes 0
    n_reports: int
    n_boot: int


# -- building frames from in-memory results ------------------------------------------------
def results_frame(results: Mapping[str, ScoreResult], **constants: Any) -> pl.DataFrame:
    """One row per report id: constants (e.g. run_id=...), counts and metrics."""
    rows = [{**constants, "report_id": rid, **{k: float(r.counts.get(k, 0)) for k in COUNT_FIELDS},
             **{k: r.metrics.get(k) for k in METRIC_FIELDS}} for rid, r in results.items()]
    schema = {**{k: pl.Utf8 for k in constants}, "report_id": pl.Utf8,
              **{k: pl.Float64 for k in COUNT_FIELDS}, **{k: pl.Float64 for k in METRIC_FIELDS}}
    return pl.DataFrame(rows, schema=schema)


def gold_frame(results: Mapping[str, ScoreResult], **constants: Any) -> pl.DataFrame:
    """One row per gold finding: constants, report_id, gold_id, severity, status."""
    rows = [{**constants, "report_id": rid, "gold_id": g.id, "severity": g.severity, "status": g.status}
            for rid, r in results.items() for g in r.gold]
    schema = {**{k: pl.Utf8 for k in constants}, "report_id": pl.Utf8, "gold_id": pl.Utf8,
              "severity": pl.Utf8, "status": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)


# -- point aggregation ---------------------------------------------------------------------
def aggregate(frame: pl.DataFrame, by: Sequence[str] = (), strict: bool = True) -> pl.DataFrame:
    """Micro metrics (from summed counts) and macro metrics (`macro_*`, mean of per-row metrics).

    One output row per group of `by` (all rows together when `by` is empty), with `n_reports`.
    """
    by = [c for c in by]
    counts = [pl.col(c).sum().alias(c) for c in COUNT_FIELDS]
    macro = [pl.col(m).mean().alias(f"macro_{m}") for m in METRIC_FIELDS if m in frame.columns]
    aggs = [pl.col("report_id").n_unique().alias("n_reports"), *counts, *macro]
    out = frame.group_by(by, maintain_order=True).agg(aggs) if by else frame.select(aggs)
    out = with_metrics(out, strict)
    return out.sort(by) if by else out


def _per_report(frame: pl.DataFrame) -> pl.DataFrame:
    """Sum epochs (and any other repeated rows) per report; keep the report's mean metrics."""
    metrics = [pl.col(m).mean() for m in METRIC_FIELDS if m in frame.columns]
    return (frame.group_by("report_id").agg([pl.col(c).sum() for c in COUNT_FIELDS] + metrics)
            .sort("report_id"))


def _weights(n_reports: int, n: int, seed: int) -> np.ndarray:
    """(n, R) matrix: how often each report is drawn in each bootstrap replicate."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_reports, size=(n, n_reports))
    w = np.zeros((n, n_reports))
    np.add.at(w, (np.repeat(np.arange(n), n_reports), idx.ravel()), 1.0)
    return w


def _replicates(per_report: pl.DataFrame, w: np.ndarray, metric: str, kind: str, strict: bool) -> np.ndarray:
    if kind == "micro":
        counts = per_report.select(COUNT_FIELDS).to_numpy().astype(float)
        sums = w @ counts
        return compute({k: sums[:, i] for i, k in enumerate(COUNT_FIELDS)}, strict)[metric]
    if kind == "macro":
        vals = per_report.get_column(metric).cast(pl.Float64).fill_null(np.nan).to_numpy()
        ok = ~np.isnan(vals)
        den = w @ ok.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (w @ np.where(ok, vals, 0.0)) / den, np.nan)
    raise ValueError(f"kind must be micro or macro, not {kind!r}")


def _point(per_report: pl.DataFrame, metric: str, kind: str, strict: bool) -> float | None:
    ones = np.ones((1, per_report.height))
    v = _replicates(per_report, ones, metric, kind, strict)[0]
    return None if np.isnan(v) else float(v)


def _interval(reps: np.ndarray, level: float) -> tuple[float | None, float | None]:
    reps = reps[~np.isnan(reps)]
    if reps.size == 0:
        return None, None
    a = (1 - level) / 2
    lo, hi = np.quantile(reps, [a, 1 - a])
    return float(lo), float(hi)


def bootstrap_ci(frame: pl.DataFrame, metric: str, n: int = 1000, seed: int = 0, *,
                 kind: str = "micro", strict: bool = True, level: float = 0.95) -> Interval:
    """Percentile bootstrap interval of a metric, resampling reports with replacement."""
    if metric not in METRIC_FIELDS:
        raise ValueError(f"unknown metric {metric!r}")
    per = _per_report(frame)
    if per.height == 0:
        return Interval(metric=metric, kind=kind, value=None, low=None, high=None, n_reports=0, n_boot=n)
    reps = _replicates(per, _weights(per.height, n, seed), metric, kind, strict)
    low, high = _interval(reps, level)
    return Interval(metric=metric, kind=kind, value=_point(per, metric, kind, strict), low=low, high=high,
                    n_reports=per.height, n_boot=n)


def paired_bootstrap(frame_a: pl.DataFrame, frame_b: pl.DataFrame, metric: str, n: int = 1000,
                     seed: int = 0, *, kind: str = "micro", strict: bool = True,
                     level: float = 0.95) -> PairedDelta:
    """Delta b - a over the reports both frames scored, with a paired bootstrap interval:
    each replicate draws one set of reports and evaluates both sides on it."""
    if metric not in METRIC_FIELDS:
        raise ValueError(f"unknown metric {metric!r}")
    pa, pb = _per_report(frame_a), _per_report(frame_b)
    common = pa.select("report_id").join(pb.select("report_id"), on="report_id").sort("report_id")
    pa = common.join(pa, on="report_id", how="left")
    pb = common.join(pb, on="report_id", how="left")
    if common.height == 0:
        return PairedDelta(metric=metric, kind=kind, a=None, b=None, delta=None, low=None, high=None,
                           beyond_noise=False, n_reports=0, n_boot=n)
    w = _weights(common.height, n, seed)
    reps = _replicates(pb, w, metric, kind, strict) - _replicates(pa, w, metric, kind, strict)
    a, b = _point(pa, metric, kind, strict), _point(pb, metric, kind, strict)
    low, high = _interval(reps, level)
    beyond = low is not None and high is not None and (low > 0 or high < 0)
    return PairedDelta(metric=metric, kind=kind, a=a, b=b,
                       delta=None if a is None or b is None else b - a, low=low, high=high,
                       beyond_noise=bool(beyond), n_reports=common.height, n_boot=n)


# -- unique insights -----------------------------------------------------------------------
def unique_insights(gold_labels: pl.DataFrame, by: str = "reviewer", *, detail: bool = False) -> pl.DataFrame:
    """Gold findings found by exactly one reviewer of the compared set.

    `gold_labels`: rows (by, report_id, gold_id, status) — e.g. `gold_frame` of several
    reviewers concatenated, or the store's gold labels of several runs. A gold finding counts
    as found by a reviewer if any of its rows (epochs) found it. Only reports every compared
    reviewer scored are considered, so a reviewer is not credited for reports others skipped.
    With `detail`, returns the unique (by, report_id, gold_id) rows; else one row per reviewer:
    n_found, n_unique, unique_share (n_unique / n_found).
    """
    n_rev = gold_labels.get_column(by).n_unique()
    found = (gold_labels.group_by([by, "report_id", "gold_id"])
             .agg((pl.col("status") == "found").any().alias("found")))
    shared = found.group_by("report_id").agg(pl.col(by).n_unique().alias("_n")).filter(pl.col("_n") == n_rev)
    found = found.join(shared.select("report_id"), on="report_id")
    finders = (found.filter(pl.col("found")).group_by(["report_id", "gold_id"])
               .agg(pl.col(by).n_unique().alias("n_finders")))
    rows = (found.filter(pl.col("found")).join(finders, on=["report_id", "gold_id"])
            .with_columns((pl.col("n_finders") == 1).alias("unique")))
    if detail:
        return rows.filter(pl.col("unique")).select(by, "report_id", "gold_id").sort(by, "report_id", "gold_id")
    reviewers = gold_labels.select(by).unique()
    per = rows.group_by(by).agg(pl.len().alias("n_found"), pl.col("unique").sum().alias("n_unique"))
    return (reviewers.join(per, on=by, how="left")
            .with_columns(pl.col("n_found").fill_null(0), pl.col("n_unique").fill_null(0))
            .with_columns(pl.when(pl.col("n_found") > 0)
                          .then(pl.col("n_unique") / pl.col("n_found")).otherwise(None).alias("unique_share"))
            .sort(by))


def concat(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(list(frames), how="diagonal_relaxed")
