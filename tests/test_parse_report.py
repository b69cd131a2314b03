"""parse_report / parse_review on small synthetic reports, one test per drift of issue 2."""

from __future__ import annotations

import pytest

from harness.core.errors import ParseError
from harness.core.models import Severity
from harness.gold.parse import parse_report, parse_review

HEADER = """| | |
|---|---|
| **Date** | 2026-01-02 03:04 |
| **Repo** | [acme/widgets](https://example.invalid/acme/widgets) |
| **Round** | 2 (of PR #7) |
| **PR** | [#7](https://example.invalid/acme/widgets/pull/7) — Add the frobnicator |
| **Commits** | `abc1234` First change<br>`def5678` Second change |
| **Reviewers** | Alpha Model 1.0 (effort: high), Beta Coder 2.1, ~~Gamma Pro 3~~ (429 capacity) |
| **Wall-clock time** | `1 h 2 min 3 s` |
"""

RETRO = """## Agent Performance Retro

### [Alpha]

Alpha did well.

### [Beta]

Beta was quick.

### Summary

| | Alpha Model 1.0 | Beta Coder 2.1 |
|---|---|---|
| Duration | 4m 56s | 3:08 |
| Findings | 1C 1I | none |
| Tool calls | 12 (Read 10, Bash 2) | — |
| Downgraded | 1 (I→S) | 0 |

Closing words.

**Reconciliation:** Alpha's I2 became S1.
"""


def report(body: str, title: str = "# Deep Review: 20260102-030405-pr-7\n") -> str:
    return title + "\n" + HEADER + "\n" + body


def sev_counts(findings):
    return tuple(sum(1 for f in findings if f.severity is s and not f.withdrawn) for s in Severity)


def test_header_fields():
    r = parse_report(report("## Critical Issues\n\nNone.\n"), "x/20260102-030405-pr-7.md")
    assert (r.id, r.date, r.pr, r.pr_title, r.round, r.wall_clock_s) == (
        "20260102-030405-pr-7", "2026-01-02T03:04", 7, "Add the frobnicator", 2, 3723)
    assert [c.sha for c in r.commits] == ["abc1234", "def5678"]
    assert [(v.agent, v.family, v.model, v.effort, v.available) for v in r.reviewers] == [
        ("Alpha Model 1.0", "Alpha", "Alpha Model 1.0", "high", True),
        ("Beta Coder 2.1", "Beta", "Beta Coder 2.1", None, True), ("Gamma Pro 3", "Gamma", "Gamma Pro 3", None, False)]
    assert r.reviewers[2].status == "dropped"
    assert r.reviewers[2].note == "429 capacity"


def test_id_falls_back_to_stem():
    r = parse_report(report("## Critical Issues\n\nNone.\n", title="## Review of something\n"),
                     "/a/b/20260102-x.md")
    assert r.id == "20260102-x"


def test_ids_and_severity_sections_h2():
    body = """## Critical Issues

C1. **Lock is taken twice — deadlock on retry** — `src/lock.go:10-20`, `src/retry.go:5` [Alpha Model 1.0, Beta Coder 2.1]

Body of C1.

Reconciliation note: Beta called it important.

---

## Important Issues

I1. **Leak** — `src/a.go:114, 157` [Alpha Model 1.0][Beta Coder 2.1] (important, regression)

## Suggestions

S1. **Rename** — `src/a.go:3` vs `src/b.go:4` [Beta Coder 2.1]
"""
    r = parse_report(report(body))
    assert sev_counts(r.findings) == (1, 1, 1)
    c1 = r.findings[0]
    assert c1.title == "Lock is taken twice — deadlock on retry"
    assert c1.agents == ["Alpha Model 1.0", "Beta Coder 2.1"]
    assert [(x.path, x.line_start, x.line_end) for x in c1.locations] == [("src/lock.go", 10, 20), ("src/retry.go", 5, 5)]
    assert c1.reconciliation == "Beta called it important."
    assert "Reconciliation" not in c1.body and "Body of C1." in c1.body
    i1 = r.findings[1]
    assert i1.agents == ["Alpha Model 1.0", "Beta Coder 2.1"] and i1.tags == ["regression"]
    assert [x.line_start for x in i1.locations] == [114, 157]
    assert [x.path for x in r.findings[2].locations] == ["src/a.go", "src/b.go"]


def test_numbered_findings_under_findings_h3_h4_and_numbered_top_level():
    body = """## 1. Consolidated Review

### Findings

#### Critical Issues

None.

#### Important Issues

1. **First** — `a/x.go:1` [Alpha Model 1.0]

```go
# not a heading
```

2. **Second** — `a/y.go:2` [Beta Coder 2.1]

#### Suggestions

1. **Third** — `a/z.go:3` [Beta Coder 2.1] (suggestion, gap)

## 2. Agent Performance Retro

No retro table this time.
"""
    r = parse_report(report(body))
    assert [(f.id, f.severity.value) for f in r.findings] == [("I1", "important"), ("I2", "important"), ("S1", "suggestion")]
    assert "# not a heading" in r.findings[0].body


def test_critical_findings_heading_and_bracket_markers():
    body = """## Consolidated Review

### Critical Findings

**[CRITICAL] a/lock.go:38 — Hardcoded home directory** [Alpha Model 1.0]

Problem text.

### Important Findings

**[IMPORTANT] a/b.go:7 — Missing owner** [Beta Coder 2.1]
"""
    r = parse_report(report(body))
    assert [(f.id, f.title, f.locations[0].path) for f in r.findings] == [
        ("C1", "Hardcoded home directory", "a/lock.go"), ("I1", "Missing owner", "a/b.go")]


def test_struck_finding_is_withdrawn_and_renumbered_without_clash():
    body = """## Suggestions

1. **Keep** — `a/x.go:1` [Alpha Model 1.0]

~~2. **Gone** -- FIXED: done already.~~

2. **Also keep** — `a/y.go:2` [Alpha Model 1.0]
"""
    r = parse_report(report(body))
    assert [(f.id, f.withdrawn) for f in r.findings] == [("S1", False), ("S2", True), ("S2.2", False)]
    assert "fixed" in r.findings[1].tags


def test_retro_summary_table_and_notes():
    r = parse_report(report("## Critical Issues\n\nNone.\n\n" + RETRO))
    retro = r.published_retro
    A, B = "Alpha Model 1.0", "Beta Coder 2.1"
    assert retro.present and set(retro.agent_notes) == {A, B}
    t = retro.summary
    assert t.columns == [A, B] and not t.transposed
    assert t.row("Duration").cells[B].value == 188
    assert t.row("Findings").cells[B].value == {"critical": 0, "important": 0, "suggestion": 0}
    assert t.row("Tool calls").cells[A].value == {"total": 12, "breakdown": {"Read": 10, "Bash": 2}}
    assert t.row("Tool calls").cells[B].value is None and t.row("Tool calls").cells[B].raw == "—"
    assert t.row("Downgraded").cells[A].value == {"count": 1, "transitions": ["I→S"]}
    assert retro.reconciliation.startswith("**Reconciliation:**")
    assert retro.closing == "Closing words."


def test_transposed_summary_table_with_severity_rows():
    retro = """## Agent Performance Retro

### Summary Table

| Agent | Duration | Critical | Important | Suggestion |
|---|---|---|---|---|
| Alpha Model 1.0 | 4:30 | 0 | 1 | 2 |
| Beta Coder 2.1 | 3 min 8 s | 0 | 0 | — |
"""
    t = parse_report(report("## Critical Issues\n\nNone.\n\n" + retro)).published_retro.summary
    assert t.transposed and t.columns == ["Alpha Model 1.0", "Beta Coder 2.1"]
    assert [r.metric for r in t.rows] == ["Duration", "Critical", "Important", "Suggestion"]
    assert t.row("Duration").cells["Beta Coder 2.1"].value == 188
    assert t.row("Important").cells["Alpha Model 1.0"].value == 1
    assert t.row("Suggestion").cells["Beta Coder 2.1"].value is None


def test_no_retro_is_stored_with_reason():
    r = parse_report(report("## Critical Issues\n\nNone.\n"))
    assert not r.published_retro.present and "no Agent Performance Retro" in r.published_retro.absent_reason


APPENDIX = """## Appendix: Original Reviews

### [Alpha] — Pass 1

Let me look at the files first. I will read everything.

Done reading.

## Executive Summary

The change is fine.

## Findings

### Critical Issues

None.

### Important Issues

I1. **Leak in loop** — `db.go:12`

Text. (important, regression)

I2. **Not a problem after all** — `db.go:40`

~~Withdrawn: on reflection this is handled by the caller.~~

### Suggestions

1. **Name it better** — `main.go:3` (suggestion, enhancement)

## Coverage Summary

| File | Finding(s) |
|---|---|
| `internal/db.go` | I1 |
| `cmd/main.go` | S1 |

### [Beta Coder 2.1] — Pass 1

See `/tmp/review-beta.md` for the full text.

## Resolution

| # | Finding | Action |
|---|---|---|
| 1 | Critical #1: Lock | Fixed |
| 2 | Important I1: Leak | Skipped (by design) |
| 3 | Testing Gaps #2–#3 | Test written |
| 4 | C1 again | Commented |
"""


def test_appendix_reviews_hierarchy_break_chatter_coverage_and_resolution():
    body = "## Critical Issues\n\nC1. **Lock** — `a/x.go:1` [Alpha Model 1.0]\n\n## Important Issues\n\n" \
           "I1. **Leak** — `a/y.go:2` [Beta Coder 2.1]\n\n## Testing Assessment\n\nGaps:\n\n" \
           "1. **Gap one** (C1)\n2. **Gap two**\n3. **Gap three**\n\n" + RETRO + "\n" + APPENDIX
    r = parse_report(report(body))
    assert sev_counts(r.findings) == (1, 1, 0)
    alpha, beta = r.agent_reviews
    assert (alpha.agent, alpha.family, alpha.model, alpha.pass_) == ("Alpha Model 1.0", "Alpha", "Alpha Model 1.0", 1)
    assert sev_counts(alpha.findings) == (0, 1, 1)
    assert [f.withdrawn for f in alpha.findings] == [False, True, False]
    assert alpha.findings[0].locations[0].path == "internal/db.go"  # bare name via Coverage Summary
    assert alpha.findings[0].tags == ["regression"]
    assert alpha.findings[2].id == "S1" and alpha.findings[2].locations[0].path == "cmd/main.go"
    assert alpha.coverage == {"internal/db.go": "I1", "cmd/main.go": "S1"}
    assert (beta.agent, beta.model, beta.omitted, beta.findings) == ("Beta Coder 2.1", "Beta Coder 2.1", True, [])
    assert [(x.action, x.note, x.finding_ids) for x in r.resolutions] == [
        ("Fixed", None, ["C1"]), ("Skipped", "by design", ["I1"]), ("Test written", None, ["TG2", "TG3"]),
        ("Commented", None, ["C1"])]
    assert [o.index for o in r.observations if o.kind.value == "testing_gap"] == [1, 2, 3]


def test_appendix_headings_plain_model_names():
    body = "## Critical Issues\n\nNone.\n\n" + RETRO + """
## Appendix: Original Reviews

### Alpha Model 1.0 Review

#### Important Issues

1. **Thing** — `a/x.go:5` (important, gap)

### Beta Coder 2.1

#### Critical Issues

None.

#### Important Issues

None.
"""
    r = parse_report(report(body))
    assert [(a.agent, a.model, len(a.findings), a.omitted) for a in r.agent_reviews] == [
        ("Alpha Model 1.0", "Alpha Model 1.0", 1, False), ("Beta Coder 2.1", "Beta Coder 2.1", 0, False)]


def test_wrapped_review_in_indented_code_is_parsed():
    body = "## Critical Issues\n\nNone.\n\n" + RETRO + """
## Appendix: Original Reviews

### [Alpha]

    Now I have enough context.

    ## Findings

    ### Important Issues

    **I1. Wedge in loop** — `a/x.go:5-9`
"""
    r = parse_report(report(body))
    (alpha,) = r.agent_reviews
    assert [(f.id, f.title) for f in alpha.findings] == [("I1", "Wedge in loop")]


def test_parse_review_standalone():
    text = """## Findings

**CRITICAL** a/x.go:58 — Deletion bypasses teardown
Classification: regression

**[SUGGESTION] a/y.go:62 — Grammar**
"""
    rv = parse_review(text, model="Codex GPT 5.4")
    assert (rv.agent, rv.family) == ("Codex GPT 5.4", "Codex")
    assert [(f.severity.value, f.title, f.locations[0].path) for f in rv.findings] == [
        ("critical", "Deletion bypasses teardown", "a/x.go"), ("suggestion", "Grammar", "a/y.go")]


@pytest.mark.parametrize("text", ["", "   \n", "\x00\x01binary", "just some prose\n\nwith no structure\n"])
def test_not_a_report_raises_parse_error(text):
    with pytest.raises(ParseError):
        parse_report(text, "bad.md")


def test_drift_becomes_warning_not_exception():
    body = "## Important Issues\n\nSomething odd that is not a finding.\n"
    r = parse_report(report(body))
    assert r.findings == [] and any("no recognisable finding" in w.message for w in r.warnings)


def test_none_under_a_concerns_heading_is_not_an_observation():
    from harness.gold.parse import parse_review

    review = parse_review(
        "#### Findings\n\n##### Critical Issues\n\nNone.\n\n"
        "#### Design Observations\n\n**Concerns**\n\nNone.\n\n**Strengths**\n\n"
        "- The retry loop is bounded and logged.\n",
        agent="Gemini",
    )
    kinds = [(o.kind.value, o.text) for o in review.observations]
    assert ("design_concern", "None.") not in kinds
    assert any(k == "design_strength" for k, _ in kinds)
