"""The fate rules of issue 12, one synthetic report per rule (all text written for these tests).

Precedence (strongest first): reconciliation statement > in-review retraction > strong matcher
pairing > agent-qualified retro statement > everything else; bare ids in retro paragraphs never
decide alone; a statement's subject is the finding it opens with."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.gold.fates import PRECEDENCE, Fate, Rule, decide, report_fates, retraction, scorer_matcher, strength
from harness.core.models import Finding, Location, ObservationKind, PublishedRetro, Severity
from harness.gold.parse import parse_report
from harness.gold.reconciliation import Action, statements_from_text
from tests.test_fates import F, report

C, I, S = Severity.critical, Severity.important, Severity.suggestion
AGENTS = ["Claude", "Codex", "Gemini"]


def fates_of(r):
    # keyed by family: the parsed report names its reviewers by model ("Gemini 3.1 Pro")
    return {(f.family, f.finding_id): f for f in report_fates(r, scorer_matcher())}


# -- the precedence rule itself ---------------------------------------------------------------

def test_precedence_order_is_the_documented_one():
    assert PRECEDENCE[:4] == (Rule.reconciliation, Rule.retraction, Rule.matcher, Rule.retro)
    assert strength(Rule.reconciliation) > strength(Rule.retro) > strength(Rule.declined_match)
    assert PRECEDENCE[-1] == Rule.none


def test_a_weaker_piece_never_replaces_a_stronger_one_whatever_the_order():
    r = report()
    got = report_fates(r, scorer_matcher())
    base = got[0]
    strong = base.model_copy(update={"fate": Fate.dropped, "rule": Rule.reconciliation})
    weak = base.model_copy(update={"fate": Fate.demoted, "rule": Rule.retro})
    assert decide([strong, weak]).fate == Fate.dropped
    assert decide([weak, strong]).fate == Fate.dropped  # the old check compared ranks the wrong way round
    first = base.model_copy(update={"fate": Fate.kept, "rule": Rule.retro})
    assert decide([first, weak]).fate == Fate.kept  # a tie: the first (most specific) stands


def test_reconciliation_beats_a_conflicting_retro_paragraph():
    recon = "Gemini C3 (bash syntax error): rejected as a false positive after reading the script."
    notes = {"[Gemini]": "Gemini's C3 was reframed as a design observation about the wrapper script."}
    got = fates_of(report(recon, notes))
    assert got[("Gemini", "C3")].fate == Fate.false_positive
    assert got[("Gemini", "C3")].rule == Rule.reconciliation


def test_strong_matcher_pairing_beats_an_agent_qualified_retro_statement():
    # Claude I1 pairs strongly with consolidated I1; the retro paragraph says otherwise
    notes = {"[Claude]": "Its I1 (finalizer processing) was dropped as out of scope."}
    got = fates_of(report(None, notes))
    assert got[("Claude", "I1")].fate == Fate.kept
    assert got[("Claude", "I1")].rule == Rule.matcher


def test_agent_qualified_retro_statement_decides_an_otherwise_unmatched_finding():
    notes = {"[Claude]": "Its I3 (mirror-name length) was speculative and dropped from the findings entirely."}
    got = fates_of(report(None, notes))
    assert (got[("Claude", "I3")].fate, got[("Claude", "I3")].rule) == (Fate.dropped, Rule.retro)


def test_bare_id_in_a_retro_paragraph_never_decides_alone():
    # "(S3)" may be a consolidated or earlier-round id: without other evidence S3 stays unmatched
    notes = {"[Claude]": "Claude wrote the longest review; two suggestions were dropped by the gate (S3)."}
    got = fates_of(report(None, notes))
    assert got[("Claude", "S3")].fate == Fate.unmatched
    assert got[("Claude", "S3")].rule == Rule.none


def test_retraction_beats_the_matcher_and_loses_to_reconciliation():
    r = report()
    claude = r.agent_reviews[0].findings
    # Claude I1 pairs strongly with consolidated I1, but the agent removed it itself
    claude[0] = claude[0].model_copy(update={"body": claude[0].body + "\n\n*(Removed — self-healing on requeue.)*"})
    got = fates_of(r)
    assert (got[("Claude", "I1")].fate, got[("Claude", "I1")].rule) == (Fate.dropped, Rule.retraction)
    r.published_retro = PublishedRetro(present=True, reconciliation=(
        "Claude I1 (finalizer processing): kept as important I1, the retraction was premature."))
    got = fates_of(r)
    assert got[("Claude", "I1")].rule == Rule.reconciliation
    assert (got[("Claude", "I1")].fate, got[("Claude", "I1")].consolidated_id) == (Fate.kept, "I1")


# -- a statement's subject ---------------------------------------------------------------------

def test_an_agent_named_inside_a_statement_does_not_start_a_new_one():
    text = "Gemini C1 (the template stall) withdrawn by Claude → suggestion S5 after a second look."
    got = statements_from_text(text, AGENTS)
    assert [(s.agent, s.finding_id) for s in got] == [("Gemini", "C1")]


def test_comparison_names_in_a_later_sentence_are_not_subjects():
    text = "- Gemini C2 lost-update race → Important (I2). Same severity as Claude I2 / Codex I1."
    got = statements_from_text(text, AGENTS)
    assert [(s.agent, s.finding_id, s.consolidated_id) for s in got] == [("Gemini", "C2", "I2")]


def test_listed_ids_share_the_subjects_verdict():
    text = "Claude I1 (rename race) and I5 (cache-dir panic) → dropped per the prior-round gate."
    got = statements_from_text(text, AGENTS)
    assert [(s.finding_id, s.action) for s in got] == [("I1", Action.dropped), ("I5", Action.dropped)]


def test_two_statements_in_one_sentence():
    text = "Gemini C1 → dropped as out of scope, Codex I2 → kept as important I3."
    got = {(s.agent, s.finding_id): s for s in statements_from_text(text, AGENTS)}
    assert got[("Gemini", "C1")].action == Action.dropped
    assert got[("Codex", "I2")].consolidated_id == "I3"


def test_its_and_possessive_references_are_qualified_bare_ids_are_not():
    got = statements_from_text("Its I2 was folded into S4. S1 was dropped by the gate (Round 2's declined S5).",
                               AGENTS, source="retro", default_agent="Codex")
    by = {s.finding_id: s for s in got}
    assert by["I2"].qualified and by["I2"].consolidated_id == "S4"
    assert "S5" not in by  # another round's id
    assert not by["S1"].qualified
    got = statements_from_text("Gemini's S1 (retry backoff) was dropped as noise.", AGENTS, source="retro",
                               default_agent="Claude")
    assert [(s.agent, s.finding_id, s.qualified) for s in got] == [("Gemini", "S1", True)]


def test_demoted_to_an_id_is_a_severity_move_not_an_observation():
    got = statements_from_text("I1 demoted to S4 per the repo-context rule; I2 kept as important.",
                               AGENTS, source="appendix", default_agent="Codex")
    by = {s.finding_id: s for s in got}
    assert (by["I1"].action, by["I1"].consolidated_id) == (Action.moved, "S4")


# -- retractions inside the agent's own review ---------------------------------------------------

@pytest.mark.parametrize("body,fate,target", [
    ("The lock is taken twice.\n\n*(Removed — self-healing on the next tick.)*", Fate.dropped, None),
    ("The lock is taken twice.\n\n*(Withdrawn — not an issue after reading the caller.)*", Fate.dropped, None),
    ("The lock is taken twice. (Withdrawn: the caller holds no lock.)", Fate.dropped, None),
    ("The lock is taken twice. (On reflection the README documents it; moving to Acknowledged Limitations.)",
     Fate.demoted, None),
    ("The lock is taken twice.\n\n_(Same root cause as the cache race — moved to S2.)_", Fate.merged, "S2"),
    ("The lock is taken twice. *Merged into S2: same root cause.*", Fate.merged, "S2"),
])
def test_retraction_notes(body, fate, target):
    f = Finding(id="I3", severity=I, title="Lock taken twice", body=body)
    got = retraction(f)
    assert got is not None and got[:2] == (fate, target)


@pytest.mark.parametrize("body", [
    "The helper (removed lines 40-52) no longer closes the file.",
    "`isEnabled` (removed from `set.go` in this commit) used to query the config map.",
    "The old code *removed* the temp file first.",
    "Fix: (1) take the lock once, (2) drop the second acquire.",
])
def test_descriptions_of_code_are_not_retractions(body):
    assert retraction(Finding(id="I3", severity=I, title="Lock taken twice", body=body)) is None


def test_merged_retraction_takes_the_target_findings_consolidated_id():
    r = report()
    claude = r.agent_reviews[0].findings
    claude[4] = claude[4].model_copy(update={"body": claude[4].body + "\n\n*(Duplicate — moved to S1.)*"})
    got = fates_of(r)
    s2 = got[("Claude", "S2")]
    assert (s2.fate, s2.rule, s2.consolidated_id) == (Fate.merged, Rule.retraction, got[("Claude", "S1")].consolidated_id)


# -- parsed reports: reconciliation at any heading level, declined in prior rounds -------------

REPORT = """# Deep Review: 20260101-120000-pr-5

| | |
|---|---|
| **Date** | 2026-01-01 12:00 |
| **PR** | #5 — Cache the resolved binary |
| **Reviewers** | Claude Opus 4.7, Codex GPT 5.5, Gemini 3.1 Pro |

## Important Issues

1. **Cache entry published before the checksum is verified** — `pkg/cache/store.go:40-52` [Claude Opus 4.7, Codex GPT 5.5] (important, regression)

The entry is renamed into place first and verified afterwards.

## Suggestions

1. **Download error omits the mirror URL** — `pkg/cache/fetch.go:88` [Claude Opus 4.7] (suggestion)

The message says only "download failed".

## Acknowledged Limitations

- **Code comment**: `pkg/cache/store.go:10-14` documents that entries are never evicted.

### Declined in prior rounds

- **Rename race between two first-use downloads on Windows** — declined Rounds 1 and 2. Re-raised this round by Codex (I2). Dropped per the resolutions gate.
- **Home directory lookup panics when HOME is unset** — declined Round 1; dropped per the resolutions gate.

## Agent Performance Retro

### [Claude]

Claude found both consolidated findings. Its S2 (the eviction comment) restates a documented limitation.

### [Codex]

Codex shared the publish-before-verify finding.

### [Gemini]

Gemini's C1 was the round's noise. I1 repeats the prior-round home-directory decline.

### Summary

| | Claude Opus 4.7 | Codex GPT 5.5 | Gemini 3.1 Pro |
|---|---|---|---|
| Findings | 1I 1S | 1I | none |
| Downgraded | 1 (S→obs) | 0 | 1 (C→obs) |
| Dropped | 0 | 1 | 1 |

#### Reconciliation

- Gemini C1 (unbounded cache growth): critical → demoted to Design Observation (documented in a code comment).

Reconciliation: Claude S2 (eviction comment) → reframed as an acknowledged limitation.

## Appendix: Original Reviews

### [Claude] — Pass 1

#### Important Issues

1. **Checksum verified after the rename** — `pkg/cache/store.go:41` (important)

The binary is visible to other processes before verification.

#### Suggestions

1. **Fetch error lacks the URL** — `pkg/cache/fetch.go:88` (suggestion)

2. **Eviction is only a comment** — `pkg/cache/store.go:12` (suggestion)

### [Codex] — Pass 1

#### Important Issues

1. **Unverified entry becomes visible** — `pkg/cache/store.go:44` (important)

2. **Two first-use downloads race on the Windows rename** — `pkg/cache/store.go:50` (important)

### [Gemini] — Pass 1

#### Critical Issues

1. **Cache grows without bound** — `pkg/cache/store.go:12` (critical)

#### Important Issues

1. **Home directory lookup panics without HOME** — `pkg/cache/dir.go:20` (important)
"""


@pytest.fixture(scope="module")
def parsed():
    return parse_report(REPORT, "20260101-120000-pr-5.md")


def test_declined_in_prior_rounds_is_its_own_kind(parsed):
    kinds = Counter(o.kind for o in parsed.observations)
    assert kinds[ObservationKind.declined] == 2
    assert kinds[ObservationKind.limitation] == 1


def test_reconciliation_under_a_level_four_heading_and_a_plain_paragraph_are_read(parsed):
    text = parsed.published_retro.reconciliation
    assert "Gemini C1" in text and "Claude S2" in text


def test_fates_of_the_parsed_report(parsed):
    got = fates_of(parsed)
    assert (got[("Gemini", "C1")].fate, got[("Gemini", "C1")].rule) == (Fate.demoted, Rule.reconciliation)
    assert (got[("Claude", "S2")].fate, got[("Claude", "S2")].rule) == (Fate.demoted, Rule.reconciliation)
    # named in a declined entry: dropped by the report's explicit words
    assert (got[("Codex", "I2")].fate, got[("Codex", "I2")].rule) == (Fate.dropped, Rule.reconciliation)
    assert got[("Codex", "I2")].evidence.startswith("declined in prior rounds")
    # not named, but it matches a declined entry: dropped (a known false positive), not demoted
    assert (got[("Gemini", "I1")].fate, got[("Gemini", "I1")].rule) == (Fate.dropped, Rule.declined_match)
    assert got[("Claude", "I1")].fate == Fate.kept


def test_check_of_the_parsed_report_agrees_everywhere(parsed):
    from harness.retro.tables import recompute

    res = recompute(parsed, report_fates(parsed, scorer_matcher()), check=True)
    bad = [(c.row, c.agent, c.published, c.recomputed) for c in res.cells if c.agree is False]
    assert bad == []
    assert res.total_line().startswith(f"{len(res.cells)} of {len(res.cells)} cells agree; 0 flagged")


def test_a_statement_without_id_is_placed_by_a_bare_retro_sentence_with_the_same_verdict():
    # the description alone ("the flaky wrapper") resembles nothing; the retro names the id
    recon = "Gemini P1 the flaky wrapper: critical → dropped (false positive, the script is fine)."
    notes = {"[Gemini]": "Gemini's round was noisy: its wrapper claim (C3 raw) was a false positive."}
    r = report(recon, notes)
    r.published_retro.agent_notes = {"[Gemini]": "The wrapper claim (C3 raw) was a false positive."}
    got = fates_of(r)
    c3 = got[("Gemini", "C3")]
    assert (c3.fate, c3.rule) == (Fate.false_positive, Rule.reconciliation)
    assert "identified as C3" in c3.evidence
    # the bare sentence alone does not decide
    r.published_retro.reconciliation = None
    assert fates_of(r)[("Gemini", "C3")].fate == Fate.unmatched


def test_a_credited_finding_citing_other_lines_pairs_by_text_in_the_same_file():
    r = report()
    # Codex I1 cites line 300 of the file its credited consolidated I2 cites at line 10
    codex = r.agent_reviews[1].findings
    codex[0] = codex[0].model_copy(update={"locations": [Location(path="pkg/bootstrap.go", line_start=300, line_end=310)]})
    got = fates_of(r)[("Codex", "I1")]
    assert (got.fate, got.consolidated_id, got.rule) == (Fate.kept, "I2", Rule.weak_matcher)
    # in another file it stays unpaired
    codex[0] = codex[0].model_copy(update={"locations": [Location(path="pkg/other.go", line_start=300, line_end=310)]})
    assert fates_of(r)[("Codex", "I1")].consolidated_id != "I2"


def test_two_findings_into_one_consolidated_finding_the_weaker_pairing_is_the_merge():
    # Claude I2 is explicitly S1 (reconciliation paragraph); Claude I1 also pairs with S1 by text
    r = report("Claude I2 (unknown state dispatch): important → suggestion S1, the matrix documents it.")
    claude = r.agent_reviews[0].findings
    claude[0] = claude[0].model_copy(update={"title": "Unknown state stops the container through the state matrix",
                                             "body": "The state matrix treats unknown as running and stops it.",
                                             "locations": [Location(path="pkg/state.go", line_start=69, line_end=73)]})
    got = fates_of(r)
    assert (got[("Claude", "I2")].fate, got[("Claude", "I2")].consolidated_id) == (Fate.downgraded, "S1")
    assert (got[("Claude", "I1")].fate, got[("Claude", "I1")].consolidated_id) == (Fate.merged, "S1")


@pytest.mark.parametrize("text,action", [
    ("- Codex P1 missing tests: Important → Testing Assessment, a gap the author skipped.", Action.demoted),
    ("- Codex P1 lock order: important → demoted to Acknowledged Limitation (documented).", Action.demoted),
    ("- Codex P1 lock order: dropped (acknowledged limitation, not a finding).", Action.dropped),
    ("- Codex P1 lock order: important → dropped (false positive, the lock is taken once).", Action.false_positive),
])
def test_hand_checked_verdict_forms(text, action):
    got = statements_from_text(text, AGENTS)
    assert [(s.agent, s.pass_, s.action) for s in got] == [("Codex", 1, action)]


def test_a_review_kept_outside_the_report_gets_its_stated_fates():
    from harness.core.models import AgentReview

    r = report()
    r.agent_reviews.append(AgentReview(agent="Qwen", text=(
        "See `review-qwen-pass-1.md` — 2 Important. I1 (stale lock file) reproduced as I2 above. "
        "I2 (clock skew) dropped as false positive.")))
    got = [f for f in report_fates(r, scorer_matcher()) if f.agent == "Qwen"]
    by = {f.finding_id: f for f in got}
    assert (by["I2"].fate, by["I2"].rule) == (Fate.false_positive, Rule.reconciliation)
    assert by["I1"].consolidated_id == "I2"
    # scoring skips them (no finding in the report to match), the audit numbers them from 0
    assert sorted(f.audit()["idx"] for f in got) == list(range(len(got)))


def test_a_note_naming_no_agent_speaks_of_the_one_agent_the_finding_credits():
    r = report()
    # consolidated I2 credits Codex alone; its note says only "the raising agent"
    r.findings[2] = r.findings[2].model_copy(update={
        "severity": S, "reconciliation": "The raising agent rated this Important; downgraded, the namespace is optional."})
    got = fates_of(r)[("Codex", "I1")]
    assert (got.fate, got.consolidated_id, got.rule) == (Fate.downgraded, "I2", Rule.reconciliation)
