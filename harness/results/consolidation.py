"""Consolidate runs in `report` and `compare`: per-run decision metrics with intervals and the
confusion matrix, the paired comparison of two runs and the decisions that flipped, as markdown
and html (an inline SVG confusion matrix; every text escaped).

Read from stored rows only (harness.benchmark.consolidate.metrics): nothing is re-run or scored.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import polars as pl

from harness.core.consolidation import (
    ConsolidationSection, DecisionComparison, DecisionDelta, DecisionFlip, RunConsolidation,
)
from harness.store import Store
from harness.benchmark.consolidate.metrics import (
    INTERVAL_METRICS, _cell, _confusion_of, _metrics_of, _num, confusion_markdown, is_consolidate_run,
    per_report_counts, run_metrics,
)


# -- comparing two runs ------------------------------------------------------------------------


def _first_epoch(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.height == 0:
        return frame
    return frame.filter(pl.col("epoch") == pl.col("epoch").min().over("report_id"))


def compare_decisions(st: Store, run_a: str, run_b: str, *, n_boot: int = 1000, seed: int = 0) -> DecisionComparison:
    """Decision metrics of two consolidate runs, paired over the reports both scored (B - A with
    a paired bootstrap interval), and the original findings whose decision differs."""
    from scorers.aggregate import _weights

    from harness.store.consolidation import decision_frame

    ia, ma, fields = per_report_counts(st, run_a)
    ib, mb, _ = per_report_counts(st, run_b)
    common = sorted(set(ia) & set(ib))
    out = DecisionComparison(run_a=run_a, run_b=run_b, n_reports=len(common),
                             confusion_a=_confusion_of(st, run_a), confusion_b=_confusion_of(st, run_b))
    if common:
        pa = ma[[ia.index(r) for r in common]]
        pb = mb[[ib.index(r) for r in common]]
        w = _weights(len(common), n_boot, seed)
        va, vb = _metrics_of(dict(zip(fields, pa.sum(axis=0)))), _metrics_of(dict(zip(fields, pb.sum(axis=0))))
        ra, rb = _metrics_of(dict(zip(fields, (w @ pa).T))), _metrics_of(dict(zip(fields, (w @ pb).T)))
        for m in INTERVAL_METRICS:
            a, b = _num(va[m]), _num(vb[m])
            d = np.asarray(rb[m], dtype=float) - np.asarray(ra[m], dtype=float)
            d = d[~np.isnan(d)]
            lo, hi = (None, None) if d.size == 0 else (float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975)))
            out.metrics.append(DecisionDelta(metric=m, a=a, b=b, delta=None if a is None or b is None else b - a,
                                             low=lo, high=hi,
                                             beyond_noise=lo is not None and (lo > 0 or hi < 0)))
    fa, fb = _first_epoch(decision_frame(st, run_a)), _first_epoch(decision_frame(st, run_b))
    if fa.height == 0 or fb.height == 0:
        return out
    j = fa.select("report_id", "ref", "title", "gold", pl.col("decision").alias("a")).join(
        fb.select("report_id", "ref", pl.col("decision").alias("b")), on=["report_id", "ref"], how="inner")
    out.n_common = j.height
    for r in j.sort("report_id", "ref").iter_rows(named=True):
        if r["a"] == r["b"]:
            continue
        g = r["gold"]
        change = ("fixed" if g is not None and r["b"] == g else "broke" if g is not None and r["a"] == g
                  else "changed")
        setattr(out, change, getattr(out, change) + 1)
        out.flips.append(DecisionFlip(report_id=r["report_id"], ref=r["ref"], title=r["title"] or "", gold=g,
                                      a=r["a"], b=r["b"], change=change))
    return out


def flips_markdown(c: DecisionComparison, limit: int = 50) -> str:
    head = (f"Decisions of {c.n_common} original findings in both runs: {c.fixed} fixed, {c.broke} broke, "
            f"{c.changed} changed (both wrong).")
    if not c.flips:
        return head
    out = [head, "", "| Report | Finding | Title | Gold | A | B | Change |", "|---|---|---|---|---|---|---|"]
    for f in c.flips[:limit]:
        out.append(f"| {_cell(f.report_id)} | {_cell(f.ref)} | {_cell(f.title[:80])} | {_cell(f.gold)} | "
                   f"{_cell(f.a)} | {_cell(f.b)} | {f.change} |")
    if len(c.flips) > limit:
        out.append(f"\n... {len(c.flips) - limit} more")
    return "\n".join(out)


def _label(run: dict[str, Any]) -> str:
    return run["model"] if run["program"] == run["model"] else f"{run['program']} · {run['model']}"


def section(st: Store, runs: Sequence[dict[str, Any]], *, n_boot: int = 1000, seed: int = 0) -> ConsolidationSection:
    """What `harness report` shows for consolidate runs (read from stored rows only)."""
    out = ConsolidationSection()
    for run in runs:
        m = run_metrics(st, run["run_id"], n_boot=n_boot)
        out.runs.append(RunConsolidation(run_id=run["run_id"], label=_label(run), n_reports=m.n_reports,
                                         n_decisions=m.n_decisions, intervals=m.intervals, confusion=m.confusion,
                                         cost_per_report=m.cost_per_report))
    if len(runs) >= 2:
        out.comparison = compare_decisions(st, runs[0]["run_id"], runs[1]["run_id"], n_boot=n_boot, seed=seed)
    return out


def _ci(iv: dict[str, Any] | None) -> str:
    if not iv or iv.get("value") is None:
        return "—"
    if iv.get("low") is None:
        return f"{iv['value']:.2f}"
    return f"{iv['value']:.2f} [{iv['low']:.2f}, {iv['high']:.2f}]"


DECISION_COLUMNS = ("decision_accuracy", "fp_rejection_recall", "fp_rejection_precision", "downgrade_recall",
                    "downgrade_precision", "f1", "severity_accuracy")


def section_markdown(sec: ConsolidationSection) -> str:
    out = ["## Consolidation", "",
           "Decisions on the reviewers' original findings against the fates (gold); F1 and severity accuracy "
           "of the consolidated findings. 95% bootstrap intervals over reports.", "",
           "| Consolidator | Reports | Decisions | " + " | ".join(DECISION_COLUMNS) + " | Cost per report |",
           "|---|---|---|" + "---|" * (len(DECISION_COLUMNS) + 1)]
    for r in sec.runs:
        cost = "—" if r.cost_per_report is None else f"${r.cost_per_report:.4f}"
        out.append(f"| {_cell(r.label)} | {r.n_reports} | {r.n_decisions} | "
                   + " | ".join(_ci(r.intervals.get(m)) for m in DECISION_COLUMNS) + f" | {cost} |")
    for r in sec.runs:
        out += ["", f"### Confusion matrix: {_cell(r.label)}", "", confusion_markdown(r.confusion)]
    if sec.comparison is not None:
        out += ["", comparison_markdown(sec.comparison)]
    return "\n".join(out)


def comparison_markdown(c: DecisionComparison) -> str:
    out = [f"## Decisions: `{c.run_a}` (A) against `{c.run_b}` (B)", ""]
    if c.metrics:
        out += [f"Paired over {c.n_reports} reports both runs scored (95% paired bootstrap of B − A).", "",
                "| Metric | A | B | Δ (B − A) | 95% interval | Beyond noise |", "|---|---|---|---|---|---|"]
        for d in c.metrics:
            f = (lambda x, sign=False: "—" if x is None else (f"{x:+.3f}" if sign else f"{x:.3f}"))
            out.append(f"| {d.metric} | {f(d.a)} | {f(d.b)} | {f(d.delta, True)} | [{f(d.low, True)}, "
                       f"{f(d.high, True)}] | {'yes' if d.beyond_noise else 'no'} |")
        out.append("")
    out += [f"### Flipped decisions ({len(c.flips)})", "", flips_markdown(c)]
    return "\n".join(out)


def _heat(n: int, top: int, correct: bool) -> str:
    """Cell colour: green on the diagonal, red off it, stronger with the count."""
    if n == 0:
        return "#ffffff"
    a = 0.15 + 0.75 * (n / top if top else 0)
    r, g, b = (46, 139, 87) if correct else (200, 60, 60)
    mix = lambda c: int(255 - (255 - c) * a)  # noqa: E731
    return f"#{mix(r):02x}{mix(g):02x}{mix(b):02x}"


def confusion_svg(title: str, cm: dict[str, dict[str, int]]) -> str:
    """The confusion matrix as an inline SVG heat map (rows gold, columns predicted); every
    text escaped."""
    from html import escape

    from scorers.consolidation import PREDICTED

    e = lambda x: escape(str(x), quote=True)  # noqa: E731
    rows = list(cm)
    cols = [p for p in PREDICTED if any(cm[g].get(p) for g in rows)] or ["none"]
    cw, ch, left, top = 78, 26, 110, 46
    width, height = left + cw * len(cols) + 10, top + ch * max(len(rows), 1) + 30
    peak = max([v for g in rows for v in cm[g].values()] or [0])
    body = [f'<text x="{left + cw * len(cols) / 2:.0f}" y="14" class="small" text-anchor="middle">predicted</text>',
            f'<text x="8" y="{top - 8}" class="small">gold</text>']
    for j, p in enumerate(cols):
        body.append(f'<text x="{left + cw * j + cw / 2:.0f}" y="{top - 8}" class="small" '
                    f'text-anchor="middle">{e(p)}</text>')
    for i, g in enumerate(rows):
        y = top + ch * i
        body.append(f'<text x="{left - 6}" y="{y + ch / 2 + 4:.0f}" class="small" text-anchor="end">{e(g)}</text>')
        for j, p in enumerate(cols):
            n = int(cm[g].get(p, 0))
            body.append(f'<rect class="cm" x="{left + cw * j}" y="{y}" width="{cw}" height="{ch}" '
                        f'fill="{_heat(n, peak, g == p)}" stroke="#ccc"><title>{e(g)} → {e(p)}: {n}</title></rect>'
                        f'<text x="{left + cw * j + cw / 2:.0f}" y="{y + ch / 2 + 4:.0f}" class="small" '
                        f'text-anchor="middle">{n}</text>')
    if not rows:
        body.append(f'<text x="{left}" y="{top + 16}" class="small">no scored decisions</text>')
    return (f'<figure><figcaption>{e(title)}</figcaption><svg class="chart confusion" role="img" '
            f'aria-label="{e(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg></figure>")


def section_html(sec: ConsolidationSection) -> str:
    from html import escape

    e = lambda x: escape(str(x), quote=True)  # noqa: E731
    head = "".join(f"<th>{e(h)}</th>" for h in ("Consolidator", "Reports", "Decisions", *DECISION_COLUMNS,
                                                 "Cost per report"))
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(c)}</td>" for c in (
            r.label, r.n_reports, r.n_decisions, *(_ci(r.intervals.get(m)) for m in DECISION_COLUMNS),
            "—" if r.cost_per_report is None else f"${r.cost_per_report:.4f}")) + "</tr>" for r in sec.runs)
    parts = ["<h2>Consolidation</h2>", '<p class="note">Decisions on the reviewers\' original findings against '
             "the fates; 95% bootstrap intervals over reports.</p>",
             f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"]
    parts += [confusion_svg(f"Decisions of {r.label}: gold (rows) against predicted (columns)", r.confusion)
              for r in sec.runs]
    c = sec.comparison
    if c is not None:
        parts.append(f"<h3>Flipped decisions: {e(c.run_a)} (A) → {e(c.run_b)} (B)</h3>"
                     f'<p class="note">{c.fixed} fixed, {c.broke} broke, {c.changed} changed of {c.n_common}.</p>')
        if c.flips:
            fh = "".join(f"<th>{h}</th>" for h in ("Report", "Finding", "Title", "Gold", "A", "B", "Change"))
            fr = "".join("<tr>" + "".join(f"<td>{e(x if x is not None else '—')}</td>" for x in (
                f.report_id, f.ref, f.title[:100], f.gold, f.a, f.b, f.change)) + "</tr>" for f in c.flips[:100])
            parts.append(f"<table><thead><tr>{fh}</tr></thead><tbody>{fr}</tbody></table>")
    return "".join(parts)


