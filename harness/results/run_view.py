"""`harness runs show RUN`: one run case by case.

Per case: its report, status, error kind and message, tokens, cost, the model's raw answer
(redacted: a provider may echo credentials), and what it predicted against the gold with the
scorer's labels (true_positive / known_false_positive / novel; found / missed). Labels come from
the stored scores under the run's scorer (scored here where missing, as `harness report` does).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from harness.core.errors import NotFound
from harness.core.secrets import redact
from harness.core.tables import markdown_table
from harness.lm.prices import fmt_cost
from harness.store import Store


class PredictionView(BaseModel):
    index: int
    severity: str | None = None
    title: str | None = None
    path: str | None = None
    label: str
    gold_id: str | None = None


class GoldView(BaseModel):
    id: str | None = None
    severity: str | None = None
    title: str | None = None
    status: str  # found | missed
    found_by: int | None = None  # index of the prediction that found it


class CaseView(BaseModel):
    report_id: str
    epoch: int
    status: str
    error_kind: str | None = None
    error: str | None = None
    model_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0  # None: no known price (shown as unknown)
    duration_s: float = 0.0
    raw_answer: str | None = None
    predictions: list[PredictionView] = Field(default_factory=list)
    gold: list[GoldView] = Field(default_factory=list)


class RunView(BaseModel):
    run_id: str
    model: str
    program: str
    split: str
    status: str
    message: str | None = None
    cases: int
    finished: int = 0  # cases stored so far (a running run shows its progress)
    scorer: str
    error_kinds: list[dict[str, Any]] = Field(default_factory=list)
    results: list[CaseView] = Field(default_factory=list)  # per case (one report, or all)


def run_view(st: Store, run_id: str, case: str | None = None) -> RunView:
    from harness.results.stored_scores import run_view as scored_view
    from harness.store import runs as sql
    from harness.store.scores import labels_frame

    run = sql.get_run(st, run_id)
    rid = run["run_id"]
    frame = sql.case_frame(st, rid)
    if case is not None:
        frame = frame.filter(frame["report_id"] == case)
        if frame.is_empty():
            raise NotFound(f"run {rid} has no case {case!r}", hint=f"see `harness runs show {rid}`")
    view = scored_view(run)  # the run's own scored view: stored when each case finished
    scorer, ah = view.scorer, view.args_hash
    labels: dict[tuple[str, int], dict[str, list[dict]]] = {}
    for row in labels_frame(st, [rid], scorer=scorer, args_hash=ah).iter_rows(named=True):
        labels.setdefault((row["report_id"], row["epoch"]), {}).setdefault(row["side"], []).append(row)
    views = []
    for c in frame.iter_rows(named=True):
        got = labels.get((c["report_id"], c["epoch"]), {})
        views.append(CaseView(
            report_id=c["report_id"], epoch=c["epoch"], status=c["status"], error_kind=c.get("error_kind"),
            error=redact(c["error"]), model_calls=c["model_calls"], cache_hits=c["cache_hits"],
            input_tokens=c["input_tokens"], output_tokens=c["output_tokens"], cost=c["cost"],
            duration_s=c["duration_s"], raw_answer=redact(c["raw_response"]),
            predictions=[PredictionView(index=p["idx"], severity=p["severity"], title=p["title"], path=p["path"],
                                        label=p["label"], gold_id=p["gold_id"]) for p in got.get("pred", [])],
            gold=[GoldView(id=g["gold_id"], severity=g["severity"], title=g["title"], status=g["label"],
                           found_by=g["prediction_index"]) for g in got.get("gold", [])]))
    return RunView(run_id=rid, model=run["model"], program=run["program"], split=run["split"],
                   status=run["status"], message=redact(run["message"]), cases=run["cases"],
                   finished=int(sql.case_totals(st, rid)["finished"]), scorer=scorer,
                   error_kinds=sql.error_kinds(st, rid), results=views)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # terminal escapes in what a model wrote


def _clean(text: str) -> str:
    return _CONTROL.sub("?", text)


def _cell(x: Any) -> str:
    """One line without terminal escapes (the table writer escapes pipes)."""
    return "–" if x is None else _clean(" ".join(str(x).split()))


def render_run_view(view: RunView, *, raw_chars: int = 600) -> str:
    """Markdown for the terminal: the run, failures by kind, then each case."""
    out = [f"# Run {view.run_id}: {view.program} · {view.model} ({view.split})", "",
           f"status {view.status}" + (f": {_cell(view.message)}" if view.message else "")
           + (f"; {view.finished} of {view.cases} cases finished so far" if view.status == "running"
              else f"; {view.cases} cases") + f"; scorer {view.scorer}"]
    for k in view.error_kinds:
        out.append(f"- {k['count']} case(s) {k['kind']}; first: {_cell(k['first'])}")
    for c in view.results:
        out += ["", f"## {c.report_id}" + (f" (epoch {c.epoch})" if c.epoch else "") + f": {c.status}", "",
                f"tokens {c.input_tokens} in / {c.output_tokens} out, {c.model_calls} calls "
                f"({c.cache_hits} cached), {fmt_cost(c.cost)}, {c.duration_s:.2f} s"]
        if c.error:
            out.append(f"error ({c.error_kind or 'unknown'}): {_cell(c.error)}")
        if c.predictions:
            out += ["", markdown_table(["#", "Label", "Severity", "Gold", "Path", "Title"], (
                [p.index + 1, p.label, _cell(p.severity), _cell(p.gold_id), _cell(p.path), _cell(p.title)]
                for p in c.predictions))]
        if c.gold:
            out += ["", markdown_table(["Gold", "Status", "Severity", "Found by", "Title"], (
                [_cell(g.id), g.status, _cell(g.severity), _cell(None if g.found_by is None else g.found_by + 1),
                 _cell(g.title)] for g in c.gold))]
        if c.raw_answer and c.status != "ok":
            raw = c.raw_answer if len(c.raw_answer) <= raw_chars else (
                c.raw_answer[:raw_chars] + f"\n... ({len(c.raw_answer) - raw_chars} more characters; --json has all)")
            out += ["", "Raw answer:", "", "```", _clean(raw).replace("```", "'''"), "```"]
    return "\n".join(out) + "\n"
