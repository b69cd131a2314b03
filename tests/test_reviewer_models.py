"""Reviewers are models (synthetic reports, one per drift): two models of one family, local models
named shortly in the body, dropped / no-output reviewers, headings that are not reviewers,
reviews kept by reference, bold-lead retro notes, metric-first tables, header PR identity."""

from __future__ import annotations

import pytest

from harness.core.errors import ParseError
from harness.core.models import AgentReview, Finding, Report, Reviewer, Severity
from harness.gold.parse import parse_report
from harness.gold.parse.agents import Roster
from harness.gold.parse.header import parse_reviewers


def doc(reviewers: str, body: str, extra_header: str = "| **PR** | [#12](https://git.example/o/r/pull/12) |\n") -> str:
    return (
        "# Deep Review: 20270105-101010-pr-12\n\n| | |\n|---|---|\n| **Date** | 2027-01-05 10:10 |\n"
        f"{extra_header}| **Reviewers** | {reviewers} |\n\n---\n\n" + body)


TWO_OF_A_FAMILY = """## Important Issues

I1. **Cache key ignores the tenant** — `svc/cache.py:40` [Orion 2 Max, Orion 3 Swift]

## Suggestions

S1. **Retry budget is never reset** — `svc/retry.py:88` [Orion]

S2. **Log line repeats the request id** — `svc/log.py:12` [Orion]

S3. **Typo in the help text** — `cli/help.txt:3` [Consolidator]

## Agent Performance Retro

**[Vega 5]** — Careful and quick.

**[Orion 2 Max]** — Found the cache issue first.

**Orion 3 Swift** found the retry budget problem alone.

**Overall**: all three were useful.

### Summary

| Metric | Vega 5 | Orion 2 Max | Orion 3 Swift |
|---|---|---|---|
| Duration | 3m 10s | 4m 00s | 2m 05s |
| Critical | 0 | 0 | 0 |
| Important | 0 | 1 | 1 (downgraded) |
| Suggestion | 0 | 0 | 1 |

## Appendix: Original Reviews

### [Vega 5]

#### Important Issues

None.

### [Orion 2 Max]

#### Important Issues

I1. **Tenant missing from the cache key** — `svc/cache.py:40`

### [Orion 3 Swift]

#### Important Issues

I1. **Cache key lacks the tenant id** — `svc/cache.py:41`

I2. **Retry budget never resets after success** — `svc/retry.py:88`
"""


def test_two_models_of_one_family_stay_two_reviewers_columns_notes():
    r = parse_report(doc("Vega 5 (effort: high), Orion 2 Max (effort: default), Orion 3 Swift (effort: default)",
                         TWO_OF_A_FAMILY))
    labels = ["Vega 5", "Orion 2 Max", "Orion 3 Swift"]
    assert [x.agent for x in r.reviewers] == labels
    assert [x.family for x in r.reviewers] == ["Vega", "Orion", "Orion"]
    assert [a.agent for a in r.agent_reviews] == labels
    assert [len(a.findings) for a in r.agent_reviews] == [0, 1, 2]
    t = r.published_retro.summary
    assert t.columns == labels  # never one "Orion" column
    assert t.row("Duration").cells["Orion 2 Max"].value == 240
    assert t.row("Duration").cells["Orion 3 Swift"].value == 125
    assert t.row("Important").cells["Orion 3 Swift"].value == 1  # "1 (downgraded)"
    notes = r.published_retro.agent_notes
    assert set(notes) == set(labels)  # bold-lead paragraphs, no per-agent heading
    assert "retry budget" in notes["Orion 3 Swift"] and "Overall" not in notes["Orion 3 Swift"]
    i1, s1, s2, s3 = r.findings
    assert i1.agents == ["Orion 2 Max", "Orion 3 Swift"]
    # `[Orion]` names two models: the appendix shows which one raised it
    assert s1.agents == ["Orion 3 Swift"] and not s1.ambiguous
    # nobody's review shows S2: recorded as ambiguous, with a warning, credited to neither
    assert s2.agents == [] and s2.ambiguous == {"Orion": ["Orion 2 Max", "Orion 3 Swift"]}
    assert any("'Orion' is ambiguous" in w.message and w.where == "finding S2" for w in r.warnings)
    assert s3.agents == []  # the consolidator is no reviewer
    assert not any("Consolidator" in w.message for w in r.warnings)


def test_show_json_shape_of_reviewers_and_reviews():
    r = parse_report(doc("Vega 5, Orion 2 Max, Orion 3 Swift", TWO_OF_A_FAMILY))
    d = r.model_dump(mode="json", by_alias=True)
    assert d["reviewers"][1] == {"agent": "Orion 2 Max", "family": "Orion", "model": "Orion 2 Max",
                                 "effort": None, "status": "available", "note": None, "available": True}
    ar = d["agent_reviews"][2]
    assert (ar["agent"], ar["family"], ar["model"], ar["pass"], ar["status"]) == (
        "Orion 3 Swift", "Orion", "Orion 3 Swift", None, "available")
    assert Report.model_validate(d) == r  # the dumped document reads back


@pytest.mark.parametrize("cell, want", [
    ("Vega 5, ~~Orion 2 Max~~ (429 capacity)", [("Vega 5", "available", None), ("Orion 2 Max", "dropped", "429 capacity")]),
    ("Vega 5 (effort: xhigh — dropped, see retro)", [("Vega 5", "dropped", "dropped, see retro")]),
    ("Orion 3 Swift (effort: default); Orion 2 Max (effort: default) produced no output — quota spent",
     [("Orion 3 Swift", "available", None), ("Orion 2 Max", "no_output", "produced no output — quota spent")]),
    ("Mistral Large 3, Kestrel-7.1 Lite (effort: low)", [("Mistral Large 3", "available", None),
                                                          ("Kestrel-7.1 Lite", "available", None)]),
])
def test_reviewers_cell_status_effort_reason(cell, want):
    got = parse_reviewers(cell)
    assert [(x.agent, x.status.value, x.note) for x in got] == want
    assert all(x.effort is None or " " not in x.effort for x in got)


def test_dropped_reviewer_has_no_review_of_its_own():
    body = TWO_OF_A_FAMILY.replace("I1. **Tenant missing from the cache key** — `svc/cache.py:40`",
                                   "Dropped before producing output (quota).")
    r = parse_report(doc("Vega 5, Orion 2 Max (effort: default — dropped, quota), Orion 3 Swift", body))
    orion2 = r.agent_review("Orion 2 Max")
    assert r.reviewers[1].status == "dropped" and orion2.status == "dropped" and not orion2.findings


LOCAL = """## Important Issues

I1. **Socket leaks on reconnect** — `agent/conn.go:77` [Qwen, Gemma]

I2. **Timeout is in seconds, not ms** — `agent/conn.go:90` [Mistral]

## Agent Performance Retro

### [Qwen]

Short and right.

### [Gemma]

Noisy.

### [Mistral]

Solid.

### Summary

| Metric | Qwen3 Coder Next | Gemma4 31B | Mistral Large 3 |
|---|---|---|---|
| Findings | 1I | 1I | 1I |

## Appendix: Original Reviews

### [Qwen]

#### Important Issues

I1. **Connection not closed on reconnect** — `agent/conn.go:77`

### Explicit Verdict on Round 2 Delta

Still approve.

### [Gemma]

# Review

## Findings

### Important Issues

````
I1. **Reconnect leaks the old socket** — `agent/conn.go:78`

    conn = dial()
````

(important, regression)

### Suggestions

`S1.` **Name the magic number** — `agent/conn.go:12`

### [Mistral]

#### Important Issues

I1. **Unit mix-up in timeout** — `agent/conn.go:90`
"""


def test_local_models_named_shortly_in_the_body():
    r = parse_report(doc("Qwen3 Coder Next (effort: high), Gemma4 31B (effort: high), Mistral Large 3", LOCAL))
    labels = ["Qwen3 Coder Next", "Gemma4 31B", "Mistral Large 3"]
    assert [x.agent for x in r.reviewers] == labels
    assert [x.family for x in r.reviewers] == ["Qwen", "Gemma", "Mistral"]
    # `### Explicit Verdict ...` inside Qwen's review is text, never a reviewer
    assert [a.agent for a in r.agent_reviews] == labels
    qwen, gemma, mistral = r.agent_reviews
    assert [f.id for f in qwen.findings] == ["I1"] and "Explicit Verdict" in qwen.text
    # `#`-level headings, a four-backtick fence around a finding, a ticked id
    assert [(f.id, f.severity) for f in gemma.findings] == [("I1", Severity.important), ("S1", Severity.suggestion)]
    assert [f.id for f in mistral.findings] == ["I1"]
    assert r.findings[0].agents == ["Qwen3 Coder Next", "Gemma4 31B"]
    assert r.findings[1].agents == ["Mistral Large 3"]
    assert set(r.published_retro.agent_notes) == set(labels)
    assert r.published_retro.summary.columns == labels


def test_unlisted_reviewer_heading_is_skipped_with_a_warning():
    body = LOCAL.replace("### [Mistral]\n\n#### Important", "### [Claude]\n\n#### Important")
    r = parse_report(doc("Qwen3 Coder Next, Gemma4 31B, Mistral Large 3", body))
    assert [a.agent for a in r.agent_reviews] == ["Qwen3 Coder Next", "Gemma4 31B"]
    assert [x.agent for x in r.reviewers] == ["Qwen3 Coder Next", "Gemma4 31B", "Mistral Large 3"]
    assert any("'Claude', who is not in the header" in w.message for w in r.warnings)


BY_REFERENCE = """## Important Issues

I1. **Shutdown races the flush** — `io/flush.rs:30` [Vega]

## Appendix: Original Reviews

## Appendix: [Vega]

See `review-vega-pass-1.md`. Findings: I1, S1.

## Appendix: [Orion]

### Important Issues

None.
"""


def test_review_by_reference_is_external_not_an_empty_review():
    r = parse_report(doc("Vega 5, Orion 2 Max", BY_REFERENCE))
    vega, orion = r.agent_reviews
    assert (vega.agent, vega.status, vega.findings) == ("Vega 5", "external", [])
    assert vega.omitted  # no findings of its own: not scored as a review that found nothing
    assert (orion.agent, orion.status) == ("Orion 2 Max", "available")
    assert any("kept outside the report" in w.message for w in r.warnings)


@pytest.mark.parametrize("round_cell, header, want", [
    ("3 (of PR #711)", "", (3, 711, "PR #711")),
    ("2 (of PR 88)", "", (2, 88, "PR 88")),
    ("4 (of fix-the-cache)", "", (4, None, "fix-the-cache")),
    ("1 (of #5)", "| **PR** | [#12](https://github.com/o/r/pull/12) — x |\n", (1, 12, "#5")),
])
def test_round_cells_give_pr_and_branch(round_cell, header, want):
    extra = f"| **Repo** | [acme/tools](https://github.com/acme/tools) |\n| **Round** | {round_cell} |\n" \
            f"| **Review SHA** | `0123456789abcdef` (top commit) |\n" + header
    r = parse_report(doc("Vega 5", "## Important Issues\n\nNone.\n", extra_header=extra))
    assert (r.round, r.pr, r.round_of) == want
    assert r.repo == "acme/tools" and r.review_sha == "0123456789abcdef"


def test_repo_from_the_pr_link_when_no_repo_row():
    extra = "| **PR** | [#9](https://github.com/zeta/app/pull/9) — y |\n"
    r = parse_report(doc("Vega 5", "## Important Issues\n\nNone.\n", extra_header=extra))
    assert (r.repo, r.pr) == ("zeta/app", 9)


@pytest.mark.parametrize("text", [
    "# Dependency Audit: 2027-W02\n\n| | |\n|---|---|\n| **Date** | 2027-01-10 |\n| **Repo** | a/b |\n\n"
    "## Summary\n\nAll pinned.\n\n## Retro: what the scan missed\n\nNothing.\n",
    "# Flaky Jobs: 2027-W03\n\n| | |\n|---|---|\n| **Date** | 2027-01-17 |\n\n## At a glance\n\n3 flakes.\n",
])
def test_documents_that_are_not_deep_reviews_fail_with_the_reason(text):
    with pytest.raises(ParseError) as exc:
        parse_report(text, "x/doc.md")
    assert str(exc.value).startswith("x/doc.md: not a deep-review report (")


def test_roster_resolution_rules():
    r = Roster.from_labels(["Claude Opus 5", "Codex GPT 5.6 Sol", "Gemini 3.1 Pro", "Gemini 3.5 Flash",
                            "GLM-4.7 Air", "Mistral Large 3"])
    assert r.resolve("[Claude]") == "Claude Opus 5"
    assert r.resolve("Claude Opus 4.9") == "Claude Opus 5"  # a stale version in the body: by family
    assert r.candidates("Claude Opus 4.9", strict=True) == []
    assert r.resolve("Gemini") is None and r.ambiguous("Gemini") == ["Gemini 3.1 Pro", "Gemini 3.5 Flash"]
    assert r.resolve("Flash") == "Gemini 3.5 Flash" and r.resolve("Gemini 3.1") == "Gemini 3.1 Pro"
    assert r.resolve("GLM") == "GLM-4.7 Air" and r.resolve("Mistral") == "Mistral Large 3"
    assert r.resolve("GPT 5.6") == "Codex GPT 5.6 Sol"
    assert r.resolve("Consolidator") is None and r.candidates("orchestrator") == []
    assert "Flash" in r.names() and "Gemini" in r.names()


def test_replay_accepts_a_model_label_or_a_unique_family():
    from harness.benchmark.replay import ReplayProvider, agents_in_gold

    rep = Report(id="r", reviewers=[Reviewer(agent=a, model=a) for a in ("Vega 5", "Orion 2 Max", "Orion 3 Swift")],
                 agent_reviews=[AgentReview(agent=a, model=a, text=f"review by {a}")
                                for a in ("Vega 5", "Orion 2 Max", "Orion 3 Swift")])
    assert ReplayProvider("Orion 3 Swift").answer(rep) == "review by Orion 3 Swift"
    assert ReplayProvider("Vega").answer(rep) == "review by Vega 5"
    assert ReplayProvider("Swift").answer(rep) == "review by Orion 3 Swift"
    assert ReplayProvider("Orion").answer(rep) is None  # two models of that family here
    assert agents_in_gold([rep]) == ["Orion 2 Max", "Orion 3 Swift", "Vega"]


def test_known_false_positives_carry_the_model_that_raised_them():
    from scorers import gold_for_report

    f = Finding(id="I2", severity=Severity.important, title="Bogus claim")
    rep = Report(id="r", agent_reviews=[AgentReview(agent="Orion 3 Swift", model="Orion 3 Swift", findings=[f])])
    gold = gold_for_report(rep, [{"agent": "Orion 3 Swift", "index": 0, "fate": "false_positive"}])
    (kfp,) = gold.known_false_positives
    assert kfp.id == "Orion 3 Swift:I2" and kfp.agents == ["Orion 3 Swift"]


# -- a PR is (repository, number) ----------------------------------------------------------------

def test_pr_ref_forms():
    from harness.core.errors import HarnessError
    from harness.core.models import pr_key, pr_ref

    assert pr_ref("63") == (None, 63) and pr_ref("#63") == (None, 63) and pr_ref(63) == (None, 63)
    assert pr_ref("acme/tools#63") == ("acme/tools", 63)
    assert pr_key("acme/tools", 63) == "acme/tools#63" and pr_key(None, 63) == "#63" and pr_key("a/b", None) is None
    with pytest.raises(HarnessError):
        pr_ref("sixty-three")


def test_same_pr_number_in_two_repositories_is_two_groups():
    from harness.benchmark.dataset import group_key

    a1 = Report(id="a1", repo="acme/tools", pr=7)
    a2 = Report(id="a2", repo="acme/tools", pr=7, round=2)
    b1 = Report(id="b1", repo="zeta/app", pr=7)
    assert group_key(a1) == group_key(a2) != group_key(b1)
    assert group_key(Report(id="c", pr=7)) == "pr:7"


def _two_repo_store(tmp_path):
    from harness.store import Store
    from harness.store.gold import put_report

    st = Store(tmp_path / "s.duckdb")
    base = parse_report(doc("Vega 5, Orion 2 Max, Orion 3 Swift", TWO_OF_A_FAMILY))
    for i, repo in enumerate(("acme/tools", "zeta/app")):
        put_report(st, base.model_copy(update={"id": f"r{i}", "repo": repo, "pr": 12, "content_hash": f"h{i}",
                                               "date": f"2027-01-0{i + 5}T10:10"}))
    return st


def test_reports_and_leaderboard_filter_by_repo_and_number(tmp_path):
    from harness.retro.leaderboard import leaderboard
    from harness.store.gold import report_listing

    st = _two_repo_store(tmp_path)
    assert [r["id"] for r in report_listing(st, pr=12)["reports"]] == ["r0", "r1"]
    got = report_listing(st, pr="zeta/app#12")["reports"]
    assert [(r["id"], r["repo"], r["pr"]) for r in got] == [("r1", "zeta/app", 12)]
    both, one = leaderboard(st, n_boot=20), leaderboard(st, pr="acme/tools#12", n_boot=20)
    # one row per model: the two Orions are never summed into one "Orion"
    assert sorted(both.get_column("model")) == ["Orion 2 Max", "Orion 3 Swift", "Vega 5"]
    assert dict(zip(both.get_column("model"), both.get_column("family")))["Orion 3 Swift"] == "Orion"
    assert dict(zip(both.get_column("model"), both.get_column("reports"))) == {
        "Vega 5": 2, "Orion 2 Max": 2, "Orion 3 Swift": 2}
    assert dict(zip(one.get_column("model"), one.get_column("reports")))["Orion 3 Swift"] == 1
    assert dict(zip(one.get_column("model"), one.get_column("raised")))["Orion 3 Swift"] == 2
    st.close()


def test_heading_finding_title_drops_its_ticked_tag_group():
    review = "## Findings\n\n### Important Issues\n\n##### I1. Lookup uses the prefix `(important, regression)`\n\n" \
             "Body.\n"
    from harness.gold.parse import parse_review

    (f,) = parse_review(review, model="Orion 3 Swift").findings
    assert f.title == "Lookup uses the prefix" and "regression" in f.tags


def test_a_published_column_for_an_unlisted_model_is_no_reviewer_fact():
    from harness.gold.facts import agent_fact_rows

    body = TWO_OF_A_FAMILY.replace("| Metric | Vega 5 | Orion 2 Max | Orion 3 Swift |\n|---|---|---|---|",
                                   "| Metric | Vega 5 | Orion 2 Max | Orion 3 Swift | Lyra 1 |\n|---|---|---|---|---|")
    r = parse_report(doc("Vega 5, Orion 2 Max, Orion 3 Swift", body))
    assert "Lyra 1" in r.published_retro.summary.columns  # the published table as printed, with a warning
    assert any("'Lyra 1' is not a reviewer" in w.message for w in r.warnings)
    assert [row[1] for row in agent_fact_rows(r)] == ["Vega 5", "Orion 2 Max", "Orion 3 Swift"]


NO_SEVERITY = """## Important Issues

I1. **Cache key ignores the tenant** — `svc/cache.py:40` [Vega]

## Appendix: Original Reviews

### [Vega 5]

#### Important Issues

I1. **Cache key ignores the tenant** — `svc/cache.py:40`

### [Pico 1]

### Finding 1: Cache key ignores the tenant

The key built in `svc/cache.py` leaves the tenant out, so two tenants share entries.

### Finding 2: Retry loop has no ceiling

`svc/retry.py:88` retries without end while the upstream keeps failing.

**Issue #3 — Unused import**

`svc/log.py:1` imports a module it never uses.
"""


def test_a_review_whose_findings_carry_no_severity_warns_and_guesses_nothing():
    r = parse_report(doc("Vega 5, Pico 1", NO_SEVERITY))
    vega, pico = r.agent_reviews
    assert len(vega.findings) == 1 and pico.findings == []  # no severity is guessed
    got = [w for w in r.warnings if "carry no severity" in w.message]
    assert len(got) == 1 and "[Pico 1]" in got[0].where
    assert got[0].message.startswith("review of Pico 1: 3 finding heading(s) carry no severity")
    # a review with its severities says nothing of the kind
    fine = parse_report(doc("Vega 5, Pico 1", NO_SEVERITY.replace(
        "### Finding 1: Cache key ignores the tenant", "#### Important Issues\n\nI1. **Cache key ignores the tenant**")))
    assert len(fine.agent_reviews[1].findings) >= 1
    assert not [w for w in fine.warnings if "carry no severity" in w.message]
