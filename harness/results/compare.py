"""`harness compare RUN_A RUN_B`: paired on report id, per-metric deltas with paired bootstrap
intervals, and the gold findings that flipped between the runs (found -> missed and back)."""

from __future__ import annotations

from typing import Literal, Mapping

import polars as pl
from pydantic import BaseModel, Field

from harness.core.consolidation import DecisionComparison
from harness.core.errors import HarnessError
from harness.core.runs import is_replay
from harness.core.tables import markdown_table
from harness.store import Store

METRICS = ("precision_strict", "precision_lenient", "recall", "f1_strict", "f1_lenient", "recall_critical",
           "recall_important", "recall_suggestion", "recall_weighted", "recall_fixed", "severity_accuracy", "over_call_rate",
           "known_fp_rate", "file_hit_rate")
# rates where a rise is a regression
LOWER_IS_BETTER = frozenset({"over_call_rate", "under_call_rate", "known_fp_rate"})


class MetricDelta(BaseModel):
    metric: str
    a: float | None
    b: float | None
    delta: float | None  # b - a
    low: float | None
    high: float | None
    beyond_noise: bool  # the 95% interval of the delta excludes 0
    better: Literal["a", "b", "same"] | None  # which run is better when beyond noise (else "same")


class Flip(BaseModel):
    report_id: str
    gold_id: str
    severity: str | None
    title: str | None
    direction: Literal["found -> missed", "missed -> found"]


class Comparison(BaseModel):
    run_a: str
    run_b: str
    label_a: str
    label_b: str
    scorer: str
    scorer_args: dict
    n_reports: int  # reports both runs scored
    only_a: list[str] = Field(default_factory=list)
    only_b: list[str] = Field(default_factory=list)
    n_boot: int
    metrics: list[MetricDelta]
    flips: list[Flip]
    # both runs consolidate runs: decision metrics side by side and the decisions that flipped
    decisions: DecisionComparison | None = None


def _label(run: dict) -> str:
    m = run["model"]
    return m if is_replay(m) else f"{run['program']} · {m}"


def flips(gold_a: pl.DataFrame, gold_b: pl.DataFrame) -> list[Flip]:
    """Gold findings found by one run and missed by the other (any epoch counts as found)."""
    def per(g: pl.DataFrame, name: str) -> pl.DataFrame:
        return (g.group_by(["report_id", "gold_id"])
                .agg((pl.col("status") == "found").any().alias(name), pl.col("severity").first(),
                     pl.col("title").first()))

    a, b = per(gold_a, "found_a"), per(gold_b, "found_b").drop("severity", "title")
    both = a.join(b, on=["report_id", "gold_id"], how="inner").filter(pl.col("found_a") != pl.col("found_b"))
    return [Flip(report_id=r["report_id"], gold_id=r["gold_id"], severity=r["severity"], title=r["title"],
                 direction="found -> missed" if r["found_a"] else "missed -> found")
            for r in both.sort("report_id", "gold_id").to_dicts()]


def compare(st: Store, run_a: str, run_b: str, *, n_boot: int = 1000, seed: int = 0,
            k: int | None = None, weights: Mapping[str, float] | None = None) -> Comparison:
    """Both runs read under run A's own scored view (`k` changes its line tolerance, `weights` its
    severity weights: views stored by `harness rescore`); reads stored scores only."""
    import scorers
    from harness.results.stored_scores import read_scores, run_view
    from harness.store.runs import get_run

    ra, rb = get_run(st, run_a), get_run(st, run_b)
    if ra["run_id"] == rb["run_id"]:
        raise HarnessError("compare needs two different runs")
    view = run_view(ra, k=k, weights=weights)
    scorer, args = view.scorer, view.args
    sa, ga = read_scores(st, ra, view)
    sb, gb = read_scores(st, rb, view)
    ids_a, ids_b = set(sa.get_column("report_id")), set(sb.get_column("report_id"))
    common = sorted(ids_a & ids_b)
    if not common:
        raise HarnessError(f"runs {ra['run_id']} and {rb['run_id']} have no scored report in common")
    deltas = []
    for m in METRICS:
        d = scorers.paired_bootstrap(sa, sb, m, n=n_boot, seed=seed, kind="micro")
        better = None
        if d.delta is not None:
            up = "b" if d.delta > 0 else "a"
            if m in LOWER_IS_BETTER:
                up = "a" if up == "b" else "b"
            better = up if d.beyond_noise else "same"
        deltas.append(MetricDelta(metric=m, a=d.a, b=d.b, delta=d.delta, low=d.low, high=d.high,
                                  beyond_noise=d.beyond_noise, better=better))
    keep = pl.col("report_id").is_in(common)
    decisions = None
    from harness.results.consolidation import compare_decisions, is_consolidate_run

    if is_consolidate_run(ra) and is_consolidate_run(rb):
        decisions = compare_decisions(st, ra["run_id"], rb["run_id"], n_boot=n_boot, seed=seed)
    return Comparison(decisions=decisions, run_a=ra["run_id"], run_b=rb["run_id"], label_a=_label(ra), label_b=_label(rb), scorer=scorer,
                      scorer_args=args, n_reports=len(common), only_a=sorted(ids_a - ids_b),
                      only_b=sorted(ids_b - ids_a), n_boot=n_boot, metrics=deltas,
                      flips=flips(ga.filter(keep), gb.filter(keep)))


def _f(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def to_markdown(c: Comparison) -> str:
    out = [f"# Compare `{c.run_a}` (A: {c.label_a}) with `{c.run_b}` (B: {c.label_b})", "",
           f"Paired over {c.n_reports} reports both runs scored; scorer `{c.scorer}` (k={c.scorer_args.get('k')});"
           f" 95% paired bootstrap intervals ({c.n_boot} replicates) of B − A.", ""]
    if c.only_a or c.only_b:
        out += [f"Left out: {len(c.only_a)} reports only A scored, {len(c.only_b)} only B scored.", ""]
    verdict = {"a": "yes: A better", "b": "yes: B better", "same": "no", None: "—"}
    out.append(markdown_table(["Metric", "A", "B", "Δ (B − A)", "95% interval", "Beyond noise"],
                              [[d.metric, _f(d.a), _f(d.b), _f(d.delta, True),
                                f"[{_f(d.low, True)}, {_f(d.high, True)}]", verdict[d.better]] for d in c.metrics]))
    out += ["", f"## Flipped gold findings ({len(c.flips)})", ""]
    if not c.flips:
        out.append("None: both runs found the same gold findings.")
    else:
        out.append(markdown_table(["Report", "Gold", "Severity", "Flip (A → B)", "Title"],
                                  [[f.report_id, f.gold_id, f.severity or "—", f.direction, f.title or ""]
                                   for f in c.flips]))
    if c.decisions is not None:
        from harness.results.consolidation import comparison_markdown

        out += ["", comparison_markdown(c.decisions)]
    return "\n".join(out) + "\n"
