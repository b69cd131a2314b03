"""SQL for benchmark runs: the model-call cache, runs, their cases and predicted findings.

Every string that reaches these tables passes through `redact` first: a provider error that
echoes an API key must not persist it.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from typing import Any

import polars as pl

from harness.core.errors import NotFound
from harness.core.hashing import canonical_json, content_hash, key_id
from harness.core.secrets import redact
from harness.core.runs import CaseResult, CaseStatus, RunConfig, RunStatus
from harness.store import Store
from harness.store.memo import case_memo_text

# -- model-call cache ---------------------------------------------------------------------


def cache_get(st: Store, key: str) -> dict[str, Any] | None:
    return _cache_row(st.one(_CACHE_GET, [key_id(key), key]))


def cache_put(st: Store, key: str, *, model: str, epoch: int, response: str, finish_reason: str | None,
              input_tokens: int | None, output_tokens: int | None, cost: float | None, duration_s: float,
              cached_input_tokens: int | None = None) -> None:
    st.execute(
        "INSERT INTO model_calls (id, key, model, epoch, response, finish_reason, input_tokens, output_tokens,"
        " cost, duration_s, cached_input_tokens) VALUES (?::UBIGINT,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
        [key_id(key), key, model, epoch, redact(response), finish_reason, input_tokens, output_tokens, cost, duration_s,
         cached_input_tokens],
    )


def cache_size(st: Store) -> int:
    row = st.one("SELECT count(*) FROM model_calls")
    return int(row[0]) if row else 0


# -- runs ---------------------------------------------------------------------------------


def create_run(st: Store, run_id: str, config: RunConfig, planned: int) -> None:
    st.execute(
        "INSERT INTO runs (run_id, model, program, program_hash, split, status, config, cases)"
        " VALUES (?,?,?,?,?,?,?,?)",
        [run_id, config.model, config.program, config.program_hash, config.split,
         RunStatus.running.value, canonical_json(redact(config.model_dump(mode="json"))), planned],
    )


def set_price_source(st: Store, run_id: str, source: str | None) -> None:
    """Where the run's price came from (None: unknown, its cost shows as unknown)."""
    st.execute("UPDATE runs SET price_source = ? WHERE run_id = ?", [source, run_id])


def get_run(st: Store, run_id: str) -> dict[str, Any]:
    cols, rows = st.query("SELECT * FROM runs WHERE run_id = ? OR (length(?) >= 6 AND starts_with(run_id, ?))",
                          [run_id, run_id, run_id])
    if not rows:
        raise NotFound(f"no run {run_id!r} in {st.path}", hint="see `harness runs`")
    if len(rows) > 1:
        raise NotFound(f"run id prefix {run_id!r} is ambiguous ({len(rows)} runs)", hint="give more characters")
    run = dict(zip(cols, rows[0]))
    run["config"] = json.loads(run["config"])
    run["metrics"] = json.loads(run["metrics"]) if run["metrics"] else None
    return run


def mark_running(st: Store, run_id: str) -> None:
    st.execute("UPDATE runs SET status = 'running', message = NULL, finished_at = NULL WHERE run_id = ?",
               [run_id])


def forget_errors(st: Store, run_id: str) -> int:
    """Drop a run's error cases (no result, nothing scored) so that a resume runs them again."""
    n = st.one("SELECT count(*) FROM run_cases WHERE run_id = ? AND status = 'error'", [run_id])
    st.execute("DELETE FROM run_cases WHERE run_id = ? AND status = 'error'", [run_id])
    return int(n[0]) if n else 0


def finished_cases(st: Store, run_id: str) -> set[tuple[str, int]]:
    return {(r[0], int(r[1])) for r in st.all("SELECT report_id, epoch FROM run_cases WHERE run_id = ?",
                                              [run_id])}


def put_case(st: Store, case: CaseResult) -> bool:
    """Store one finished case and its predictions atomically; False if it was already stored."""
    with st.transaction():
        return bool(_insert_cases(st, [case]))


def _case_row(c: CaseResult) -> dict[str, Any]:
    s = c.stats
    return {"run_id": c.run_id, "report_id": c.report_id, "epoch": c.epoch, "status": c.status.value,
            "error": redact(c.error), "error_kind": c.error_kind, "raw_response": redact(c.raw_response), "model_calls": s.model_calls,
            "cache_hits": s.cache_hits, "retries": s.retries, "input_tokens": s.input_tokens,
            "output_tokens": s.output_tokens, "cached_input_tokens": s.cached_input_tokens, "cost": s.cost,
            "spent": s.spent, "duration_s": c.duration_s,
            "tool_calls": c.tool_calls}


_CASE_SCHEMA = {"run_id": pl.Utf8, "report_id": pl.Utf8, "epoch": pl.Int32, "status": pl.Utf8, "error": pl.Utf8,
                "error_kind": pl.Utf8,
                "raw_response": pl.Utf8, "model_calls": pl.Int32, "cache_hits": pl.Int32, "retries": pl.Int32,
                "input_tokens": pl.Int64, "output_tokens": pl.Int64, "cached_input_tokens": pl.Int64,
                "cost": pl.Float64, "spent": pl.Float64,
                "duration_s": pl.Float64, "tool_calls": pl.Int32}
_LOC = pl.Struct({"path": pl.Utf8, "line_start": pl.Int32, "line_end": pl.Int32})
_PRED_SCHEMA = {"run_id": pl.Utf8, "report_id": pl.Utf8, "epoch": pl.Int32, "idx": pl.Int32, "severity": pl.Utf8,
                "title": pl.Utf8, "locations": pl.List(_LOC), "body": pl.Utf8, "category": pl.Utf8,
                "finding": pl.Utf8}


def _insert_cases(st: Store, cases: list[CaseResult]) -> list[CaseResult]:
    """Insert the cases not stored yet, with their predictions and scores, as vectorised inserts
    (callers hold a transaction); returns those it stored. A case is stored with its one score
    or not at all, and never twice: the run's own cases table decides (its primary key, checked
    by DuckDB's index as the rows go in), whether the case came earlier in this batch, from an
    earlier attempt of the run, or from another process resuming it."""
    from harness.store.scores import StoredScore, insert_scores

    once: dict[tuple[str, str, int], CaseResult] = {}
    for c in cases:
        once.setdefault((c.run_id, c.report_id, c.epoch), c)
    cases_df = pl.DataFrame([_case_row(c) for c in once.values()], schema=_CASE_SCHEMA)
    new = st.insert_frame("run_cases", cases_df, ignore_conflicts=True, returning=("run_id", "report_id", "epoch"))
    cases = [once[(r, rid, int(e))] for r, rid, e in new]
    if not cases:
        return []
    preds = [{"run_id": c.run_id, "report_id": c.report_id, "epoch": c.epoch, "idx": i,
              "severity": f.severity.value, "title": redact(f.title),
              "locations": [loc.model_dump() for loc in f.locations], "body": redact(f.body),
              "category": f.category, "finding": redact(f.model_dump_json(by_alias=True))}
             for c in cases for i, f in enumerate(c.findings)]
    if preds:
        st.insert_frame("run_predictions", pl.DataFrame(preds, schema=_PRED_SCHEMA))
    insert_scores(st, [StoredScore(run_id=c.run_id, report_id=c.report_id, epoch=c.epoch, result=c.score,
                                   gold_hash=c.gold_hash) for c in cases if c.score is not None])
    if any(c.decisions for c in cases):
        from harness.store.consolidation import insert_decisions

        insert_decisions(st, cases)
    return cases


class RunWriter:
    """The run's single writer: cache entries and finished cases, committed in small batches.

    One DuckDB commit costs milliseconds; a commit per model call and per case serialises a
    fast run on the store lock. Workers hand their writes to this thread, which gathers them
    for up to `flush_s` seconds and commits them as one transaction: a case and its predictions
    are always in the same transaction, and a killed process loses at most the last batch (those
    cases are simply run again on resume, so none is ever stored twice). Cache reads see queued
    entries immediately. After each commit a shared store (`Store.share`) lets go of the file
    at once when another process waits for it, so that others can read the run as it goes.
    """

    def __init__(self, st: Store, *, max_batch: int = 256, flush_s: float = 0.5):
        self.st = st
        self.max_batch = max_batch
        self.flush_s = flush_s
        self._queue: queue.Queue = queue.Queue()
        self._pending: dict[str, dict[str, Any]] = {}
        self._pending_lock = threading.Lock()
        self.error: BaseException | None = None
        self.written_cases = 0
        self.commits = 0
        # every cached key, loaded once into a fixed-size filter: a miss (each call of a cold run)
        # then costs no query, and the run's own keys add no memory however long it runs
        self._known = KeyFilter.sized_for(cache_size(st))
        for (key,) in st.all("SELECT key FROM model_calls"):
            self._known.add(key)
        self._thread = threading.Thread(target=self._loop, name="run-writer", daemon=True)
        self._thread.start()

    # -- producers ---------------------------------------------------------------------
    def cache_put(self, key: str, **row: Any) -> None:
        row["response"] = redact(row["response"])
        with self._pending_lock:
            self._pending[key] = row
        self._queue.put(("cache", key, row))

    def case(self, case: CaseResult, memo_key: str | None = None) -> None:
        """Queue a finished case; with `memo_key` its result is also memoised (same transaction)."""
        self._raise_if_failed()
        self._queue.put(("case", case, memo_key))

    def cache_get(self, key: str) -> dict[str, Any] | None:
        with self._pending_lock:
            row = self._pending.get(key)
        if row is not None:
            return {k: row[k] for k in ("response", "finish_reason", "cost", "duration_s")} | {
                "input_tokens": row["input_tokens"] or 0, "output_tokens": row["output_tokens"] or 0,
                "cached_input_tokens": row.get("cached_input_tokens") or 0}
        if key not in self._known:
            return None
        return cache_get(self.st, key)

    # -- the writer thread -------------------------------------------------------------
    def _take(self) -> list[tuple[str, Any, Any]]:
        """The next batch: the first item, then whatever arrives within flush_s (up to max_batch)."""
        batch = [self._queue.get()]
        end = time.monotonic() + self.flush_s
        while len(batch) < self.max_batch and batch[-1][0] != "stop":
            left = end - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._take()
            stop = any(kind == "stop" for kind, _, _ in batch)
            work = [b for b in batch if b[0] != "stop"]
            if work and self.error is None:
                try:
                    self._commit(work)
                except BaseException as exc:  # noqa: BLE001 - surfaced by close() / the next case()
                    self.error = exc
            if not stop:  # the run reads the store again right after its last batch
                self.st.release_idle(0.0)
            for _ in batch:
                self._queue.task_done()
            if stop:
                return

    def _commit(self, work: list[tuple[str, Any, Any]]) -> None:
        cache_rows = [(key, row) for kind, key, row in work if kind == "cache"]
        cases = [(case, memo_key) for kind, case, memo_key in work if kind == "case"]
        with self.st.transaction():
            if cache_rows:
                # ON CONFLICT: another process may have cached the same request meanwhile
                frame = pl.DataFrame([{"id": key_id(k), "key": k, **{c: r[c] for c in _CACHE_COLS}}
                                      for k, r in cache_rows],
                                     schema=_CACHE_SCHEMA)
                self.st.insert_frame("model_calls", frame, ignore_conflicts=True)
            stored = _insert_cases(self.st, [c for c, _ in cases]) if cases else []
            if stored:
                self.written_cases += len(stored)
                keys = {id(c): k for c, k in cases}
                memo = [(k, v) for c in stored if (k := keys.get(id(c))) and (v := case_memo_text(c)) is not None]
                if memo:
                    frame = pl.DataFrame({"id": [key_id(k) for k, _ in memo], "key": [k for k, _ in memo],
                                          "kind": ["case"] * len(memo),
                                          "value": [v for _, v in memo]},
                                         schema={"id": pl.UInt64, "key": pl.Utf8, "kind": pl.Utf8, "value": pl.Utf8})
                    self.st.insert_frame("case_memo", frame, ignore_conflicts=True)
        self.commits += 1
        with self._pending_lock:
            for key, _ in cache_rows:
                self._known.add(key)
                self._pending.pop(key, None)

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            from harness.core.errors import StoreError

            raise StoreError(f"writing run results failed: {self.error}") from self.error

    def flush(self) -> None:
        self._queue.join()
        self._raise_if_failed()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(("stop", None, None))
            self._thread.join()
        self._raise_if_failed()


class KeyFilter:
    """A Bloom filter of cache keys: `key in f` is False for every key never added, and True for
    an added one (or, rarely, a key never added: that costs one lookup that finds nothing).

    Fixed size: 2 bytes per key of the store when it opened, at least 1 MiB. Four probes; at 1 MiB
    a run adding 100,000 keys to an empty store sees one false hit per ~100,000 misses."""

    PROBES = 4

    def __init__(self, nbytes: int):
        self._bits = bytearray(nbytes)
        self._m = nbytes * 8

    @classmethod
    def sized_for(cls, keys: int) -> "KeyFilter":
        return cls(max(1 << 20, 2 * keys))

    def _positions(self, key: str) -> list[int]:
        try:  # the project's keys are hex content hashes: their bits are already uniform
            h1, h2 = int(key[:16], 16), int(key[16:32], 16) | 1
        except ValueError:
            d = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
            h1, h2 = int.from_bytes(d[:8], "big"), int.from_bytes(d[8:], "big") | 1
        return [(h1 + i * h2) % self._m for i in range(self.PROBES)]

    def add(self, key: str) -> None:
        for p in self._positions(key):
            self._bits[p >> 3] |= 1 << (p & 7)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and all(self._bits[p >> 3] >> (p & 7) & 1 for p in self._positions(key))


_CACHE_COLS = ("model", "epoch", "response", "finish_reason", "input_tokens", "output_tokens", "cost", "duration_s",
               "cached_input_tokens")
_CACHE_SCHEMA = {"id": pl.UInt64, "key": pl.Utf8, "model": pl.Utf8, "epoch": pl.Int32, "response": pl.Utf8, "finish_reason": pl.Utf8,
                 "input_tokens": pl.Int64, "output_tokens": pl.Int64, "cost": pl.Float64, "duration_s": pl.Float64,
                 "cached_input_tokens": pl.Int64}
_CACHE_GET = ("SELECT response, finish_reason, input_tokens, output_tokens, cost, duration_s, cached_input_tokens"
              " FROM model_calls WHERE id = ?::UBIGINT AND key = ?")


def _cache_row(row: tuple | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"response": row[0], "finish_reason": row[1], "input_tokens": row[2] or 0,
            "output_tokens": row[3] or 0, "cost": row[4], "duration_s": row[5], "cached_input_tokens": row[6] or 0}


_TOTALS = """
    SELECT count(*) AS finished,
           count(*) FILTER (WHERE status IN ('ok', 'parse_failure')) AS scored,
           count(*) FILTER (WHERE status = 'parse_failure') AS parse_failures,
           count(*) FILTER (WHERE status = 'error') AS errors,
           count(*) FILTER (WHERE status = 'skipped') AS skipped,
           coalesce(sum(model_calls), 0)::BIGINT AS model_calls,
           coalesce(sum(cache_hits), 0)::BIGINT AS cache_hits,
           coalesce(sum(retries), 0)::BIGINT AS retries,
           coalesce(sum(input_tokens), 0)::BIGINT AS input_tokens,
           coalesce(sum(output_tokens), 0)::BIGINT AS output_tokens,
           coalesce(sum(cached_input_tokens), 0)::BIGINT AS cached_input_tokens,
           -- one case without a known price makes the total unknown (NULL), never a partial sum
           CASE WHEN bool_or(cost IS NULL) THEN NULL ELSE coalesce(sum(cost), 0) END::DOUBLE AS cost,
           CASE WHEN bool_or(spent IS NULL) THEN NULL ELSE coalesce(sum(spent), 0) END::DOUBLE AS spent
    FROM run_cases WHERE run_id = ?
"""


def error_kinds(st: Store, run_id: str) -> list[dict[str, Any]]:
    """Per failure kind (errors and parse failures) of a run: how many cases, and the first message."""
    rows = st.all(
        "SELECT coalesce(error_kind, status) AS kind, count(*) AS n, arg_min(error, finished_at) AS first"
        " FROM run_cases WHERE run_id = ? AND status IN ('error', 'parse_failure')"
        " GROUP BY kind ORDER BY n DESC, kind", [run_id])
    return [{"kind": k, "count": int(n), "first": first} for k, n, first in rows]


def failed_cases(st: Store, run_ids: list[str]) -> list[dict[str, Any]]:
    """The errored and unparsed cases of some runs, in run and report order."""
    rows = st.all("SELECT run_id, report_id, epoch, status, error_kind, error FROM run_cases"
                  " WHERE list_contains(?, run_id) AND status IN ('error', 'parse_failure')"
                  " ORDER BY run_id, report_id, epoch", [run_ids])
    return [dict(zip(("run_id", "report_id", "epoch", "status", "kind", "error"), r)) for r in rows]


def case_totals(st: Store, run_id: str) -> dict[str, Any]:
    cols, rows = st.query(_TOTALS, [run_id])
    return dict(zip(cols, rows[0]))


def finish_run(st: Store, run_id: str, status: RunStatus, message: str | None, wall_add_s: float,
               metrics: dict[str, Any] | None = None) -> dict:
    """Write the run's totals (recomputed from its cases), status, headline metrics (computed by
    the runner from the run's own scored view) and the wall time of this attempt."""
    t = case_totals(st, run_id)
    st.execute(
        "UPDATE runs SET status = ?, message = ?, finished_at = current_timestamp, scored = ?, errors = ?,"
        " model_calls = ?, cache_hits = ?, input_tokens = ?, output_tokens = ?, cached_input_tokens = ?, cost = ?,"
        " spent = ?,"
        " wall_s = wall_s + ?, metrics = coalesce(?, metrics) WHERE run_id = ?",
        [status.value, redact(message), t["scored"], t["errors"], t["model_calls"], t["cache_hits"],
         t["input_tokens"], t["output_tokens"], t["cached_input_tokens"], t["cost"], t["spent"], wall_add_s,
         canonical_json(metrics) if metrics is not None else None, run_id],
    )
    return t


def list_runs(st: Store) -> pl.DataFrame:
    """Every run; `finished` counts its stored cases, and a running run's scored / errors / cost are
    its cases' so far (the runs row holds totals only once the run ends)."""
    return st.frame(
        "SELECT r.run_id, model, program, program_hash, split, r.status, cases, coalesce(c.finished, 0) AS finished,"
        " CASE WHEN r.status = 'running' THEN coalesce(c.scored, 0) ELSE r.scored END AS scored,"
        " CASE WHEN r.status = 'running' THEN coalesce(c.errors, 0) ELSE r.errors END AS errors, model_calls,"
        " cache_hits, round(CASE WHEN r.status = 'running' THEN c.cost ELSE r.cost END, 6) AS cost,"
        " round(spent, 6) AS spent, round(wall_s, 3) AS wall_s,"
        " json_extract(metrics, '$.f1')::DOUBLE AS f1, json_extract(metrics, '$.precision')::DOUBLE AS precision,"
        " json_extract(metrics, '$.recall')::DOUBLE AS recall, started_at, message FROM runs r LEFT JOIN ("
        "   SELECT run_id, count(*) AS finished,"
        "     count(*) FILTER (WHERE status IN ('ok', 'parse_failure')) AS scored,"
        "     count(*) FILTER (WHERE status = 'error') AS errors,"
        "     CASE WHEN bool_or(cost IS NULL) THEN NULL ELSE coalesce(sum(cost), 0) END::DOUBLE AS cost"
        "   FROM run_cases GROUP BY run_id) c ON c.run_id = r.run_id ORDER BY started_at"
    )


def own_view(run: dict[str, Any]) -> tuple[str, str | None]:
    """(scorer, args hash) of the view a run was scored under when its cases finished (the hash
    is None for runs stored before scorer arguments were recorded on runs)."""
    cfg = run["config"]
    args = cfg.get("scorer_args")
    return cfg.get("scorer") or "default", content_hash(args, 16) if args is not None else None


def case_frame(st: Store, run_id: str) -> pl.DataFrame:
    """The run's cases, with tp / fp / fn of their score under the run's own view."""
    scorer, ah = own_view(get_run(st, run_id))
    return st.frame(
        "SELECT c.*, s.tp, s.fp, s.fn FROM run_cases c LEFT JOIN scores s ON s.run_id = c.run_id"
        " AND s.report_id = c.report_id AND s.epoch = c.epoch AND s.scorer = ? AND s.args_hash = ?"
        " WHERE c.run_id = ? ORDER BY c.report_id, c.epoch", [scorer, ah, run_id])


def count_by_status(st: Store, run_id: str) -> dict[str, int]:
    return {CaseStatus(r[0]).value: int(r[1]) for r in
            st.all("SELECT status, count(*) FROM run_cases WHERE run_id = ? GROUP BY status", [run_id])}
