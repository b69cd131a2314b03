"""The runner's one call into the scorers package: a case's findings against its report's gold."""

from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, Field

from harness.core.models import Finding, Report


class CaseScore(BaseModel):
    tp: int
    fp: int
    fn: int
    labels: list[str | None] = Field(default_factory=list)  # per predicted finding, in order
    metrics: dict[str, Any] = Field(default_factory=dict)  # {"metrics": {...}, "counts": {...}}
    decisions: list[dict[str, Any]] = Field(default_factory=list)  # consolidate task: scored decisions


ScoreFn = Callable[[Report, list[Finding]], CaseScore]


def scorer_fn(name: str = "default", fates: dict[str, list[Any]] | None = None, **args: Any) -> ScoreFn:
    """A function scoring one case with the named scorer.

    `fates` (report id -> stored agent-finding fates) supplies the known false positives;
    without it the gold is derived from the report alone.
    """
    import scorers

    def score(report: Report, findings: list[Finding]) -> CaseScore:
        gold = scorers.gold_for_report(report, (fates or {}).get(report.id))
        result = scorers.score(gold, findings, scorer=name, **args)
        labels: list[str | None] = [None] * len(findings)
        for p in result.predictions:
            if 0 <= p.index < len(labels):
                labels[p.index] = p.label
        c = result.counts
        return CaseScore(tp=int(c.get("tp", 0)), fp=int(c.get("fp", 0)), fn=int(c.get("fn", 0)), labels=labels,
                         metrics={"metrics": result.metrics, "counts": result.counts})

    return score
