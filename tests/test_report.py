"""`harness report`: every format, consistency with the runner's own totals, the per-report tables."""

from __future__ import annotations

import io
import json
import re

import polars as pl
import pytest

from harness.results.report import BenchReport, build_report, write
from harness.store import Store
from tests.report_fixture import demo_once, run_ids, store_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_once(tmp_path_factory)


@pytest.fixture
def report(demo, tmp_path) -> BenchReport:
    program, replays = run_ids(demo)
    with Store(store_copy(demo, tmp_path)) as st:
        return build_report(st, [program], panel=list(replays.values()), n_boot=200)


def test_markdown_has_every_section_and_report(report):
    md = write(report, "md", None)
    for heading in ("## Quality", "## Severity, known false positives, unique insights",
                    "## Line tolerance sweep", "## Cost, tokens, latency", "## Per report"):
        assert heading in md
    assert len(report.reports) == 6  # the malformed sample report never landed
    for t in report.reports:
        assert f"### {t.report_id}" in md
    assert "single · offline/heuristic-reviewer" in md


def test_json_round_trips_to_the_model(report):
    again = BenchReport.model_validate_json(write(report, "json", None))
    assert again == report


def test_csv_and_parquet_hold_one_row_per_reviewer(report, tmp_path):
    df = pl.read_csv(io.StringIO(write(report, "csv", None)))
    assert df.height == 4 and set(df["kind"]) == {"program", "replay"}
    for col in ("f1_strict", "f1_strict_low", "f1_strict_high", "recall_k0", "latency_p95", "cost"):
        assert col in df.columns
    out = tmp_path / "r.parquet"
    assert write(report, "parquet", out) is None
    pq = pl.read_parquet(out)
    assert pq.height == 4 and pq["reviewer"].to_list() == df["reviewer"].to_list()


def test_parquet_needs_a_file(report):
    from harness.core.errors import HarnessError

    with pytest.raises(HarnessError, match="-o FILE"):
        write(report, "parquet", None)


def test_html_is_self_contained(report):
    html = write(report, "html", None)
    # the cost chart only when some reviewer has a known cost
    assert html.count('<svg class="chart"') == 3 + any((r.usage.cost or 0) > 0 for r in report.reviewers)
    stripped = html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(' href="#', "")  # in-page links
    for needle in ("http://", "https://", " src=", " href=", "@import"):
        assert needle not in stripped


def test_aggregate_agrees_with_the_runners_totals(demo, report):
    """Two code paths: the runner's per-case tp/fp/fn and the report's re-scored counts."""
    with Store(demo.db, read_only=True) as st:
        f1 = dict(st.all("SELECT run_id, json_extract(metrics, '$.f1')::DOUBLE FROM runs"))
    for r in report.reviewers:
        assert r.intervals["f1_strict"].value == pytest.approx(f1[r.run_id])
        lo, hi = r.intervals["f1_strict"].low, r.intervals["f1_strict"].high
        assert lo <= r.intervals["f1_strict"].value <= hi


def test_per_report_tables_add_up_to_the_aggregate(report):
    for rev in report.reviewers:
        cells = [t.table.row("True positives").cells.get(rev.reviewer) for t in report.reports]
        assert sum(c.value for c in cells if c is not None) == rev.counts["tp"]
        kfp = [t.table.row("Known false positives").cells.get(rev.reviewer) for t in report.reports]
        assert sum(c.value for c in kfp if c is not None) == rev.known_fp_reraised
    # historical columns carry the reports' model names; durations come from the published tables
    t = next(t for t in report.reports if t.report_id == "20250611-143000-pr-17")
    assert "Claude Opus 4.6" in t.table.column_labels
    assert t.table.row("Duration").cells["Claude"].raw == "4:30 †"


def test_unique_insights_against_the_panel():
    from harness.results.report.build import unique_insights

    gold = pl.DataFrame({
        "run_id": ["p", "p", "p", "a", "a", "a", "b", "b", "b"],
        "report_id": ["r"] * 9, "gold_id": ["g1", "g2", "g3"] * 3,
        "status": ["found", "found", "missed", "found", "missed", "missed", "missed", "missed", "found"]})
    u = {r["run_id"]: r for r in unique_insights(gold, ["p", "a", "b"], {"a", "b"}).to_dicts()}
    assert (u["p"]["found"], u["p"]["unique"]) == (2, 1)  # g2: nobody in the panel found it
    assert (u["a"]["found"], u["a"]["unique"]) == (1, 1)  # panel agents compare within the panel only
    assert (u["b"]["found"], u["b"]["unique"]) == (1, 1)


def test_cli_report_formats(demo, tmp_path, capsys):
    from cli import main

    program, _ = run_ids(demo)
    db = str(store_copy(demo, tmp_path))
    assert main(["--db", db, "report", program, "--boot", "100"]) == 0
    assert "## Quality" in capsys.readouterr().out
    out = tmp_path / "r.html"
    assert main(["--db", db, "report", program, "--format", "html", "-o", str(out), "--boot", "100"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["--db", db, "report", program, "--format", "xml"]) == 2
    assert main(["--db", db, "report", "nosuchrun"]) == 2


def test_several_runs_side_by_side(demo, tmp_path):
    from harness.benchmark.runner import run_bench
    from harness.lm.heuristic_reviewer import register

    program, _ = run_ids(demo)
    with Store(store_copy(demo, tmp_path)) as st:
        again = run_bench(st, model=register(), program="single", split="all").run_id
        rep = build_report(st, [program, again], n_boot=100)  # panel found among the stored replay runs
    assert rep.runs == [program, again] and len(rep.panel) == 3
    labels = [r.reviewer for r in rep.reviewers]
    assert len(set(labels)) == 5 and labels[0].endswith(f"({program[:6]})")
    a, b = rep.reviewers[0], rep.reviewers[1]
    assert a.metrics == b.metrics  # same program, same model, same inputs: same scores
    assert b.usage.cache_hits == 6 and b.usage.model_calls == 0


def test_per_case_view_and_failures_in_html_and_markdown(report, demo, tmp_path):
    """Per report and reviewer: gold found / missed, known false positives and novel findings; the
    labels agree with the counts; failed cases get their own section; in both html and markdown,
    untrusted text (a finding title, an error message, a model's answer) is escaped."""
    by = {(c.report_id, c.reviewer): c for c in report.cases}
    assert {rid for rid, _ in by} == {t.report_id for t in report.reports}
    for r in report.reviewers:
        mine = [c for (_, rev), c in by.items() if rev == r.reviewer]
        assert sum(len(c.found) for c in mine) == int(r.counts["tp"])
        assert sum(len(c.known_fp) for c in mine) == r.known_fp_reraised
    html = write(report, "html", None)
    some = next(c for c in report.cases if c.found and c.missed)
    assert "<th>Found</th><th>Missed</th>" in html and ", ".join(some.found) in html
    assert 'id="failures"' not in html  # the demo's runs have no failed case
    from harness.results.report.document import CaseFailure

    failing = report.model_copy(update={"failures": [CaseFailure(
        reviewer="x", report_id=report.reports[0].report_id, epoch=0, status="parse_failure",
        kind="parse_failure", error="<script>alert(1)</script> not JSON")]})
    html = write(failing, "html", None)
    assert 'href="#failures"' in html and "Errors and parse failures (1)" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    md = write(report, "md", None)
    assert "| Reviewer | Found | Missed |" in md and f"| {', '.join(some.found)} |" in md
    assert "## Errors and parse failures (0)" in md
    evil = "<script>alert(1)</script> | x\x1b[2J\nmore"
    case = report.cases[0].model_copy(update={"novel": [evil], "known_fp": [evil]})
    failing = failing.model_copy(update={
        "cases": [case, *report.cases[1:]],
        "failures": [failing.failures[0].model_copy(update={"error": evil, "answer": evil})]})
    assert "<script>alert(1)" not in write(failing, "html", None)
    md = write(failing, "md", None)
    assert "<script>alert(1)" not in md and "\x1b" not in md
    assert "[Errors and parse failures (1)](#errors-and-parse-failures-1)" in md
    rows = [line for line in md.splitlines() if "&lt;script>alert(1)&lt;/script> \\| x\ufffd[2J" in line]
    assert len(rows) == 2  # the failure (message, answer: first lines), then the case (two titles)
    assert [len(re.split(r"(?<!\\)\|", line)) - 2 for line in rows] == [7, 5]  # the tables' columns
    assert "more" not in rows[0] and rows[1].count("alert(1)") == 2
