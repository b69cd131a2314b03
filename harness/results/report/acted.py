"""What a team can act on: report-date windows, a training cut-off split, and cost per found issue.

- `--since` / `--until` restrict a report to the gold reports dated in a window.
- A cut-off (a model's training cut-off: `--cutoff`, or `[tool.harness.cutoffs]` per model) splits
  every metric into the reports dated before it (the model may have read them: reports are public
  from the day they are written) and after it, each side with bootstrap intervals over its reports;
  a side with fewer than `MIN_SIDE_REPORTS` reports is flagged as too few to tell.
- Cost per true positive and per fixed finding found: the run's cost over what it found. Replays
  and models without a price have no cost to divide: `unknown`.
"""

from __future__ import annotations

from typing import Any, Mapping

import polars as pl

from harness.core.models import check_date
from harness.results.report.document import ACTED_METRICS, INTERVAL_METRICS, CutoffSide, Estimate, Usage

MIN_SIDE_REPORTS = 5


def cutoff_for(run: Mapping[str, Any], label: str, cutoff: str | None,
               cutoffs: Mapping[str, Any] | None) -> str | None:
    """The cut-off of one reviewer: `cutoff` (one for all) or the config entry naming its model,
    its label or its family (`replay:Claude` -> `Claude`), case-insensitively."""
    if cutoff:
        return check_date(cutoff, "--cutoff")
    if not cutoffs:
        return None
    table = {str(k).lower(): v for k, v in cutoffs.items()}
    model = str(run.get("model") or "")
    for key in (model, model.split(":", 1)[-1], label):
        v = table.get(key.lower())
        if v is not None:
            return check_date(str(v), f"cut-off of {key!r} in the config")
    return None


def _side(frame: pl.DataFrame, n_boot: int, seed: int) -> Any:
    import scorers

    n = frame.get_column("report_id").n_unique() if frame.height else 0
    agg = scorers.aggregate(frame, strict=True).row(0, named=True) if frame.height else {}
    intervals = {}
    for m in (*INTERVAL_METRICS, *ACTED_METRICS):
        iv = scorers.bootstrap_ci(frame, m, n=n_boot, seed=seed, kind="micro")
        intervals[m] = Estimate(value=iv.value, low=iv.low, high=iv.high)
    return CutoffSide(n_reports=n, enough=n >= MIN_SIDE_REPORTS, intervals=intervals,
                      **{m: agg.get(m) for m in scorers.METRIC_FIELDS})


def split_by_cutoff(frame: pl.DataFrame, dates: Mapping[str, str | None], cutoff: str, *,
                    n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """{"before": CutoffSide, "after": CutoffSide} of one reviewer's score rows; reports dated
    before `cutoff` go before, on or after it after (undated reports are left out)."""
    before = [r for r, d in dates.items() if d and d[:10] < cutoff]
    after = [r for r, d in dates.items() if d and d[:10] >= cutoff]
    return {"before": _side(frame.filter(pl.col("report_id").is_in(before)), n_boot, seed),
            "after": _side(frame.filter(pl.col("report_id").is_in(after)), n_boot, seed)}


def cost_per_found(kind: str, usage: Usage, counts: Mapping[str, float]) -> tuple[Any, Any]:
    """(USD per true positive, USD per fixed finding found): "unknown" without a price, None when
    nothing was found."""
    priced = kind != "replay" and usage.cost > 0
    out = []
    for key in ("tp", "found_fixed"):
        n = float(counts.get(key) or 0)
        out.append("unknown" if not priced else (usage.cost / n if n > 0 else None))
    return out[0], out[1]


def cutoff_notes(label: str, cutoff: str, sides: Mapping[str, Any]) -> list[str]:
    """Plain-language notes on one reviewer's split: too few reports, or a gap beyond noise."""
    b, a = sides["before"], sides["after"]
    if not a.enough:
        return [f"{label}: only {a.n_reports} report(s) dated on or after the cut-off {cutoff}: "
                f"too few to tell whether it scores differently on reports it cannot have read "
                f"(need {MIN_SIDE_REPORTS})"]
    if not b.enough:
        return [f"{label}: only {b.n_reports} report(s) before the cut-off {cutoff}: too few to compare"]
    ib, ia = b.intervals.get("recall"), a.intervals.get("recall")
    if ib and ia and None not in (ib.low, ib.high, ia.low, ia.high):
        if ia.high < ib.low:
            return [f"{label}: recall after the cut-off {cutoff} is below its interval before it: "
                    "the earlier reports may be memorised"]
        return [f"{label}: recall before and after the cut-off {cutoff} overlap: no sign of memorisation"]
    return []
