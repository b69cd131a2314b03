"""SQL for the consolidate task: each original finding's decision in a run, beside its gold."""

from __future__ import annotations

from typing import Any, Sequence

import polars as pl

from harness.core.secrets import redact
from harness.store import Store

_COLS = ("run_id", "report_id", "epoch", "ref", "agent", "idx", "finding_id", "severity", "title", "decision",
         "target", "reason", "gold_fate", "gold", "correct")
_SCHEMA = {"run_id": pl.Utf8, "report_id": pl.Utf8, "epoch": pl.Int32, "ref": pl.Utf8, "agent": pl.Utf8,
           "idx": pl.Int32, "finding_id": pl.Utf8, "severity": pl.Utf8, "title": pl.Utf8, "decision": pl.Utf8,
           "target": pl.Utf8, "reason": pl.Utf8, "gold_fate": pl.Utf8, "gold": pl.Utf8, "correct": pl.Boolean}


def insert_decisions(st: Store, cases: Sequence[Any]) -> None:
    """Insert the decisions of finished cases (callers hold the case's transaction)."""
    rows = [{"run_id": c.run_id, "report_id": c.report_id, "epoch": c.epoch,
             **{k: d.get(k) for k in _COLS[3:]},
             "title": redact(d.get("title") or ""), "reason": redact(d.get("reason") or "")}
            for c in cases for d in (getattr(c, "decisions", None) or [])]
    if rows:
        st.insert_frame("run_decisions", pl.DataFrame(rows, schema=_SCHEMA))


def decision_frame(st: Store, run_id: str) -> pl.DataFrame:
    """Every decision of a run, one row per (report, epoch, original finding)."""
    with st._lock:
        tbl = st.con.sql(f"SELECT {', '.join(_COLS)} FROM run_decisions WHERE run_id = ?"
                         " ORDER BY report_id, epoch, agent, idx", params=[run_id]).to_arrow_table()
    frame = pl.from_arrow(tbl)
    return frame if isinstance(frame, pl.DataFrame) and frame.height else pl.DataFrame(schema=_SCHEMA)


def has_decisions(st: Store, run_id: str) -> bool:
    return st.one("SELECT 1 FROM run_decisions WHERE run_id = ? LIMIT 1", [run_id]) is not None
