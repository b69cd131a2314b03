"""Fate of every original agent finding: what the consolidation made of it.

An agent's original finding (appendix of a deep-review report) ends up `kept`, `downgraded`,
`upgraded`, `merged` (folded into a consolidated finding another of its findings already
became), `dropped` (declined, out of scope, withdrawn), `false_positive`, `demoted` (to a design
observation, testing gap or acknowledged limitation) or `unmatched` (no trace of it).

Evidence comes from the report's own words (reconciliation paragraphs and notes, "Declined in
prior rounds" entries, the retro's per-agent paragraphs, read into `Statement`s by
`harness.gold.reconciliation`), from the agent's own review (retraction notes) and from the
scorer's one-to-one matcher (per agent against the consolidated findings that credit it).
Each piece of evidence is tagged with the `Rule` it comes from, and **one precedence rule**
decides, strongest first (`PRECEDENCE`; a weaker piece never replaces a stronger one, and on a
tie the first, most specific, piece stands):

1. `reconciliation`: an explicit reconciliation statement naming the agent's finding (a
   reconciliation paragraph or section at any heading level, a "Reconciliation note" on a
   consolidated finding, a "Declined in prior rounds" entry naming it);
2. `retraction`: the agent retracted it in its own review (struck through, "Withdrawn",
   `*(Removed — …)*`, "(… moving to Acknowledged Limitations.)", "moved to S2");
3. `matcher`: a strong matcher pairing with a consolidated finding crediting the agent
   (affinity >= `STRONG_AFFINITY`), severity comparison giving kept / downgraded / upgraded;
4. `retro`: an agent-qualified statement in a retro paragraph ("Claude I4", "its I2",
   "Gemini's S1");
5. everything else, in this order: a match with a "Declined in prior rounds" entry
   (`declined_match`, dropped: a known false positive), a weak matcher pairing
   (`weak_matcher`), a second finding matching an already-paired consolidated finding
   (`merge_match`), a resemblance to a design observation / limitation
   (`observation_match`, demoted); `none` when nothing accounts for it.

A bare id in a retro paragraph ("(S1)", "Round 1's declined S5") is usually a consolidated or
earlier-round id: it never decides a fate alone; it is recorded as supporting evidence when
it agrees with the fate decided otherwise. The result is the gold label set programs are
scored against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from harness.core.models import AgentReview, Finding, Location, Observation, ObservationKind, Report, Severity
from harness.gold.parse.agents import Roster
from harness.gold.reconciliation import (
    Action,
    Statement,
    statements_from_note,
    statements_from_text,
)


class Rule(StrEnum):
    """Which kind of evidence decided a fate; the members are in precedence order."""

    reconciliation = "reconciliation"
    retraction = "retraction"
    matcher = "matcher"
    retro = "retro"
    declined_match = "declined_match"
    weak_matcher = "weak_matcher"
    merge_match = "merge_match"
    observation_match = "observation_match"
    none = "none"


#: bump when the rules change: stored fates computed by other rules are recomputed
RULES_VERSION = "12.6"

#: the one precedence rule: strongest first
PRECEDENCE: tuple[Rule, ...] = tuple(Rule)


def strength(rule: Rule | str) -> int:
    """Higher is stronger: a piece of evidence replaces another only when strictly stronger."""
    return len(PRECEDENCE) - PRECEDENCE.index(Rule(rule))


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
    """The fate of one original agent finding, with the evidence and the rule that decided it."""

    model_config = ConfigDict(extra="forbid")

    report_id: str
    agent: str
    family: str | None = None
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
    # where the deciding words are: matcher | reconciliation | note | declined | observation |
    # retro | closing | withdrawn | retraction | none
    source: str = "matcher"
    evidence: str = ""
    rule: Rule = Rule.none

    @property
    def index(self) -> int:
        """Position in the agent's review: the name `scorers.gold_for_report` reads."""
        return self.idx

    def row(self) -> list:
        """Column values in the order of the `fates` table."""
        return [self.report_id, self.agent, self.idx, self.model, self.pass_, self.finding_id,
                self.severity.value, self.title, self.fate.value, self.consolidated_id,
                self.consolidated_severity.value if self.consolidated_severity else None,
                self.affinity, self.source, self.evidence, self.rule.value, self.family]

    @classmethod
    def from_row(cls, row: dict) -> "FindingFate":
        return cls(**{("pass_" if k == "pass" else k): v for k, v in row.items() if v is not None or k != "rule"})

    def audit(self) -> dict:
        """The `retro --fates --json` entry (the issue's contract shape)."""
        # a finding known only from the report's words (its review kept outside the report) is
        # stored past STATEMENT_ONLY_IDX so scoring skips it; its agent has no other entries
        return {"agent": self.agent, "family": self.family or self.agent, "finding_id": self.finding_id,
                "idx": self.idx - STATEMENT_ONLY_IDX if self.idx >= STATEMENT_ONLY_IDX else self.idx, "severity": self.severity.value, "title": self.title, "fate": self.fate.value,
                "consolidated_id": self.consolidated_id, "evidence": self.evidence, "rule": self.rule.value}


# A matcher pairs predicted findings with gold findings one-to-one:
# (gold, predicted) -> {predicted index: (gold index, affinity)}.
Matcher = Callable[[Sequence[Finding], Sequence[Finding]], dict[int, tuple[int, float]]]

#: below this affinity a second-pass (many-to-one) pairing is not taken as a merge
MERGE_MIN_AFFINITY = 0.35
#: text affinity (locations set aside) for pairing a leftover with an unpaired credited finding
CREDIT_MIN_AFFINITY = 0.35
#: below this affinity an unmatched finding is not taken as demoted to an observation
DEMOTE_MIN_AFFINITY = 0.35
#: the same for an observation the report credits to no agent
UNATTRIBUTED_DEMOTE_MIN_AFFINITY = 0.6


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


def unlocated(f: Finding) -> Finding:
    return f.model_copy(update={"locations": []})


def same_file(a: Finding, b: Finding) -> bool:
    """Both cite a common file (by name), or one cites none."""
    na = {loc.path.rsplit("/", 1)[-1] for loc in a.locations}
    nb = {loc.path.rsplit("/", 1)[-1] for loc in b.locations}
    return not na or not nb or bool(na & nb)


def _consolidated_by_id(report: Report) -> dict[str, Finding]:
    return {f.id.upper(): f for f in report.findings if f.id}


def _roster(report: Report) -> Roster:
    roster = Roster.of(report)
    for ar in report.agent_reviews:
        roster.add(ar.agent)
    return roster


def _agent_names(report: Report) -> list[str]:
    """Every name the report's text may use for a reviewer ("Claude", "Flash", "Gemini 3.1 Pro");
    `_statements` maps each statement's name to the reviewer's model label."""
    return _roster(report).names()


def _family(report: Report, agent: str) -> str:
    for r in list(report.reviewers) + list(report.agent_reviews):
        if r.agent.lower() == agent.lower():
            return getattr(r, "family", None) or r.agent
    return agent


def _note_agent(heading: str, agents: list[str], report: Report) -> str | None:
    """The agent a retro paragraph heading ("[Claude]", "Claude Opus 4.6") is about."""
    h = heading.lower()
    exact = [a for a in agents if a.lower() == h.strip("[] ")]
    if exact:
        return exact[0]
    hits = [a for a in agents if a.lower() in h or h.strip("[] ") in a.lower()]
    if not hits:
        hits = [a for a in agents if _family(report, a).lower() in h]
    return hits[0] if len(hits) == 1 else None


def _statements(report: Report) -> list[tuple[Statement, Rule]]:
    """Every statement the report makes about an agent's original findings, with the rule its
    kind of text carries; most specific first."""
    agents = _agent_names(report)
    out: list[tuple[Statement, Rule]] = []
    retro = report.published_retro
    if retro.reconciliation:
        out += [(s, Rule.reconciliation) for s in statements_from_text(retro.reconciliation, agents)]
    for f in report.findings:
        if f.reconciliation:
            out += [(s, Rule.reconciliation)
                    for s in statements_from_note(f.reconciliation, agents, consolidated_id=f.id, description=f.title,
                                                  sole_agent=f.agents[0] if len(f.agents) == 1 else None)]
    for o in report.observations:
        if o.kind == ObservationKind.declined:
            # "Re-raised this round by Codex (I1) and Gemini (C1). Dropped per the gate."
            out += [(s, Rule.reconciliation) for s in _declined_statements(o, agents)]
        else:
            out += [(s, Rule.reconciliation) for s in statements_from_text(o.text, agents, source="observation")
                    if s.action in (Action.dropped, Action.false_positive, Action.demoted) and s.finding_id]
    for ar in report.agent_reviews:
        if not ar.findings and ar.text:
            # a review kept outside the report, summarised in the appendix ("See review-x.md:
            # I2 (clock skew) dropped as false positive"): its bare ids are that agent's own
            out += [(s, Rule.reconciliation) for s in
                    statements_from_text(ar.text, agents, source="appendix", default_agent=ar.agent)]
    if retro.closing:
        out += [(s, Rule.retro) for s in statements_from_text(retro.closing, agents, source="closing")]
    for heading, text in retro.agent_notes.items():
        agent = _note_agent(heading, agents, report)
        for s in statements_from_text(text, agents, source="retro", default_agent=agent):
            out.append((s, Rule.retro if s.qualified else Rule.none))  # a bare id never decides
    roster = _roster(report)
    for s, _ in out:  # a name -> the reviewer's model label (None: ambiguous, or nobody)
        if s.agent is not None:
            s.agent = roster.resolve(s.agent)
    return out


_RAW_ID = re.compile(r"\(?\b(?P<id>[CIS]\d{1,2})\s+raw\b|\((?P<pid>[CIS]\d{1,2})\)")


def _declined_statements(o: Observation, agents: list[str]) -> list[Statement]:
    """A prior-round decline entry: each agent finding it names was dropped."""
    text = re.sub(r"\s*\n\s*", " ", o.text)
    names = "|".join(re.escape(a) for a in sorted(agents, key=len, reverse=True))
    if not names:
        return []
    out: list[Statement] = []
    ms = list(re.finditer(r"(?<![\w-])(?P<agent>" + names + r")(?:['’]s)?\b", text, re.I))
    canon = {a.lower(): a for a in agents}
    for k, m in enumerate(ms):
        stop = ms[k + 1].start() if k + 1 < len(ms) else len(text)
        window = text[m.end():stop]
        sentence_end = re.search(r"[.;](?:\s|$)", window)
        window = window[: sentence_end.start()] if sentence_end else window
        idm = re.match(r"[\s:]*\(?\s*(?P<id>[CIS]\d{1,2})(?![0-9A-Za-z])", window) or _RAW_ID.search(window)
        if idm is None:
            continue
        fid = (idm.group("id") or idm.groupdict().get("pid") or "").upper()
        out.append(Statement(agent=canon[m.group("agent").lower()], action=Action.dropped, text=o.text,
                             source="declined", finding_id=fid, description=o.title or None,
                             sentence=f"declined in prior rounds: {o.title or o.text[:120]}"))
    return out


#: index offset of fates known only from the report's words (the agent's review is omitted
#: or has no parsed findings); `scorers.gold_for_report` ignores indexes past the review
STATEMENT_ONLY_IDX = 10_000

#: a first-pass matcher pairing at or above this affinity is strong evidence
STRONG_AFFINITY = 0.5

_RETRACT_VERB = r"(?:removed|remove|withdrawn|withdrawing|withdraw|retracted|retracting|retract|dropped|dropping|" \
                r"not (?:an?|a real) (?:issue|bug|problem)|false positive|invalid)"
_RETRACT_HEAD = re.compile(r"^\W*(?:(?:update|edit|note|correction|self-correction|on reflection|on second look)\W+)?"
                           + _RETRACT_VERB + r"\b", re.I)
_RETRACT_CAP = re.compile(r"^\W*(?:Removed|Withdrawn|Withdrawing|Retracted|Retracting|Dropped|Dropping)\b\s*[—–:.,;-]")
_MOVE = re.compile(r"\b(?:mov(?:ed|ing)|merg(?:ed|ing)|fold(?:ed|ing)|demot(?:ed|ing)|relocat(?:ed|ing))\s+"
                   r"(?:it\s+|this\s+)?(?:in)?to\s+(?:the\s+|an?\s+)?(?:\*\*)?"
                   r"(?P<target>[CIS]\d{1,2}\b|acknowledged[- ]limitations?|design[- ]observations?|design[- ]concerns?|"
                   r"testing[- ]gaps?|limitations?|observations?)", re.I)
_NOTE = re.compile(r"\*\((?P<a>[^()]{2,300})\)\*|_\((?P<b>[^()]{2,300})\)_|(?<![*\w])\*(?P<c>[^*\n]{3,300})\*(?![*\w])|"
                   r"(?<![\w*])_(?P<d>[^_\n]{3,300})_(?![\w])|\((?P<e>[^()\n]{3,300})\)")


def retraction(f: Finding) -> tuple[Fate, str | None, str] | None:
    """(fate, target id, the note) when the agent retracted `f` inside its own review.

    Struck-through or "Withdrawn" findings (parsed as `withdrawn`), and parenthesised or
    italic notes: `*(Removed — self-healing.)*`, `(Withdrawn — not an issue.)`, `(… moving to
    Acknowledged Limitations.)` (demoted), `moved to S2` / `merged into I3` (merged into that
    finding). A plain parenthesis must open with a capitalised retraction verb and a dash or
    colon, or name where the finding moved, so "(removed lines)" in a location is not one."""
    text = f"{f.title}\n{f.body}"
    for m in _NOTE.finditer(text):
        italic = m.group("a") or m.group("b") or m.group("c") or m.group("d")
        note = (italic or m.group("e") or "").strip()
        mv = _MOVE.search(note)
        if italic is not None and (m.group("a") or m.group("b")):
            hit = bool(_RETRACT_HEAD.match(note) or mv)
        elif italic is not None:  # *Withdrawn: …*: a clause of its own, not one emphasised word
            hit = bool(mv or (_RETRACT_HEAD.match(note) and re.search(r"[—–:.,;-]\s*\w", note)))
        else:
            hit = bool(_RETRACT_CAP.match(note) or (mv and re.match(r"^\W*(?:\.\.\.|…)?\s*\w*\s*\w*\s*"
                                                                      r"(?:mov|merg|fold|demot|relocat)", note, re.I)))
            hit = hit or bool(mv and re.search(r"(?:^|[;.—–]\s*)(?:mov|merg|fold|demot|relocat)\w*\s", note, re.I))
        if not hit:
            continue
        if mv:
            target = mv.group("target")
            if re.fullmatch(r"[CIS]\d{1,2}", target, re.I):
                if target.upper() == (f.id or "").upper():
                    continue
                return Fate.merged, target.upper(), note
            return Fate.demoted, None, note
        return Fate.dropped, None, note
    if f.withdrawn:
        return Fate.dropped, None, "withdrawn by the agent in its review"
    return None


def report_fates(report: Report, matcher: Matcher, describe: Matcher | None = None) -> list[FindingFate]:
    """The fate of each finding of each agent's original review of one report.

    `describe` pairs a short description from the report's words with the agent's findings
    (default: `matcher`); a looser text floor suits it, as descriptions are a few words."""
    cons = report.findings
    by_id = _consolidated_by_id(report)
    statements = _statements(report)
    declined = [_observation_as_finding(o) for o in report.observations if o.kind == ObservationKind.declined]
    observations = [_observation_as_finding(o) for o in report.observations if o.kind != ObservationKind.declined]
    out: list[FindingFate] = []
    reviews = _reviews_by_agent(report)
    for agent, items in reviews:
        findings = [f for _, _, f in items]
        family = _family(report, agent)
        cands: dict[int, list[FindingFate]] = {}
        support: dict[int, list[tuple[FindingFate, Statement]]] = {}

        def make(i: int, fate: Fate, cid: str | None = None, aff: float | None = None,
                 source: str = "matcher", evidence: str = "", rule: Rule = Rule.none) -> FindingFate:
            idx, ar, f = items[i]
            c = by_id.get(cid.upper()) if cid else None
            return FindingFate(report_id=report.id, agent=agent, family=family, model=ar.model, pass_=ar.pass_,
                               idx=idx, finding_id=f.id, severity=f.severity, title=f.title, fate=fate,
                               consolidated_id=c.id if c else cid, affinity=aff,
                               consolidated_severity=c.severity if c else None,
                               source=source, evidence=evidence, rule=rule)

        def add(i: int, ff: FindingFate) -> None:
            cands.setdefault(i, []).append(ff)

        # matcher: first against the consolidated findings crediting this agent
        credited = [j for j, c in enumerate(cons) if _credits(c, agent)]
        paired: dict[int, FindingFate] = {}
        if credited and findings:
            got = matcher([cons[j] for j in credited], findings)
            for pi, (gi, aff) in got.items():
                c = cons[credited[gi]]
                strong = aff >= STRONG_AFFINITY
                paired[pi] = make(pi, _severity_fate(findings[pi].severity, c.severity), c.id, aff,
                                  evidence=f"matched {c.id} [{', '.join(c.agents)}] (affinity {aff:.2f})",
                                  rule=Rule.matcher if strong else Rule.weak_matcher)
                add(pi, paired[pi])
        # credit pass: a consolidated finding crediting this agent came from one of its findings;
        # one left unpaired (the report cites other lines) pairs by text with a leftover in the same file
        taken = {c.consolidated_id for c in paired.values()}
        unpaired = [j for j in credited if cons[j].id not in taken]
        rest = [i for i in range(len(findings)) if i not in paired]
        if unpaired and rest:
            got = matcher([unlocated(cons[j]) for j in unpaired], [unlocated(findings[i]) for i in rest])
            for pi, (gi, aff) in got.items():
                i, c = rest[pi], cons[unpaired[gi]]
                if aff >= CREDIT_MIN_AFFINITY and same_file(findings[i], c):
                    paired[i] = make(i, _severity_fate(findings[i].severity, c.severity), c.id, aff,
                                     evidence=f"text matches {c.id} [{', '.join(c.agents)}], which credits {agent}, "
                                              f"in the same file (affinity {aff:.2f})", rule=Rule.weak_matcher)
                    add(i, paired[i])
        # second pass: leftovers that pair with an already-taken credited finding were merged
        rest = [i for i in range(len(findings)) if i not in paired]
        if rest and credited:
            got = matcher([cons[j] for j in credited], [findings[i] for i in rest])
            for pi, (gi, aff) in got.items():
                if aff >= MERGE_MIN_AFFINITY:
                    c = cons[credited[gi]]
                    add(rest[pi], make(rest[pi], Fate.merged, c.id, aff, evidence=(
                        f"second finding of {agent} matching {c.id} (affinity {aff:.2f})"), rule=Rule.merge_match))
        # a prior round declined it: dropped (a known false positive)
        if declined and findings:
            got = matcher(declined, findings)
            for pi, (gi, aff) in got.items():
                if aff >= DEMOTE_MIN_AFFINITY:
                    add(pi, make(pi, Fate.dropped, None, aff, source="declined", rule=Rule.declined_match,
                                 evidence=f"matches the prior-round decline: {declined[gi].title[:120]} "
                                          f"(affinity {aff:.2f})"))
        # the agent's own retraction notes
        for i, f in enumerate(findings):
            got_r = retraction(f)
            if got_r is not None:
                fate, target, note = got_r
                add(i, make(i, fate, None, None, source="withdrawn" if f.withdrawn and note.startswith("withdrawn by")
                             else "retraction", evidence=note, rule=Rule.retraction).model_copy(
                    update={"consolidated_id": target} if target else {}))
        # the report's own words
        unresolved: list[tuple[Statement, Rule]] = []
        for st, rule in statements:
            if st.agent is None or st.agent.lower() != agent.lower():
                continue
            if st.consolidated_only and st.consolidated_id:
                # a note on a consolidated finding: it speaks of the agent finding paired with it
                hits = [i for i, ff in paired.items()
                        if ff.consolidated_id and ff.consolidated_id.upper() == st.consolidated_id.upper()]
                i = hits[0] if hits else _resolve(st, items, matcher, describe)
            else:
                i = _resolve(st, items, matcher, describe)
            if i is None:
                if rule != Rule.none and not st.finding_id:
                    unresolved.append((st, rule))
                continue
            got_s = _fate_from_statement(st, i, items, by_id, make, paired.get(i), rule)
            if got_s is None:
                continue
            if rule == Rule.none:
                support.setdefault(i, []).append((got_s, st))
            else:
                add(i, got_s)
        # a statement naming no id ("Codex P1 rename race: dropped (false positive)") that no
        # description resolves: a bare-id retro sentence with the same verdict says which finding
        # it is (the bare id does not decide alone; the statement does)
        for st, rule in unresolved:
            same = [(i, ff, bst) for i, sup in support.items() for ff, bst in sup
                    if bst.action == st.action and bst.finding_id]
            if len({i for i, _, _ in same}) == 1:
                i, _, bst = same[0]
                got_s = _fate_from_statement(st, i, items, by_id, make, paired.get(i), rule)
                if got_s is not None:
                    add(i, got_s.model_copy(update={"evidence": f"{got_s.evidence} (identified as {bst.finding_id} "
                                                                f"by: {bst.sentence or bst.text})"}))
        # leftovers that resemble a design observation / limitation were demoted
        rest = [i for i in range(len(findings)) if i not in cands]
        # an observation credited to other agents only is theirs; an unattributed one needs a
        # closer resemblance than one credited to this agent
        mine = [o for o in observations if not o.agents or _credits(o, agent)]
        if rest and mine:
            got = matcher(mine, [findings[i] for i in rest])
            for pi, (gi, aff) in got.items():
                o = mine[gi]
                if aff >= (DEMOTE_MIN_AFFINITY if o.agents else UNATTRIBUTED_DEMOTE_MIN_AFFINITY):
                    add(rest[pi], make(rest[pi], Fate.demoted, None, aff, source="observation",
                                       rule=Rule.observation_match,
                                       evidence=f"resembles {o.id.replace('#', ' #')}: {o.title[:100]} "
                                                f"(affinity {aff:.2f})"))
        fates: dict[int, FindingFate] = {}
        for i in range(len(findings)):
            best = decide(cands.get(i, []))
            if best is None:
                best = make(i, Fate.unmatched, source="none", rule=Rule.none,
                            evidence="no consolidated finding, observation or statement accounts for it")
            extra = [st.sentence or st.text for ff, st in support.get(i, []) if ff.fate == best.fate]
            if extra:
                best = best.model_copy(update={"evidence": f"{best.evidence} (also: {extra[0]})"})
            fates[i] = best
        # two findings of one agent that became the same consolidated finding: the best-evidenced
        # one is kept / downgraded / upgraded, the other was merged into it
        by_target: dict[str, list[int]] = {}
        for i, ff in fates.items():
            if ff.consolidated_id and ff.fate in (Fate.kept, Fate.downgraded, Fate.upgraded):
                by_target.setdefault(ff.consolidated_id.upper(), []).append(i)
        for cid, idxs in by_target.items():
            if len(idxs) < 2:
                continue
            first = max(idxs, key=lambda i: (strength(fates[i].rule), _names(fates[i]), fates[i].affinity or 0.0, -i))
            for i in idxs:
                if i != first:
                    fates[i] = fates[i].model_copy(update={
                        "fate": Fate.merged, "evidence": f"{fates[i].evidence}; {findings[first].id or 'another finding'}"
                                                          f" of {agent} became {fates[i].consolidated_id}"})
        # a retraction "moved to S2" points at the agent's own finding: take its consolidated id
        own = {f.id.upper(): i for i, f in enumerate(findings) if f.id}
        for i, ff in fates.items():
            if ff.rule == Rule.retraction and ff.fate == Fate.merged and ff.consolidated_id in own:
                tgt = fates[own[ff.consolidated_id]]
                fates[i] = ff.model_copy(update={"consolidated_id": tgt.consolidated_id,
                                                 "consolidated_severity": tgt.consolidated_severity,
                                                 "evidence": f"{ff.evidence} (its {ff.consolidated_id})"})
        out += [fates[i] for i in sorted(fates)]
    out += _statement_only(report, statements, {a for a, items in reviews if items}, by_id)
    return out


def _names(ff: FindingFate) -> bool:
    """Whether the deciding evidence names the finding by its own id (more specific than a pairing)."""
    return bool(ff.finding_id) and re.search(rf"(?<![\w-]){re.escape(ff.finding_id)}(?![\w])", ff.evidence) is not None


def decide(evidence: Sequence[FindingFate]) -> FindingFate | None:
    """The precedence rule: the strongest piece of evidence; the first of equally strong ones."""
    best: FindingFate | None = None
    for ff in evidence:
        if best is None or strength(ff.rule) > strength(best.rule):
            best = ff
    return best


def _statement_only(report: Report, statements: list[tuple[Statement, Rule]], with_findings: set[str],
                    by_id: dict[str, Finding]) -> list[FindingFate]:
    """Fates the report states for agents whose original findings are not in it (omitted review)."""
    out: list[FindingFate] = []
    seen: set[tuple[str, str]] = set()
    models = {r.agent.lower(): r.model for r in report.reviewers}
    for st, rule in statements:
        if st.agent is None or st.agent in with_findings or st.consolidated_only:
            continue
        if rule != Rule.reconciliation:
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

        def make(_i, fate, cid=None, aff=None, source="", evidence="", rule=Rule.none, _f=f, _n=n,
                 _agent=st.agent):
            c = by_id.get(cid.upper()) if cid else None
            return FindingFate(report_id=report.id, agent=_agent, family=_family(report, _agent),
                               model=models.get(_agent.lower()),
                               idx=STATEMENT_ONLY_IDX + _n, finding_id=_f.id, severity=_f.severity,
                               title=_f.title, fate=fate, consolidated_id=c.id if c else cid,
                               consolidated_severity=c.severity if c else None, affinity=aff,
                               source=source, evidence=evidence, rule=rule)

        ff = _fate_from_statement(st, 0, [(0, None, f)], by_id, make, None, rule)
        if ff is not None and ff.fate != Fate.unmatched:
            out.append(ff)
    return out


def _fate_from_statement(st: Statement, i: int, items, by_id, make, prev: FindingFate | None,
                         rule: Rule) -> FindingFate | None:
    """The fate a statement gives finding `i`; None when it says nothing decisive."""
    f = items[i][2]
    ev = (st.sentence or st.text).strip()
    cid = st.consolidated_id or (prev.consolidated_id if prev else None)
    c = by_id.get(cid.upper()) if cid else None
    aff = prev.affinity if prev and prev.consolidated_id == cid else None

    def mk(fate: Fate, target: str | None = None, a: float | None = None) -> FindingFate:
        return make(i, fate, target, a, st.source, ev, rule)

    if st.action == Action.false_positive:
        return mk(Fate.false_positive)
    if st.action == Action.dropped:
        return mk(Fate.dropped)
    if st.action == Action.demoted:
        return mk(Fate.demoted)
    if st.action == Action.merged and c is not None and c.severity == f.severity:
        return mk(Fate.merged, c.id, aff)
    if c is not None:
        return mk(_severity_fate(f.severity, c.severity), c.id, aff)
    if st.to_severity is not None:
        return mk(_severity_fate(f.severity, st.to_severity), cid, aff)
    if st.action == Action.merged:
        return mk(Fate.merged, cid, aff)
    if st.action == Action.kept and prev is not None:
        return mk(prev.fate, prev.consolidated_id, prev.affinity)
    return None
