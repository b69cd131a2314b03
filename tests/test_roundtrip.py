"""Hypothesis round trip: random Report -> render (house format) -> parse_report -> equal.

The strategies only build what the house format can express: agent families named by the
report's reviewers, ids numbered per severity in document order, single-line titles, bodies
of plain paragraphs and fenced code (whose `#` lines must not become headings).
"""

from __future__ import annotations

import string

from hypothesis import given, strategies as st

from harness.core.models import (
    AgentReview, Commit, Finding, Location, Observation, ObservationKind, PublishedRetro,
    Report, Resolution, RetroCell, RetroRow, RetroTable, Reviewer, Severity,
)
from harness.gold.render import WITHDRAWN_MARK, render_report

FAMILIES = {"Claude": "Claude Opus 4.7", "Codex": "Codex GPT 5.5", "Gemini": "Gemini 3.1 Pro"}
WORDS = ("cache flush writer pool token retry lease handle config queue worker socket buffer "
         "schema reader index cursor batch timeout guard loop panel metric").split()
TAGS = ("regression", "gap", "security", "enhancement", "style", "concurrency")

IDENTS = [f"`{a}_{b}`" for a, b in zip(WORDS, WORDS[3:] + WORDS[:3])]

word = st.sampled_from(WORDS)
token = st.sampled_from(WORDS * 2 + IDENTS)  # prose: mostly words, some code spans
plain = st.lists(word, min_size=1, max_size=6).map(lambda ws: " ".join(ws).capitalize())  # header cells


@st.composite
def title(draw) -> str:
    parts = draw(st.lists(token, min_size=2, max_size=7))
    if draw(st.booleans()) and len(parts) > 3:  # em dash inside the bold title
        parts.insert(2, "\u2014")
    text = " ".join(parts)
    return text[0].upper() + text[1:]


@st.composite
def sentence(draw) -> str:
    text = " ".join(draw(st.lists(token, min_size=3, max_size=12)))
    return text[0].upper() + text[1:] + "."


@st.composite
def paragraph(draw) -> str:
    return " ".join(draw(st.lists(sentence(), min_size=1, max_size=3)))


@st.composite
def code_block(draw) -> str:
    lines = draw(st.lists(st.one_of(
        st.builds(lambda w: f"# {w} comment", word),
        st.builds(lambda w: f"## {w}", word),
        st.builds(lambda a, b: f"{a} = {b}()", word, word),
    ), min_size=1, max_size=4))
    return "```python\n" + "\n".join(lines) + "\n```"


body = st.lists(st.one_of(paragraph(), paragraph(), code_block()), min_size=0, max_size=3).map(
    "\n\n".join)

path = st.builds(lambda d, f, e: f"{d}/{f}.{e}", st.sampled_from(["pkg/store", "src", "internal/api", "cmd/tool"]),
                 word, st.sampled_from(["go", "py", "rs", "ts"]))


@st.composite
def location(draw) -> Location:
    p = draw(path)
    if draw(st.integers(0, 4)) == 0:
        return Location(path=p)
    start = draw(st.integers(1, 900))
    end = draw(st.one_of(st.none(), st.integers(start + 1, start + 60)))
    return Location(path=p, line_start=start, line_end=end if end is not None else start)


def _numbered(findings: list[Finding]) -> list[Finding]:
    """Order by severity and number C1.. I1.. S1.., as the house format prints them."""
    out, counts = [], {}
    for sev in Severity:
        for f in findings:
            if f.severity == sev:
                counts[sev] = counts.get(sev, 0) + 1
                out.append(f.model_copy(update={"id": f"{sev.letter}{counts[sev]}"}))
    return out


@st.composite
def finding(draw, families: list[str], agents: bool = True, withdrawable: bool = False) -> Finding:
    return Finding(
        severity=draw(st.sampled_from(list(Severity))),
        title=draw(title()),
        agents=draw(st.lists(st.sampled_from(families), min_size=1, max_size=len(families), unique=True))
        if agents else [],
        locations=draw(st.lists(location(), max_size=3, unique_by=lambda l: (l.path, l.line_start, l.line_end))),
        body=draw(body),
        tags=draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)),
        reconciliation=draw(st.one_of(st.none(), sentence())) if agents else None,
        withdrawn=draw(st.booleans()) if withdrawable else False,
    )


@st.composite
def retro_table(draw, families: list[str]) -> RetroTable:
    def cells(gen):
        return {f: RetroCell(raw=draw(gen)) for f in families}

    counts = st.builds(lambda c, i, s: " ".join(f"{n}{l}" for n, l in ((c, "C"), (i, "I"), (s, "S")) if n) or "none",
                       st.integers(0, 2), st.integers(0, 4), st.integers(0, 6))
    rows = [
        RetroRow(metric="Duration", cells=cells(st.builds(lambda m, s: f"{m}m {s:02d}s", st.integers(1, 20), st.integers(0, 59)))),
        RetroRow(metric="Findings", cells=cells(counts)),
        RetroRow(metric="Tool calls", cells=cells(st.builds(lambda a, b: f"{a + b} (Read {a}, Bash {b})", st.integers(1, 30), st.integers(1, 30)))),
        RetroRow(metric="False positives", cells=cells(st.integers(0, 3).map(str))),
        RetroRow(metric="Downgraded", cells=cells(st.sampled_from(["0", "1 (I→S)", "2 (C→I, I→S)"]))),
    ]
    return RetroTable(columns=families, column_labels=list(families), rows=rows)


@st.composite
def report(draw) -> Report:
    # a reviewer is a model: its label is the header's name for it
    families = [FAMILIES[f] for f in draw(st.lists(st.sampled_from(list(FAMILIES)), min_size=1, max_size=3,
                                                   unique=True))]
    reviewers = [Reviewer(agent=f, model=f, effort=draw(st.sampled_from([None, "high", "xhigh"])))
                 for f in families]
    findings = _numbered(draw(st.lists(finding(families), max_size=6)))
    reviews = [AgentReview(agent=f, model=f,
                           findings=_numbered(draw(st.lists(finding(families, agents=False, withdrawable=True), max_size=4))))
               for f in families]
    observations = []
    for kind in ObservationKind:
        for i in range(1, draw(st.integers(0, 2)) + 1):
            head, who = draw(title()), draw(st.lists(st.sampled_from(families), min_size=1, max_size=2, unique=True))
            # a parsed observation's text is the whole item, bold title and attribution included
            text = f"**{head}** [{', '.join(who)}] \u2014 {draw(sentence())}"
            observations.append(Observation(kind=kind, index=i, title=head, text=text, agents=who))
    retro = PublishedRetro(present=False)
    if draw(st.booleans()):
        retro = PublishedRetro(
            agent_notes={f: draw(paragraph()) for f in families},
            summary=draw(retro_table(families)),
            reconciliation=draw(st.one_of(st.none(), paragraph().map(lambda p: f"**Reconciliation:** {p}"))),
        )
    resolutions = [
        Resolution(ref=f"{ {'C': 'Critical', 'I': 'Important', 'S': 'Suggestion'}[f.id[0]]} #{f.id[1:]}: {f.title}",
                   action=draw(st.sampled_from(["Fixed", "Skipped", "Commented"])),
                   note=draw(st.one_of(st.none(), st.sampled_from(["batch", "added a test", "see follow-up PR"]))))
        for f in findings if draw(st.booleans())
    ]
    date = draw(st.dates(min_value=__import__("datetime").date(2024, 1, 1),
                         max_value=__import__("datetime").date(2027, 12, 31)))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    pr = draw(st.integers(1, 9999))
    stamp = f"{date:%Y%m%d}-{hour:02d}{minute:02d}00-pr-{pr}"
    return Report(
        id=stamp,
        date=f"{date.isoformat()}T{hour:02d}:{minute:02d}",
        repo=draw(st.sampled_from(["acme/widgets", "northwind/ledgerd"])),
        pr=pr,
        pr_title=draw(plain),
        round=draw(st.one_of(st.none(), st.integers(1, 9))),
        author=draw(st.sampled_from([None, "@mvalenta", "@okafor-j"])),
        branch=draw(st.text(string.ascii_lowercase + "-", min_size=3, max_size=20).filter(
            lambda b: b[0] != "-" and b[-1] != "-")),
        commits=[Commit(sha=draw(st.text("0123456789abcdef", min_size=7, max_size=7)),
                        message=draw(plain))
                 for _ in range(draw(st.integers(0, 3)))],
        reviewers=reviewers,
        verdict=draw(st.sampled_from([None, "Merge with fixes \u2014 two small fixes", "Approve"])),
        wall_clock_s=float(draw(st.integers(60, 3 * 3600))),
        findings=findings,
        observations=observations,
        agent_reviews=reviews,
        published_retro=retro,
        resolutions=resolutions,
    )


def _finding_view(f: Finding, with_agents: bool) -> dict:
    return {
        "id": f.id, "severity": f.severity.value, "title": f.title,
        "agents": f.agents if with_agents else None,
        "locations": [l.model_dump() for l in f.locations],
        "body": f.body.strip().removesuffix(WITHDRAWN_MARK).strip(), "tags": f.tags,
        "reconciliation": (f.reconciliation or "").strip() or None,
        "withdrawn": f.withdrawn,
    }


def carried(r: Report) -> dict:
    """The fields the house format carries, in comparable form."""
    retro = r.published_retro
    return {
        "id": r.id, "date": r.date, "repo": r.repo, "pr": r.pr, "pr_title": r.pr_title,
        "round": r.round, "author": r.author, "branch": r.branch,
        "commits": [c.model_dump() for c in r.commits],
        "reviewers": [(x.agent, x.model, x.effort, x.available) for x in r.reviewers],
        "verdict": r.verdict, "wall_clock_s": r.wall_clock_s,
        "findings": [_finding_view(f, True) for f in r.findings],
        "observations": sorted((o.kind.value, o.title, o.text.strip(), tuple(o.agents))
                               for o in r.observations),
        "agent_reviews": [(a.agent, a.model, a.pass_, [_finding_view(f, False) for f in a.findings])
                          for a in r.agent_reviews],
        "retro_present": retro.present,
        "retro_notes": {k.strip("[]"): v.strip() for k, v in retro.agent_notes.items()} if retro.present else {},
        "retro_columns": retro.summary.columns if retro.summary else None,
        "retro_cells": [(row.metric, {k: c.raw for k, c in row.cells.items()}) for row in retro.summary.rows]
        if retro.summary else None,
        "retro_reconciliation": (retro.reconciliation or "").strip() or None,
        "resolutions": [(x.ref, x.action, x.note) for x in r.resolutions],
    }


@given(report())
def test_render_then_parse_is_identity(rep: Report):
    from harness.gold.parse import parse_report

    text = render_report(rep)
    back = parse_report(text, source="roundtrip.md")
    assert carried(back) == carried(rep), text
