"""Renderer unit tests: retro tables, locations, header details, re-render of parsed samples."""

from __future__ import annotations

import pytest

from harness.core.models import Finding, Location, Report, RetroCell, RetroRow, RetroTable, Reviewer, Severity
from harness.gold.parse import parse_report
from harness.gold.render import (
    format_duration, format_location, render_finding, render_report, render_retro_table,
)

from conftest import SAMPLE


def test_retro_table_in_reports_format():
    tbl = RetroTable(
        columns=["Claude", "Codex", "Gemini"],
        column_labels=["Claude Opus 4.6", "Codex GPT 5.4", "Gemini 3.1 Pro"],
        rows=[RetroRow(metric="Findings", cells={"Claude": RetroCell(raw="1I 7S"), "Codex": RetroCell(raw="2I")}),
              RetroRow(metric="Tool calls", cells={"Claude": RetroCell(raw="6 (a|b 6)"),
                                                   "Codex": RetroCell(raw=""), "Gemini": RetroCell(raw="3")})],
    )
    assert render_retro_table(tbl).splitlines() == [
        "| | Claude Opus 4.6 | Codex GPT 5.4 | Gemini 3.1 Pro |",
        "|---|---|---|---|",
        "| Findings | 1I 7S | 2I | — |",
        "| Tool calls | 6 (a\\|b 6) | — | 3 |",
    ]


@pytest.mark.parametrize("loc, text", [
    (Location(path="a/b.go"), "`a/b.go`"),
    (Location(path="a/b.go", line_start=7, line_end=7), "`a/b.go:7`"),
    (Location(path="a/b.go", line_start=7, line_end=9), "`a/b.go:7-9`"),
])
def test_format_location(loc, text):
    assert format_location(loc) == text


def test_format_duration():
    assert format_duration(992) == "16 min 32 s"
    assert format_duration(3729) == "1 h 2 min 9 s"
    assert format_duration(5) == "5 s"


def test_finding_line_names_models_and_tags():
    f = Finding(id="I2", severity=Severity.important, title="T \u2014 x", agents=["Claude", "Codex"],
                locations=[Location(path="p.go", line_start=1, line_end=4)], tags=["gap"], body="B")
    text = render_finding(f, {"claude": "Claude Opus 4.7"}, 2)
    assert text.splitlines()[0] == "I2. **T \u2014 x** \u2014 `p.go:1-4` [Claude Opus 4.7, Codex] (important, gap)"


def test_struck_reviewer_and_absent_retro():
    r = Report(id="x", reviewers=[Reviewer(agent="Gemini", model="Gemini 3.1 Pro", available=False,
                                           note="429 capacity")])
    text = render_report(r)
    assert "| **Reviewers** | ~~Gemini 3.1 Pro~~ (429 capacity) |" in text
    assert "Agent Performance Retro" not in text


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE.glob("2*.md") if "pr-77" not in p.name))
def test_parsed_sample_survives_render_and_reparse(name):
    """A parsed sample rendered and parsed again keeps its findings, reviews and retro cells."""
    first = parse_report((SAMPLE / name).read_text(encoding="utf-8"), source=name)
    again = parse_report(render_report(first), source=name)

    def key(r: Report):
        retro = r.published_retro.summary
        return (
            [(f.id, f.severity, f.title, f.agents, f.locations) for f in r.findings],
            [(a.agent, a.pass_, [(f.id, f.severity, f.title) for f in a.findings]) for a in r.agent_reviews],
            retro and [(row.metric.strip("*"), {k: c.raw.strip("*") for k, c in row.cells.items()})
                       for row in retro.rows],
            [(x.ref, x.action) for x in r.resolutions],
            [(x.agent, x.model, x.available) for x in r.reviewers],
        )

    assert key(again) == key(first)
