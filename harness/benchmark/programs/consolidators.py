"""Consolidator programs: DSPy modules with structured (pydantic) output.

consolidate      dspy.Predict(ConsolidateReviews)
consolidate_cot  dspy.ChainOfThought(ConsolidateReviews)

Both are registered in the review-program registry (harness.benchmark.programs), so they are hashed,
saved, tuned and re-run as `saved:HASH` exactly like the review programs; their `task`
attribute says which cases they take. The output models are flat (one location per finding,
plain fields), as for the review programs: models fill flat JSON more reliably.
"""

from __future__ import annotations

from typing import Any, Literal

import dspy
from pydantic import BaseModel, Field

from harness.core.consolidation import ConsolidatedFinding, Consolidation, Decision, FindingDecision
from harness.core.models import Location, Severity
from harness.benchmark.programs.registry import register

TASK = "consolidate"


class ConsolidatedOut(BaseModel):
    id: str = Field(description="C1, C2, ... for critical, I1, ... important, S1, ... suggestion")
    severity: Severity = Field(description="critical: breaks correctness, data or security; "
                               "important: should be fixed before merge; suggestion: optional improvement")
    title: str = Field(description="one line naming the problem")
    path: str | None = Field(default=None, description="file path (new side)")
    line_start: int | None = Field(default=None)
    line_end: int | None = Field(default=None)
    body: str = Field(default="", description="why it is a problem and how to fix it")
    reviewers: list[str] = Field(default_factory=list, description="the reviewers credited (as named in the input)")

    def to_consolidated(self) -> ConsolidatedFinding:
        start = self.line_start
        end = self.line_end if self.line_end is not None else start
        if start is not None and end is not None and end < start:
            start, end = end, start
        locs = [Location(path=self.path, line_start=start, line_end=end)] if self.path else []
        return ConsolidatedFinding(id=self.id.strip(), severity=self.severity, title=self.title.strip(),
                                   locations=locs, body=self.body, reviewers=list(self.reviewers))


class DecisionOut(BaseModel):
    ref: str = Field(description="the original finding's ref, exactly as given")
    decision: Literal["kept", "downgraded", "upgraded", "merged", "dropped", "demoted"] = Field(
        description="kept: survives at its severity; downgraded / upgraded: survives at a lower / higher "
                    "severity; merged: folded into a consolidated finding another original finding "
                    "became; dropped: rejected (false positive, out of scope, not a problem); demoted: "
                    "not a finding, kept as a design observation or known limitation")
    target: str | None = Field(default=None, description="id of the consolidated finding it went to "
                               "(kept, downgraded, upgraded, merged), else null")
    reason: str = Field(default="", description="one line: why")


class ConsolidateReviews(dspy.Signature):
    """You are the lead reviewer consolidating several independent code reviews of one change into
    the final report. Merge findings that describe the same problem (credit every reviewer who
    raised it), verify each claim against the reviews and the change when it is given, lower the
    severity of findings that are real but overstated, drop false positives and findings about
    code the change does not touch, and demote design remarks that are not defects to
    observations. Decide every original finding exactly once, by its ref."""

    reviews: str = dspy.InputField(desc="JSON: reviewer -> that reviewer's findings, each with a unique ref")
    diff: str = dspy.InputField(desc="unified diff of the change (empty when not given: judge from the reviews)")
    changed_files: str = dspy.InputField(desc="changed files with added/removed line counts (may be empty)")
    context: str = dspy.InputField(desc="PR title, branch and commit messages (may be empty)")
    findings: list[ConsolidatedOut] = dspy.OutputField(desc="the consolidated findings, most severe first")
    decisions: list[DecisionOut] = dspy.OutputField(desc="one decision per original finding ref")


class ConsolidatorProgram(dspy.Module):
    program_name: str = ""
    task = TASK
    predictor: Any = dspy.Predict

    def __init__(self):
        super().__init__()
        self.consolidate = self.predictor(ConsolidateReviews)

    def forward(self, reviews: str, diff: str = "", changed_files: str = "", context: str = "") -> dspy.Prediction:
        return self.consolidate(reviews=reviews, diff=diff or "", changed_files=changed_files or "",
                                context=context or "")


@register("consolidate")
class Consolidate(ConsolidatorProgram):
    predictor = dspy.Predict


@register("consolidate_cot")
class ConsolidateCoT(ConsolidatorProgram):
    predictor = dspy.ChainOfThought


class ConsolidatorResult(BaseModel):
    consolidation: Consolidation = Field(default_factory=Consolidation)
    status: Literal["ok", "parse_error"] = "ok"
    raw: str | None = None
    error: str | None = None  # a note on an answer that parsed (unknown or repeated refs)


def _model(item: Any, cls: type[BaseModel]) -> BaseModel:
    return item if isinstance(item, cls) else cls.model_validate(
        item.model_dump() if isinstance(item, BaseModel) else item)


def to_consolidation(pred: Any, refs: set[str] | None = None) -> tuple[Consolidation, str | None]:
    """A program's Prediction as a Consolidation; decisions on unknown refs and repeats are left
    out (the first decision of a ref counts) and said so in the note."""
    findings = [_model(f, ConsolidatedOut).to_consolidated() for f in (pred.get("findings") or [])]
    decisions: list[FindingDecision] = []
    seen: set[str] = set()
    unknown, repeated = [], []
    for d in pred.get("decisions") or []:
        out = _model(d, DecisionOut)
        ref = out.ref.strip()
        if refs is not None and ref not in refs:
            unknown.append(ref)
            continue
        if ref in seen:
            repeated.append(ref)
            continue
        seen.add(ref)
        decisions.append(FindingDecision(ref=ref, decision=Decision(out.decision),
                                         target=(out.target or "").strip() or None, reason=out.reason))
    notes = []
    if unknown:
        notes.append(f"decisions on unknown refs ignored: {', '.join(unknown[:10])}")
    if repeated:
        notes.append(f"repeated decisions ignored: {', '.join(repeated[:10])}")
    if refs is not None and (missing := sorted(refs - seen)):
        notes.append(f"{len(missing)} original findings without a decision")
    return Consolidation(findings=findings, decisions=decisions), "; ".join(notes) or None


def run_consolidator(program: Any, inputs: dict[str, Any], refs: set[str] | None = None) -> ConsolidatorResult:
    """Call the program; a parse failure is an outcome with the raw answer, LM errors propagate."""
    from harness.benchmark.programs.modules import is_parse_failure, sub_error

    try:
        pred = program(**inputs)
        cons, note = to_consolidation(pred, refs)
    except Exception as exc:
        if not is_parse_failure(exc):
            raise
        err = sub_error(exc, "consolidator")
        return ConsolidatorResult(status="parse_error", raw=err["raw"] or None, error=err["error"])
    return ConsolidatorResult(consolidation=cons, error=note)


def program_task(module: Any) -> str:
    return getattr(module, "task", "review")
