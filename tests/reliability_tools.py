"""Helpers of the reliability tests: whole-store text dumps, invariants of a run, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def tables(st: Any) -> list[str]:
    return [r[0] for r in st.all("SELECT table_name FROM information_schema.tables"
                                 " WHERE table_schema = 'main' ORDER BY table_name")]


def columns(st: Any, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in st.all("SELECT column_name, data_type FROM information_schema.columns"
                                         " WHERE table_name = ? ORDER BY ordinal_position", [table])]


def dump_table(st: Any, table: str, where: str = "", *, stamps: bool = True) -> list[tuple]:
    """Every row of a table with every column cast to text, sorted (order-free comparison).
    `stamps=False` leaves out TIMESTAMP columns (when rows were written differs between runs)."""
    names = [c for c, t in columns(st, table) if stamps or not t.startswith("TIMESTAMP")]
    cols = ", ".join(f'"{c}"::VARCHAR' for c in names)
    rows = st.all(f'SELECT {cols} FROM "{table}" {where}')
    if table == "case_memo" and "value" in names:  # stored deflated: compare (and scan) the JSON itself
        from harness.store.memo import memo_text

        i = names.index("value")
        rows = [r[:i] + (memo_text(r[i]),) + r[i + 1:] for r in rows]
    return sorted(rows, key=repr)


def dump_store(st: Any, skip: tuple[str, ...] = (), *, stamps: bool = True) -> dict[str, list[tuple]]:
    return {t: dump_table(st, t, stamps=stamps) for t in tables(st) if t not in skip}


def assert_run_consistent(st: Any, run_id: str) -> None:
    """No case stored (scored) twice; each scored case holds exactly its predictions; the run's
    stored totals equal the sums over its cases."""
    dup = st.all("SELECT report_id, epoch, count(*) FROM run_cases WHERE run_id = ? GROUP BY ALL"
                 " HAVING count(*) > 1", [run_id])
    assert dup == [], dup
    # predictions: indexes 0..n-1 without gaps, only for cases that were scored
    bad = st.all("""
        SELECT p.report_id, p.epoch, count(*), max(p.idx), any_value(c.status)
        FROM run_predictions p LEFT JOIN run_cases c USING (run_id, report_id, epoch)
        WHERE p.run_id = ? GROUP BY ALL
        HAVING count(*) != max(p.idx) + 1 OR any_value(c.status) IS DISTINCT FROM 'ok'""", [run_id])
    assert bad == [], bad
    # a scored case has its one score, whose tp + fp is the number of predictions it stored
    mism = st.all("""
        SELECT c.report_id, c.epoch, any_value(s.tp + s.fp), count(p.idx)
        FROM run_cases c LEFT JOIN scores s USING (run_id, report_id, epoch)
        LEFT JOIN run_predictions p USING (run_id, report_id, epoch)
        WHERE c.run_id = ? AND c.status IN ('ok', 'parse_failure') GROUP BY c.report_id, c.epoch
        HAVING count(DISTINCT s.args_hash) != 1 OR any_value(s.tp + s.fp) != count(p.idx)""", [run_id])
    assert mism == [], mism


def harness_proc(*args: str, env: dict[str, str], **kw: Any) -> subprocess.Popen:
    """`harness ARGS` in a fresh interpreter (the console script's entry point)."""
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def subprocess_env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")}
    env.update({"HARNESS_DB": str(db), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def assert_one_line_error(stderr: str, contains: str = "") -> None:
    """A HarnessError as the CLI prints it: one `harness: error:` line, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("harness: error:")]
    assert len(lines) == 1, stderr
    assert contains.lower() in lines[0].lower(), stderr
