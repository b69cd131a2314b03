"""Leaderboard: one row per model, rates as ratios of sums, intervals, filters and formats."""

from __future__ import annotations

import json

import polars as pl
import pytest

from harness.retro.leaderboard import board, leaderboard, to_markdown, write
from harness.store import Store
from harness.store.gold import put_report
from tests.test_retro import sample


RECALL_COLS = ["credited", "gold_total", "credited_fixed", "gold_fixed", "credited_weight", "gold_weight"]


def per(rows, recalls=None):
    """Leaderboard input rows; `recalls` (one tuple of RECALL_COLS per row) default to none credited."""
    cols = ["report_id", "agent", "model", "raised", "raised_critical", "raised_important", "raised_suggestion",
            "kept", "downgraded", "dropped", "false_positives", "credited_critical", "unique_insights",
            "consolidated_total", "duration_s", "tool_calls"]
    recalls = recalls or [(0, r[13], 0, 0, 0.0, float(r[13])) for r in rows]
    return pl.DataFrame([dict(zip(cols, r)) | dict(zip(RECALL_COLS, x)) for r, x in zip(rows, recalls)]).with_columns(
        pl.col("duration_s").cast(pl.Float64), pl.col("tool_calls").cast(pl.Int64),
        pl.col("credited_weight").cast(pl.Float64), pl.col("gold_weight").cast(pl.Float64))


def test_recalls_are_ratios_of_sums_of_credited_findings():
    rows = [("a", "Claude", "Opus 4.6", 4, 0, 2, 2, 3, 1, 0, 0, 0, 2, 5, 300.0, 30),
            ("b", "Claude", "Opus 4.6", 6, 1, 2, 3, 3, 1, 2, 1, 1, 1, 6, 500.0, 50)]
    df = board(per(rows, [(3, 5, 2, 4, 6.0, 10.0), (2, 6, 0, 0, 2.0, 9.0)]), n_boot=200)
    r = df.row(0, named=True)
    assert r["recall"] == pytest.approx(5 / 11)
    assert r["recall_fixed"] == pytest.approx(2 / 4)  # the second report fixed nothing: it adds nothing
    assert r["recall_weighted"] == pytest.approx(8 / 19)
    for m in ("recall", "recall_fixed", "recall_weighted"):
        assert 0 <= r[f"{m}_lo"] <= r[m] <= r[f"{m}_hi"] <= 1
    assert "Recall (fixed)" in to_markdown(df)


def test_rates_are_ratios_of_sums_and_intervals_contain_them():
    df = board(per([
        ("a", "Claude", "Opus 4.6", 4, 0, 2, 2, 3, 1, 0, 0, 0, 2, 5, 300.0, 30),
        ("b", "Claude", "Opus 4.6", 6, 1, 2, 3, 3, 1, 2, 1, 1, 1, 6, 500.0, 50),
        ("c", "Claude", "Opus 4.6", 2, 0, 0, 2, 2, 0, 0, 0, 0, 1, 4, 400.0, None),
        ("a", "Claude", "Opus 4.7", 3, 0, 1, 2, 1, 1, 1, 1, 0, 0, 5, 100.0, 10),
    ]), n_boot=200)
    rows = {r["model"]: r for r in df.iter_rows(named=True)}
    six = rows["Opus 4.6"]
    assert six["reports"] == 3 and six["raised"] == 12
    assert six["kept_rate"] == pytest.approx(8 / 12)
    assert six["drop_rate"] == pytest.approx(2 / 12)
    assert six["unique_insight_share"] == pytest.approx(4 / 15)
    assert six["median_duration_s"] == 400.0 and six["median_tool_calls"] == 40
    assert six["kept_rate_lo"] <= six["kept_rate"] <= six["kept_rate_hi"]
    assert rows["Opus 4.7"]["kept_rate_lo"] is None  # one report: no interval
    assert "Opus 4.6" in to_markdown(df)


def test_same_seed_same_board():
    p = per([(f"r{i}", "Codex", "GPT 5.4", 3, 0, 2, 1, i % 4, 1, 0, 0, 0, 1, 5, 60.0 * i, i) for i in range(12)])
    assert board(p, n_boot=100, seed=1).equals(board(p, n_boot=100, seed=1))


def test_from_store_filters_and_formats(tmp_path):
    st = Store(tmp_path / "s.duckdb")
    r = sample().model_copy(update={"content_hash": "h1", "date": "2026-04-14T19:24", "pr": 309})
    r = r.model_copy(update={"findings": [f.model_copy(update={"resolution": "fixed" if f.id in ("C1", "I2") else
                                                               "skipped"}) for f in r.findings]})
    put_report(st, r)
    df = leaderboard(st, n_boot=50)
    assert set(df.get_column("model")) == {"Claude Opus 4.6", "Codex GPT 5.4", "Gemini 3.1 Pro"}
    gem = df.filter(pl.col("model") == "Gemini 3.1 Pro").row(0, named=True)
    assert gem["raised"] == 4 and gem["raised_critical"] == 3 and gem["critical_credited"] == 1
    assert gem["drop_rate"] == pytest.approx(2 / 4)
    # recall against the consolidated findings credited to the reviewer, from the stored gold table
    credited = [f for f in r.findings if "Gemini" in f.agents]
    assert gem["recall"] == pytest.approx(len(credited) / len(r.findings))
    fixed = [f for f in r.findings if f.resolution == "fixed"]
    assert gem["recall_fixed"] == pytest.approx(sum(f in credited for f in fixed) / len(fixed)) == 0.5
    assert leaderboard(st, pr=1).height == 0
    assert leaderboard(st, since="2026-04-15").height == 0
    assert leaderboard(st, until="2026-04-14").height == 3
    assert json.loads(write(df, "json", None))[0]["model"]
    assert write(df, "csv", None).startswith("model,agent,family,reports")
    out = tmp_path / "b.parquet"
    assert write(df, "parquet", str(out)) is None and pl.read_parquet(out).height == 3
    # a changed report is refreshed: its fates follow the new content
    put_report(st, r.model_copy(update={"content_hash": "h2", "findings": []}))
    assert leaderboard(st, n_boot=50).get_column("critical_credited").sum() == 0
    st.close()
