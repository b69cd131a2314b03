"""The store's share of a long run's memory, without the runner: a finished run's rows written
again the way the run's writer writes them, and RSS read just before and just after each time the
file is closed.

    uv run python bench/store_growth.py --run-store RUN.duckdb --store /tmp/mem10k.duckdb [--tables a,b]

`--run-store` is a store holding one finished `bench/memory.py` run (memory.py leaves its copy in
a temporary folder and prints its path); `--store` the populated store that run started from. The
rows of the run's tables (and its model-call cache and case memo) are read into memory first, then
written in finishing order into a fresh copy of `--store`: ~60 cases per transaction, the file
closed after every 4 (as the writer does). No model, no scoring, no Python state per case: what
grows here is DuckDB's. Printed: the least-squares MB per 1,000 cases of RSS with the file open
(just before a close) and closed (just after).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import arenas  # noqa: E402, I001 - first: it sets the malloc arenas before polars or DuckDB start threads
from rss import rss_mb, slope  # noqa: E402

RUN_TABLES = ("run_cases", "run_predictions", "scores", "score_labels")
CACHE_TABLES = ("model_calls", "case_memo")


def _rows(run_store: Path, tables: list[str]):
    """(run row, report ids in finishing order, {table: frame with a `_pos` column})."""
    import polars as pl
    from harness.store import Store

    src = Store(run_store, read_only=True)
    try:
        runs = src.frame("SELECT * FROM runs")
        if len(runs) != 1:
            raise SystemExit(f"{run_store} holds {len(runs)} runs; give the store of one bench/memory.py run")
        run_id = runs["run_id"][0]
        order = src.frame("SELECT report_id FROM run_cases WHERE run_id = ? ORDER BY finished_at, report_id",
                          [run_id])["report_id"].to_list()
        pos = pl.DataFrame({"report_id": order, "_pos": list(range(len(order)))})
        frames = {}
        for t in tables:
            if t in CACHE_TABLES:  # no report id: spread evenly over the run, in stored order
                f = src.frame(f"SELECT * FROM {t}" + (" WHERE kind = 'case'" if t == "case_memo" else ""))
                f = f.with_row_index("_i").with_columns((pl.col("_i") * len(order) // pl.len()).alias("_pos"))
                frames[t] = f.drop("_i")
            else:
                frames[t] = src.frame(f"SELECT * FROM {t} WHERE run_id = ?", [run_id]).join(pos, on="report_id")
        return runs, order, {t: f.sort("_pos") for t, f in frames.items()}
    finally:
        src.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-store", type=Path, required=True, help="store of one finished bench/memory.py run")
    ap.add_argument("--store", type=Path, required=True, help="the populated store that run started from")
    ap.add_argument("--tables", default=",".join(RUN_TABLES + CACHE_TABLES), help="tables to write (comma list)")
    ap.add_argument("--batch", type=int, default=60, help="cases per transaction")
    ap.add_argument("--per-open", type=int, default=4, help="transactions per opening of the file")
    arenas.add_option(ap)
    args = ap.parse_args()
    print(arenas.describe())

    import polars as pl
    from harness.store import Store

    tables = [t for t in args.tables.split(",") if t]
    runs, order, frames = _rows(args.run_store, tables)
    work = Path(tempfile.mkdtemp(prefix="bench-store-growth-")) / "store.duckdb"
    shutil.copyfile(args.store, work)
    st = Store(work)
    st.insert_frame("runs", runs)
    st.close()
    print(f"{len(order)} cases, tables {', '.join(tables)}; rows held: RSS {rss_mb():.0f} MB")
    points: list[tuple[int, float, float]] = []
    done = 0
    while done < len(order):
        st = Store(work)
        for _ in range(args.per_open):
            if done >= len(order):
                break
            lo, hi = done, min(len(order), done + args.batch)
            with st.transaction():
                for t, f in frames.items():
                    part = f.filter((pl.col("_pos") >= lo) & (pl.col("_pos") < hi)).drop("_pos")
                    if len(part):
                        st.insert_frame(t, part, ignore_conflicts=t in CACHE_TABLES)
            done = hi
        before = rss_mb()
        st.close()
        points.append((done, before, rss_mb()))
    warm = points[len(points) // 10:]
    print(f"RSS per 1,000 cases (least squares after the first 10%): file open {slope([(d, b) for d, b, _ in warm]):+.2f} MB, "
          f"closed {slope([(d, a) for d, _, a in warm]):+.2f} MB (open {warm[0][1]:.0f} -> {warm[-1][1]:.0f} MB, "
          f"closed {warm[0][2]:.0f} -> {warm[-1][2]:.0f} MB; {len(points)} closes)")
    shutil.rmtree(work.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
