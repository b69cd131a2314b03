"""Structural drift found by auditing the corpus, each pinned with a synthetic snippet."""

from __future__ import annotations

from harness.core.models import Severity
from harness.gold.parse import parse_locations, parse_report, parse_review
from harness.gold.parse.doc import Doc
from tests.test_parse_report import RETRO, report, sev_counts

F = "```"  # a fence, spelled once so the snippets below stay readable


def test_fence_wrapped_reviews_with_inner_fences_stay_apart():
    # Each review is pasted inside a plain fence and has fences of its own:
    # CommonMark closes the wrapper at the first inner fence, which used to
    # hide the next agent's heading and the Resolution inside a code block.
    body = "## Critical Issues\n\nNone.\n\n" + RETRO + f"""
## Appendix: Original Reviews

### Alpha Model 1.0

{F}
Some chatter first.

# Code Review of the widget

## Findings

### Important Issues

**I1. Loop never ends** — `a/loop.go:3-9`

{F}go
for {{ }}
{F}

### Suggestions

**S1. Typo in doc** — `docs/a.md:2`

All files examined.{F}

### Beta Coder 2.1

{F}
### Findings

#### Critical Issues

**C1. Data loss on retry** — `b/store.go:40` (critical, regression)

{F}diff
- old
+ new
{F}
{F}

## Resolution

| # | Finding | Action |
|---|---------|--------|
| 1 | Important #1: Loop | Fixed |
| 2 | Suggestion #1: Typo | Skipped |
"""
    r = parse_report(report(body))
    got = {a.agent: [(f.id, f.title) for f in a.findings] for a in r.agent_reviews}
    assert got == {"Alpha Model 1.0": [("I1", "Loop never ends"), ("S1", "Typo in doc")],
                   "Beta Coder 2.1": [("C1", "Data loss on retry")]}
    assert [x.action for x in r.resolutions] == ["Fixed", "Skipped"]
    alpha = r.agent_review("Alpha")
    assert alpha.text.startswith(F) and alpha.text.endswith(F)  # raw text kept whole
    assert alpha.findings[0].locations[0].path == "a/loop.go"


def test_doc_cuts_stop_an_unclosed_fence_and_keep_line_numbers():
    text = f"# T\n\n{F}\nunclosed\n\n## After\n\ntext\n"
    assert [b.kind for b in Doc(text).blocks] == ["heading", "fence"]
    doc = Doc(text, cuts=[5], mask={2: ""})
    assert [(b.kind, b.start) for b in doc.blocks] == [
        ("heading", 0), ("paragraph", 3), ("heading", 5), ("paragraph", 7)]
    assert doc.lines[2] == F  # masking changes what the parser sees, not the source


def test_location_inside_the_bold_title_moves_out_of_it():
    text = """### Important Issues

**I1. Cache grows forever — `a/cache.go:10-12`, `a/gc.go:4,9` (important, gap)**

Body.

### Suggestions

**S1. Names a dir — `pkg/util/`**

**S2. Title with — a dash and `code` inside**
"""
    rv = parse_review(text, agent="Alpha")
    i1, s1, s2 = rv.findings
    assert i1.title == "Cache grows forever" and i1.tags == ["gap"]
    assert [(x.path, x.line_start, x.line_end) for x in i1.locations] == [
        ("a/cache.go", 10, 12), ("a/gc.go", 4, 4), ("a/gc.go", 9, 9)]
    assert (s1.title, [x.path for x in s1.locations]) == ("Names a dir", ["pkg/util/"])
    assert s2.title == "Title with — a dash and `code` inside" and s2.locations == []


def test_bold_id_with_dash_separator():
    rv = parse_review("#### Important Issues\n\n**I1 — Retry is missing**\n\nBody.\n", agent="A")
    assert [(f.id, f.title) for f in rv.findings] == [("I1", "Retry is missing")]


def test_numbered_bold_points_inside_an_id_marked_finding_are_its_body():
    text = """## Important Issues

I1. **Two bugs in one place** — `a/x.go:5` [Alpha Model 1.0]

Two problems fall out:

1. **Nil dereference.** The pointer is nil at startup.
2. **Data race**: the writer does not lock.

I2. **Second finding** — `a/y.go:8` [Alpha Model 1.0]

## Suggestions

1. **Plain numbered style still works** — `a/z.go:1` [Alpha Model 1.0]
"""
    r = parse_report(report(text))
    assert [(f.id, f.title) for f in r.findings] == [
        ("I1", "Two bugs in one place"), ("I2", "Second finding"),
        ("S1", "Plain numbered style still works")]
    assert "Nil dereference" in r.findings[0].body and "Data race" in r.findings[0].body


def test_agents_own_severity_tag_wins_in_its_review_only():
    section = "#### Suggestions\n\n1. **Kill sends TERM** — `a/k.go:3` (important, gap)\n"
    rv = parse_review(section, agent="Alpha")
    assert [(f.severity, f.tags) for f in rv.findings] == [(Severity.important, ["gap"])]
    consolidated = section.replace("####", "##").replace("(important, gap)", "[Alpha Model 1.0] (important)")
    r = parse_report(report(consolidated))
    assert [f.severity for f in r.findings] == [Severity.suggestion]


def test_omitted_review_keeps_the_findings_its_summary_names():
    body = "## Critical Issues\n\nNone.\n\n" + RETRO + """
## Appendix: Original Reviews

### [Alpha] — Pass 1

See `/tmp/run-1/review-alpha.md`: I1 (nil map on restart (rare); kept as I1),
S1 (stale `docs/a.md` text), S2 (extra lock; withdrawn mid-review). Verdict: ok.

### [Beta] — Pass 1

Full text in `/tmp/run-1/review-beta.md`: I1 (bad flag) reproduced above; S1-S4
reproduced as consolidated suggestions.
"""
    r = parse_report(report(body))
    alpha, beta = r.agent_reviews
    assert alpha.omitted and beta.omitted
    assert [(f.id, f.severity.value, f.title, f.withdrawn) for f in alpha.findings] == [
        ("I1", "important", "nil map on restart (rare)", False),
        ("S1", "suggestion", "stale `docs/a.md` text", False),
        ("S2", "suggestion", "extra lock", True)]
    assert alpha.findings[1].locations[0].path == "docs/a.md"
    assert all(f.tags == ["summary"] for f in alpha.findings)
    assert sev_counts(alpha.findings) == (0, 1, 1)
    assert beta.findings == []  # a range means the list is partial: nothing is taken


def test_directory_locations_and_non_paths():
    def paths(t):
        return [(x.path, x.line_start) for x in parse_locations(t)]
    assert paths("see `pkg/controllers/app/`") == [("pkg/controllers/app/", None)]
    assert paths("and/or input/ and a/b/c.go:4") == [("a/b/c.go", 4)]
