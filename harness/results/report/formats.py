"""Writing a BenchReport: markdown (default), json, csv and parquet; html lives in harness.results.report.html.

csv and parquet hold the aggregate: one row per reviewer with every metric, interval bound and
usage figure as a column (the per-report tables are in md, json and html).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from harness.core.tables import DASH, anchor, emit, escape_cell, markdown_table, render_as
from harness.lm.prices import fmt_cost
from harness.results.report.document import (ACTED_METRICS, CASE_HEADER, FAILURE_HEADER, INTERVAL_METRICS, BenchReport,
                                              Estimate, ReviewerSummary, case_rows, cases_by_report, failure_rows,
                                              summary_rows)

FORMATS = ("md", "json", "csv", "parquet", "html")


def _v(x: float | None, digits: int = 2) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def _ci(e: Estimate | None) -> str:
    if e is None or e.value is None:
        return DASH
    if e.low is None or e.high is None:
        return _v(e.value)
    return f"{e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"


def _usd(x: float | str | None) -> str:
    if isinstance(x, str):
        return x
    return DASH if x is None else f"${x:.4f}"


def _s(x: float | None) -> str:
    return DASH if x is None else f"{x:.2f} s"


def _scorer_line(r: ReviewerSummary) -> str:
    a = r.scorer_args
    return f"scorer `{r.scorer}` (k={a.get('k')}, {'strict' if a.get('strict', True) else 'lenient'})"


def contents(lines: list[str]) -> list[str]:
    """A nested list linking every `##` and `###` heading of `lines` by its GitHub anchor."""
    seen: dict[str, int] = {}
    out = []
    for line in lines:
        m = re.match(r"(#{2,3}) (.+)$", line)
        if m:
            text = m.group(2).strip()
            out.append(f"{'  ' * (len(m.group(1)) - 2)}- [{text}](#{anchor(text.replace('`', '').replace('&lt;', '<'), seen)})")
    return out


def to_markdown(rep: BenchReport) -> str:
    """The report in markdown: a contents list linking every section, the aggregate tables, errors
    and parse failures, then per report its Summary table and what each reviewer found, missed and
    raised besides. Every table goes through `markdown_table` (one line per cell, pipes and markup
    escaped); headings and list items through `escape_cell`."""
    revs = rep.reviewers
    if not revs:
        return "No scored cases.\n"
    runs = [r for r in revs if r.run_id in rep.runs]
    body: list[str] = []

    def section(title: str, level: int = 2) -> None:
        body.extend(["", f"{'#' * level} {escape_cell(title)}", ""])

    section("Quality")
    body.append(markdown_table(["Reviewer", "Kind", "Reports", "Precision (strict)", "Precision (lenient)", "Recall",
                                "F1 (strict)", "F1 (lenient)"],
                               [[r.reviewer, r.kind, str(r.n_reports), *(_ci(r.intervals.get(m)) for m in INTERVAL_METRICS)]
                                for r in revs]))
    section("Acted on: fixed findings, severity weight, cost per found issue")
    body.append(markdown_table(["Reviewer", "Recall", "Recall (fixed)", "Recall (severity-weighted)", "F1 (strict)",
                                "Cost per true positive", "Cost per fixed finding found"],
                               [[r.reviewer, _ci(r.intervals.get("recall")), _ci(r.intervals.get("recall_fixed")),
                                 _ci(r.intervals.get("recall_weighted")), _ci(r.intervals.get("f1_strict")),
                                 _usd(r.cost_per_true_positive), _usd(r.cost_per_fixed_found)] for r in revs]))
    from scorers.metrics import DEFAULT_WEIGHTS

    w = revs[0].scorer_args.get("weights") or DEFAULT_WEIGHTS
    body += ["", "Recall (fixed): of the gold findings the author fixed (the report's Resolution table), the share "
             "found. Severity weights: " + ", ".join(f"{k} {v:g}" for k, v in w.items()) + ". Cost: USD of the "
             "run over what it found; `unknown` for replays and models without a price."]
    cut = [r for r in revs if r.by_cutoff]
    if cut:
        section("Before / after the training cut-off")
        body += ["Reports are public from the day they are written: a model trained later may have read the ones "
                 "dated before its cut-off. Each side is scored on its own reports, with 95% intervals.", ""]
        rows = []
        for r in cut:
            b, a = r.by_cutoff["before"], r.by_cutoff["after"]
            rows.append([r.reviewer, r.cutoff or DASH, f"{b.n_reports} / {a.n_reports}",
                         *(f"{_ci(b.intervals.get(m))} → {_ci(a.intervals.get(m))}"
                           for m in ("recall", "recall_fixed", "f1_strict")),
                         "yes" if a.enough and b.enough else "too few reports to tell"])
        body.append(markdown_table(["Reviewer", "Cut-off", "Reports before / after", "Recall before → after",
                                    "Recall (fixed) before → after", "F1 before → after", "Enough reports"], rows))
    if rep.since or rep.until:
        body += ["", f"Reports dated {rep.since or 'any time'} to {rep.until or 'now'} only."]
    section("Severity, known false positives, unique insights")
    body.append(markdown_table(["Reviewer", "Recall critical", "Recall important", "Recall suggestion",
                                "Severity accuracy", "Over-call rate", "Known FPs re-raised", "Unique insights"],
                               [[r.reviewer, _v(r.metrics.get("recall_critical")), _v(r.metrics.get("recall_important")),
                                 _v(r.metrics.get("recall_suggestion")), _v(r.metrics.get("severity_accuracy")),
                                 _v(r.metrics.get("over_call_rate")),
                                 f"{r.known_fp_reraised}/{int(r.counts.get('n_known_fp', 0))}",
                                 f"{r.unique_insights}/{r.found}"] for r in revs]))
    section("Line tolerance sweep (recall with the gold range widened by ±k lines)")
    body.append(markdown_table(["Reviewer", "k=0", "k=3", "k=10", "File hit rate"],
                               [[r.reviewer, _v(r.metrics.get("recall_k0")), _v(r.metrics.get("recall_k3")),
                                 _v(r.metrics.get("recall_k10")), _v(r.metrics.get("file_hit_rate"))] for r in revs]))
    section("Cost, tokens, latency")
    body.append(markdown_table(["Reviewer", "Cases", "Scored", "Errors", "Skipped", "Tokens in", "Tokens out", "Cost",
                                "Latency p50", "Latency p95", "Tool calls", "Model calls", "Cache hits"],
                               [[r.reviewer, str(u.cases), str(u.scored), str(u.errors), str(u.skipped)] + (
                                   [DASH] * 8 if r.kind == "replay" else
                                   [f"{u.input_tokens:,}", f"{u.output_tokens:,}", fmt_cost(u.cost), _s(u.latency_p50),
                                    _s(u.latency_p95), str(u.tool_calls), str(u.model_calls), str(u.cache_hits)])
                                for r in revs for u in [r.usage]]))
    body += ["", "Replayed reviewers make no model call: their cost, tokens and latency are not measured (—)."]
    if rep.consolidation is not None:
        from harness.results.consolidation import section_markdown

        body += ["", section_markdown(rep.consolidation)]
    section(f"Errors and parse failures ({len(rep.failures)})")
    if rep.failures:
        body.append(markdown_table(FAILURE_HEADER, failure_rows(rep.failures)))
        body += ["", "Message and answer: their first line; `harness runs show RUN --case REPORT` has all of it."]
    else:
        body.append("No case errored and every answer parsed.")
    section(f"Per report ({len(rep.reports)})")
    body.append("Per report: its Summary table, then per reviewer the gold findings it found and missed (ids) "
                "and what else it raised (titles: re-raised known false positives, novel findings).")
    by_report = cases_by_report(rep)
    for t in rep.reports:
        section(t.report_id, level=3)
        body.append(markdown_table(*summary_rows(t)))
        mine = by_report.get(t.report_id, [])
        if mine:  # what each reviewer found (gold ids), missed, and raised besides (titles)
            body += ["", markdown_table(CASE_HEADER, case_rows(mine))]
    if rep.reports:
        body += ["", "† carried over from the report's published Summary table (not measured by the replay)."]
    for n in rep.notes:
        body += ["", f"_Note: {escape_cell(n)}_"]
    out = ["# Benchmark report", ""]
    out.append("Runs: " + ", ".join(f"`{r.run_id}` ({escape_cell(r.reviewer)}, split {r.split}, {r.status})"
                                    for r in runs)
               + ". Historical panel: " + (", ".join(escape_cell(r.reviewer) for r in revs if r.kind == "replay")
                                           or "none")
               + f" (replayed). {_scorer_line(revs[0]).capitalize()}; 95% intervals from {rep.n_boot} bootstrap"
               " replicates over reports. Strict precision counts every unmatched finding as a false positive;"
               " lenient only re-raised known false positives.")
    out += ["", "## Contents", "", *contents(body), *body]
    return "\n".join(out).rstrip() + "\n"


def to_frame(rep: BenchReport) -> pl.DataFrame:
    """One row per reviewer: identity, intervals (value/low/high), metrics, counts, usage."""
    rows = []
    for r in rep.reviewers:
        row = {"reviewer": r.reviewer, "run_id": r.run_id, "kind": r.kind, "model": r.model, "program": r.program,
               "program_hash": r.program_hash, "split": r.split, "status": r.status, "scorer": r.scorer,
               "n_reports": r.n_reports, "known_fp_reraised": r.known_fp_reraised, "found": r.found,
               "unique_insights": r.unique_insights}
        for m in (*INTERVAL_METRICS, *ACTED_METRICS):
            e = r.intervals.get(m) or Estimate(value=None)
            row |= {m: e.value, f"{m}_low": e.low, f"{m}_high": e.high}
        row |= {k: v for k, v in r.metrics.items() if k not in row}
        row |= r.usage.model_dump()
        for k in ("cost_per_true_positive", "cost_per_fixed_found"):  # a number, or null with the reason
            v = getattr(r, k)
            row |= {k: v if not isinstance(v, str) else None, f"{k}_unknown": isinstance(v, str)}
        row["cutoff"] = r.cutoff
        for side in ("before", "after"):
            sd = (r.by_cutoff or {}).get(side)
            row |= {f"{side}_n_reports": sd.n_reports if sd else None}
            for m in (*INTERVAL_METRICS, *ACTED_METRICS):
                row[f"{side}_{m}"] = getattr(sd, m) if sd else None
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def render(rep: BenchReport, fmt: str) -> str | bytes:
    def parquet() -> bytes:
        import io

        buf = io.BytesIO()
        to_frame(rep).write_parquet(buf)
        return buf.getvalue()

    def html() -> str:
        from harness.results.report.html import to_html

        return to_html(rep)

    return render_as(fmt, {"md": lambda: to_markdown(rep), "json": lambda: rep.model_dump_json(indent=2) + "\n",
                           "csv": lambda: to_frame(rep).write_csv(), "parquet": parquet, "html": html})


def write(rep: BenchReport, fmt: str, output: str | Path | None) -> str | None:
    """Write to `output`, or return the text for stdout (parquet needs a file)."""
    return emit(render(rep, fmt), output, fmt)
