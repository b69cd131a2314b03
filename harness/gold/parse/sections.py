"""Section outline of a region: real headings plus bold-only pseudo-headings, classified by title."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from harness.core.models import Severity
from harness.gold.parse.doc import Doc, bold_only, norm_title
from harness.gold.parse.findings import parse_opener

_RESOLUTION = re.compile(r"^resolution\b")
_CONCERNS = re.compile(r"^(?:concerns?|design concerns?|risks?)$")
_STRENGTHS = re.compile(r"^(?:strengths?|design strengths?|positives?|what went well)$")
_SUMMARY = re.compile(r"^summary(?: table)?$|^summary metrics$|^metrics$")

PSEUDO_LEVEL = 7  # a `**Concerns**` paragraph: deeper than any real heading


@dataclass
class Section:
    k: int  # block index of the heading
    level: int
    title: str
    norm: str
    kind: str  # see classify()
    end: int  # block index that closes the section (exclusive)
    severity: Severity | None = None

    def body(self, doc: Doc):
        return doc.blocks[self.k + 1:self.end]


_SEV_TITLE = re.compile(r"^(?:\W*)(critical|important|major|suggestions?|minor|nits?|nitpicks?)"
                        r"(?: (?:issues?|findings?|items?|suggestions?|problems?|concerns?))?"
                        r"(?: \(.*\))?\W*$")


def classify(norm: str) -> tuple[str, Severity | None]:
    m = _SEV_TITLE.match(norm)
    if m:
        w = m.group(1)
        sev = (Severity.critical if w == "critical" else
               Severity.important if w in ("important", "major") else Severity.suggestion)
        return "severity", sev
    if "appendix" in norm:
        return "appendix", None
    if "retro" in norm or norm.startswith("agent performance"):
        return "retro", None
    if _RESOLUTION.match(norm):
        return "resolution", None
    if norm in ("findings", "consolidated findings", "consolidated review", "review findings", "issues"):
        return "findings", None
    if norm.startswith("design observation"):
        return "design", None
    if _CONCERNS.match(norm):
        return "concerns", None
    if _STRENGTHS.match(norm):
        return "strengths", None
    if norm.startswith("testing") or norm.startswith("test coverage") or norm == "untested scenarios":
        return "testing", None
    if norm.startswith("declined in prior") or norm.startswith("previously declined") or \
            norm.startswith("declined (prior") or norm == "declined":
        return "declined", None
    if norm.startswith("acknowledged limitation") or norm == "known limitations":
        return "limitations", None
    if norm.startswith("coverage summary") or norm == "coverage":
        return "coverage", None
    if _SUMMARY.match(norm):
        return "summary", None
    if norm.startswith("reconciliation"):
        return "reconciliation", None
    if norm.startswith("executive summary"):
        return "executive", None
    if norm.startswith("verdict"):
        return "verdict", None
    return "other", None


def _doc_marks(doc: Doc) -> tuple[list[tuple[int, int, str]], list[int]]:
    """(block index, level, title) of every (pseudo-)heading in order, and their block indexes.
    Computed once per Doc: a report is outlined whole and again per agent window."""
    got = doc.memo.get("marks")
    if got is None:
        marks = []
        for k, b in enumerate(doc.blocks):
            if b.kind == "heading":
                marks.append((k, b.level, b.text))
            elif b.kind == "paragraph" and "\n" not in b.text:
                inner = bold_only(b.text)
                if inner and ((op := parse_opener(b.text)) is None or not op.strong):
                    marks.append((k, PSEUDO_LEVEL, inner))
        got = doc.memo["marks"] = (marks, [m[0] for m in marks])
    return got


@lru_cache(maxsize=4096)
def _classified(title: str) -> tuple[str, str, Severity | None]:
    norm = norm_title(title)
    return (norm, *classify(norm))


def outline(doc: Doc, lo: int, hi: int) -> list[Section]:
    """Every (pseudo-)heading in blocks[lo:hi], with its section end inside the same window."""
    every, keys = _doc_marks(doc)
    marks = every[bisect.bisect_left(keys, lo):bisect.bisect_left(keys, hi)]
    # a section ends at the next mark of its level or above: one pass with a stack of open marks
    ends = [hi] * len(marks)
    open_: list[int] = []
    for j, (k2, level2, _) in enumerate(marks):
        while open_ and marks[open_[-1]][1] >= level2:
            ends[open_.pop()] = k2
        open_.append(j)
    out: list[Section] = []
    for (k, level, title), end in zip(marks, ends):
        norm, kind, sev = _classified(title)
        out.append(Section(k, level, title, norm, kind, end, sev))
    return out
