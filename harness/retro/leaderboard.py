"""Leaderboard of the recorded reviewers: one row per reviewer model over all stored reports.

Per (report, reviewer) counts are summed in DuckDB (`harness.store.fates.per_report_agent`),
the per-model figures are polars group-bys, and the 95% intervals resample reports with
replacement. Rates are ratios of sums over the resampled reports (a report with many findings
weighs more, as it does in the point estimate); medians are medians over reports.

Resampling costs B x (report, reviewer) rows. Up to `EXACT_BUDGET` weights it is a percentile
bootstrap with B replicates; beyond that (tens of thousands of reports) the interval is the
bootstrap's large-sample limit instead: normal with the bootstrap variance, computed exactly
without drawing (delta method for ratios, order statistics for medians). `ci` says which.
"""

from __future__ import annotations

import math
import numpy as np
import polars as pl

from harness.core.models import model_family

#: (name, numerator column, denominator column) of every rate on the board
RATES = (
    ("kept_rate", "kept", "raised"),
    ("downgrade_rate", "downgraded", "raised"),
    ("drop_rate", "dropped", "raised"),
    ("false_positive_rate", "false_positives", "raised"),
    ("unique_insight_share", "unique_insights", "consolidated_total"),
)
#: recall of the recorded reviewers against the consolidated findings the report credits them with:
#: all of them, the ones the author fixed (Resolution table), and weighted by severity (3/2/1)
RECALLS = (
    ("recall", "credited", "gold_total"),
    ("recall_fixed", "credited_fixed", "gold_fixed"),
    ("recall_weighted", "credited_weight", "gold_weight"),
)
MEDIANS = (("median_duration_s", "duration_s"), ("median_tool_calls", "tool_calls"))
EXACT_BUDGET = 20_000_000
Z95 = 1.959963984540054


def _percentile_ratio(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> tuple[float, float]:
    n_s, d_s = num[idx].sum(axis=1), den[idx].sum(axis=1)
    ok = d_s > 0
    if not ok.any():
        return math.nan, math.nan
    r = n_s[ok] / d_s[ok]
    lo, hi = np.quantile(r, [0.025, 0.975])
    return float(lo), float(hi)


def _normal_ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    d = den.sum()
    if d <= 0:
        return math.nan, math.nan
    r = num.sum() / d
    se = math.sqrt(float(((num - r * den) ** 2).sum())) / d
    return max(0.0, r - Z95 * se), min(1.0, r + Z95 * se)  # every rate here is a share in [0, 1]


def _percentile_median(vals: np.ndarray, rng: np.random.Generator, b: int) -> tuple[float, float]:
    reps = np.median(vals[rng.integers(0, len(vals), size=(b, len(vals)))], axis=1)
    lo, hi = np.quantile(reps, [0.025, 0.975])
    return float(lo), float(hi)


def _order_stat_median(vals: np.ndarray) -> tuple[float, float]:
    """Distribution-free 95% interval of a median from order statistics (binomial, normal approx)."""
    s = np.sort(vals)
    n = len(s)
    k = int(math.floor(n / 2 - Z95 * math.sqrt(n) / 2))
    return float(s[max(k, 0)]), float(s[min(n - 1 - k, n - 1)])


def _model_rows(per: pl.DataFrame, n_boot: int, seed: int) -> list[dict]:
    """Intervals per model; a loop over models (a handful), vectorised over reports."""
    rng = np.random.default_rng(seed)
    exact = per.height * n_boot <= EXACT_BUDGET
    out = []
    for (model,), g in per.group_by(["model"], maintain_order=True):
        row: dict = {"model": model}
        n = g.height
        idx = rng.integers(0, n, size=(n_boot, n)) if exact and n > 1 else None
        for name, num_c, den_c in (*RATES, *RECALLS):
            num = g.get_column(num_c).cast(pl.Float64).to_numpy()
            den = g.get_column(den_c).cast(pl.Float64).to_numpy()
            if n < 2:
                lo = hi = math.nan
            elif idx is not None:
                lo, hi = _percentile_ratio(num, den, idx)
            else:
                lo, hi = _normal_ratio(num, den)
            row[f"{name}_lo"], row[f"{name}_hi"] = lo, hi
        for name, col in MEDIANS:
            vals = g.get_column(col).drop_nulls().cast(pl.Float64).to_numpy()
            if len(vals) < 2:
                lo = hi = math.nan
            elif idx is not None:
                lo, hi = _percentile_median(vals, rng, n_boot)
            else:
                lo, hi = _order_stat_median(vals)
            row[f"{name}_lo"], row[f"{name}_hi"] = lo, hi
        row["ci"] = (f"percentile bootstrap over reports, B={n_boot}" if exact
                     else "bootstrap normal limit over reports (exact variance)")
        out.append(row)
    return out


def board(per: pl.DataFrame, *, n_boot: int = 1000, seed: int = 0) -> pl.DataFrame:
    """The leaderboard from per (report, reviewer) rows (see `per_report_agent`)."""
    if per.height == 0:
        return pl.DataFrame()
    point = (
        per.group_by("model")
        .agg(
            pl.col("agent").first().alias("agent"),
            pl.col("model").first().map_elements(model_family, return_dtype=pl.String).alias("family"),
            pl.col("report_id").n_unique().alias("reports"),
            pl.col("raised").sum(),
            pl.col("raised_critical").sum(),
            pl.col("raised_important").sum(),
            pl.col("raised_suggestion").sum(),
            *[(pl.col(n).sum() / pl.col(d).sum()).alias(name) for name, n, d in (*RATES, *RECALLS)],
            pl.col("credited_critical").sum().alias("critical_credited"),
            *[pl.col(c).median().alias(name) for name, c in MEDIANS],
        )
    )
    ci = pl.DataFrame(_model_rows(per, n_boot, seed))
    cols = ["model", "agent", "family", "reports", "raised", "raised_critical", "raised_important", "raised_suggestion"]
    for name, *_ in RATES[:4]:
        cols += [name, f"{name}_lo", f"{name}_hi"]
    cols += ["critical_credited"]
    for name in (RATES[4][0], *[r for r, *_ in RECALLS], *[m for m, _ in MEDIANS]):
        cols += [name, f"{name}_lo", f"{name}_hi"]
    cols += ["ci"]
    return (point.join(ci, on="model", how="left")
            .with_columns(pl.col(pl.Float64).fill_nan(None))
            .sort(["kept_rate", "reports"], descending=True, nulls_last=True)
            .select(cols))


def leaderboard(st, *, since: str | None = None, until: str | None = None, pr: int | str | None = None,
                n_boot: int = 1000, seed: int = 0, refresh: bool = True) -> pl.DataFrame:
    """Leaderboard over the stored reports (fates refreshed first for reports that changed).
    `pr`: a number (that number in every repository) or `owner/name#N` (one PR)."""
    from harness.core.models import pr_ref

    from harness.store import fates as retro_store

    if refresh:
        from harness.gold.facts import refresh as refresh_fates

        refresh_fates(st)
    repo, number = pr_ref(pr)
    return board(retro_store.per_report_agent(st, since, until, number, repo=repo), n_boot=n_boot, seed=seed)


# -- output ---------------------------------------------------------------------------------

def _fmt(v, digits: int = 2, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if pct:
        return f"{100 * v:.0f}%"
    if isinstance(v, float):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"
    return str(v)


def _interval(row: dict, name: str, pct: bool = True, digits: int = 2) -> str:
    v, lo, hi = row.get(name), row.get(f"{name}_lo"), row.get(f"{name}_hi")
    if v is None:
        return "—"
    if lo is None or hi is None:
        return _fmt(v, digits, pct)
    return f"{_fmt(v, digits, pct)} [{_fmt(lo, digits, pct)}, {_fmt(hi, digits, pct)}]"


def _duration(s) -> str:
    if s is None:
        return "—"
    s = int(round(s))
    return f"{s // 60}m {s % 60:02d}s"


def to_markdown(df: pl.DataFrame) -> str:
    from harness.core.tables import markdown_table as table

    if df.height == 0:
        return "No stored reports with reviewers.\n"
    header = ["Model", "Reports", "Raised (C/I/S)", "Kept", "Downgraded", "Dropped / FP", "False positives",
              "Critical credited", "Unique-insight share", "Recall (credited)", "Recall (fixed)",
              "Recall (severity-weighted)", "Median duration", "Median tool calls"]
    rows = []
    for r in df.iter_rows(named=True):
        dur = r["median_duration_s"]
        dur_cell = "—" if dur is None else (
            f"{_duration(dur)} [{_duration(r['median_duration_s_lo'])}, {_duration(r['median_duration_s_hi'])}]"
            if r["median_duration_s_lo"] is not None else _duration(dur))
        rows.append([
            r["model"], str(r["reports"]),
            f"{r['raised']} ({r['raised_critical']}/{r['raised_important']}/{r['raised_suggestion']})",
            _interval(r, "kept_rate"), _interval(r, "downgrade_rate"), _interval(r, "drop_rate"),
            _interval(r, "false_positive_rate"), str(r["critical_credited"]),
            _interval(r, "unique_insight_share"), *(_interval(r, name) for name, *_ in RECALLS), dur_cell,
            _interval(r, "median_tool_calls", pct=False, digits=0),
        ])
    methods = sorted(set(df.get_column("ci").drop_nulls().to_list()))
    return (table(header, rows) + f"\n\nIntervals: 95%, {'; '.join(methods) or 'none'}. Recall: of the "
            "consolidated findings, the share the report credits to the reviewer; (fixed): of those the author "
            "fixed; (severity-weighted): critical 3, important 2, suggestion 1.\n")


FORMATS = ("md", "json", "csv", "parquet")


def render(df: pl.DataFrame, fmt: str) -> str | bytes:
    """The board in one of FORMATS (parquet as bytes)."""
    import io
    import json

    from harness.core.tables import render_as

    def parquet() -> bytes:
        buf = io.BytesIO()
        df.write_parquet(buf)
        return buf.getvalue()

    return render_as(fmt, {"md": lambda: to_markdown(df),
                           "json": lambda: json.dumps(df.to_dicts(), indent=2, default=str) + "\n",
                           "csv": df.write_csv, "parquet": parquet})


def write(df: pl.DataFrame, fmt: str, path: str | None) -> str | None:
    """Render or write the board; returns text to print (None when written to a file)."""
    from harness.core.tables import emit

    return emit(render(df, fmt), path, fmt)

