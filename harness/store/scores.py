"""SQL for scores: per-report scores, per-finding labels, and the LLM judge's verdict cache."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import polars as pl

from harness.core.errors import NotFound
from harness.core.hashing import canonical_json
from harness.core.models import Finding
from harness.core.scores import COUNT_FIELDS, METRIC_FIELDS, ScoreResult
from harness.core.scores import args_hash as _args_hash
from harness.core.secrets import redact
from harness.store import Store

_LABEL_COLS = ("run_id", "report_id", "epoch", "scorer", "args_hash", "side", "idx", "label", "gold_id",
               "prediction_index", "severity", "gold_severity", "severity_match", "affinity",
               "text_affinity", "distance", "level", "title", "path", "decided_by", "det_label", "evidence")


_SCORE_SCHEMA = {"run_id": pl.Utf8, "report_id": pl.Utf8, "epoch": pl.Int32, "scorer": pl.Utf8,
                 "args_hash": pl.Utf8, "args": pl.Utf8, "gold_hash": pl.Utf8, "metrics": pl.Utf8,
                 "counts": pl.Utf8, "tp": pl.Int32, "fp": pl.Int32, "fn": pl.Int32, "known_fp": pl.Int32,
                 "novel": pl.Int32, "n_pred": pl.Int32, "n_gold": pl.Int32, "precision": pl.Float64,
                 "recall": pl.Float64, "f1": pl.Float64, "feedback": pl.Utf8, "predicted": pl.Utf8,
                 "judge_usage": pl.Utf8}
_LABEL_SCHEMA = {"run_id": pl.Utf8, "report_id": pl.Utf8, "epoch": pl.Int32, "scorer": pl.Utf8,
                 "args_hash": pl.Utf8, "side": pl.Utf8, "idx": pl.Int32, "label": pl.Utf8, "gold_id": pl.Utf8,
                 "prediction_index": pl.Int32, "severity": pl.Utf8, "gold_severity": pl.Utf8,
                 "severity_match": pl.Utf8, "affinity": pl.Float64, "text_affinity": pl.Float64,
                 "distance": pl.Int32, "level": pl.Utf8, "title": pl.Utf8, "path": pl.Utf8,
                 "decided_by": pl.Utf8, "det_label": pl.Utf8, "evidence": pl.Utf8}


@dataclass(kw_only=True)
class StoredScore:
    """One score to store: a case (run, report, epoch) under one scorer view (scorer, args)."""

    run_id: str
    report_id: str
    epoch: int = 0
    result: ScoreResult
    gold_hash: str | None = None
    predicted: list[Finding] | None = None  # kept only when no run_predictions row holds them


def _args_keys(args: dict[str, Any], seen: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(canonical JSON, hash) of a scorer's args, once per distinct args in a batch."""
    k = repr(args)
    if k not in seen:
        seen[k] = (canonical_json(args), _args_hash(args))
    return seen[k]


def _rows(item: StoredScore, seen: dict[str, tuple[str, str]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = item.result
    args_json, ah = _args_keys(r.args, seen)
    key = {"run_id": item.run_id, "report_id": item.report_id, "epoch": item.epoch, "scorer": r.scorer,
           "args_hash": ah}
    c, m = r.counts, r.metrics
    score = {**key, "args": args_json, "gold_hash": item.gold_hash, "metrics": canonical_json(m),
             "counts": canonical_json(c), "tp": int(c.get("tp", 0)), "fp": int(c.get("fp", 0)),
             "fn": int(c.get("fn", 0)), "known_fp": int(c.get("known_fp", 0)), "novel": int(c.get("novel", 0)),
             "n_pred": int(c.get("n_pred", 0)), "n_gold": int(c.get("n_gold", 0)),
             "precision": m.get("precision"), "recall": m.get("recall"), "f1": m.get("f1"),
             "feedback": redact(r.feedback),
             "predicted": redact(canonical_json(list(item.predicted))) if item.predicted is not None else None,
             "judge_usage": canonical_json(r.judge_usage) if r.judge_usage is not None else None}
    labels = []
    for p in r.predictions:
        labels.append({**key, "side": "pred", "idx": p.index, "label": p.label, "gold_id": p.gold_id,
                       "prediction_index": p.index, "severity": p.severity, "gold_severity": p.gold_severity,
                       "severity_match": p.severity_match, "affinity": p.affinity,
                       "text_affinity": p.text_affinity, "distance": p.distance, "level": p.level,
                       "title": redact(p.title), "path": p.path, "decided_by": p.decided_by,
                       "det_label": p.det_label, "evidence": redact(p.model_dump_json())})
    for i, g in enumerate(r.gold):
        labels.append({**key, "side": "gold", "idx": i, "label": g.status, "gold_id": g.id,
                       "prediction_index": g.prediction_index, "severity": g.severity, "gold_severity": g.severity,
                       "severity_match": None, "affinity": g.affinity, "text_affinity": None,
                       "distance": g.distance, "level": g.level, "title": g.title, "path": None,
                       "decided_by": None, "det_label": None, "evidence": g.model_dump_json()})
    for i, k in enumerate(r.known_false_positives):
        labels.append({**key, "side": "known", "idx": i,
                       "label": "reraised" if k.reraised_by is not None else "not_reraised", "gold_id": k.id,
                       "prediction_index": k.reraised_by, "severity": None, "gold_severity": None,
                       "severity_match": None, "affinity": None, "text_affinity": None, "distance": None,
                       "level": None, "title": k.title, "path": None, "decided_by": None, "det_label": None,
                       "evidence": k.model_dump_json()})
    return score, labels


def insert_scores(st: Store, items: Sequence[StoredScore], *, replace: bool = False) -> None:
    """Insert scores and their labels as two vectorised inserts (callers hold a transaction).
    `replace` first deletes what is stored under the same keys (a re-score)."""
    if not items:
        return
    scores, labels = [], []
    seen: dict[str, tuple[str, str]] = {}
    for item in items:
        s, ls = _rows(item, seen)
        scores.append(s)
        labels += ls
    if replace:
        for s in scores:
            _delete(st, [s["run_id"], s["report_id"], s["epoch"], s["scorer"], s["args_hash"]])
        _forget_memo_refs(st, sorted({s["run_id"] for s in scores}))
    st.insert_frame("scores", pl.DataFrame(scores, schema=_SCORE_SCHEMA))
    if labels:
        st.insert_frame("score_labels", pl.DataFrame(labels, schema=_LABEL_SCHEMA))


def put_score(st: Store, run_id: str, report_id: str, result: ScoreResult, *, epoch: int = 0,
              predicted: Sequence[Finding] | None = None, gold_hash: str | None = None) -> str:
    """Insert or replace one score and its labels in one transaction; returns the args hash.
    Reviewer text (findings, feedback) is redacted: a review may echo a credential."""
    with st.transaction():
        insert_scores(st, [StoredScore(run_id=run_id, report_id=report_id, epoch=epoch, result=result,
                                       gold_hash=gold_hash,
                                       predicted=list(predicted) if predicted is not None else None)],
                      replace=True)
    return _args_hash(result.args)


def view_counts(st: Store, run_id: str, scorer: str, args_hash: str) -> dict[str, float]:
    """The additive counts of a run's scores under one view, summed over its cases (and how many)."""
    # summed here, not with json_extract in SQL: DuckDB keeps ~50 MB per 1,000 rows of a 26-path
    # json_extract after the query (measured), which was most of a long run's peak memory
    rows = st.all("SELECT counts FROM scores WHERE run_id = ? AND scorer = ? AND args_hash = ?",
                  [run_id, scorer, args_hash])
    sums = dict.fromkeys(COUNT_FIELDS, 0.0)
    for (counts,) in rows:
        got = json.loads(counts) if counts else {}
        for c in COUNT_FIELDS:
            sums[c] += float(got.get(c) or 0)
    return {"cases": float(len(rows)), **sums}


def views(st: Store, run_id: str) -> list[dict[str, Any]]:
    """The scored views of a run: scorer, args, args hash and how many cases each scored."""
    rows = st.all("SELECT scorer, args_hash, any_value(args), count(*), max(scored_at) FROM scores"
                  " WHERE run_id = ? GROUP BY scorer, args_hash ORDER BY max(scored_at), scorer, args_hash",
                  [run_id])
    return [{"scorer": r[0], "args_hash": r[1], "args": json.loads(r[2]), "cases": int(r[3])} for r in rows]


def _delete(st: Store, key: list[Any]) -> None:
    where = "run_id = ? AND report_id = ? AND epoch = ? AND scorer = ? AND args_hash = ?"
    st.execute(f"DELETE FROM score_labels WHERE {where}", key)
    st.execute(f"DELETE FROM scores WHERE {where}", key)


def _select_one(st: Store, run_id: str, report_id: str, epoch: int, scorer: str | None,
                args_hash: str | None, cols: str) -> tuple:
    row = st.one(
        f"SELECT {cols} FROM scores WHERE run_id = ? AND report_id = ? AND epoch = ?"
        " AND (? IS NULL OR scorer = ?) AND (? IS NULL OR args_hash = ?)"
        " ORDER BY scored_at DESC, scorer, args_hash LIMIT 1",
        [run_id, report_id, epoch, scorer, scorer, args_hash, args_hash])
    if row is None:
        raise NotFound(f"no score for run {run_id!r}, report {report_id!r}, epoch {epoch}")
    return row


_RESULT_COLS = "scorer, args_hash, args, metrics, counts, feedback, judge_usage"


def _result(row: Sequence[Any], labels: Sequence[tuple[str, str]], report_id: str | None = None) -> ScoreResult:
    """A ScoreResult from a `scores` row (its _RESULT_COLS) and its labels' (side, evidence) in order."""
    name, _, args, metrics, counts, fb, usage = row
    return ScoreResult(
        scorer=name, report_id=report_id, args=json.loads(args), metrics=json.loads(metrics),
        counts=json.loads(counts), predictions=[json.loads(e) for s, e in labels if s == "pred"],
        gold=[json.loads(e) for s, e in labels if s == "gold"],
        known_false_positives=[json.loads(e) for s, e in labels if s == "known"],
        feedback=fb or "", judge_usage=json.loads(usage) if usage else None)


def get_score(st: Store, run_id: str, report_id: str, *, epoch: int = 0, scorer: str | None = None,
              args_hash: str | None = None) -> ScoreResult:
    """The stored score (the newest one when several scorers/args match) with its labels."""
    row = _select_one(st, run_id, report_id, epoch, scorer, args_hash, _RESULT_COLS)
    labels = st.all(
        "SELECT side, evidence FROM score_labels WHERE run_id = ? AND report_id = ? AND epoch = ?"
        " AND scorer = ? AND args_hash = ? ORDER BY side, idx", [run_id, report_id, epoch, row[0], row[1]])
    return _result(row, labels)


def run_scores(st: Store, run_id: str, report_ids: Sequence[str]
               ) -> dict[tuple[str, int, str, str], tuple[ScoreResult, str | None]]:
    """Every stored score of these reports of a run, with its labels, in two reads:
    (report id, epoch, scorer, args hash) -> (the score, the gold hash it was computed against)."""
    where = "run_id = ? AND list_contains(?, report_id)"
    params = [run_id, list(report_ids)]
    labels: dict[tuple[str, int, str, str], list[tuple[str, str]]] = {}
    for rid, e, name, ah, side, evidence in st.all(
            f"SELECT report_id, epoch, scorer, args_hash, side, evidence FROM score_labels WHERE {where}"
            " ORDER BY report_id, epoch, scorer, args_hash, side, idx", params):
        labels.setdefault((rid, int(e), name, ah), []).append((side, evidence))
    out = {}
    for rid, e, gold_hash, *row in st.all(f"SELECT report_id, epoch, gold_hash, {_RESULT_COLS} FROM scores"
                                          f" WHERE {where}", params):
        key = (rid, int(e), row[0], row[1])
        out[key] = (_result(row, labels.get(key, []), report_id=rid), gold_hash)
    return out


def get_predicted(st: Store, run_id: str, report_id: str, *, epoch: int = 0, scorer: str | None = None,
                  args_hash: str | None = None) -> list[Finding] | None:
    """The findings a stored score was computed from (None if they were not kept)."""
    (doc,) = _select_one(st, run_id, report_id, epoch, scorer, args_hash, "predicted")
    return None if doc is None else [Finding.model_validate(f) for f in json.loads(doc)]


def _filters(run_ids: Sequence[str] | None, scorer: str | None, args_hash: str | None,
             alias: str = "") -> tuple[str, list[Any]]:
    a = f"{alias}." if alias else ""
    clauses, params = [], []
    if run_ids is not None:
        clauses.append(f"list_contains(?, {a}run_id)")
        params.append(list(run_ids))
    if scorer is not None:
        clauses.append(f"{a}scorer = ?")
        params.append(scorer)
    if args_hash is not None:
        clauses.append(f"{a}args_hash = ?")
        params.append(args_hash)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def scores_frame(st: Store, run_ids: Sequence[str] | None = None, *, scorer: str | None = None,
                 args_hash: str | None = None) -> pl.DataFrame:
    """One row per stored score: keys, every count and every metric as columns (for scorers.aggregate)."""
    counts = ", ".join(f"coalesce(CAST(json_extract(counts, '$.{c}') AS DOUBLE), 0) AS {c}" for c in COUNT_FIELDS)
    metrics = ", ".join(f"CAST(json_extract(metrics, '$.{m}') AS DOUBLE) AS {m}" for m in METRIC_FIELDS)
    where, params = _filters(run_ids, scorer, args_hash)
    return st.frame(
        f"SELECT run_id, report_id, epoch, scorer, args_hash, {counts}, {metrics} FROM scores{where}"
        " ORDER BY run_id, report_id, epoch, scorer, args_hash", params or None)


def labels_frame(st: Store, run_ids: Sequence[str] | None = None, *, side: str | None = None,
                 scorer: str | None = None, args_hash: str | None = None) -> pl.DataFrame:
    """Per-finding labels (all columns but the evidence JSON); gold side has `status` = label."""
    where, params = _filters(run_ids, scorer, args_hash)
    if side is not None:
        where += (" AND " if where else " WHERE ") + "side = ?"
        params.append(side)
    cols = ", ".join(c for c in _LABEL_COLS if c != "evidence")
    return st.frame(f"SELECT {cols}, CASE WHEN side = 'gold' THEN label END AS status FROM score_labels"
                    f"{where} ORDER BY run_id, report_id, epoch, scorer, args_hash, side, idx", params or None)


def _forget_memo_refs(st: Store, run_ids: list[str]) -> None:
    """Drop the case-memo entries that refer to these runs' scores (harness.store.memo): they are
    being replaced (a re-score: maybe other gold, other scorer code), and a memo hit must be
    what its key says."""
    for run_id in run_ids:
        st.execute("DELETE FROM case_memo WHERE kind = 'case' AND starts_with(value, '{\"ref\":')"
                   " AND json_extract_string(value, '$.ref.run_id') = ?", [run_id])


def delete_scores(st: Store, run_id: str) -> int:
    n = st.one("SELECT count(*) FROM scores WHERE run_id = ?", [run_id])[0]
    with st.transaction():
        st.execute("DELETE FROM score_labels WHERE run_id = ?", [run_id])
        st.execute("DELETE FROM scores WHERE run_id = ?", [run_id])
    return int(n)


# -- judge cache ---------------------------------------------------------------------------
def judge_cache_get(st: Store, key: tuple[str, str, str, str]) -> dict | None:
    row = st.one("SELECT verdict FROM judge_cache WHERE pred_hash = ? AND gold_hash = ? AND judge_model = ?"
                 " AND prompt_version = ?", list(key))
    return json.loads(row[0]) if row else None


def judge_cache_put(st: Store, key: tuple[str, str, str, str], verdict: dict, usage: dict) -> None:
    st.execute(
        "INSERT OR REPLACE INTO judge_cache (pred_hash, gold_hash, judge_model, prompt_version, verdict,"
        " prompt_tokens, completion_tokens, cost) VALUES (?,?,?,?,?,?,?,?)",
        [*key, canonical_json(verdict), usage.get("prompt_tokens"), usage.get("completion_tokens"),
         usage.get("cost")])


def judge_cache_stats(st: Store) -> dict[str, Any]:
    n, tokens, cost = st.one("SELECT count(*), coalesce(sum(prompt_tokens + completion_tokens), 0),"
                             " coalesce(sum(cost), 0) FROM judge_cache")
    return {"verdicts": int(n), "tokens": int(tokens), "cost": float(cost)}


class StoreJudgeCache:
    """scorers.judge.JudgeCache backed by the judge_cache table."""

    def __init__(self, st: Store):
        self.st = st

    def get(self, key: tuple[str, str, str, str]) -> dict | None:
        return judge_cache_get(self.st, key)

    def put(self, key: tuple[str, str, str, str], verdict: dict, usage: dict) -> None:
        judge_cache_put(self.st, key, verdict, usage)
