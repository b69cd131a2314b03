"""The gold a reviewer is scored against, built from a parsed report.

`findings` are the surviving consolidated findings. `known_false_positives` are findings some
agent raised that the report dropped or rejected: re-raising one is worse than a novel
finding because the team already spent time refuting it. Where those come from is a seam:
the retro code (issue 4) stores a *fate* per original agent finding and passes them in;
without fates we use only what the report states outright (withdrawn or dropped-tagged items).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from harness.core.hashing import content_hash
from harness.core.models import Finding, Report

FATES = ("kept", "downgraded", "upgraded", "merged", "dropped", "false_positive", "demoted", "unmatched")
KNOWN_FP_FATES = frozenset({"dropped", "false_positive"})
_DROPPED_TAG = re.compile(r"^(dropped|false[_ -]?positive|rejected)$", re.I)


class GoldSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_id: str
    repo: str | None = None  # for stripping a leading repository name from cited paths
    findings: list[Finding] = Field(default_factory=list)
    known_false_positives: list[Finding] = Field(default_factory=list)
    # each recorded reviewer's original findings, for unique-insight comparisons
    reviewer_findings: dict[str, list[Finding]] = Field(default_factory=dict)

    def gold_hash(self) -> str:
        return content_hash([self.findings, self.known_false_positives], 16)


def _is_dropped(f: Finding) -> bool:
    return f.withdrawn or any(_DROPPED_TAG.match(t) for t in f.tags)


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def gold_for_report(report: Report, fates: Iterable[Any] | None = None, *,
                    known_fp_fates: Iterable[str] = KNOWN_FP_FATES) -> GoldSet:
    """The GoldSet of a report.

    `fates`: per original agent finding, anything with `fate` plus either `finding` (a Finding)
    or `agent` and `index` (position in that agent's review, passes concatenated). Fates in
    `known_fp_fates` (default dropped, false_positive) become known false positives. Without
    fates: consolidated findings that are withdrawn or tagged dropped/false-positive move out of
    the gold into the known false positives, and so do agent findings the agent withdrew itself.
    """
    kept = [f for f in report.findings if not _is_dropped(f)]
    known = [f for f in report.findings if _is_dropped(f)]
    reviewer_findings: dict[str, list[Finding]] = {}
    for ar in report.agent_reviews:
        reviewer_findings.setdefault(ar.agent, []).extend(ar.findings)
    bad = frozenset(known_fp_fates)
    if fates is None:
        for agent, fs in reviewer_findings.items():
            known.extend(_with_id(f, agent, i) for i, f in enumerate(fs) if f.withdrawn)
    else:
        for item in fates:
            if _get(item, "fate") not in bad:
                continue
            f = _get(item, "finding")
            agent, index = _get(item, "agent"), _get(item, "index")
            if f is None and agent is not None and index is not None:
                fs = reviewer_findings.get(agent) or []
                f = fs[index] if 0 <= index < len(fs) else None
            if f is not None:
                known.append(_with_id(f, agent or "agent", index if index is not None else len(known)))
    return GoldSet(report_id=report.id, repo=report.repo, findings=kept,
                   known_false_positives=known, reviewer_findings=reviewer_findings)


def _with_id(f: Finding, agent: str, index: int) -> Finding:
    """Known false positives carry the model that raised them: in the id, so labels say whose claim
    it was, and as the finding's only agent."""
    return f.model_copy(update={"id": f"{agent}:{f.id or index + 1}", "agents": [agent]})
