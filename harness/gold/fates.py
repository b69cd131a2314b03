"""Fate of every original agent finding: what the consolidation made of it.

An agent's original finding (appendix of a deep-review report) ends up `kept`, `downgraded`,
`upgraded`, `merged` (folded into a consolidated finding another of its findings already
became), `dropped` (declined, out of scope, withdrawn), `false_positive`, `demoted` (to a design
observation, testing gap or acknowledged limitation) or `unmatched` (no trace of it).

Two kinds of evidence are combined:

* the report's own words: reconciliation paragraphs and notes, the retro's per-agent
  paragraphs and "declined in prior rounds" lists, read into `Statement`s (agent, the agent's
  finding id or a short description, action, consolidated id) by `harness.gold.reconciliation`;
* the scorer's one-to-one matcher, run per agent against the consolidated findings that
  credit that agent (their `[Agent]` attribution), then against the rest.

Explicit statements win over the matcher; the matcher's pairing gives the consolidated id
and the severity comparison (agent severity vs consolidated severity) gives kept /
downgraded / upgraded. The result is the gold label set programs are scored against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from harness.core.models import AgentReview, Finding, Location, Observation, Report, Severity
from harness.gold.reconciliation import (
    Action,
    Statement,
    statements_from_note,
    statements_from_text,
)


class Fate(StrEnum):
    kept = "kept"
    downgraded = "downgraded"
    upgraded = "upgraded"
    merged = "merged"
    dropped = "dropped"
    false_positive = "false_positive"
    demoted = "demoted"
    unmatched = "unmatched"


#: fates that mean "the consolidation rejected this finding": known false positives for scoring
REJECTED = frozenset({Fate.dropped, Fate.false_positive})
#: fates whose finding survives as a consolidated finding
SURVIVED = frozenset({Fate.kept, Fate.downgraded, Fate.upgraded, Fate.merged})


class FindingFate(BaseModel):
    """The fate of one original agent finding, with the evidence that decided it."""

    model_config = ConfigDict(extra="forbid")

    report_id: str
    agent: str
    model: str | None = None
    pass_: int | None = None
    idx: int  # position among the agent's findings in the report (all passes), as stored
    finding_id: str = ""  # the agent's own id (I1, S3, ...)
    severity: Severity
    title: str
    fate: Fate
    consolidated_id: str | None = None
    consolidated_severity: Severity | None = None
    affinity: float | None = None  # matcher affinity with the consolidated finding
    source: str = "matcher"  # matcher | reconciliation | note | retro | observation | withdrawn | none
    evidence: str = ""

    @property
    def index(self) -> int:
        """Position in the agent's review: the name `scorers.gold_for_report` reads."""
        return self.idx

    def row(self) -> list:
        """Column values in the order of the `fates` table."""
        return [self.report_id, self.agent, self.idx, self.model, self.pass_, self.finding_id,
                self.severity.value, self.title, self.fate.value, self.consolidated_id,
                self.consolidated_severity.value if self.consolidated_severity else None,
                self.affinity, self.source, self.evidence]

    @classmethod
    def from_row(cls, row: dict) -> "FindingFate":
        return cls(**{("pass_" if k == "pass" else k): v for k, v in row.items()})


# A matcher pairs predicted findings with gold findings one-to-one:
# (gold, predicted) -> {predicted index: (gold index, affinity)}.
Matcher = Callable[[Sequence[Finding], Sequence[Finding]], dict[int, tuple[int, float]]]

#: below this affinity a second-pass (many-to-one) pairing is not taken as a merge
MERGE_MIN_AFFINITY = 0.35
#: below this affinity an unmatched finding is not taken as demoted to an observation
DEMOTE_MIN_AFFINITY = 0.35


def description_matcher() -> Matcher:
    """The scorer's matcher with a text floor fit for a few-word description."""
    return scorer_matcher(min_text_unlocated=0.15, min_text_file=0.10)


def scorer_matcher(scorer: str = "default", **args) -> Matcher:
    """The scorer's one-to-one matcher (location gate + text affinity + Hungarian) as a Matcher."""
    import scorers
    from scorers.gold import GoldSet

    def match(gold: Sequence[Finding], predicted: Sequence[Finding]) -> dict[int, tuple[int, float]]:
        if not gold or not predicted:
            return {}
        # unique ids so the labels map back to positions, whatever the report's ids were
        gs = GoldSet(report_id="fates", findings=[g.model_copy(update={"id": f"g{j}"}) for j, g in enumerate(gold)])
        res = scorers.score(gs, list(predicted), scorer=scorer, **args)
        return {p.index: (int(p.gold_id[1:]), float(p.affinity or 0.0))
                for p in res.predictions if p.label == "true_positive" and p.gold_id}

    return match


def _severity_fate(agent_sev: Severity, cons_sev: Severity) -> Fate:
    if cons_sev.rank < agent_sev.rank:
        return Fate.downgraded
    if cons_sev.rank > agent_sev.rank:
        return Fate.upgraded
    return Fate.kept


def _observation_as_finding(o: Observation) -> Finding:
    return Finding(id=f"{o.kind.value}#{o.index}", severity=Severity.suggestion,
                   title=o.title or o.text[:120], body=o.text, locations=o.locations, agents=o.agents)


def _reviews_by_agent(report: Report) -> list[tuple[str, list[tuple[int, AgentReview, Finding]]]]:
    """Agent -> [(stored idx, review, finding)] with idx unique across an agent's passes."""
    out: dict[str, list[tuple[int, AgentReview, Finding]]] = {}
    order: list[str] = []
    for ar in report.agent_reviews:
        key = ar.agent
        if key not in out:
            out[key] = []
            order.append(key)
        for f in ar.findings:
            out[key].append((len(out[key]), ar, f))
    return [(a, out[a]) for a in order]


def _credits(f: Finding, agent: str) -> bool:
    a = agent.lower()
    return any(x.lower() == a for x in f.agents)


_PATH = re.compile(r"([\w./-]+\.[a-z]{1,5})(?::(\d+)(?:-(\d+))?)?")


def _cited(text: str) -> list[Location]:
    """File paths a short description names ("local_teardown_file in 6-timeout.bats")."""
    out = []
    for m in _PATH.finditer(text):
        start = int(m.group(2)) if m.group(2) else None
        out.append(Location(path=m.group(1), line_start=start, line_end=int(m.group(3)) if m.group(3) else start))
    return out


def _resolve(stmt: Statement, items: list[tuple[int, AgentReview, Finding]],
             matcher: Matcher, describe: Matcher | None = None) -> int | None:
    """Which of the agent's findings (position in `items`) a statement talks about."""
    cands = [(i, f) for i, (_, _, f) in enumerate(items) if not stmt.pass_ or items[i][1].pass_ in (None, stmt.pass_)]
    if stmt.finding_id:
        fid = stmt.finding_id.upper()
        exact = [i for i, f in cands if f.id.upper() == fid]
        if len(exact) == 1:
            i = exact[0]
            sev = items[i][2].severity
            # an adjective in the description ("critical race") is weaker than the id itself
            if stmt.from_severity in (None, sev) or sev.letter == fid[0]:
                return i
        # ids like "1." numbering per section: the n-th finding of that severity
        letter, num = fid[0], int(fid[1:]) if fid[1:].isdigit() else 0
        if letter in "CIS" and num:
            same = [i for i, f in cands if f.severity.letter == letter]
            if 0 < num <= len(same) and not exact:
                return same[num - 1]
    pool = [(i, f) for i, f in cands if stmt.from_severity is None or f.severity == stmt.from_severity]
    if stmt.description and pool:
        probe = Finding(severity=stmt.from_severity or Severity.suggestion, title=stmt.description,
                        body=stmt.description, locations=_cited(stmt.description))
        got = (describe or matcher)([probe], [f for _, f in pool])
        # the matcher pairs predictions to gold; here the pool is the predicted side
        for pi, (gi, aff) in got.items():
            if aff >= MERGE_MIN_AFFINITY / 2:
                return pool[pi][0]
    if len(pool) == 1 and stmt.from_severity is not None:
        return pool[0][0]
    return None


def _consolidated_by_id(report: Report) -> dict[str, Finding]:
    return {f.id.upper(): f for f in report.findings if f.id}


def _statements(report: Report) -> list[Statement]:
    """Every statement the report makes about an agent's original findings, most specific first."""
    agents = [r.agent for r in report.reviewers] + [ar.agent for ar in report.agent_reviews]
    agents = list(dict.fromkeys(a for a in agents if a))
    out: list[Statement] = []
    retro = report.published_retro
    for text, source in ((retro.reconciliation, "reconciliation"), (retro.closing, "reconciliation")):
        if text:
            out += statements_from_text(text, agents, source=source)
    for f in report.findings:
        if f.reconciliation:
            out += statements_from_note(f.reconciliation, agents, consolidated_id=f.id, description=f.title)
    for heading, text in retro.agent_notes.items():
        agent = next((a for a in agents if a.lower() in heading.lower()), None)
        out += statements_from_text(text, agents, source="retro", default_agent=agent)
    for o in report.observations:
        out += [s for s in statements_from_text(o.text, agents, source="observation")
                if s.action in (Action.dropped, Action.false_positive)]
    return out


#: index offset of fates known only from the report's words (the agent's review is omitted
#: or has no parsed findings); `scorers.gold_for_report` ignores indexes past the review
STATEMENT_ONLY_IDX = 10_000


def report_fates(report: Report, matcher: Matcher, describe: Matcher | None = None) -> list[FindingFate]:
    """The fate of each finding of each agent's original review of one report.

    `describe` pairs a short description from the report's words with the agent's findings
    (default: `matcher`); a looser text floor suits it, as descriptions are a few words."""
    cons = report.findings
    by_id = _consolidated_by_id(report)
    statements = _statements(report)
    observations = [_observation_as_finding(o) for o in report.observations]
    out: list[FindingFate] = []
    for agent, items in _reviews_by_agent(report):
        findings = [f for _, _, f in items]
        fates: dict[int, FindingFate] = {}

        def make(i: int, fate: Fate, cid: str | None = None, aff: float | None = None,
                 source: str = "matcher", evidence: str = "") -> FindingFate:
            idx, ar, f = items[i]
            c = by_id.get(cid.upper()) if cid else None
            return FindingFate(report_id=report.id, agent=agent, model=ar.model, pass_=ar.pass_, idx=idx,
                               finding_id=f.id, severity=f.severity, title=f.title, fate=fate,
                               consolidated_id=c.id if c else cid, affinity=aff,
                               consolidated_severity=c.severity if c else None,
                               source=source, evidence=evidence)

        # (a) matcher: first against the consolidated findings crediting this agent
        credited = [j for j, c in enumerate(cons) if _credits(c, agent)]
        pairs: dict[int, tuple[int, float]] = {}
        if credited and findings:
            got = matcher([cons[j] for j in credited], findings)
            pairs = {pi: (credited[gi], aff) for pi, (gi, aff) in got.items()}
        for pi, (gj, aff) in pairs.items():
            c = cons[gj]
            fates[pi] = make(pi, _severity_fate(findings[pi].severity, c.severity), c.id, aff,
                             evidence=f"matched {c.id} [{', '.join(c.agents)}] (affinity {aff:.2f})")
        # second pass: leftovers that pair with an already-taken credited finding were merged
        rest = [i for i in range(len(findings)) if i not in fates]
        if rest and credited:
            got = matcher([cons[j] for j in credited], [findings[i] for i in rest])
            for pi, (gi, aff) in got.items():
                if aff >= MERGE_MIN_AFFINITY:
                    c = cons[credited[gi]]
                    fates[rest[pi]] = make(rest[pi], Fate.merged, c.id, aff,
                                           evidence=f"second finding of {agent} matching {c.id} "
                                                    f"(affinity {aff:.2f})")
        # (b) the report's own words override the matcher
        for st in statements:
            if st.agent is None or st.agent.lower() != agent.lower():
                continue
            if st.consolidated_only and st.consolidated_id:
                # a note on a consolidated finding: it speaks of the agent finding paired with it
                hits = [i for i, ff in fates.items()
                        if ff.consolidated_id and ff.consolidated_id.upper() == st.consolidated_id.upper()]
                i = hits[0] if hits else _resolve(st, items, matcher, describe)
            else:
                i = _resolve(st, items, matcher, describe)
            if i is None:
                continue
            prev = fates.get(i)
            if prev is not None and prev.source not in ("matcher",) and _rank(st.source) >= _rank(prev.source):
                continue  # a more specific statement already decided it
            got = _fate_from_statement(st, i, items, by_id, make, prev)
            if got.fate != Fate.unmatched:
                fates[i] = got
        # (c) withdrawn by the agent itself
        for i, f in enumerate(findings):
            if f.withdrawn and (i not in fates or fates[i].source == "matcher"):
                fates[i] = make(i, Fate.dropped, source="withdrawn", evidence="withdrawn by the agent in its review")
        # (d) leftovers that resemble a design observation / limitation were demoted
        rest = [i for i in range(len(findings)) if i not in fates]
        if rest and observations:
            got = matcher(observations, [findings[i] for i in rest])
            for pi, (gi, aff) in got.items():
                if aff >= DEMOTE_MIN_AFFINITY:
                    o = observations[gi]
                    fates[rest[pi]] = make(rest[pi], Fate.demoted, None, aff, source="observation",
                                           evidence=f"resembles {o.id.replace('#', ' #')}: {o.title[:100]} "
                                                    f"(affinity {aff:.2f})")
        for i in range(len(findings)):
            if i not in fates:
                fates[i] = make(i, Fate.unmatched, source="none", evidence="no consolidated finding, "
                                "observation or statement accounts for it")
        out += [fates[i] for i in sorted(fates)]
    out += _statement_only(report, statements, {a for a, items in _reviews_by_agent(report) if items}, by_id)
    return out


def _statement_only(report: Report, statements: list[Statement], with_findings: set[str],
                    by_id: dict[str, Finding]) -> list[FindingFate]:
    """Fates the report states for agents whose original findings are not in it (omitted review)."""
    out: list[FindingFate] = []
    seen: set[tuple[str, str]] = set()
    models = {r.agent.lower(): r.model for r in report.reviewers}
    for st in statements:
        if st.agent is None or st.agent in with_findings or st.consolidated_only:
            continue
        if st.source not in ("reconciliation", "observation"):
            continue  # retro paragraphs mix consolidated and original ids: too weak alone
        key = (st.agent, st.finding_id or (st.description or "").lower())
        if key in seen:
            continue
        seen.add(key)
        sev = st.from_severity or (Severity.from_letter(st.finding_id[0]) if st.finding_id else None)
        if sev is None:
            continue
        f = Finding(id=st.finding_id or "", severity=sev, title=st.description or st.finding_id or "")
        n = sum(1 for x in out if x.agent == st.agent)

        def make(_i, fate, cid=None, aff=None, source="", evidence="", _f=f, _n=n, _agent=st.agent):
            c = by_id.get(cid.upper()) if cid else None
            return FindingFate(report_id=report.id, agent=_agent, model=models.get(_agent.lower()),
                               idx=STATEMENT_ONLY_IDX + _n, finding_id=_f.id, severity=_f.severity,
                               title=_f.title, fate=fate, consolidated_id=c.id if c else cid,
                               consolidated_severity=c.severity if c else None, affinity=aff,
                               source=source, evidence=evidence)

        ff = _fate_from_statement(st, 0, [(0, None, f)], by_id, make, None)
        if ff is not None and ff.fate != Fate.unmatched:
            out.append(ff)
    return out


_SOURCE_RANK = {"reconciliation": 3, "note": 3, "retro": 2, "observation": 1, "matcher": 0}


def _rank(source: str) -> int:
    return _SOURCE_RANK.get(source, 0)


def _fate_from_statement(st: Statement, i: int, items, by_id, make, prev: FindingFate | None) -> FindingFate:
    f = items[i][2]
    ev = st.text.strip()
    cid = st.consolidated_id or (prev.consolidated_id if prev else None)
    c = by_id.get(cid.upper()) if cid else None
    aff = prev.affinity if prev and prev.consolidated_id == cid else None
    if st.action == Action.false_positive:
        return make(i, Fate.false_positive, None, None, st.source, ev)
    if st.action == Action.dropped:
        return make(i, Fate.dropped, None, None, st.source, ev)
    if st.action == Action.demoted:
        return make(i, Fate.demoted, None, None, st.source, ev)
    if st.action == Action.merged and c is not None and c.severity == f.severity:
        return make(i, Fate.merged, c.id, aff, st.source, ev)
    if c is not None:
        return make(i, _severity_fate(f.severity, c.severity), c.id, aff, st.source, ev)
    if st.to_severity is not None:
        return make(i, _severity_fate(f.severity, st.to_severity), cid, aff, st.source, ev)
    if st.action == Action.merged:
        return make(i, Fate.merged, cid, aff, st.source, ev)
    if prev is not None:  # a statement with no decisive content: keep the matcher's fate, add the words
        return prev.model_copy(update={"evidence": f"{prev.evidence}; {st.source}: {ev}"})
    return make(i, Fate.unmatched, cid, None, st.source, ev)
