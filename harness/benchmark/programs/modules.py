"""The built-in review programs. Every `forward` takes the keys of `ReviewCase.inputs`.

single    dspy.Predict(ReviewDiff)
cot       dspy.ChainOfThought(ReviewDiff)
per_file  a diff over `budget` tokens is cut into file / hunk-group chunks reviewed in parallel,
          then findings are merged and de-duplicated
panel     several reviewers with different focus, then a consolidator (the deep-review pipeline)
agent     dspy.ReAct with read-only tools over the head commit (harness/programs/agent.py)

A sub-call of per_file or panel that fails to parse does not sink the case: its raw response is
returned in `sub_errors` and the others' findings still count.
"""

from __future__ import annotations

import json
from typing import Any

import dspy

from harness.benchmark.programs.diffsplit import dedupe, split_diff
from harness.benchmark.programs.registry import register
from harness.benchmark.programs.signatures import ConsolidateFindings, ReviewDiff, ReviewFinding


def _review_args(diff: str, changed_files: str, context: str) -> dict[str, str]:
    return {"diff": diff, "changed_files": changed_files, "context": context or ""}


def is_parse_failure(exc: BaseException) -> bool:
    """The model answered but not in the expected shape (vs. transport/LM errors, which propagate)."""
    from pydantic import ValidationError

    from dspy.utils.exceptions import AdapterParseError

    return isinstance(exc, (AdapterParseError, ValidationError))


def sub_error(exc: BaseException, where: str) -> dict[str, str]:
    return {"where": where, "error": str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            "raw": getattr(exc, "lm_response", None) or ""}


def run_parallel(calls: list[tuple[Any, dict]], threads: int) -> list[Any]:
    """Run (callable, kwargs) pairs with dspy.Parallel (which carries `dspy.context` settings
    into its threads); each result is a Prediction or the exception it raised, in order."""

    def guarded(fn):
        def call(**kw):
            try:
                return fn(**kw)
            except Exception as exc:  # boxed: the executor logs and drops raised or returned errors
                return (exc,)
        return call

    if len(calls) == 1:
        fn, kw = calls[0]
        results = [guarded(fn)(**kw)]
    else:
        par = dspy.Parallel(num_threads=max(1, min(threads, len(calls))), disable_progress_bar=True,
                            timeout=0, max_errors=len(calls) + 1)
        results = par([(guarded(fn), kw) for fn, kw in calls])
    return [r[0] if isinstance(r, tuple) else r for r in results]


def collect(results: list[Any], labels: list[str]) -> tuple[list[list[ReviewFinding]], list[dict]]:
    """Findings per successful call and the parse failures; any other error is re-raised."""
    found, errors = [], []
    for res, label in zip(results, labels):
        if isinstance(res, BaseException):
            if not is_parse_failure(res):
                raise res
            errors.append(sub_error(res, label))
        else:
            found.append(list(res.findings or []))
    return found, errors


class ReviewProgram(dspy.Module):
    program_name: str = ""

    def forward(self, diff: str, changed_files: str = "", context: str = "",
                repo_path: str = "", head: str = "") -> dspy.Prediction:
        raise NotImplementedError


class _OneCall(ReviewProgram):
    """One predictor over the whole diff; subclasses choose the predictor."""

    predictor = dspy.Predict

    def __init__(self):
        super().__init__()
        self.review = self.predictor(ReviewDiff)

    def forward(self, diff, changed_files="", context="", repo_path="", head=""):
        return self.review(**_review_args(diff, changed_files, context))


@register("single")
class Single(_OneCall):
    predictor = dspy.Predict


@register("cot")
class ChainOfThought(_OneCall):
    predictor = dspy.ChainOfThought


@register("per_file")
class PerFile(ReviewProgram):
    """Chunks of at most `budget` tokens, reviewed by one ChainOfThought in `threads` threads."""

    def __init__(self, budget: int = 8000, threads: int = 4):
        super().__init__()
        self.budget, self.threads = budget, threads
        self.review = dspy.ChainOfThought(ReviewDiff)

    def forward(self, diff, changed_files="", context="", repo_path="", head=""):
        from harness.lm.tokens import count_tokens

        chunks = split_diff(diff, self.budget, count_tokens) or [diff]
        results = run_parallel([(self.review, _review_args(c, changed_files, context)) for c in chunks],
                               self.threads)
        found, errors = collect(results, [f"chunk {i + 1}/{len(chunks)}" for i in range(len(chunks))])
        if not found:  # every chunk failed: the case failed
            raise next(r for r in results if isinstance(r, BaseException))
        merged = dedupe(f for fs in found for f in fs)
        return dspy.Prediction(findings=merged, chunks=len(chunks), sub_errors=errors)


PANEL_FOCUS = {
    "correctness": "Focus on correctness: logic errors, broken invariants, edge cases, error "
                   "handling and concurrency.",
    "robustness": "Focus on robustness and security: resource leaks, retries and timeouts, input "
                  "validation, privilege and data-loss risks, upgrade and compatibility breaks.",
    "maintainability": "Focus on tests and maintainability: untested risky paths, misleading "
                       "comments or docs, API and design problems that will cause bugs later.",
}


@register("panel")
class Panel(ReviewProgram):
    """Reviewers with different focus (in parallel), then a consolidator over their findings."""

    def __init__(self, focus: list[str] | None = None, threads: int = 3):
        super().__init__()
        self.focus = list(focus or PANEL_FOCUS)
        unknown = [f for f in self.focus if f not in PANEL_FOCUS]
        if unknown:
            from harness.core.errors import HarnessError

            raise HarnessError(f"unknown panel focus {unknown}", hint=f"known: {', '.join(PANEL_FOCUS)}")
        self.threads = threads
        self.reviewers = [dspy.ChainOfThought(ReviewDiff.with_instructions(
            f"{ReviewDiff.instructions}\n\n{PANEL_FOCUS[f]}")) for f in self.focus]
        self.consolidate = dspy.ChainOfThought(ConsolidateFindings)

    def forward(self, diff, changed_files="", context="", repo_path="", head=""):
        args = _review_args(diff, changed_files, context)
        results = run_parallel([(r, args) for r in self.reviewers], self.threads)
        found, errors = collect(results, self.focus)
        if not found:
            raise next(r for r in results if isinstance(r, BaseException))
        ok = [label for label, r in zip(self.focus, results) if not isinstance(r, BaseException)]
        reviews = {label: [f.model_dump(mode="json", exclude_none=True) for f in fs]
                   for label, fs in zip(ok, found)}
        if not any(reviews.values()):
            return dspy.Prediction(findings=[], sub_errors=errors)
        try:
            pred = self.consolidate(**args, reviews=json.dumps(reviews, indent=1))
            findings = list(pred.findings or [])
        except Exception as exc:
            if not is_parse_failure(exc):
                raise
            # the consolidator's answer is lost; the reviewers' union still stands
            errors.append(sub_error(exc, "consolidator"))
            findings = dedupe(f for fs in found for f in fs)
        return dspy.Prediction(findings=findings, sub_errors=errors)
