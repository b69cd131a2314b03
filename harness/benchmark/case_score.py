"""Scoring a run's cases: the one scoring step, the scored views of a run, and `rescore`.

A case is scored once, when it finishes, by the scorer named on its run with the arguments
recorded on the run (`RunConfig.scorer` / `scorer_args`), against the gold of
`harness.gold.build.build_golds`. The score is stored in `scores` / `score_labels` under the
run's *view*: (scorer name, hash of its full arguments). `report`, `compare`, `gate` read a
view; they never score. `rescore` is the explicit way to store another view of an old run
(another `k`, lenient matching, an LLM judge) beside the first, from the findings it stored.
"""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel

from harness.core.errors import HarnessError
from harness.core.models import Finding
from harness.core.weights import DEFAULT_WEIGHTS, format_weights
from harness.store import Store

# what a run recorded before scorer arguments were recorded on runs (the scorers' defaults)
LEGACY_ARGS: dict[str, Any] = {"k": 3, "strict": True}


class View(BaseModel):
    """A scored view of a run: which scorer, with which (full) arguments."""

    scorer: str
    args: dict[str, Any]
    args_hash: str

    def describe(self) -> str:
        parts = [self.scorer, f"k={self.args.get('k')}"]
        if self.args.get("strict") is False:
            parts.append("lenient")
        if self.args.get("model"):
            parts.append(f"judge {self.args['model']}")
        if other_weights(self.args):
            parts.append(f"weights {format_weights(self.args['weights'])}")
        return " ".join(parts)


def other_weights(args: Mapping[str, Any]) -> bool:
    """The view's severity weights differ from the defaults."""
    w = args.get("weights")
    return bool(w) and {k: float(v) for k, v in w.items()} != DEFAULT_WEIGHTS


def make_scorer(name: str, args: Mapping[str, Any], store: Store | None = None) -> Any:
    """The named scorer built with `args`; a judge gets the store's verdict cache."""
    import scorers

    runtime: dict[str, Any] = {}
    if name == "judge" and store is not None:
        from harness.store.scores import StoreJudgeCache

        runtime["cache"] = StoreJudgeCache(store)
    return scorers.get_scorer(name, **dict(args), **runtime)


def view_of(name: str, args: Mapping[str, Any]) -> View:
    """The view of a scorer name and (possibly partial) arguments: the arguments are completed
    with the scorer's defaults, so equal scorers give equal views however they were spelled."""
    import scorers

    try:
        full = dict(scorers.get_scorer(name, **dict(args)).args)
    except HarnessError:
        if name in scorers.list_scorers():
            raise
        full = dict(args)  # a scorer this process does not know (a test's): its args as recorded
    return View(scorer=name, args=full, args_hash=scorers.args_hash(full))


def run_view(run: Mapping[str, Any], *, k: int | None = None, strict: bool | None = None,
             judge: str | None = None, weights: Mapping[str, float] | None = None) -> View:
    """The view a stored run is read under: its own (scorer and arguments recorded on the run),
    or that view with `k` / `strict` / a judge model / the severity weights changed."""
    cfg = run.get("config") or {}
    name = cfg.get("scorer") or "default"
    args = dict(cfg.get("scorer_args") or LEGACY_ARGS)
    if k is not None:
        args["k"] = k
    if strict is not None:
        args["strict"] = strict
    if judge:
        name, args["model"] = "judge", judge
    if weights is not None:
        args["weights"] = dict(weights)
    return view_of(name, args)


def require_view(st: Store, run: Mapping[str, Any], view: View) -> int:
    """How many cases of `run` are scored under `view`; a clear error when none is while the run
    has scored cases (report, compare and gate read scores, they never compute them)."""
    from harness.store import results as sql
    from harness.store.scores import view_counts

    n = int(view_counts(st, run["run_id"], view.scorer, view.args_hash)["cases"])
    if n == 0 and sql.scored_cases(st, run["run_id"]):
        own = run_view(run)
        how = "" if view == own else _options(view, own)
        raise HarnessError(f"run {run['run_id']} has no stored scores under {view.describe()}",
                           hint=f"score it explicitly: `harness rescore {run['run_id']}{how}`")
    return n


def _options(view: View, own: View) -> str:
    out = ""
    if view.args.get("k") != own.args.get("k"):
        out += f" --k {view.args.get('k')}"
    if view.args.get("strict") is False and own.args.get("strict") is not False:
        out += " --lenient"
    if view.scorer == "judge" and view.args.get("model"):
        out += f" --judge {view.args['model']}"
    if view.args.get("weights") != own.args.get("weights") and view.args.get("weights"):
        out += f" --weights {format_weights(view.args['weights'])}"
    return out


def score_case(scorer: Any, gold: Any, findings: list[Finding]) -> Any:
    """One case's score (a scorers.ScoreResult) with its report id set."""
    result = scorer.score(gold, findings)
    result.report_id = gold.report_id
    return result


class RescoreResult(BaseModel):
    """What `harness rescore --json` prints."""

    run_id: str
    scorer: str
    args: dict[str, Any]
    args_hash: str
    cases: int  # cases scored under the view
    replaced: int  # of those, cases that already had a score under it (recomputed)
    skipped: int  # scored cases whose report left the gold set
    metrics: dict[str, float | None]  # micro over the view's cases


def rescore(st: Store, run_id: str, *, k: int | None = None, strict: bool | None = None,
            judge: str | None = None, weights: Mapping[str, float] | None = None) -> RescoreResult:
    """Score every scored case of a stored run again under another view (or its own) from the
    findings the run stored, and store that view beside the others. Writes no run."""
    import scorers
    from harness.gold.build import build_golds
    from harness.store import results as sql
    from harness.store.runs import get_run
    from harness.store.scores import StoredScore, insert_scores, view_counts

    run = get_run(st, run_id)
    rid = run["run_id"]
    view = run_view(run, k=k, strict=strict, judge=judge, weights=weights)
    sc = make_scorer(view.scorer, view.args, st)
    cases = sql.case_findings(st, rid)
    golds = build_golds(st, sorted({r for r, _ in cases}))
    before = set(sql.scored_keys(st, rid, view.scorer, view.args_hash))
    items = []
    for (report_id, epoch), findings in sorted(cases.items()):
        gold = golds.get(report_id)
        if gold is None:  # the report was removed from the gold set after the run
            continue
        items.append(StoredScore(run_id=rid, report_id=report_id, epoch=epoch, result=score_case(sc, gold, findings),
                                 gold_hash=gold.gold_hash()))
    with st.transaction():
        insert_scores(st, items, replace=True)
    counts = view_counts(st, rid, view.scorer, view.args_hash)
    return RescoreResult(run_id=rid, scorer=view.scorer, args=view.args, args_hash=view.args_hash,
                         cases=len(items), replaced=len(before & {(i.report_id, i.epoch) for i in items}),
                         skipped=len(cases) - len(items),
                         metrics=scorers.metrics_from_counts(counts, bool(view.args.get("strict", True))))
