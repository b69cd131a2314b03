"""Build a `BenchReport` from stored runs: aggregation in polars, intervals by bootstrap over reports.

The historical panel is the newest complete stored replay run (`replay:AGENT`) of every agent on
the requested runs' split. Everything is read from the stored scores of one scored view (the
first run's own: its scorer and arguments), so recorded reviewers and programs are shown under
the same scorer against the same gold; building a report never runs or scores anything.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import polars as pl

from harness.core.errors import HarnessError
from harness.core.models import RetroCell, RetroRow, RetroTable, Severity
from harness.core.runs import REPLAY_PREFIX, is_replay, replay_model
from harness.results.report.document import (ACTED_METRICS, INTERVAL_METRICS, BenchReport, CaseFailure, CaseLabels,
                                               Estimate, ReportTable,
                                             ReviewerSummary, Usage)
from harness.benchmark.case_score import View, other_weights, require_view, run_view
from harness.core.weights import format_weights
from harness.lm.prices import fmt_cost
from harness.store import Store

DASH = "—"


def _label(run: dict[str, Any]) -> tuple[str, str]:
    model = run["model"]
    if is_replay(model):
        return model[len(REPLAY_PREFIX):], "replay"
    return f"{run['program']} · {model}", "program"


def find_panel(st: Store, split: str, *, prefer: Sequence[dict[str, Any]] = ()) -> tuple[list[str], list[str]]:
    """(replay run ids of the panel on `split`, notes): the newest complete stored replay run per
    recorded agent, a requested replay run standing for its own agent. Nothing is run: an agent
    without a stored replay run is named in the notes with the command that makes one."""
    from harness.benchmark.replay import agents_in_gold
    from harness.store import results as sql
    from harness.store.gold import iter_reports

    have: dict[str, str] = {}
    for r in prefer:
        if _label(r)[1] == "replay" and r["split"] == split:
            have.setdefault(_label(r)[0].lower(), r["run_id"])
    for r in sql.replay_runs(st, split):
        have.setdefault(_label(r)[0].lower(), r["run_id"])
    out, notes = [], []
    for agent in agents_in_gold(list(iter_reports(st))):
        rid = have.get(agent.lower())
        if rid is None:
            notes.append(f"no stored replay run of {agent} on split {split}: "
                         f"`harness bench --model {replay_model(agent)} --split {split}` adds it to the panel")
        else:
            out.append(rid)
    return out, notes


def build_report(st: Store, run_ids: Sequence[str], *, panel: Sequence[str] | None = None,
                 replay_panel: bool = True, n_boot: int = 1000, seed: int = 0, since: str | None = None,
                 until: str | None = None, cutoff: str | None = None,
                 cutoffs: Mapping[str, Any] | None = None, k: int | None = None,
                 weights: Mapping[str, float] | None = None) -> BenchReport:
    """The report of `run_ids` beside the historical panel (stored replay runs: found when `panel`
    is None and `replay_panel` is set), read from the stored scores under the first run's own
    scored view (`k` changes its line tolerance, `weights` its severity weights). Writes nothing, runs nothing.

    `since` / `until` keep the gold reports dated in that window; `cutoff` (one date for every
    reviewer) or `cutoffs` (model, label or family -> date, from the config) split every metric
    into before / after a reviewer's training cut-off."""
    from harness.core.models import check_date
    from harness.store.runs import get_run
    from harness.store.scores import view_counts

    since, until = check_date(since, "--since"), check_date(until, "--until")
    check_date(cutoff, "--cutoff")
    if not run_ids:
        raise HarnessError("give at least one run id (see `harness runs`)")
    runs = [get_run(st, r) for r in run_ids]
    view = run_view(runs[0], k=k, weights=weights)
    names = {run_view(r, k=k).scorer for r in runs}
    if len(names) > 1:
        raise HarnessError(f"runs were scored with different scorers ({', '.join(sorted(names))})")
    notes: list[str] = []
    from harness.results.consolidation import is_consolidate_run

    consolidating = any(is_consolidate_run(r) for r in runs)
    if consolidating:  # the recorded reviewers are no consolidators: no replay panel
        panel, replay_panel = [], False
    if panel is None:
        panel_ids = []
        if replay_panel:
            for s in sorted({r["split"] for r in runs}):
                found, missing = find_panel(st, s, prefer=runs)
                panel_ids += found
                notes += missing
    else:
        panel_ids = [get_run(st, p)["run_id"] for p in panel]
    requested = [r["run_id"] for r in runs]
    for r in runs:
        require_view(st, r, view)
    panel_runs = []
    for p in dict.fromkeys(panel_ids):
        if p in requested:
            continue
        run = get_run(st, p)
        if view_counts(st, p, view.scorer, view.args_hash)["cases"]:
            panel_runs.append(run)
        else:
            notes.append(f"panel run {p} ({run['model']}) has no stored scores under {view.describe()}: "
                         f"`harness rescore {p}{_view_options(view)}` adds it")
    rep = _assemble(st, runs + panel_runs, requested, [r["run_id"] for r in panel_runs], view, n_boot, seed,
                    notes, window=(since, until), cutoff=cutoff, cutoffs=cutoffs)
    if consolidating:
        from harness.results.consolidation import section

        rep.consolidation = section(st, [r for r in runs if is_consolidate_run(r)], n_boot=n_boot, seed=seed)
        rep.notes = [n for n in rep.notes if not n.startswith("no historical panel")]
    return rep


def _view_options(view: View) -> str:
    out = f" --k {view.args.get('k')}" if view.args.get("k") is not None else ""
    if view.args.get("strict") is False:
        out += " --lenient"
    if view.scorer == "judge" and view.args.get("model"):
        out += f" --judge {view.args['model']}"
    if other_weights(view.args):
        out += f" --weights {format_weights(view.args['weights'])}"
    return out


def _assemble(st: Store, all_runs: list[dict], requested: list[str], panel_ids: list[str], view: View,
              n_boot: int, seed: int, notes: list[str], *,
              window: tuple[str | None, str | None] = (None, None), cutoff: str | None = None,
              cutoffs: Mapping[str, Any] | None = None) -> BenchReport:
    import scorers
    from harness.results.report import acted
    from harness.store import results as sql
    from harness.store.gold import ids_between, report_dates
    from harness.store.scores import labels_frame, scores_frame

    scorer, args, ah = view.scorer, view.args, view.args_hash
    ids = [r["run_id"] for r in all_runs]
    scores = scores_frame(st, ids, scorer=scorer, args_hash=ah)
    # reports the requested runs scored: the panel is compared on those only
    report_ids = scores.filter(pl.col("run_id").is_in(requested)).get_column("report_id").unique().sort()
    if window != (None, None):
        report_ids = report_ids.filter(report_ids.is_in(sorted(ids_between(st, *window))))
        if report_ids.is_empty():
            raise HarnessError(f"no scored report is dated between {window[0] or 'the first'} and "
                               f"{window[1] or 'the last'}", hint="see `harness reports` for the dates")
    dates = report_dates(st, report_ids.to_list())
    scores = scores.filter(pl.col("report_id").is_in(report_ids.implode()))
    gold = labels_frame(st, ids, side="gold", scorer=scorer, args_hash=ah).filter(
        pl.col("report_id").is_in(report_ids.implode()))
    preds = labels_frame(st, ids, side="pred", scorer=scorer, args_hash=ah).filter(
        pl.col("report_id").is_in(report_ids.implode()))
    usage = {r["run_id"]: r for r in sql.run_usage(st, ids).to_dicts()}
    labels = _unique_labels(all_runs)
    unique = unique_insights(gold, ids, set(panel_ids))

    reviewers = []
    for run in all_runs:
        rid = run["run_id"]
        frame = scores.filter(pl.col("run_id") == rid)
        agg = scorers.aggregate(frame, strict=True).row(0, named=True) if frame.height else {}
        intervals = {}
        for m in INTERVAL_METRICS:
            iv = scorers.bootstrap_ci(frame, m, n=n_boot, seed=seed, kind="micro")
            intervals[m] = Estimate(value=iv.value, low=iv.low, high=iv.high)
        for m in ACTED_METRICS:
            iv = scorers.bootstrap_ci(frame, m, n=n_boot, seed=seed, kind="micro")
            intervals[m] = Estimate(value=iv.value, low=iv.low, high=iv.high)
        u = unique.filter(pl.col("run_id") == rid)
        _, kind = _label(run)
        counts = {c: float(agg.get(c) or 0) for c in scorers.COUNT_FIELDS}
        use = Usage(**{k: v for k, v in usage.get(rid, {}).items() if k in Usage.model_fields})
        per_tp, per_fixed = acted.cost_per_found(kind, use, counts)
        cut = acted.cutoff_for(run, labels[rid], cutoff, cutoffs)
        sides = acted.split_by_cutoff(frame, dates, cut, n_boot=n_boot, seed=seed) if cut else None
        if sides:
            notes += acted.cutoff_notes(labels[rid], cut, sides)
        reviewers.append(ReviewerSummary(
            reviewer=labels[rid], run_id=rid, kind=kind, model=run["model"], program=run["program"],
            program_hash=run["program_hash"], split=run["split"], status=run["status"], scorer=scorer,
            scorer_args=args, n_reports=frame.get_column("report_id").n_unique() if frame.height else 0,
            intervals=intervals, metrics={m: agg.get(m) for m in scorers.METRIC_FIELDS},
            counts=counts, known_fp_reraised=int(agg.get("known_fp") or 0),
            found=int(u.get_column("found").sum()) if u.height else 0,
            unique_insights=int(u.get_column("unique").sum()) if u.height else 0,
            usage=use, cost_per_true_positive=per_tp, cost_per_fixed_found=per_fixed,
            cutoff=cut, by_cutoff=sides))
    tables = per_report_tables(st, all_runs, labels, scores, gold, preds, unique)
    if not panel_ids:
        notes.insert(0, "no historical panel: no replay run covers these reports")
    failures = case_failures(st, ids, labels, set(report_ids.to_list()))
    return BenchReport(runs=requested, panel=panel_ids, reviewers=reviewers, reports=tables, n_boot=n_boot,
                       since=window[0], until=window[1], notes=notes,
                       cases=case_labels(all_runs, labels, gold, preds), failures=failures)


def case_failures(st: Store, run_ids: list[str], labels: dict[str, str], report_ids: set[str]) -> list[CaseFailure]:
    """The errored and unparsed cases of the runs on `report_ids` (messages redacted); a parse
    failure carries the first line of its redacted answer."""
    from harness.core.secrets import redact
    from harness.core.tables import first_line
    from harness.store import results as sql
    from harness.store.runs import failed_cases

    answers = sql.unparsed_answers(st, run_ids)
    out = []
    for f in failed_cases(st, run_ids):
        if f["report_id"] in report_ids:
            answer = first_line(redact(answers.get((f["run_id"], f["report_id"], f["epoch"]))))
            f["error"] = redact(f["error"])
            out.append(CaseFailure(reviewer=labels[f.pop("run_id")], answer=answer, **f))
    return out


def case_labels(runs: list[dict], labels: dict[str, str], gold: pl.DataFrame,
                preds: pl.DataFrame) -> list[CaseLabels]:
    """Per (report, reviewer), epoch 0: gold found / missed, known false positives and novel findings."""
    out: dict[tuple[str, str], CaseLabels] = {}
    order = {r["run_id"]: i for i, r in enumerate(runs)}

    def entry(rid: str, report_id: str) -> CaseLabels:
        return out.setdefault((report_id, rid), CaseLabels(report_id=report_id, reviewer=labels[rid]))

    for g in gold.filter(pl.col("epoch") == 0).iter_rows(named=True):
        e = entry(g["run_id"], g["report_id"])
        (e.found if g["label"] == "found" else e.missed).append(g["gold_id"] or "?")
    for p in preds.filter(pl.col("epoch") == 0).iter_rows(named=True):
        e = entry(p["run_id"], p["report_id"])
        if p["label"] == "known_false_positive":
            e.known_fp.append(p["title"] or "")
        elif p["label"] == "novel":
            e.novel.append(p["title"] or "")
    return [out[k] for k in sorted(out, key=lambda k: (k[0], order.get(k[1], 0)))]


def _unique_labels(runs: list[dict]) -> dict[str, str]:
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for r in runs:
        seen[_label(r)[0]] = seen.get(_label(r)[0], 0) + 1
    for r in runs:
        label = _label(r)[0]
        out[r["run_id"]] = label if seen[label] == 1 else f"{label} ({r['run_id'][:6]})"
    return out


def unique_insights(gold: pl.DataFrame, run_ids: Sequence[str], panel: set[str]) -> pl.DataFrame:
    """Per (run, report): gold findings found, and found by no *other* reviewer of the comparison set.

    A program run is compared with the historical panel; a panel agent with the rest of the panel.
    A finding counts as found if any epoch found it; only reviewers that scored the report count.
    """
    found = (gold.group_by(["run_id", "report_id", "gold_id"])
             .agg((pl.col("status") == "found").any().alias("hit")))
    rows = []
    for rid in run_ids:
        others = [p for p in panel if p != rid]
        mine = found.filter(pl.col("run_id") == rid)
        by_others = (found.filter(pl.col("run_id").is_in(others) & pl.col("hit"))
                     .select("report_id", "gold_id").unique().with_columns(pl.lit(True).alias("other")))
        per = (mine.join(by_others, on=["report_id", "gold_id"], how="left")
               .group_by("report_id")
               .agg(pl.col("hit").sum().alias("found"),
                    (pl.col("hit") & pl.col("other").is_null()).sum().alias("unique"))
               .with_columns(pl.lit(rid).alias("run_id")))
        rows.append(per)
    schema = {"report_id": pl.Utf8, "found": pl.UInt32, "unique": pl.UInt32, "run_id": pl.Utf8}
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.concat([r.cast(schema) for r in rows]).select("run_id", "report_id", "found", "unique")


# -- per-report Summary tables ------------------------------------------------------------------

ROWS = ("Findings", "True positives", "Missed", "Known false positives", "Novel", "Precision", "Recall", "F1",
        "Severity accuracy", "Unique insights", "Duration", "Tokens", "Cost", "Tool calls")


def _counts_cell(sev: list[str]) -> str:
    parts = [f"{sum(s == v.value for s in sev)}{v.letter}" for v in Severity if any(s == v.value for s in sev)]
    return " ".join(parts) if parts else "none"


def _f(v: float | None, digits: int = 2) -> str:
    return DASH if v is None else f"{v:.{digits}f}"


def _duration(s: float | None) -> str:
    if s is None:
        return DASH
    s = float(s)
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    return f"{m}:{sec:02d}"


def per_report_tables(st: Store, runs: list[dict], labels: dict[str, str], scores: pl.DataFrame,
                      gold: pl.DataFrame, preds: pl.DataFrame, unique: pl.DataFrame) -> list[ReportTable]:
    """Summary table per report (epoch 0): one column per reviewer that scored it."""
    from harness.store import results as sql
    from harness.store.gold import iter_reports

    ids = [r["run_id"] for r in runs]
    s0 = scores.filter(pl.col("epoch") == 0)
    p0 = preds.filter(pl.col("epoch") == 0)
    stats = sql.case_stats(st, ids).filter(pl.col("epoch") == 0)
    published = sql.published_agent_facts(st)
    score_by = {(r["run_id"], r["report_id"]): r for r in s0.to_dicts()}
    sev_by: dict[tuple[str, str], list[str]] = {}
    for r in p0.select("run_id", "report_id", "severity").iter_rows():
        sev_by.setdefault((r[0], r[1]), []).append(r[2])
    stat_by = {(r["run_id"], r["report_id"]): r for r in stats.to_dicts()}
    uniq_by = {(r["run_id"], r["report_id"]): r for r in unique.to_dicts()}
    report_ids = sorted({rid for (_, rid) in score_by})
    out = []
    for report in iter_reports(st, report_ids):
        from harness.benchmark.replay import reviewer_in
        from harness.gold.facts import model_of

        cols, col_labels = [], []
        for run in runs:
            key = (run["run_id"], report.id)
            if key not in score_by:
                continue
            label = labels[run["run_id"]]
            cols.append(label)
            agent = label if _label(run)[1] == "replay" else None
            col_labels.append(model_of(report, agent) if agent else label)
        cells: dict[str, dict[str, RetroCell]] = {m: {} for m in ROWS}
        for run in runs:
            key = (run["run_id"], report.id)
            if key not in score_by:
                continue
            col = labels[run["run_id"]]
            s, stat, u = score_by[key], stat_by.get(key, {}), uniq_by.get(key, {})
            replay = _label(run)[1] == "replay"
            # a replay names a model or a family: the report's own label for that reviewer
            who = (reviewer_in(report, col) or col) if replay else col
            pub = published.get((report.id, who.lower()), {}) if replay else {}
            tp = int(s["tp"])
            vals: dict[str, tuple[str, Any]] = {
                "Findings": (_counts_cell(sev_by.get(key, [])), int(s["n_pred"])),
                "True positives": (str(tp), tp),
                "Missed": (str(int(s["fn"])), int(s["fn"])),
                "Known false positives": (str(int(s["known_fp"])), int(s["known_fp"])),
                "Novel": (str(int(s["novel"])), int(s["novel"])),
                "Precision": (_f(s["precision_strict"]), s["precision_strict"]),
                "Recall": (_f(s["recall"]), s["recall"]),
                "F1": (_f(s["f1_strict"]), s["f1_strict"]),
                "Severity accuracy": (f"{int(s['sev_exact'])}/{tp}" if tp else DASH,
                                      s["severity_accuracy"]),
                "Unique insights": (str(int(u.get("unique") or 0)), int(u.get("unique") or 0)),
            }
            if replay:  # recorded reviewers: what the published table says, marked as carried over
                d, t = pub.get("duration_s"), pub.get("tool_calls")
                vals["Duration"] = (f"{_duration(d)} †" if d is not None else DASH, d)
                vals["Tokens"] = (DASH, None)
                vals["Cost"] = (DASH, None)
                vals["Tool calls"] = (f"{t} †" if t is not None else DASH, t)
            else:
                tokens = int(stat.get("input_tokens") or 0) + int(stat.get("output_tokens") or 0)
                vals["Duration"] = (_duration(stat.get("duration_s")), stat.get("duration_s"))
                vals["Tokens"] = (f"{tokens:,}", tokens)
                vals["Cost"] = (fmt_cost(stat.get("cost")), stat.get("cost"))
                vals["Tool calls"] = (str(int(stat.get("tool_calls") or 0)), stat.get("tool_calls"))
            for m, (raw, value) in vals.items():
                cells[m][col] = RetroCell(raw=raw, value=value)
        table = RetroTable(columns=cols, column_labels=col_labels,
                           rows=[RetroRow(metric=m, cells=cells[m]) for m in ROWS])
        out.append(ReportTable(report_id=report.id, table=table))
    return out
