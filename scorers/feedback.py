"""Text feedback for prompt optimisers, and the DSPy metric adapter GEPA calls.

GEPA reflects on a textual account of what went wrong per example; ours names the missed
gold findings, the false positives (novel and known) and the severity errors, with titles and
locations so the reflection model can tell *which* issues a prompt keeps missing.
"""

from __future__ import annotations

from typing import Any, Callable

from harness.core.scores import ScoreResult
from scorers.gold import GoldSet

MAX_ITEMS = 8


def _where(f: Any) -> str:
    if not getattr(f, "locations", None):
        return ""
    loc = f.locations[0]
    if loc.line_start is None:
        return f" ({loc.path})"
    end = f"-{loc.line_end}" if loc.line_end and loc.line_end != loc.line_start else ""
    return f" ({loc.path}:{loc.line_start}{end})"


def _bullets(lines: list[str]) -> list[str]:
    out = [f"- {x}" for x in lines[:MAX_ITEMS]]
    if len(lines) > MAX_ITEMS:
        out.append(f"- ... and {len(lines) - MAX_ITEMS} more")
    return out


def feedback(result: ScoreResult, gold: GoldSet) -> str:
    m, c = result.metrics, result.counts

    def num(key: str) -> str:
        v = m.get(key)
        return "n/a" if v is None else f"{v:.2f}"

    gold_by_id = {g.id: g for g in gold.findings if g.id}
    parts = [
        f"Score: F1 {num('f1')} (precision {num('precision')}, recall {num('recall')}). "
        f"Found {int(c.get('tp', 0))} of {int(c.get('n_gold', 0))} gold findings; "
        f"{int(c.get('novel', 0))} novel and {int(c.get('known_fp', 0))} known-false-positive findings raised."
    ]
    missed = [g for g in result.gold if g.status == "missed"]
    missed.sort(key=lambda g: ({"critical": 0, "important": 1, "suggestion": 2}.get(g.severity, 3), g.id))
    if missed:
        parts.append("Missed gold findings (the review should have raised these):")
        parts += _bullets([f"[{g.severity}] {g.id}: {g.title}{_where(gold_by_id.get(g.id))}" for g in missed])
    kfp = [p for p in result.predictions if p.label == "known_false_positive"]
    if kfp:
        parts.append("Known false positives (raised again although the team already rejected them):")
        parts += _bullets([f"#{p.index + 1} [{p.severity}] {p.title} (same as rejected {p.gold_id})" for p in kfp])
    novel = [p for p in result.predictions if p.label == "novel"]
    if novel:
        parts.append("Findings with no counterpart in the gold (false positives in strict scoring):")
        parts += _bullets([f"#{p.index + 1} [{p.severity}] {p.title}" + (f" ({p.path})" if p.path else "")
                           for p in novel])
    sev = [p for p in result.predictions if p.severity_match in ("over", "under")]
    if sev:
        parts.append("Severity errors:")
        parts += _bullets([
            f"#{p.index + 1} {p.title}: rated {p.severity}, gold {p.gold_id} is {p.gold_severity} "
            f"({'over-called' if p.severity_match == 'over' else 'under-called'})" for p in sev])
    if not (missed or kfp or novel or sev):
        parts.append("Every gold finding was found with the right severity and nothing extra was raised.")
    return "\n".join(parts)


def dspy_metric(*, scorer: str = "default", metric: str = "f1", gold_field: str = "gold",
                findings_field: str = "findings", **scorer_args: Any) -> Callable[..., Any]:
    """A metric for DSPy optimisers: `metric(gold, pred, trace=None, pred_name=None, pred_trace=None)`.

    `gold` is a dspy.Example whose `gold_field` holds a GoldSet (or its dict); `pred` a
    dspy.Prediction whose `findings_field` holds the findings (Finding, dicts or flat models).
    Returns `dspy.Prediction(score=metrics[metric], feedback=...)`, which GEPA reads as
    score-with-feedback and other optimisers use as a number (Prediction supports float()).
    A missing or unparsable prediction scores 0 with feedback saying why.
    """
    from scorers.base import get_scorer

    sc = get_scorer(scorer, **scorer_args)

    def review_metric(gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
                      pred_trace: Any = None) -> Any:
        import dspy

        from harness.core.errors import HarnessError

        g = gold[gold_field] if not isinstance(gold, GoldSet) else gold
        g = g if isinstance(g, GoldSet) else GoldSet.model_validate(g)
        findings = getattr(pred, findings_field, None) if pred is not None else None
        if findings is None:
            return dspy.Prediction(score=0.0, feedback=f"The program returned no `{findings_field}` output.")
        try:
            result = sc.score(g, list(findings))
        except HarnessError as exc:
            return dspy.Prediction(score=0.0, feedback=f"The findings could not be read: {exc.one_line()}")
        value = result.metrics.get(metric)
        return dspy.Prediction(score=float(value or 0.0), feedback=result.feedback)

    return review_metric
