"""Aggregation over reports: micro/macro, bootstrap intervals, paired deltas, unique insights."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import scorers
from harness.core.models import Finding, Location
from scorers.metrics import COUNT_FIELDS, metrics_from_counts


def _counts(tp, fp, fn, known_fp=0, **kw):
    c = {k: 0.0 for k in COUNT_FIELDS}
    c.update(tp=tp, fp=fp, fn=fn, known_fp=known_fp, novel=fp - known_fp, n_pred=tp + fp, n_gold=tp + fn, **kw)
    return c


def _frame(rows, **const):
    out = []
    for rid, c in rows.items():
        out.append({**const, "report_id": rid, **c, **metrics_from_counts(c)})
    return pl.DataFrame(out)


def test_metric_conventions():
    m = metrics_from_counts(_counts(0, 0, 0))
    assert m["precision"] == m["recall"] == 1.0 and m["recall_critical"] is None
    m = metrics_from_counts(_counts(0, 0, 4))
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f1"] == 0.0
    m = metrics_from_counts(_counts(2, 2, 2, known_fp=1, gold_weight=6.0, found_weight=4.0))
    assert m["precision"] == 0.5 and m["precision_lenient"] == pytest.approx(2 / 3)
    assert m["recall_weighted"] == pytest.approx(4 / 6)
    assert metrics_from_counts(_counts(2, 2, 2, known_fp=1), strict=False)["precision"] == pytest.approx(2 / 3)


def test_aggregate_micro_and_macro():
    f = _frame({"a": _counts(1, 0, 0), "b": _counts(1, 3, 3)}, run_id="r1")
    out = scorers.aggregate(f, by=["run_id"])
    row = out.row(0, named=True)
    assert row["n_reports"] == 2 and row["tp"] == 2
    assert row["precision"] == pytest.approx(2 / 5) and row["recall"] == pytest.approx(2 / 5)
    assert row["macro_precision"] == pytest.approx((1.0 + 0.25) / 2)
    both = scorers.aggregate(pl.concat([f, f.with_columns(pl.lit("r2").alias("run_id"))]), by=["run_id"])
    assert both.get_column("run_id").to_list() == ["r1", "r2"] and out.height == 1


def test_bootstrap_ci_contains_point_and_is_reproducible():
    rng = np.random.default_rng(1)
    rows = {f"r{i}": _counts(int(rng.integers(0, 5)), int(rng.integers(0, 5)), int(rng.integers(0, 5)))
            for i in range(30)}
    f = _frame(rows)
    ci = scorers.bootstrap_ci(f, "f1", n=500, seed=3)
    assert ci.low <= ci.value <= ci.high and ci.n_reports == 30
    assert ci == scorers.bootstrap_ci(f, "f1", n=500, seed=3)
    macro = scorers.bootstrap_ci(f, "precision", n=500, kind="macro")
    assert macro.value == pytest.approx(f.get_column("precision").mean())
    one = scorers.bootstrap_ci(_frame({"x": _counts(1, 1, 0)}), "precision", n=50)
    assert one.low == one.high == one.value == 0.5


def test_bootstrap_epochs_are_summed_per_report():
    f = pl.concat([_frame({"a": _counts(1, 0, 1)}, epoch=0), _frame({"a": _counts(0, 1, 2)}, epoch=1)])
    ci = scorers.bootstrap_ci(f, "precision", n=100)
    assert ci.n_reports == 1 and ci.value == pytest.approx(0.5)


def test_paired_bootstrap_detects_real_difference_and_noise():
    base = {f"r{i}": _counts(2, 2, 2) for i in range(25)}
    better = {f"r{i}": _counts(4, 0, 0) for i in range(25)}
    d = scorers.paired_bootstrap(_frame(base), _frame(better), "f1", n=300)
    assert d.delta == pytest.approx(0.5) and d.beyond_noise and d.low > 0
    same = scorers.paired_bootstrap(_frame(base), _frame(base), "f1", n=300)
    assert same.delta == 0 and not same.beyond_noise
    rng = np.random.default_rng(0)
    noisy = {k: _counts(int(rng.integers(1, 4)), int(rng.integers(0, 3)), 2) for k in base}
    flip = {k: _counts(int(rng.integers(1, 4)), int(rng.integers(0, 3)), 2) for k in base}
    n = scorers.paired_bootstrap(_frame(noisy), _frame(flip), "f1", n=300)
    assert n.low <= n.delta <= n.high
    # only common reports are paired
    part = scorers.paired_bootstrap(_frame(base), _frame({"r0": better["r0"], "zz": better["r1"]}), "f1", n=50)
    assert part.n_reports == 1


def test_unique_insights():
    g = pl.DataFrame({
        "reviewer": ["A", "A", "A", "B", "B", "B", "C", "C", "C"],
        "report_id": ["r"] * 9,
        "gold_id": ["C1", "I1", "S1"] * 3,
        "status": ["found", "found", "missed", "found", "missed", "found", "missed", "missed", "missed"],
    })
    out = {r["reviewer"]: r for r in scorers.unique_insights(g).iter_rows(named=True)}
    assert (out["A"]["n_found"], out["A"]["n_unique"]) == (2, 1)
    assert (out["B"]["n_found"], out["B"]["n_unique"]) == (2, 1)
    assert out["C"]["n_unique"] == 0 and out["C"]["unique_share"] is None
    detail = scorers.unique_insights(g, detail=True)
    assert detail.rows() == [("A", "r", "I1"), ("B", "r", "S1")]


def test_results_frames_from_scores():
    gold = scorers.GoldSet(report_id="r", findings=[
        Finding(id="I1", severity="important", title="leak handle", locations=[Location(path="a.go", line_start=1)])])
    hit = [Finding(severity="important", title="leak handle", locations=[Location(path="a.go", line_start=2)])]
    res = {"A": scorers.score(gold, hit), "B": scorers.score(gold, [])}
    frames = [scorers.gold_frame({"r": r}, reviewer=name) for name, r in res.items()]
    u = scorers.unique_insights(scorers.concat(frames))
    assert dict(u.select("reviewer", "n_unique").rows()) == {"A": 1, "B": 0}
    rf = scorers.results_frame({"r": res["A"]}, run_id="x")
    agg = scorers.aggregate(rf).row(0, named=True)
    assert agg["f1"] == 1.0 and not math.isnan(agg["macro_f1"])


def test_unique_insights_against_the_recorded_panel():
    def f(title, path):
        return Finding(severity="important", title=title, locations=[Location(path=path, line_start=1)])

    gold = scorers.GoldSet(report_id="r", findings=[f("leak handle", "a.go").model_copy(update={"id": "I1"}),
                                                    f("stale cache", "b.go").model_copy(update={"id": "I2"})],
                           reviewer_findings={"Claude": [f("leak handle", "a.go")], "Codex": []})
    panel = scorers.panel_results(gold)
    assert set(panel) == {"Claude", "Codex"}
    program = scorers.score(gold, [f("leak handle", "a.go"), f("stale cache", "b.go")])
    frames = [scorers.gold_frame({"r": r}, reviewer=name) for name, r in {**panel, "program": program}.items()]
    u = dict(scorers.unique_insights(scorers.concat(frames)).select("reviewer", "n_unique").rows())
    assert u == {"Claude": 0, "Codex": 0, "program": 1}
