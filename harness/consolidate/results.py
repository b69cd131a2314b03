"""Results of consolidate runs: run metrics with bootstrap intervals, the confusion matrix,
and the decisions that flipped between two runs (what `bench --json`, `report` and `compare`
show for a consolidate run).

Everything is computed from stored rows: the cases' counts (run_cases.metrics, written by the
`consolidation` scorer when the case finished) and the decisions (run_decisions). Intervals
resample reports (epochs of a report summed first), as everywhere else in the harness.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np
import polars as pl
from harness.consolidate.models import (
    ConsolidationSection, DecisionComparison, DecisionDelta, DecisionFlip, RunConsolidation,
)
from harness.store import Store

#: metrics of a consolidate run that carry a 95% interval
INTERVAL_METRICS = ("decision_accuracy", "fp_rejection_recall", "fp_rejection_precision", "downgrade_recall",
                    "downgrade_precision", "precision", "recall", "f1", "severity_accuracy")


def is_consolidate_run(run: dict[str, Any]) -> bool:
    return ((run.get("config") or {}).get("task") or "review") == "consolidate"


def per_report_counts(st: Store, run_id: str) -> tuple[list[str], np.ndarray, list[str]]:
    """(report ids, counts matrix [report x field], fields): scored cases' counts summed per report."""
    from scorers.consolidation import DECISION_COUNT_FIELDS, decision_counts
    from scorers.metrics import COUNT_FIELDS

    from harness.store.consolidation import decision_frame

    fields = list(COUNT_FIELDS) + list(DECISION_COUNT_FIELDS)
    rows = st.all("SELECT report_id, epoch, metrics FROM run_cases WHERE run_id = ?"
                  " AND status IN ('ok', 'parse_failure') ORDER BY report_id, epoch", [run_id])
    dec = decision_frame(st, run_id)
    by_case: dict[tuple[str, int], dict[str, Any]] = {}
    for (rid, ep), part in dec.group_by(["report_id", "epoch"]) if dec.height else []:
        by_case[(rid, int(ep))] = decision_counts(dict(zip(part["ref"], part["gold"])),
                                                  dict(zip(part["ref"], part["decision"])))
    sums: dict[str, np.ndarray] = {}
    for rid, ep, m in rows:
        counts = (json.loads(m) if m else {}).get("counts", {})
        counts = {**counts, **by_case.get((rid, int(ep)), {})}
        vec = np.array([float(counts.get(f, 0.0) or 0.0) for f in fields])
        sums[rid] = sums.get(rid, 0) + vec
    ids = sorted(sums)
    mat = np.array([sums[r] for r in ids]) if ids else np.zeros((0, len(fields)))
    return ids, mat, fields


def _metrics_of(counts: dict[str, Any]) -> dict[str, np.ndarray]:
    from scorers.consolidation import decision_metrics_array
    from scorers.metrics import compute

    return {**compute(counts), **decision_metrics_array(counts)}


def _num(x: Any) -> float | None:
    v = float(x)
    return None if np.isnan(v) else v


def intervals(ids: list[str], mat: np.ndarray, fields: list[str], n: int = 1000, seed: int = 0,
              level: float = 0.95) -> dict[str, dict[str, Any]]:
    """Point value and percentile bootstrap interval (reports resampled) of INTERVAL_METRICS."""
    from scorers.aggregate import _weights

    if not ids:
        return {m: {"value": None, "low": None, "high": None} for m in INTERVAL_METRICS}
    point = _metrics_of(dict(zip(fields, mat.sum(axis=0))))
    reps = _metrics_of(dict(zip(fields, (_weights(len(ids), n, seed) @ mat).T)))
    out = {}
    a = (1 - level) / 2
    for m in INTERVAL_METRICS:
        r = np.asarray(reps[m], dtype=float)
        r = r[~np.isnan(r)]
        lo, hi = (None, None) if r.size == 0 else (float(np.quantile(r, a)), float(np.quantile(r, 1 - a)))
        out[m] = {"value": _num(point[m]), "low": lo, "high": hi}
    return out


def run_metrics(st: Store, run_id: str, base: Any = None, n_boot: int = 1000) -> Any:
    """The `metrics` of a consolidate run's `bench --json` (a ConsolidationMetrics)."""
    from scorers.consolidation import confusion

    from harness.runner.models import ConsolidationMetrics
    from harness.store import runs as sql

    ids, mat, fields = per_report_counts(st, run_id)
    total = dict(zip(fields, mat.sum(axis=0))) if ids else {}
    point = {k: _num(v) for k, v in _metrics_of(total).items()} if ids else {}
    t = sql.case_totals(st, run_id)
    scored = int(t["scored"] or 0)
    head = base.model_dump() if base is not None else {}
    return ConsolidationMetrics(
        **head,
        decision_accuracy=point.get("decision_accuracy"), fp_rejection_recall=point.get("fp_rejection_recall"),
        fp_rejection_precision=point.get("fp_rejection_precision"), downgrade_recall=point.get("downgrade_recall"),
        downgrade_precision=point.get("downgrade_precision"), severity_accuracy=point.get("severity_accuracy"),
        cost_per_report=(float(t["cost"]) / scored) if scored else None, n_reports=len(ids),
        n_decisions=int(total.get("n_decided", 0)), confusion=confusion(total),
        intervals=intervals(ids, mat, fields, n=n_boot))


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


def _confusion_of(st: Store, run_id: str) -> dict[str, dict[str, int]]:
    from scorers.consolidation import confusion

    ids, mat, fields = per_report_counts(st, run_id)
    return confusion(dict(zip(fields, mat.sum(axis=0)))) if ids else {}


# -- text --------------------------------------------------------------------------------------


def _cell(x: Any) -> str:
    """Markdown-safe cell: one line, pipes escaped, no HTML."""
    text = " ".join(str(x if x is not None else "—").split())
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("`", "\\`"))


def confusion_markdown(cm: dict[str, dict[str, int]]) -> str:
    """Rows: the gold decision (from the fates); columns: the consolidator's."""
    from scorers.consolidation import PREDICTED

    if not cm:
        return "_no scored decisions_"
    cols = [p for p in PREDICTED if any(row.get(p) for row in cm.values())]
    out = ["| gold \\ predicted | " + " | ".join(cols) + " | total |", "|---|" + "---|" * (len(cols) + 1)]
    for g, row in cm.items():
        out.append(f"| {g} | " + " | ".join(str(row.get(p, 0)) for p in cols) + f" | {sum(row.values())} |")
    return "\n".join(out)


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


def metrics_markdown(m: Any) -> str:
    """Decision metrics with their intervals, then the confusion matrix."""
    def f(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    rows = ["| Metric | Value | 95% interval |", "|---|---|---|"]
    for name in INTERVAL_METRICS:
        iv = (m.intervals or {}).get(name, {})
        lo, hi = iv.get("low"), iv.get("high")
        rows.append(f"| {name} | {f(getattr(m, name, None) if hasattr(m, name) else iv.get('value'))} | "
                    f"{'—' if lo is None else f'[{lo:.3f}, {hi:.3f}]'} |")
    cost = "—" if m.cost_per_report is None else f"{m.cost_per_report:.4f}"
    return "\n".join(rows + ["", f"{m.n_reports} reports, {m.n_decisions} scored decisions, cost per report {cost}",
                             "", confusion_markdown(m.confusion)])


def bench_markdown(res: Any) -> str:
    return "\n" + metrics_markdown(res.metrics)
