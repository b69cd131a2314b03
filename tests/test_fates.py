"""Fates of original agent findings, on hand-built reports: every fate, and the evidence rules."""

from __future__ import annotations

import pytest

from harness.gold.fates import Fate, report_fates, scorer_matcher
from harness.core.models import (
    AgentReview, Finding, Location, Observation, ObservationKind, PublishedRetro, Report, Reviewer, Severity,
)

C, I, S = Severity.critical, Severity.important, Severity.suggestion


def F(fid, sev, title, path, line, agents=(), body="", **kw) -> Finding:
    return Finding(id=fid, severity=sev, title=title, body=body or title, agents=list(agents),
                   locations=[Location(path=path, line_start=line, line_end=line + 4)], **kw)


def report(reconciliation: str | None = None, notes: dict | None = None) -> Report:
    cons = [
        F("C1", C, "Watcher goroutine leaks after stream error", "pkg/watch.go", 100, ["Gemini"]),
        F("I1", I, "Finalizer pass skipped when spec reconcile fails", "pkg/reconcile.go", 40, ["Gemini", "Claude"]),
        F("I2", I, "Namespace bootstrap never re-created after deletion", "pkg/bootstrap.go", 10, ["Codex"]),
        F("S1", S, "State matrix treats unknown status as running", "pkg/state.go", 70, ["Claude"],
          reconciliation="Claude originally flagged this as Important. Downgraded because the matrix documents it."),
        F("S2", S, "Volume sync ignores removal errors", "pkg/volumes.go", 55, ["Claude", "Codex"]),
    ]
    claude = [
        F("I1", I, "Finalizer processing blocked by spec reconcile errors", "pkg/reconcile.go", 41),
        F("I2", I, "Unknown state dispatches a stop through the state matrix", "pkg/state.go", 71),
        F("I3", I, "Mirror names can exceed the 253 character limit", "pkg/names.go", 12),
        F("S1", S, "Volume sync swallows removal errors", "pkg/volumes.go", 56),
        F("S2", S, "Volume sync drops errors from volume removal calls", "pkg/volumes.go", 57),
        F("S3", S, "Typo in a log message of the image pruner", "pkg/prune.go", 300),
    ]
    codex = [
        F("I1", I, "Bootstrap namespace never re-created after deletion", "pkg/bootstrap.go", 11),
        F("S1", S, "Volume sync ignores errors on removal", "pkg/volumes.go", 54),
        F("I2", I, "Controller loop multiplexes too many event domains", "pkg/controller.go", 200),
    ]
    gemini = [
        F("C1", C, "Watcher goroutine leaks on event stream error", "pkg/watch.go", 101),
        F("C2", C, "Finalizer pass skipped after spec reconcile failure", "pkg/reconcile.go", 39),
        F("C3", C, "Bash syntax error in the test wrapper script", "scripts/run.sh", 144),
        F("S1", S, "Retry loop in the downloader has no backoff", "pkg/download.go", 90),
    ]
    obs = [Observation(kind=ObservationKind.design_concern, index=1,
                       title="Controller multiplexes too many event domains through one loop",
                       text="Controller multiplexes too many event domains through one loop.",
                       locations=[Location(path="pkg/controller.go", line_start=198, line_end=230)])]
    return Report(
        id="r1", findings=cons, observations=obs,
        reviewers=[Reviewer(agent="Claude", model="Claude Opus 4.6"), Reviewer(agent="Codex", model="Codex GPT 5.4"),
                   Reviewer(agent="Gemini", model="Gemini 3.1 Pro")],
        agent_reviews=[AgentReview(agent="Claude", model="Claude Opus 4.6", findings=claude),
                       AgentReview(agent="Codex", model="Codex GPT 5.4", findings=codex),
                       AgentReview(agent="Gemini", model="Gemini 3.1 Pro", findings=gemini)],
        published_retro=PublishedRetro(
            present=True, reconciliation=reconciliation, agent_notes=notes or {}),
    )


RECON = ("Gemini C2 (finalizer stall): critical → important I1 — the controller requeues. "
         "Gemini C3 (bash syntax error): rejected as a false positive after reading the file. "
         "Gemini S1 (retry backoff) → dropped per the resolutions gate (declined Rounds 1-3).")
NOTES = {"[Claude]": "Its original I3 (mirror-name length) was speculative and dropped from the findings entirely."}


@pytest.fixture(scope="module")
def fates():
    got = report_fates(report(RECON, NOTES), scorer_matcher())
    return {(f.agent, f.finding_id): f for f in got}


def test_every_fate_but_upgraded_is_reached(fates):
    # upgraded: see test_upgrade_from_severity_comparison
    assert {f.fate for f in fates.values()} == set(Fate) - {Fate.upgraded}


@pytest.mark.parametrize("key,fate,cid", [
    (("Gemini", "C1"), Fate.kept, "C1"),
    (("Gemini", "C2"), Fate.downgraded, "I1"),
    (("Gemini", "C3"), Fate.false_positive, None),
    (("Gemini", "S1"), Fate.dropped, None),
    (("Claude", "I1"), Fate.kept, "I1"),
    (("Claude", "I2"), Fate.downgraded, "S1"),
    (("Claude", "I3"), Fate.dropped, None),
    (("Claude", "S3"), Fate.unmatched, None),
    (("Codex", "I1"), Fate.kept, "I2"),
    (("Codex", "I2"), Fate.demoted, None),
])
def test_fate(fates, key, fate, cid):
    f = fates[key]
    assert (f.fate, f.consolidated_id) == (fate, cid), f
    assert f.evidence


def test_two_findings_into_one_consolidated_is_a_merge(fates):
    pair = sorted([fates[("Claude", "S1")].fate, fates[("Claude", "S2")].fate])
    assert pair == [Fate.kept, Fate.merged]
    assert fates[("Claude", "S1")].consolidated_id == fates[("Claude", "S2")].consolidated_id == "S2"


def test_upgrade_from_severity_comparison():
    r = report()
    r.agent_reviews[1].findings[0] = r.agent_reviews[1].findings[0].model_copy(update={"severity": S})
    got = {(f.agent, f.finding_id): f for f in report_fates(r, scorer_matcher())}
    assert got[("Codex", "I1")].fate == Fate.upgraded


def test_statement_evidence_is_kept_verbatim(fates):
    assert "false positive" in fates[("Gemini", "C3")].evidence
    assert fates[("Gemini", "C3")].source == "reconciliation"
    assert fates[("Claude", "I2")].source == "note"
    assert fates[("Claude", "I3")].source == "retro"


def test_without_report_words_the_matcher_alone_decides():
    got = {(f.agent, f.finding_id): f for f in report_fates(report(), scorer_matcher())}
    # no statement: C3 has no consolidated counterpart and resembles no observation
    assert got[("Gemini", "C3")].fate == Fate.unmatched
    assert got[("Gemini", "C2")].fate in (Fate.downgraded, Fate.merged)


def test_withdrawn_finding_is_dropped():
    r = report()
    r.agent_reviews[0].findings[5] = r.agent_reviews[0].findings[5].model_copy(update={"withdrawn": True})
    got = {(f.agent, f.finding_id): f for f in report_fates(r, scorer_matcher())}
    assert got[("Claude", "S3")].fate == Fate.dropped
    assert got[("Claude", "S3")].source == "withdrawn"
