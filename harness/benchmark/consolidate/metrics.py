"""Metrics of consolidate runs from stored rows: what `bench --json` prints for them.

Everything is computed from stored rows: the cases' counts (their one stored score, by the
`consolidation` scorer when the case finished) and the decisions (run_decisions). Intervals
resample reports (epochs of a report summed first), as everywhere else in the harness.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

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
    from harness.store.runs import get_run, own_view

    scorer, ah = own_view(get_run(st, run_id))
    rows = st.all("SELECT c.report_id, c.epoch, s.counts FROM run_cases c LEFT JOIN scores s"
                  " ON s.run_id = c.run_id AND s.report_id = c.report_id AND s.epoch = c.epoch"
                  " AND s.scorer = ? AND s.args_hash = ? WHERE c.run_id = ?"
                  " AND c.status IN ('ok', 'parse_failure') ORDER BY c.report_id, c.epoch", [scorer, ah, run_id])
    dec = decision_frame(st, run_id)
    by_case: dict[tuple[str, int], dict[str, Any]] = {}
    for (rid, ep), part in dec.group_by(["report_id", "epoch"]) if dec.height else []:
        by_case[(rid, int(ep))] = decision_counts(dict(zip(part["ref"], part["gold"])),
                                                  dict(zip(part["ref"], part["decision"])))
    sums: dict[str, np.ndarray] = {}
    for rid, ep, m in rows:
        counts = json.loads(m) if m else {}
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

    from harness.core.runs import ConsolidationMetrics
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
        cost_per_report=(float(t["cost"]) / scored) if scored and t["cost"] is not None else None, n_reports=len(ids),
        n_decisions=int(total.get("n_decided", 0)), confusion=confusion(total),
        intervals=intervals(ids, mat, fields, n=n_boot))


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
