"""Tuning consolidators (`harness tune --task consolidate`): examples and the metric.

Examples are consolidate cases of train / dev (never test: they come through `TuneCases`),
with the gold the runner scores against (the report, its stored fates) and, as labels for
labeled few-shot demos, the report's consolidated findings and the decision each fate implies.
The metric scores a prediction with the `consolidation` scorer exactly as `bench` does
(`harness.benchmark.consolidate.run.score_case`); its feedback, for GEPA, names every wrong decision
(finding, what the program said, what the report did) and the consolidated findings missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

INPUT_KEYS = ("reviews", "diff", "changed_files", "context")
METRICS = ("decision_accuracy", "f1", "balanced")  # balanced: mean of decision accuracy and F1
DEFAULT_METRIC = "decision_accuracy"


@dataclass
class ConsolidateGold:
    """What the metric needs to score a prediction like `bench` (kept out of the prompt)."""

    report: Any
    case: Any
    fates: list[Any]


def examples(store: Any, split: str, split_name: str = "default", limit: int | None = None,
             with_diff: bool = False) -> list[Any]:
    """dspy.Examples of the runnable consolidate cases of `split` (callers refuse test)."""
    import dspy

    from harness.benchmark.consolidate.baselines import published
    from harness.benchmark.consolidate.cases import load_consolidate_cases
    from harness.benchmark.programs.consolidators import ConsolidatedOut, DecisionOut
    from harness.gold.build import fates_by_report
    from harness.store.gold import iter_reports

    cases = [c for c in load_consolidate_cases(store, split, None, with_diff=with_diff, split_name=split_name)
             if c.runnable]
    if limit is not None:
        cases = cases[:limit]
    reports = {r.id: r for r in iter_reports(store, [c.report_id for c in cases])}
    fates = fates_by_report(store, list(reports))
    out = []
    for c in cases:
        report = reports[c.report_id]
        gold = ConsolidateGold(report=report, case=c, fates=fates.get(c.report_id) or [])
        label = published(report, c.originals, _gold_findings(report, gold.fates))
        from harness.benchmark.consolidate.cases import gold_decisions

        golds = gold_decisions(c.originals, gold.fates)
        decisions = [DecisionOut(ref=d.ref, decision=golds[d.ref][1] or d.decision.value, target=d.target,
                                 reason=d.reason) for d in label.decisions]
        findings = [ConsolidatedOut(id=f.id, severity=f.severity, title=f.title, body=f.body,
                                    reviewers=f.reviewers, path=f.locations[0].path if f.locations else None,
                                    line_start=f.locations[0].line_start if f.locations else None,
                                    line_end=f.locations[0].line_end if f.locations else None)
                    for f in label.findings]
        out.append(dspy.Example(**c.inputs, gold=gold, findings=findings, decisions=decisions,
                                report_id=c.report_id).with_inputs(*INPUT_KEYS))
    return out


def _gold_findings(report: Any, fates: list[Any]) -> list[Any]:
    import scorers

    return scorers.gold_for_report(report, fates).findings


def metric(metric: str = DEFAULT_METRIC, **scorer_args: Any) -> Callable[..., Any]:
    """`metric(example, pred, trace=None, pred_name=None, pred_trace=None)` -> dspy.Prediction(score, feedback)."""
    from harness.core.errors import HarnessError

    if metric not in METRICS:
        raise HarnessError(f"unknown consolidate metric {metric!r}", hint=f"use {', '.join(METRICS)}")

    def consolidate_metric(gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
                           pred_trace: Any = None) -> Any:
        import dspy
        from pydantic import ValidationError

        from harness.benchmark.programs.consolidators import to_consolidation
        from harness.benchmark.consolidate.run import score_case
        from scorers.consolidation import decision_feedback

        g: ConsolidateGold = gold["gold"] if not isinstance(gold, ConsolidateGold) else gold
        if pred is None or pred.get("decisions") is None:
            return dspy.Prediction(score=0.0, feedback="The program returned no `decisions` output: give one "
                                                       "decision per original finding ref.")
        try:
            cons, note = to_consolidation(pred, {o.ref for o in g.case.originals})
        except (ValidationError, ValueError) as exc:
            return dspy.Prediction(score=0.0, feedback=f"The answer could not be read: {str(exc).splitlines()[0]}")
        result, rows = score_case(g.report, g.case, cons, g.fates, **scorer_args)
        m = result.metrics
        acc, f1 = m.get("decision_accuracy"), m.get("f1")
        value = {"decision_accuracy": acc, "f1": f1,
                 "balanced": None if acc is None and f1 is None else ((acc or 0.0) + (f1 or 0.0)) / 2}[metric]
        feedback = decision_feedback([r.model_dump() for r in rows])
        if note:
            feedback += f"\nAlso: {note}."
        if result.feedback:
            feedback += "\n\nConsolidated findings:\n" + result.feedback
        return dspy.Prediction(score=float(value or 0.0), feedback=feedback)

    return consolidate_metric
