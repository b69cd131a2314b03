"""SQL for scores: per-report scores, per-finding labels, and the LLM judge's verdict cache."""

from __future__ import annotations

import json
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


def put_score(st: Store, run_id: str, report_id: str, result: ScoreResult, *, epoch: int = 0,
              predicted: Sequence[Finding] | None = None, gold_hash: str | None = None) -> str:
    """Insert or replace one score and its labels in one transaction; returns the args hash.
    Reviewer text (findings, feedback) is redacted: a review may echo a credential."""
    ah = _args_hash(result.args)
    key = [run_id, report_id, epoch, result.scorer, ah]
    c, m = result.counts, result.metrics
    with st.transaction():
        _delete(st, key)
        st.execute(
            "INSERT INTO scores (run_id, report_id, epoch, scorer, args_hash, args, gold_hash, metrics,"
            " counts, tp, fp, fn, known_fp, novel, n_pred, n_gold, \"precision\", recall, f1, feedback,"
            " predicted, judge_usage) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [*key, canonical_json(result.args), gold_hash, canonical_json(m), canonical_json(c),
             int(c.get("tp", 0)), int(c.get("fp", 0)), int(c.get("fn", 0)), int(c.get("known_fp", 0)),
             int(c.get("novel", 0)), int(c.get("n_pred", 0)), int(c.get("n_gold", 0)),
             m.get("precision"), m.get("recall"), m.get("f1"), redact(result.feedback),
             redact(canonical_json(list(predicted))) if predicted is not None else None,
             canonical_json(result.judge_usage) if result.judge_usage is not None else None],
        )
        rows = []
        for p in result.predictions:
            rows.append([*key, "pred", p.index, p.label, p.gold_id, p.index, p.severity, p.gold_severity,
                         p.severity_match, p.affinity, p.text_affinity, p.distance, p.level, redact(p.title),
                         p.path, p.decided_by, p.det_label, redact(canonical_json(p))])
        for i, g in enumerate(result.gold):
            rows.append([*key, "gold", i, g.status, g.id, g.prediction_index, g.severity, g.severity,
                         None, g.affinity, None, g.distance, g.level, g.title, None, None, None,
                         canonical_json(g)])
        for i, k in enumerate(result.known_false_positives):
            rows.append([*key, "known", i, "reraised" if k.reraised_by is not None else "not_reraised", k.id,
                         k.reraised_by, None, None, None, None, None, None, None, k.title, None, None, None,
                         canonical_json(k)])
        if rows:
            st.con.executemany(
                f"INSERT INTO score_labels ({', '.join(_LABEL_COLS)}) VALUES ({', '.join('?' * len(_LABEL_COLS))})",
                rows)
    return ah


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


def get_score(st: Store, run_id: str, report_id: str, *, epoch: int = 0, scorer: str | None = None,
              args_hash: str | None = None) -> ScoreResult:
    """The stored score (the newest one when several scorers/args match) with its labels."""
    row = _select_one(st, run_id, report_id, epoch, scorer, args_hash,
                      "scorer, args_hash, args, metrics, counts, feedback, judge_usage")
    name, ah, args, metrics, counts, fb, usage = row
    labels = st.all(
        "SELECT side, evidence FROM score_labels WHERE run_id = ? AND report_id = ? AND epoch = ?"
        " AND scorer = ? AND args_hash = ? ORDER BY side, idx", [run_id, report_id, epoch, name, ah])
    return ScoreResult(
        scorer=name, args=json.loads(args), metrics=json.loads(metrics), counts=json.loads(counts),
        predictions=[json.loads(e) for s, e in labels if s == "pred"],
        gold=[json.loads(e) for s, e in labels if s == "gold"],
        known_false_positives=[json.loads(e) for s, e in labels if s == "known"],
        feedback=fb or "", judge_usage=json.loads(usage) if usage else None)


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
