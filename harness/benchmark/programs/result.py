"""Running a program on one case: findings, or a recorded parse failure, never a crash."""

from __future__ import annotations

from typing import Any, Literal

import dspy
from pydantic import BaseModel, Field

from harness.benchmark.programs.modules import is_parse_failure, sub_error
from harness.benchmark.programs.signatures import ReviewFinding
from harness.core.models import Finding


class ProgramResult(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    status: Literal["ok", "parse_error"] = "ok"
    raw: str | None = None  # the unparseable response(s)
    error: str | None = None
    tool_calls: int = 0
    sub_errors: int = 0  # failed chunks / reviewers of per_file and panel


def quiet_context(lm: Any) -> Any:
    """The DSPy settings every benchmark call runs under (bench, consolidate, dry run): no history
    and no trace. Each would keep every prompt of a long run in memory (the trace keeps the last
    10,000 calls with their inputs, diffs included; the history also costs a uuid4 per call)."""
    return dspy.context(lm=lm, disable_history=True, trace=None)


def to_findings(pred: Any) -> list[Finding]:
    """Findings of a program's Prediction as gold-set `Finding`s (ReviewFinding, dict or Finding)."""
    out = []
    for f in (pred.get("findings") if isinstance(pred, dspy.Prediction) else pred) or []:
        if isinstance(f, Finding):
            out.append(f)
        elif isinstance(f, ReviewFinding):
            out.append(f.to_finding())
        else:
            out.append(ReviewFinding.model_validate(f).to_finding())
    return out


def run_program(program: dspy.Module, inputs: dict[str, Any]) -> ProgramResult:
    """Call `program(**inputs)`. Parse failures become status 'parse_error' with the raw answer;
    LM and transport errors propagate (the runner retries or records them)."""
    try:
        pred = program(**inputs)
        findings = to_findings(pred)
    except Exception as exc:
        if not is_parse_failure(exc):
            raise
        err = sub_error(exc, "program")
        return ProgramResult(status="parse_error", raw=err["raw"] or None, error=err["error"])
    subs = list(pred.get("sub_errors") or [])
    return ProgramResult(
        findings=findings, status="parse_error" if subs else "ok",
        raw="\n\n".join(f"[{e['where']}]\n{e['raw']}" for e in subs) or None,
        error="; ".join(f"{e['where']}: {e['error']}" for e in subs) or None,
        tool_calls=int(pred.get("tool_calls") or 0), sub_errors=len(subs))
