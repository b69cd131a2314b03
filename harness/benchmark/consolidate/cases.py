"""Consolidate cases: one report with two or more reviewer reviews that hold findings.

The input is every reviewer's original findings (model label, own id, severity, title,
locations, body), each with a case-unique `ref`; with `with_diff` also the reviewed change
from the dataset (when it was built and the change is available). Reviews marked omitted
or external (kept outside the report) do not count. Finding positions (`idx`) follow the
fates module's numbering (an agent's findings over all its passes, in report order), so a
decision lines up with the fate of the same finding.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from harness.core.consolidation import FATE_DECISION, OriginalFinding
from harness.core.models import AgentReview, Report

_SKIP_STATUS = frozenset({"external", "omitted", "dropped", "no_output"})


def counts_as_review(ar: AgentReview) -> bool:
    """A review a consolidator reads: not omitted, not kept outside the report."""
    status = getattr(ar, "status", None)
    return not ar.omitted and (status is None or str(status) not in _SKIP_STATUS)


def reviewer_label(report: Report, ar: AgentReview) -> str:
    """The reviewer's model label (header name) when known, else the agent name."""
    if ar.model:
        return ar.model
    for r in report.reviewers:
        if r.agent.lower() == ar.agent.lower() and r.model:
            return r.model
    return ar.agent


def original_findings(report: Report) -> list[OriginalFinding]:
    """Every original finding of the reviews that count, in report order, with unique refs."""
    out: list[OriginalFinding] = []
    pos: dict[str, int] = {}
    refs: set[str] = set()
    for ar in report.agent_reviews:
        key = ar.agent
        for f in ar.findings:
            idx = pos.get(key, 0)
            pos[key] = idx + 1
            if not counts_as_review(ar) or f.withdrawn:
                continue  # withdrawn by the reviewer itself: not a claim to consolidate
            ref = f"{ar.agent}-{idx + 1}"
            while ref in refs:
                ref += "'"
            refs.add(ref)
            out.append(OriginalFinding(ref=ref, reviewer=reviewer_label(report, ar), agent=ar.agent, idx=idx,
                                       finding_id=f.id, severity=f.severity, title=f.title,
                                       locations=f.locations, body=f.body))
    return out


def reviewers_with_findings(report: Report) -> list[str]:
    return sorted({o.agent for o in original_findings(report)})


def is_consolidate_case(report: Report) -> bool:
    return len(reviewers_with_findings(report)) >= 2


def gold_decisions(originals: list[OriginalFinding], fates: list[Any] | None) -> dict[str, tuple[str | None, str | None]]:
    """ref -> (stored fate, gold decision). A finding without a stored fate has neither."""
    by_key = {}
    for f in fates or []:
        get = f.get if isinstance(f, dict) else lambda k, f=f: getattr(f, k, None)
        fate = get("fate")
        idx = get("idx") if get("idx") is not None else get("index")
        by_key[(str(get("agent")).lower(), idx)] = str(getattr(fate, "value", fate))
    out = {}
    for o in originals:
        fate = by_key.get((o.agent.lower(), o.idx))
        out[o.ref] = (fate, FATE_DECISION.get(fate) if fate else None)
    return out


def reviews_json(originals: list[OriginalFinding]) -> str:
    """The consolidator's `reviews` input: reviewer label -> that reviewer's findings."""
    grouped: dict[str, list[dict]] = {}
    for o in originals:
        grouped.setdefault(o.reviewer, []).append(o.prompt_dict())
    return json.dumps(grouped, indent=1, ensure_ascii=False)


class ConsolidateCase(BaseModel):
    """One consolidate case (the runner's view: `report_id`, `runnable`, `inputs`, `reason`)."""

    report_id: str
    pr: int | None = None
    round: int | None = None
    split: str | None = None
    status: str = "ok"  # ok | not_enough_reviews | diff_unavailable
    reason: str | None = None
    originals: list[OriginalFinding] = Field(default_factory=list)
    with_diff: bool = False
    diff: str = ""
    changed_files: str = ""
    context: str = ""

    @property
    def runnable(self) -> bool:
        return self.status == "ok"

    @property
    def inputs(self) -> dict[str, str]:
        """Keyword arguments of every consolidator program."""
        return {"reviews": reviews_json(self.originals), "diff": self.diff if self.with_diff else "",
                "changed_files": self.changed_files if self.with_diff else "", "context": self.context}


def to_case(report: Report, review_case: Any | None = None, *, with_diff: bool = False) -> ConsolidateCase:
    """The consolidate case of a report; `review_case` (a dataset ReviewCase) supplies split,
    context and, with `with_diff`, the change."""
    originals = original_findings(report)
    common: dict[str, Any] = {"report_id": report.id, "pr": report.pr, "round": report.round,
                              "originals": originals, "with_diff": with_diff}
    if review_case is not None:
        common.update(split=review_case.split, context=review_case.context)
    n = len({o.agent for o in originals})
    if n < 2:
        return ConsolidateCase(**common, status="not_enough_reviews",
                               reason=f"{n} reviewer review(s) with findings; a consolidate case needs 2")
    if with_diff:
        if review_case is None or not review_case.runnable:
            why = getattr(review_case, "reason", None) or "no review input"
            return ConsolidateCase(**common, status="diff_unavailable", reason=f"--with-diff: {why}")
        common.update(diff=review_case.diff, changed_files=review_case.files_text())
    return ConsolidateCase(**common)


def load_consolidate_cases(st: Any, split: str = "test", limit: int | None = None, *,
                           with_diff: bool = False, split_name: str = "default",
                           only_eligible: bool = True) -> list[ConsolidateCase]:
    """Consolidate cases of a split, ordered by report id; reports with fewer than two reviews
    holding findings are left out unless `only_eligible` is False. `limit` counts eligible cases."""
    from harness.benchmark.dataset import load_cases
    from harness.store.gold import iter_reports

    review_cases = load_cases(st, split, None, split_name=split_name)
    by_id = {c.report_id: c for c in review_cases}
    out: list[ConsolidateCase] = []
    for report in iter_reports(st, list(by_id)):
        case = to_case(report, by_id[report.id], with_diff=with_diff)
        if only_eligible and case.status == "not_enough_reviews":
            continue
        out.append(case)
        if limit is not None and len(out) >= limit:
            break
    return out
