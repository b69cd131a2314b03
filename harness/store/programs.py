"""SQL for saved programs and how they came to be: the `programs` table (state, config,
lineage), tune runs and their trials (`tune_runs`, `tune_trials`), and the tuned-program listing.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from harness.core.errors import HarnessError, NotFound
from harness.core.hashing import canonical_json
from harness.store import Store

_RUN_COLS = ("tune_id", "name", "base_program", "base_hash", "optimizer", "budget", "metric", "model",
             "reflection_model", "split_name", "split_seed", "split_hash", "seed", "train_cases",
             "dev_cases", "status", "options")
_TOTAL_COLS = ("trials", "metric_calls", "model_calls", "cache_hits", "input_tokens", "output_tokens",
               "cost", "spent")


def create_tune_run(st: Store, row: dict[str, Any]) -> None:
    values = [canonical_json(row[c]) if c == "options" else row[c] for c in _RUN_COLS]
    st.execute(f"INSERT INTO tune_runs ({', '.join(_RUN_COLS)}) VALUES ({', '.join('?' * len(_RUN_COLS))})",
               values)


def put_trial(st: Store, tune_id: str, trial: int, score: float, best: float) -> None:
    st.execute("INSERT OR REPLACE INTO tune_trials (tune_id, trial, score, best) VALUES (?,?,?,?)",
               [tune_id, trial, score, best])


def finish_tune_run(st: Store, tune_id: str, *, status: str, message: str | None, program_hash: str | None,
                    dev_before: float | None, dev_after: float | None, totals: dict[str, Any]) -> None:
    sets = ", ".join(f"{c} = ?" for c in _TOTAL_COLS)
    st.execute(
        f"UPDATE tune_runs SET status = ?, message = ?, program_hash = ?, dev_before = ?, dev_after = ?, "
        f"{sets}, finished_at = current_timestamp WHERE tune_id = ?",
        [status, message, program_hash, dev_before, dev_after, *[totals.get(c, 0) for c in _TOTAL_COLS],
         tune_id])


def get_tune_run(st: Store, tune_id: str) -> dict[str, Any]:
    cols, rows = st.query("SELECT * FROM tune_runs WHERE tune_id = ?", [tune_id])
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"no tune run {tune_id!r} in {st.path}")
    out = dict(zip(cols, row))
    out["options"] = json.loads(out["options"])
    return out


def trials(st: Store, tune_id: str) -> list[tuple[int, float, float]]:
    return [tuple(r) for r in st.all(
        "SELECT trial, score, best FROM tune_trials WHERE tune_id = ? ORDER BY trial", [tune_id])]


def tune_runs_of(st: Store, program_hash: str) -> list[dict[str, Any]]:
    """Tune runs that produced `program_hash`, newest first."""
    cols, rows = st.query("SELECT * FROM tune_runs WHERE program_hash = ? ORDER BY started_at DESC", [program_hash])
    return [dict(zip(cols, r)) for r in rows]


def list_tuned(st: Store):
    """One row per tune run that produced a program (its own name, optimiser, budget, trials,
    scores, cost) with the program's hash, then the programs saved without a tune run; newest first."""
    return st.frame("""
        SELECT p.hash, t.name, p.base, t.optimizer, t.budget, t.metric, t.model, t.reflection_model,
               t.split_seed, t.dev_before, t.dev_after, t.trials, t.cost, t.status, t.tune_id,
               t.started_at AS created_at
        FROM tune_runs t JOIN programs p ON p.hash = t.program_hash
        UNION ALL
        SELECT p.hash, p.name, p.base, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, p.created_at
        FROM programs p WHERE NOT EXISTS (SELECT 1 FROM tune_runs t WHERE t.program_hash = p.hash)
        ORDER BY created_at DESC, hash
    """)


def program_of_tune_name(st: Store, name: str) -> str | None:
    """The program hash the newest tune run called `name` produced, if any."""
    row = st.one("SELECT program_hash FROM tune_runs WHERE name = ? AND program_hash IS NOT NULL"
                 " ORDER BY started_at DESC LIMIT 1", [name])
    return row[0] if row else None


# -- saved programs -----------------------------------------------------------------------

def put_program(st: Store, hash_: str, name: str, base: str, config: dict, state: dict,
                lineage: dict) -> bool:
    """Store a program under its hash; False when that hash is already stored (content is equal)."""
    if st.one("SELECT 1 FROM programs WHERE hash = ?", [hash_]):
        return False
    st.execute("INSERT INTO programs (hash, name, base, config, state, lineage) VALUES (?,?,?,?,?,?)",
               [hash_, name, base, canonical_json(config), canonical_json(state), canonical_json(lineage)])
    return True


def find_program(st: Store, ref: str) -> dict[str, Any]:
    """A saved program by full hash, unique hash prefix or name: a tune run's name (newest of that
    name), else the name it was first saved under."""
    tuned = program_of_tune_name(st, ref)
    if tuned is not None:
        ref = tuned
    rows = st.all(
        "SELECT hash, name, base, config, state, lineage, created_at FROM programs"
        " WHERE hash = ? OR starts_with(hash, ?) OR name = ? ORDER BY created_at DESC", [ref, ref, ref])
    exact = [r for r in rows if r[0] == ref]
    by_prefix = {r[0] for r in rows if r[0].startswith(ref)}
    if exact:
        row = exact[0]
    elif len(by_prefix) > 1:
        raise HarnessError(f"program prefix {ref!r} is ambiguous ({len(by_prefix)} programs)",
                           hint="give more characters of the hash")
    elif rows:
        row = rows[0]
    else:
        raise NotFound(f"no saved program {ref!r} in {st.path}", hint="see `harness programs`")
    return {"hash": row[0], "name": row[1], "base": row[2], "config": json.loads(row[3]),
            "state": json.loads(row[4]), "lineage": json.loads(row[5]), "created_at": row[6]}


def list_programs(st: Store) -> pl.DataFrame:
    return _frame(st, "SELECT hash, name, base, lineage, created_at FROM programs ORDER BY created_at DESC")


def _frame(st: Store, sql: str, params: list | None = None) -> pl.DataFrame:
    # Store.frame calls DuckDBPyConnection.pl(), which duckdb 2.0 only has on relations.
    with st._lock:
        return st.con.sql(sql, params=params).pl()
