"""SQL for the benchmark dataset: review inputs and train/dev/test splits (saved programs: store/programs.py)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pyarrow as pa

from harness.core.errors import HarnessError, NotFound
from harness.core.hashing import canonical_json
from harness.store import Store

def _frame(st: Store, sql: str, params: list | None = None) -> pl.DataFrame:
    # Store.frame calls DuckDBPyConnection.pl(), which duckdb 2.0 only has on relations.
    with st._lock:
        return st.con.sql(sql, params=params).pl()


# -- review inputs ----------------------------------------------------------------------

_INPUT_COLS = ("report_id", "status", "reason", "method", "repo_path", "base", "head", "diff",
               "files", "tokens", "token_method", "content_hash")


def input_hashes(st: Store) -> dict[str, str]:
    return dict(st.all("SELECT report_id, content_hash FROM review_inputs"))


def put_input(st: Store, row: dict[str, Any]) -> None:
    """Insert or replace one review input (a dict with the columns of `review_inputs`)."""
    put_inputs(st, [row])


_INPUT_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("status", pa.string()), ("reason", pa.string()), ("method", pa.string()),
    ("repo_path", pa.string()), ("base", pa.string()), ("head", pa.string()), ("diff", pa.string()),
    ("files", pa.list_(pa.struct([("path", pa.string()), ("added", pa.int32()), ("removed", pa.int32())]))),
    ("tokens", pa.int32()), ("token_method", pa.string()), ("content_hash", pa.string()),
])


def put_inputs(st: Store, rows: list[dict[str, Any]]) -> None:
    """Insert or replace a batch of review inputs in one transaction and one vectorised insert
    (a report id repeated in the batch keeps its last row)."""
    latest = {r["report_id"]: {c: r[c] for c in _INPUT_COLS} for r in rows}
    if not latest:
        return
    table = pa.Table.from_pylist(list(latest.values()), schema=_INPUT_SCHEMA)
    with st.transaction():
        st.execute("DELETE FROM review_inputs WHERE list_contains(?, report_id)", [list(latest)])
        st.insert_frame("review_inputs", table)


def get_inputs(st: Store, report_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not report_ids:
        return {}
    cur = st.execute(
        f"SELECT {', '.join(_INPUT_COLS)} FROM review_inputs WHERE list_contains(?, report_id)",
        [report_ids],
    )
    cols = [d[0] for d in cur.description]
    return {r[0]: dict(zip(cols, r)) for r in cur.fetchall()}


# -- splits -------------------------------------------------------------------------------

def put_split(st: Store, name: str, seed: int, ratios: list[float], content_hash: str,
              rows: list[tuple[str, str, str]]) -> None:
    """Replace split `name` by `rows` of (report_id, group_key, split), in one transaction."""
    with st.transaction():
        st.execute("DELETE FROM split_assignments WHERE split_name = ?", [name])
        st.execute("DELETE FROM splits WHERE name = ?", [name])
        st.execute("INSERT INTO splits (name, seed, ratios, content_hash) VALUES (?,?,?,?)",
                   [name, seed, ratios, content_hash])
        if rows:
            st.con.executemany("INSERT INTO split_assignments VALUES (?,?,?,?)",
                               [[name, *r] for r in rows])


def get_split(st: Store, name: str) -> tuple[int, list[float], str] | None:
    row = st.one("SELECT seed, ratios, content_hash FROM splits WHERE name = ?", [name])
    return (int(row[0]), list(row[1]), row[2]) if row else None


def split_names(st: Store) -> list[str]:
    return [r[0] for r in st.all("SELECT name FROM splits ORDER BY name")]


def split_assignments(st: Store, name: str) -> dict[str, tuple[str, str]]:
    """report_id -> (group_key, split)."""
    rows = st.all("SELECT report_id, group_key, split FROM split_assignments WHERE split_name = ?", [name])
    return {r[0]: (r[1], r[2]) for r in rows}


def split_report_ids(st: Store, name: str, split: str) -> list[str]:
    """Report ids of one split (or every stored report for split 'all'), ordered by id."""
    if split == "all":
        return [r[0] for r in st.all("SELECT id FROM reports ORDER BY id")]
    if get_split(st, name) is None:
        raise NotFound(f"no split named {name!r} in {st.path}",
                       hint="run `harness dataset build --repo PATH` first")
    rows = st.all(
        "SELECT a.report_id FROM split_assignments a JOIN reports r ON r.id = a.report_id"
        " WHERE a.split_name = ? AND a.split = ? ORDER BY a.report_id", [name, split])
    return [r[0] for r in rows]


def dataset_summary(st: Store, name: str) -> pl.DataFrame:
    """Per split: reports, PRs, input status counts and token totals (reports missing an input count as such)."""
    return _frame(st, 
        """
        WITH a AS (
            SELECT coalesce(s.split, 'unassigned') AS split, r.id,
                   coalesce(r.repo, '') || '#' || r.pr AS pr,  -- a PR is (repo, number)
                   coalesce(i.status, 'missing') AS status, coalesce(i.tokens, 0) AS tokens
            FROM reports r
            LEFT JOIN split_assignments s ON s.report_id = r.id AND s.split_name = ?
            LEFT JOIN review_inputs i ON i.report_id = r.id
        )
        SELECT split, count(*) AS reports, count(DISTINCT pr) AS prs,
               count(*) FILTER (WHERE status = 'exact') AS exact,
               count(*) FILTER (WHERE status = 'approximate') AS approximate,
               count(*) FILTER (WHERE status = 'unavailable') AS unavailable,
               count(*) FILTER (WHERE status = 'missing') AS missing,
               sum(tokens)::BIGINT AS tokens,
               coalesce(max(tokens), 0)::BIGINT AS max_tokens
        FROM a GROUP BY split
        ORDER BY CASE split WHEN 'train' THEN 0 WHEN 'dev' THEN 1 WHEN 'test' THEN 2 ELSE 3 END
        """,
        [name],
    )


def input_problems(st: Store) -> pl.DataFrame:
    return _frame(st, "SELECT report_id, status, reason FROM review_inputs"
                    " WHERE status != 'exact' ORDER BY report_id")
