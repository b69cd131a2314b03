"""The review Signature and its flat output model.

`ReviewFinding` is deliberately flat (one location, plain fields): models fill flat JSON far more
reliably than nested lists, and `to_finding` lifts it into the gold-set `Finding`.
"""

from __future__ import annotations

import dspy
from pydantic import BaseModel, Field

from harness.core.models import Finding, Location, Severity


class ReviewFinding(BaseModel):
    severity: Severity = Field(description="critical: breaks correctness, data or security; "
                               "important: should be fixed before merge; suggestion: optional improvement")
    title: str = Field(description="one line naming the problem")
    path: str | None = Field(default=None, description="file path as in the diff (new side)")
    line_start: int | None = Field(default=None, description="first line on the new side")
    line_end: int | None = Field(default=None, description="last line on the new side")
    body: str = Field(default="", description="why it is a problem and how to fix it")
    category: str | None = Field(default=None, description="e.g. correctness, concurrency, security, "
                                 "error-handling, performance, tests, docs, design")

    def to_finding(self) -> Finding:
        start = self.line_start
        end = self.line_end if self.line_end is not None else start
        if start is not None and end is not None and end < start:
            start, end = end, start
        locs = [Location(path=self.path, line_start=start, line_end=end)] if self.path else []
        return Finding(severity=self.severity, title=self.title.strip(), locations=locs,
                       body=self.body, category=self.category)


class ReviewDiff(dspy.Signature):
    """Review a pull request's change like a senior engineer. Report only real problems
    introduced or exposed by this change (bugs, races, error handling, security, missing tests of
    risky logic, misleading docs), each with the file and new-side lines it is about. Prefer
    fewer, well-founded findings over many speculative ones; return an empty list if the change
    is sound."""

    diff: str = dspy.InputField(desc="unified diff of the change")
    changed_files: str = dspy.InputField(desc="changed files, one per line, with added/removed line counts")
    context: str = dspy.InputField(desc="PR title, branch and commit messages (may be empty)")
    findings: list[ReviewFinding] = dspy.OutputField(desc="the problems found, most severe first")


class ConsolidateFindings(dspy.Signature):
    """Consolidate several independent reviews of the same change into one list of findings, as a
    lead reviewer would: merge duplicates (keep the clearest title and the most precise location),
    drop findings that the diff shows to be wrong, and settle the severity of each. Keep a finding
    raised by only one reviewer if the diff supports it."""

    diff: str = dspy.InputField(desc="unified diff of the change")
    changed_files: str = dspy.InputField(desc="changed files with added/removed line counts")
    context: str = dspy.InputField(desc="PR title, branch and commit messages (may be empty)")
    reviews: str = dspy.InputField(desc="JSON: reviewer name -> that reviewer's findings")
    findings: list[ReviewFinding] = dspy.OutputField(desc="the consolidated findings, most severe first")
