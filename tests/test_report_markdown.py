"""The markdown report's contents list, per-case view and failures section, on a hand-built report:
untrusted text (a finding title, an error message, a model's answer) stays inside its cell."""

from __future__ import annotations

import re

from harness.core.models import RetroCell, RetroRow, RetroTable
from harness.core.tables import anchor
from harness.results.report import BenchReport
from harness.results.report.document import CaseFailure, CaseLabels, ReportTable, ReviewerSummary
from harness.results.report.formats import to_markdown

EVIL = "<script>alert(1)</script> | a\nsecond line"


def _reviewer(label: str, run_id: str, kind: str = "program") -> ReviewerSummary:
    return ReviewerSummary(reviewer=label, run_id=run_id, kind=kind, model="m", program="single", program_hash="h",
                           split="all", status="complete", scorer="line", scorer_args={"k": 3}, n_reports=2)


def _table(cols: list[str]) -> RetroTable:
    return RetroTable(columns=cols, rows=[RetroRow(metric="True positives",
                                                   cells={c: RetroCell(raw="1", value=1) for c in cols})])


def _report() -> BenchReport:
    return BenchReport(
        runs=["run1"], panel=["run2"], n_boot=10,
        reviewers=[_reviewer("single · m", "run1"), _reviewer("Claude", "run2", "replay")],
        reports=[ReportTable(report_id="rep-a", table=_table(["single · m", "Claude"])),
                 ReportTable(report_id="rep-b", table=_table(["single · m"]))],
        cases=[CaseLabels(report_id="rep-a", reviewer="single · m", found=["C1"], missed=["I2", "S3"],
                          known_fp=[EVIL], novel=["plain novel title", EVIL]),
               CaseLabels(report_id="rep-a", reviewer="Claude", found=["C1", "I2"], missed=["S3"]),
               CaseLabels(report_id="rep-b", reviewer="single · m", missed=["C9"])],
        failures=[CaseFailure(reviewer="single · m", report_id="rep-b", epoch=0, status="parse_failure",
                              kind="parse_failure", error=EVIL, answer="<img src=x onerror=alert(1)> | {"),
                  CaseFailure(reviewer="single · m", report_id="rep-c", epoch=1, status="error", kind="timeout",
                              error="timed out after 30 s\ntraceback line")])


def _tables(md: str) -> list[list[str]]:
    """Every markdown table of `md` as its list of lines."""
    out, cur = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    return out + ([cur] if cur else [])


def _columns(line: str) -> int:
    return len(re.split(r"(?<!\\)\|", line.strip())) - 2


def test_contents_list_links_every_section_and_report():
    md = to_markdown(_report())
    contents = md.split("## Contents", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    headings = [h for h in re.findall(r"^#{2,3} (.+)$", md, re.M) if h != "Contents"]
    assert links == [anchor(h) for h in headings]
    assert "errors-and-parse-failures-2" in links and "per-report-2" in links
    assert "  - [rep-a](#rep-a)" in contents and "  - [rep-b](#rep-b)" in contents


def test_per_case_view_lists_found_missed_known_fp_and_novel():
    md = to_markdown(_report())
    rep_a = md.split("### rep-a", 1)[1].split("### rep-b", 1)[0]
    assert "| Reviewer | Found | Missed | Known false positives re-raised | Novel |" in rep_a
    assert "| Claude | C1, I2 | S3 | — | — |" in rep_a
    row = next(line for line in rep_a.splitlines() if line.startswith("| single · m | C1 |"))
    assert "| I2, S3 |" in row and "plain novel title" in row
    rep_b = md.split("### rep-b", 1)[1]
    assert "| single · m | — | C9 | — | — |" in rep_b


def test_failures_section_shows_kind_and_first_lines():
    md = to_markdown(_report())
    sec = md.split("## Errors and parse failures (2)", 1)[1].split("\n## ", 1)[0]
    assert "| single · m | rep-c | 1 | error | timeout | timed out after 30 s | — |" in sec
    assert "traceback line" not in sec and "second line" not in sec  # first lines only
    assert "| rep-b | 0 | parse_failure | parse_failure | &lt;script>alert(1)&lt;/script> \\| a |" in sec
    ok = to_markdown(_report().model_copy(update={"failures": []}))
    assert "## Errors and parse failures (0)" in ok and "No case errored" in ok


def test_untrusted_text_is_escaped_and_keeps_every_table_shape():
    md = to_markdown(_report())
    assert "<script>" not in md and "<img" not in md
    assert "&lt;script>alert(1)&lt;/script> \\| a" in md and "&lt;img src=x onerror=alert(1)> \\| {" in md
    for table in _tables(md):
        width = _columns(table[0])
        assert all(_columns(line) == width for line in table), table

