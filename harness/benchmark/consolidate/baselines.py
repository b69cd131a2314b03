"""Consolidators that need no model: what a team gets without one, and the report's own.

* `union`: every original finding survives at its own severity; findings the matcher pairs
  across reviewers become one consolidated finding (at the highest of their severities):
  each original finding is `kept` (its severity is the consolidated one) or `merged`.
* `majority`: the same clusters; a cluster survives when two or more reviewers raised it, at
  the severity most of them gave (ties: the higher); its findings are kept, downgraded or
  upgraded against that severity. Findings of one reviewer alone are `dropped`.
* `replay:published`: the report's own consolidated findings, with each original finding's
  decision read from the report's lists alone: the matcher against the consolidated findings
  crediting its reviewer, then the fates module's credit pass (a credited finding left
  unpaired pairs by text with a leftover citing its file); a second finding on a taken one is
  merged; a leftover resembling an item the report declined in a prior round is dropped, one
  resembling its design observations, testing gaps or limitations demoted; nothing matching
  means dropped. Scored against the
  fates, it is a sanity check: it differs only where the fates rest on the report's words
  (reconciliation statements, retro notes, in-review retractions) rather than on its lists.

The matcher is the scorer's (harness.gold.fates.scorer_matcher), the same the fates use.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from harness.core.consolidation import ConsolidatedFinding, Consolidation, Decision, FindingDecision, OriginalFinding
from harness.core.models import Finding, Report, Severity
from harness.gold.fates import same_file, unlocated

BASELINES: tuple[str, ...] = ("union", "majority", "replay:published")
#: below this affinity a second finding of one reviewer is not folded into a taken one, and a
#: leftover is not taken as demoted to an observation (the fates module's thresholds)
MERGE_MIN_AFFINITY = 0.35
DEMOTE_MIN_AFFINITY = 0.35


def is_baseline(model: str | None) -> bool:
    return (model or "").strip().lower() in BASELINES


def _matcher() -> Callable:
    from harness.gold.fates import scorer_matcher

    return scorer_matcher()


class _Cluster:
    def __init__(self, first: OriginalFinding):
        self.members = [first]

    @property
    def rep(self) -> OriginalFinding:
        return self.members[0]

    @property
    def agents(self) -> set[str]:
        return {m.agent for m in self.members}


def clusters(originals: list[OriginalFinding], matcher: Callable | None = None) -> list[_Cluster]:
    """Group findings of different reviewers that the matcher pairs (one-to-one per reviewer,
    against each cluster's first finding), reviewers in report order."""
    match = matcher or _matcher()
    out: list[_Cluster] = []
    by_agent: dict[str, list[OriginalFinding]] = {}
    for o in originals:
        by_agent.setdefault(o.agent, []).append(o)
    for agent, found in by_agent.items():
        cands = [c for c in out if agent not in c.agents]
        got = match([c.rep.as_finding() for c in cands], [f.as_finding() for f in found]) if cands else {}
        for pi, (gi, _aff) in sorted(got.items()):
            cands[gi].members.append(found[pi])
        out += [_Cluster(f) for i, f in enumerate(found) if i not in got]
    return out


def _numbered(items: list[tuple[Severity, Any]]) -> list[tuple[str, Severity, Any]]:
    """C1, C2, I1, ... by severity (stable within one severity)."""
    order = sorted(range(len(items)), key=lambda i: -items[i][0].rank)
    n: Counter = Counter()
    out = []
    for i in order:
        sev, obj = items[i]
        n[sev] += 1
        out.append((f"{sev.letter}{n[sev]}", sev, obj))
    return out


def _consolidated(cid: str, sev: Severity, c: _Cluster) -> ConsolidatedFinding:
    rep = c.rep
    return ConsolidatedFinding(id=cid, severity=sev, title=rep.title, locations=rep.locations, body=rep.body,
                               reviewers=list(dict.fromkeys(m.reviewer for m in c.members)))


def _versus(own: Severity, sev: Severity) -> Decision:
    if own.rank > sev.rank:
        return Decision.downgraded
    if own.rank < sev.rank:
        return Decision.upgraded
    return Decision.kept


def union(originals: list[OriginalFinding], matcher: Callable | None = None) -> Consolidation:
    cl = clusters(originals, matcher)
    items = [(max((m.severity for m in c.members), key=lambda s: s.rank), c) for c in cl]
    findings, decisions = [], []
    for cid, sev, c in _numbered(items):
        findings.append(_consolidated(cid, sev, c))
        for m in c.members:
            same = m.severity == sev
            decisions.append(FindingDecision(
                ref=m.ref, decision=Decision.kept if same else Decision.merged, target=cid,
                reason="kept as raised" if len(c.members) == 1 else
                f"raised by {len(c.agents)} reviewers" + ("" if same else f", merged at {sev.value}")))
    return Consolidation(findings=findings, decisions=_in_order(decisions, originals))


def _majority_severity(c: _Cluster) -> Severity:
    votes = Counter(m.severity for m in c.members)
    return max(votes, key=lambda s: (votes[s], s.rank))


def majority(originals: list[OriginalFinding], matcher: Callable | None = None) -> Consolidation:
    cl = clusters(originals, matcher)
    keep = [(_majority_severity(c), c) for c in cl if len(c.agents) >= 2]
    findings, decisions = [], []
    for cid, sev, c in _numbered(keep):
        findings.append(_consolidated(cid, sev, c))
        for m in c.members:
            decisions.append(FindingDecision(ref=m.ref, decision=_versus(m.severity, sev), target=cid,
                                             reason=f"raised by {len(c.agents)} reviewers"))
    for c in cl:
        if len(c.agents) < 2:
            decisions += [FindingDecision(ref=m.ref, decision=Decision.dropped,
                                          reason="raised by one reviewer only") for m in c.members]
    return Consolidation(findings=findings, decisions=_in_order(decisions, originals))


def published(report: Report, originals: list[OriginalFinding], consolidated: list[Finding],
              matcher: Callable | None = None) -> Consolidation:
    """The report's consolidation: `consolidated` are its gold findings (harness's gold builder)."""
    match = matcher or _matcher()
    findings = [ConsolidatedFinding(id=f.id, severity=f.severity, title=f.title, locations=f.locations,
                                    body=f.body, reviewers=list(f.agents)) for f in consolidated]
    decisions: list[FindingDecision] = []
    by_agent: dict[str, list[OriginalFinding]] = {}
    for o in originals:
        by_agent.setdefault(o.agent, []).append(o)
    for agent, found in by_agent.items():
        credited = [f for f in consolidated if any(a.lower() == agent.lower() for a in f.agents)]
        taken: dict[int, tuple[int, float]] = match(credited, [f.as_finding() for f in found]) if credited else {}
        # credit pass (as the fates'): a credited finding left unpaired came from a leftover citing its file
        unpaired = [j for j in range(len(credited)) if j not in {g for g, _ in taken.values()}]
        rest = [i for i in range(len(found)) if i not in taken]
        if unpaired and rest:
            got = match([unlocated(credited[j]) for j in unpaired], [unlocated(found[i].as_finding()) for i in rest])
            for pi, (gi, aff) in got.items():
                if aff >= MERGE_MIN_AFFINITY and same_file(found[rest[pi]].as_finding(), credited[unpaired[gi]]):
                    taken[rest[pi]] = (unpaired[gi], aff)
        rest = [i for i in range(len(found)) if i not in taken]
        second = match(credited, [found[i].as_finding() for i in rest]) if credited and rest else {}
        merged = {rest[pi]: gi for pi, (gi, aff) in second.items() if aff >= MERGE_MIN_AFFINITY}
        rest = [i for i in rest if i not in merged]
        # the report's lists: declined in prior rounds (dropped), observations / gaps / limitations (demoted)
        obs = [(_observation(o), str(getattr(o.kind, "value", o.kind)) == "declined") for o in report.observations]
        third = match([o for o, _ in obs], [found[i].as_finding() for i in rest]) if obs and rest else {}
        demoted = {rest[pi]: gi for pi, (gi, aff) in third.items() if aff >= DEMOTE_MIN_AFFINITY}
        for i, o in enumerate(found):
            if i in demoted and obs[demoted[i]][1]:
                decisions.append(FindingDecision(ref=o.ref, decision=Decision.dropped,
                                                 reason=f"declined in a prior round: {obs[demoted[i]][0].title[:80]}"))
            elif i in taken:
                c = credited[taken[i][0]]
                decisions.append(FindingDecision(ref=o.ref, decision=_versus(o.severity, c.severity), target=c.id,
                                                 reason=f"in the report as {c.id}"))
            elif i in merged:
                c = credited[merged[i]]
                decisions.append(FindingDecision(ref=o.ref, decision=Decision.merged, target=c.id,
                                                 reason=f"a second finding of {agent} on {c.id}"))
            elif i in demoted:
                decisions.append(FindingDecision(ref=o.ref, decision=Decision.demoted,
                                                 reason=f"resembles {obs[demoted[i]][0].id}"))
            else:
                decisions.append(FindingDecision(ref=o.ref, decision=Decision.dropped,
                                                 reason="no consolidated finding crediting it"))
    return Consolidation(findings=findings, decisions=_in_order(decisions, originals))


def _observation(o: Any) -> Finding:
    """A design observation / testing gap / limitation in the matcher's shape."""
    return Finding(id=f"{o.kind.value} #{o.index}", severity=Severity.suggestion, title=o.title or o.text[:120],
                   body=o.text, locations=o.locations, agents=o.agents)


def _in_order(decisions: list[FindingDecision], originals: list[OriginalFinding]) -> list[FindingDecision]:
    pos = {o.ref: i for i, o in enumerate(originals)}
    return sorted(decisions, key=lambda d: pos.get(d.ref, len(pos)))


def run_baseline(name: str, report: Report, originals: list[OriginalFinding],
                 consolidated: list[Finding] | None = None, matcher: Callable | None = None) -> Consolidation:
    name = name.strip().lower()
    if name == "union":
        return union(originals, matcher)
    if name == "majority":
        return majority(originals, matcher)
    if name == "replay:published":
        return published(report, originals, consolidated if consolidated is not None else report.findings, matcher)
    from harness.core.errors import HarnessError

    raise HarnessError(f"unknown consolidation baseline {name!r}", hint=f"known: {', '.join(BASELINES)}")
