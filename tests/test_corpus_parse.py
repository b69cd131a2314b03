"""The parser on the real corpus (skipped when ../shared/reviews is absent)."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pytest

from harness.core.models import Severity
from harness.gold.parse import parse_report
from tests.conftest import CORPUS, corpus_files, needs_corpus

pytestmark = needs_corpus


@lru_cache(maxsize=1)
def reports():
    return {p.name: parse_report(p.read_text(encoding="utf-8"), str(p)) for p in corpus_files()}


def counts(findings):
    c = Counter(f.severity for f in findings if not f.withdrawn)
    return (c[Severity.critical], c[Severity.important], c[Severity.suggestion])


def test_reference_pr309():
    r = reports()["20260414-192417-pr-309.md"]
    assert counts(r.findings) == (2, 5, 8)
    assert [f.id for f in r.findings] == ["C1", "C2"] + [f"I{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 9)]
    by = {a.family: counts(a.findings) for a in r.agent_reviews}
    assert by == {"Claude": (0, 5, 5), "Codex": (0, 2, 1), "Gemini": (2, 2, 0)}
    assert [a.agent for a in r.agent_reviews] == ["Claude Opus 4.6", "Codex GPT 5.4", "Gemini 3.1 Pro"]
    assert len(r.resolutions) == 17
    assert r.resolutions[0].finding_ids == ["C1"]
    t = r.published_retro.summary
    assert t.columns == ["Claude Opus 4.6", "Codex GPT 5.4", "Gemini 3.1 Pro"]
    assert t.row("Duration").cells["Claude Opus 4.6"].value == 296
    assert t.row("Totals").cells["Gemini 3.1 Pro"].value == {"critical": 2, "important": 2, "suggestion": 0}


def test_reference_pr243():
    r = reports()["20260321-005431-pr-243.md"]
    assert counts(r.findings) == (0, 1, 4)
    by = {a.family: counts(a.findings) for a in r.agent_reviews}
    assert by == {"Claude": (0, 1, 2), "Codex": (0, 0, 0), "Gemini": (0, 1, 1)}
    assert not r.agent_review("Codex").omitted


def test_every_report_parses_with_id_date_reviewers():
    rs = reports()
    assert len(rs) == len(corpus_files())
    for name, r in rs.items():
        assert r.id, name
        if r.published_retro.present:
            assert r.date and re.match(r"\d{4}-\d{2}-\d{2}", r.date), name
            assert r.reviewers, name


def test_reports_with_retro_have_findings_reviews_and_summary():
    for name, r in reports().items():
        if not r.published_retro.present:
            continue
        assert r.findings, name
        assert r.agent_reviews, name
        t = r.published_retro.summary
        assert t is not None and t.rows, name
        fams = {v.agent for v in r.reviewers}
        # a published column for a model the header does not list stays, with a warning
        unlisted = set(t.columns) - fams
        assert all(any(repr(c) in w.message for w in r.warnings) for c in unlisted), name
        # each reviewer that actually ran has an original review (or an omitted stub)
        assert {a.agent for a in r.agent_reviews} <= fams, name


def test_attributed_agents_are_reviewers_and_paths_are_sane():
    for name, r in reports().items():
        fams = {v.agent for v in r.reviewers}
        for f in r.findings:
            if fams:
                assert set(f.agents) <= fams, (name, f.id, f.agents)
            for loc in f.locations:
                assert loc.path and " " not in loc.path and not loc.path.startswith(("http", "/")), (name, loc)
                assert loc.line_start is None or 0 < loc.line_start <= loc.line_end, (name, loc)


def test_consolidated_counts_match_a_careful_reading():
    # Counting finding openers by eye: these reports mix `C1.` ids, `1.` numbering, bracket
    # markers and struck-through items, so they pin the drift cases.
    expected = {
        "20260313-120000-app-controller-create-delete-limavm.md": (3, 5, 2),
        "20260318-173320-msys2.md": (0, 1, 3),
        "20260320-164645-pr-236.md": (0, 2, 6),
        # I1..I8: the numbered bold sub-points inside I5 are its body, not findings
        "20260412-003842-pr-295.md": (1, 8, 8),
    }
    for name, want in expected.items():
        if name in reports():
            assert counts(reports()[name].findings) == want, name


def test_audited_appendix_reviews():
    # Gaps found by auditing per-agent counts against the raw reviews (see test_parse_drift.py
    # for the synthetic shape of each): fence-wrapped reviews with inner fences, bold sub-points,
    # an agent's own severity tag, omitted reviews whose summary names the findings.
    expected = {
        "20260412-203409-pr-295.md": {"Claude": (0, 3, 12), "Codex": (0, 4, 0), "Gemini": (1, 1, 2)},
        "20260417-165817-pr-323.md": {"Claude": (1, 2, 6)},
        "20260321-165509-pr-242.md": {"Claude": (0, 1, 2)},
        "20260414-232915-pr-309.md": {"Claude": (0, 1, 4), "Codex": (1, 2, 0), "Gemini": (0, 3, 0)},
    }
    for name, want in expected.items():
        if name not in reports():
            continue
        r = reports()[name]
        got = {a.family: counts(a.findings) for a in r.agent_reviews if a.family in want}
        assert got == want, name
    r = reports().get("20260412-203409-pr-295.md")
    if r:
        assert r.resolutions


def test_finding_titles_are_clean_in_reviews_too():
    for name, r in reports().items():
        for who, fs in [("consolidated", r.findings)] + [(a.agent, a.findings) for a in r.agent_reviews]:
            for f in fs:
                assert f.title.strip() and "\n" not in f.title and "**" not in f.title, (name, who, f.id)
                assert not re.match(r"^[—–-]\s", f.title), (name, who, f.id, f.title)
                assert not re.search(r"\((?:critical|important|suggestion)\b", f.title), (name, who, f.title)
                for loc in f.locations:
                    assert loc.path and not re.search(r"[\s`*,;()\[\]]", loc.path), (name, who, loc)


def test_summary_tables_parse_durations():
    for name, r in reports().items():
        t = r.published_retro.summary
        if t is None:
            continue
        row = t.row("Duration") or t.row("Duration (s)")
        if row:
            for col, cell in row.cells.items():
                if not re.match(r"(?i)\s*n/?a\b", cell.raw):
                    assert cell.value is not None or not re.search(r"\d", cell.raw), (name, col, cell.raw)


def test_warnings_are_few():
    total = sum(len(r.warnings) for r in reports().values())
    assert total <= 2 * len(reports()), total
