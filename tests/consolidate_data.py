"""A synthetic report for consolidate-task tests: three reviewers, one consolidated finding
raised by two of them (one at a higher severity: downgraded), one kept from a single reviewer,
one finding the report rejects in its reconciliation text, and a one-review report that is no
consolidate case."""

from __future__ import annotations

from harness.core.hashing import content_hash
from harness.core.models import AgentReview, Finding, Location, PublishedRetro, Report, Reviewer, Severity


def _f(fid, sev, title, path, line, body="", agents=()):
    return Finding(id=fid, severity=Severity(sev), title=title, agents=list(agents), body=body,
                   locations=[Location(path=path, line_start=line, line_end=line + 2)])


def consolidate_report(rid: str = "20260101-000000-pr-5", pr: int = 5) -> Report:
    gold = [
        _f("I1", "important", "Watcher goroutine leaks when the context is cancelled", "pkg/watch/watch.go", 40,
           "The goroutine never returns after cancellation.", ["Claude", "Codex"]),
        _f("S1", "suggestion", "Retry loop has no upper bound on attempts", "pkg/retry/retry.go", 12,
           "Cap the attempts.", ["Gemini"]),
    ]
    claude = [
        _f("C1", "critical", "Watcher goroutine leaks when the context is cancelled", "pkg/watch/watch.go", 41,
           "The goroutine never returns after cancellation."),
        _f("I1", "important", "Config file parsed twice on startup", "cmd/main.go", 88, "Parsed twice."),
    ]
    codex = [_f("I1", "important", "Goroutine leak in watcher on context cancel", "pkg/watch/watch.go", 40,
                "Leaks a goroutine per cancelled watch.")]
    gemini = [_f("S1", "suggestion", "Retry loop has no upper bound on attempts", "pkg/retry/retry.go", 12,
                 "Cap the attempts.")]
    r = Report(
        id=rid, source=f"synthetic/{rid}.md", pr=pr, round=1, repo="acme/widgets", findings=gold,
        reviewers=[Reviewer(agent="Claude", model="Claude Opus 4.7"), Reviewer(agent="Codex", model="Codex GPT 5.5"),
                   Reviewer(agent="Gemini", model="Gemini 3.1 Pro")],
        agent_reviews=[AgentReview(agent="Claude", model="Claude Opus 4.7", findings=claude, text="review"),
                       AgentReview(agent="Codex", model="Codex GPT 5.5", findings=codex, text="review"),
                       AgentReview(agent="Gemini", model="Gemini 3.1 Pro", findings=gemini, text="review")],
        published_retro=PublishedRetro(
            present=True, reconciliation="Claude I1 (config parsed twice) was dropped as a false positive: "
                                         "the second parse reads a different file."))
    r.content_hash = content_hash(r)
    return r


def single_review_report(rid: str = "20260102-000000-pr-6") -> Report:
    f = _f("I1", "important", "Unchecked error from Close", "pkg/io/io.go", 5, "", ["Claude"])
    r = Report(id=rid, source=f"synthetic/{rid}.md", pr=6, round=1, findings=[f],
               agent_reviews=[AgentReview(agent="Claude", model="Claude Opus 4.7", findings=[f], text="review"),
                              AgentReview(agent="Codex", omitted=True, findings=[f])])
    r.content_hash = content_hash(r)
    return r


def populate(st) -> list[str]:
    from harness.store.gold import put_report

    ids = []
    for r in (consolidate_report(), single_review_report()):
        put_report(st, r)
        ids.append(r.id)
    return ids
