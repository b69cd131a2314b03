"""Make sure every scored case of a run has a full score (per-finding labels) in the store.

The runner keeps each case's findings and totals; `report`, `compare` and `gate` also need the
gold side (which gold finding was found or missed) and every count of the scorer. They are
rebuilt here from the stored findings with the run's scorer, against the same gold for every
reviewer: the report's surviving findings, with the agent findings the retro fates reject as
known false positives. Scoring is deterministic, so re-scoring a case gives the stored score.
"""

from __future__ import annotations

from typing import Any

from harness.store import Store

DEFAULT_ARGS: dict[str, Any] = {"k": 3, "strict": True}


def scorer_of(run: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(scorer name, args) a run is reported with: its configured scorer, default arguments."""
    name = (run.get("config") or {}).get("scorer") or "default"
    if name == "judge":  # a judge needs a model: the report re-scores with the deterministic rules
        name = "default"
    return name, dict(DEFAULT_ARGS)


def ensure_scores(st: Store, run_id: str, scorer: str = "default", args: dict[str, Any] | None = None) -> str:
    """Score the run's cases that have no stored score for (scorer, args); returns the args hash."""
    import scorers
    from harness.gold.facts import refresh, stored_fates
    from harness.store import results as sql
    from harness.store.gold import iter_reports
    from harness.store.scores import put_score

    sc = scorers.get_scorer(scorer, **(args if args is not None else DEFAULT_ARGS))
    ah = scorers.args_hash(sc.args)
    done = sql.scored_keys(st, run_id, scorer, ah)
    todo = {k: v for k, v in sql.case_findings(st, run_id).items() if k not in done}
    if not todo:
        return ah
    ids = sorted({rid for rid, _ in todo})
    refresh(st, ids)
    golds = {r.id: scorers.gold_for_report(r, stored_fates(st, r.id)) for r in iter_reports(st, ids)}
    for (rid, epoch), findings in sorted(todo.items()):
        gold = golds.get(rid)
        if gold is None:  # the report was removed from the gold set after the run
            continue
        result = sc.score(gold, findings)
        result.report_id = rid
        put_score(st, run_id, rid, result, epoch=epoch, predicted=findings, gold_hash=gold.gold_hash())
    return ah


def run_scores(st: Store, run_id: str, scorer: str = "default", args: dict[str, Any] | None = None):
    """(per-case scores frame, gold labels frame) of a run under (scorer, args), scoring what is missing."""
    from harness.store.scores import labels_frame, scores_frame

    ah = ensure_scores(st, run_id, scorer, args)
    return (scores_frame(st, [run_id], scorer=scorer, args_hash=ah),
            labels_frame(st, [run_id], side="gold", scorer=scorer, args_hash=ah))
