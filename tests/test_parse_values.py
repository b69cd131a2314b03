"""Unit tests for the small value parsers (durations, findings cells, tool calls, locations, agents)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.gold.parse import agent_family, parse_duration, parse_findings_cell, parse_locations, parse_tool_calls
from harness.gold.parse.agents import find_agent_groups
from harness.gold.parse.values import parse_cell, parse_transitions


@pytest.mark.parametrize("raw,secs", [
    ("4m 56s", 296), ("4:30", 270), ("4 min 30 s", 270), ("`16 min 32 s`", 992), ("1 h 2 min 3 s", 3723),
    ("510s", 510), ("278", 278), ("1:02:03", 3723), ("12m", 720), ("—", None), ("N/A (failed)", None),
    ("fast", None), ("", None),
])
def test_parse_duration(raw, secs):
    assert parse_duration(raw) == secs


@given(st.integers(0, 5), st.integers(0, 59))
def test_duration_forms_agree(m, s):
    assert parse_duration(f"{m}m {s:02d}s") == parse_duration(f"{m}:{s:02d}") == parse_duration(f"{m} min {s} s")


@pytest.mark.parametrize("raw,counts", [
    ("1C 2I 2S", (1, 2, 2)), ("**2I**", (0, 2, 0)), ("none", (0, 0, 0)), ("**none**", (0, 0, 0)),
    ("0C 4I 5S", (0, 4, 5)), ("—", None), ("three", None), ("2I and a half", None),
])
def test_parse_findings_cell(raw, counts):
    got = parse_findings_cell(raw)
    assert (None if got is None else (got["critical"], got["important"], got["suggestion"])) == counts


def test_tool_calls_and_transitions():
    assert parse_tool_calls("31 (Read 12, Bash 10, Grep 6)") == {"total": 31, "breakdown": {"Read": 12, "Bash": 10, "Grep": 6}}
    assert parse_tool_calls("57") == {"total": 57, "breakdown": {}}
    assert parse_tool_calls("not recorded") is None
    assert parse_transitions("3 (I→S)") == {"count": 3, "transitions": ["I→S"]}
    assert parse_transitions("2 (C->I, I->S)") == {"count": 2, "transitions": ["C→I", "I→S"]}
    assert parse_transitions("0") == {"count": 0, "transitions": []}


def test_parse_cell_by_metric():
    assert parse_cell("Duration", "7m 27s") == 447
    assert parse_cell("**Totals**", "**1I 7S**") == {"critical": 0, "important": 1, "suggestion": 7}
    assert parse_cell("Downgraded", "1 (I→S)")["transitions"] == ["I→S"]
    assert parse_cell("Unique insights", "2 (doc ref, guard)") == 2
    assert parse_cell("False positives", "—") is None


def _locs(text, cov=None):
    return [(loc.path, loc.line_start, loc.line_end) for loc in parse_locations(text, cov)]


def test_locations_forms():
    assert _locs("`pkg/a/w.go:145-192`") == [("pkg/a/w.go", 145, 192)]
    assert _locs("`x/a.go:114, 157`") == [("x/a.go", 114, 114), ("x/a.go", 157, 157)]
    assert _locs("`a.go:43-54` vs `b.go:33-36`") == [("a.go", 43, 54), ("b.go", 33, 36)]
    assert _locs("`a.go:73` and `c/d.py:9`") == [("a.go", 73, 73), ("c/d.py", 9, 9)]
    assert _locs("a.go:149,89-101") == [("a.go", 149, 149), ("a.go", 89, 101)]
    assert _locs("`src/k.go#L270`") == [("src/k.go", 270, 270)]
    assert _locs("`src/k.go#L270-L280`") == [("src/k.go", 270, 280)]
    assert _locs("docs/readme.md") == [("docs/readme.md", None, None)]
    assert _locs("e.g. Type.Method in v1.2") == []


def test_bare_name_resolved_through_coverage():
    cov = ["internal/store/db.go", "cmd/tool/main.go"]
    assert _locs("`db.go:12`", cov) == [("internal/store/db.go", 12, 12)]
    # ambiguous bare names stay as printed
    assert _locs("`main.go:3`", cov + ["cmd/other/main.go"]) == [("main.go", 3, 3)]


def test_agent_family_and_groups():
    assert agent_family("Claude Opus 4.7") == "Claude"
    assert agent_family("Codex GPT 5.5") == "Codex"
    assert agent_family("[Gemini 3.1 Pro]") == "Gemini"
    assert agent_family("Mystral Large 2") == "Mystral"
    fams = {"Claude", "Codex", "Gemini"}
    # names as printed; the report's Roster resolves them to its reviewers
    assert find_agent_groups("[Alpha One 1.0][Codex GPT 5.4]", fams)[0] == ["Alpha One 1.0", "Codex GPT 5.4"]
    assert find_agent_groups("[Claude Opus 4.6 (as S5), Gemini 3.1 Pro]", fams)[0] == ["Claude Opus 4.6",
                                                                                     "Gemini 3.1 Pro"]
    assert find_agent_groups("see [the docs](https://x.y/z) and [Codex]", fams)[0] == ["Codex"]
