"""Cut a unified diff into reviewable chunks under a token budget, and merge findings back.

Files are packed greedily in diff order; a file over the budget is cut at hunk boundaries, each
group keeping the file's header so a chunk is always a valid diff on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from harness.benchmark.programs.signatures import ReviewFinding

_WORD = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class FileDiff:
    path: str
    header: str  # `diff --git` line up to the first hunk
    hunks: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.header + "".join(self.hunks)


def parse_files(diff: str) -> list[FileDiff]:
    """Split a `git diff` into per-file sections (text before the first file header is dropped)."""
    files: list[FileDiff] = []
    for section in re.split(r"(?m)^(?=diff --git )", diff):
        if not section.startswith("diff --git "):
            continue
        parts = re.split(r"(?m)^(?=@@ )", section)
        header, hunks = parts[0], tuple(parts[1:])
        m = re.search(r"(?m)^\+\+\+ b/(.+)$", header) or re.search(r"(?m)^--- a/(.+)$", header)
        path = m.group(1) if m else header.split()[-1].removeprefix("b/")
        files.append(FileDiff(path=path.strip(), header=header, hunks=hunks))
    return files


def split_diff(diff: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """Chunks of `diff` of at most `budget` tokens each (a single hunk over budget stays whole)."""
    pieces: list[str] = []  # file sections, or hunk groups of oversized files
    for f in parse_files(diff):
        if count(f.text) <= budget or len(f.hunks) <= 1:
            pieces.append(f.text)
            continue
        group: list[str] = []
        for hunk in f.hunks:
            if group and count(f.header + "".join(group) + hunk) > budget:
                pieces.append(f.header + "".join(group))
                group = []
            group.append(hunk)
        pieces.append(f.header + "".join(group))
    if not pieces:
        return [diff] if diff.strip() else []
    chunks: list[str] = []
    current = ""
    for p in pieces:
        if current and count(current + p) > budget:
            chunks.append(current)
            current = ""
        current += p
    chunks.append(current)
    return chunks


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _same(a: ReviewFinding, b: ReviewFinding) -> bool:
    """One problem reported twice: same file, nearby lines (when both cite lines), similar title."""
    if (a.path or "") != (b.path or ""):
        return False
    if a.line_start is not None and b.line_start is not None:
        a_end = a.line_end if a.line_end is not None else a.line_start
        b_end = b.line_end if b.line_end is not None else b.line_start
        if a.line_start > b_end + 3 or b.line_start > a_end + 3:
            return False
    wa, wb = _words(a.title), _words(b.title)
    if not wa or not wb:
        return a.title.strip().lower() == b.title.strip().lower()
    return len(wa & wb) / len(wa | wb) >= 0.5


def dedupe(findings: Iterable[ReviewFinding]) -> list[ReviewFinding]:
    """Drop duplicates, keeping the first of each group at the highest severity any member had."""
    kept: list[ReviewFinding] = []
    for f in findings:
        for i, k in enumerate(kept):
            if _same(k, f):
                if f.severity.rank > k.severity.rank:
                    kept[i] = k.model_copy(update={"severity": f.severity})
                break
        else:
            kept.append(f)
    return kept
