"""One reviewer's own review (an appendix entry, or a standalone review file) -> AgentReview."""

from __future__ import annotations

import re

from harness.core.models import AgentReview, Finding, Observation, ObservationKind, ParseWarning, ReviewerStatus
from harness.gold.parse.agents import KNOWN_FAMILIES, agent_family
from harness.gold.parse.doc import Doc
from harness.gold.parse.findings import cut_findings, number_ids, summary_findings
from harness.gold.parse.locations import parse_locations
from harness.gold.parse.observations import observations_in
from harness.gold.parse.sections import Section, outline
from harness.gold.parse.values import strip_md


def coverage_table(doc: Doc, sections: list[Section], lo: int, hi: int) -> dict[str, str]:
    """`Coverage Summary` table: file -> cell (first such table in the window)."""
    for s in sections:
        if s.kind != "coverage" or not (lo <= s.k < hi):
            continue
        for b in s.body(doc):
            if b.kind == "table" and b.rows:
                out: dict[str, str] = {}
                for row in b.rows[1:]:
                    if len(row) >= 2:
                        path = strip_md(row[0])
                        if path:
                            out[path] = row[1]
                return out
    return {}


def _outermost(secs: list[Section]) -> list[Section]:
    """The sections not inside another one (o.k < s.k < o.end), in their order; O(n log n)."""
    nested: set[int] = set()
    reach, prev_k, before = -1, None, -1  # before: furthest end of the sections starting above s.k
    for s in sorted(secs, key=lambda s: s.k):
        if s.k != prev_k:
            before, prev_k = reach, s.k
        if s.k < before:
            nested.add(id(s))
        reach = max(reach, s.end)
    return [s for s in secs if id(s) not in nested]


def findings_in(doc: Doc, lo: int, hi: int, families, coverage: list[str] | None, where: str,
                warnings: list[ParseWarning], sections: list[Section] | None = None,
                skip: tuple[tuple[int, int], ...] = (), own_tags: bool = False) -> tuple[list[Finding], bool]:
    """Findings in blocks[lo:hi]; also whether any severity section structure was present."""
    sections = sections if sections is not None else outline(doc, lo, hi)
    sev_secs = [s for s in sections if s.kind == "severity" and lo <= s.k < hi
                and not any(a <= s.k < b for a, b in skip)]
    # a severity section nested in another severity section (e.g. "Critical" under "Suggestions"
    # as a bold lead-in) is body text of the outer one
    top = _outermost(sev_secs)
    findings: list[Finding] = []
    if top:
        for s in top:
            blocks = doc.blocks[s.k + 1:s.end]
            end_line = doc.blocks[s.end].start if s.end < len(doc.blocks) else len(doc.lines)
            findings += cut_findings(doc, blocks, s.severity, families, coverage, f"{where} / {s.title}",
                                     warnings, end_line=end_line, own_tags=own_tags)
        return findings, True
    # no severity sections: openers that carry their own severity, in a Findings section or anywhere
    fsecs = [s for s in sections if s.kind == "findings" and lo <= s.k < hi]
    ranges = [(s.k + 1, s.end) for s in fsecs] or [(lo, hi)]
    for a, b in ranges:
        blocks = doc.blocks[a:b]
        end_line = doc.blocks[b].start if b < len(doc.blocks) else len(doc.lines)
        findings += cut_findings(doc, blocks, None, families, coverage, f"{where} / findings", warnings,
                                 end_line=end_line, own_tags=own_tags)
    return findings, False


def unwrap(doc: Doc, blocks) -> str:
    """The markdown inside wrapper blocks (quote, indented code, untyped fence), or "" if none."""
    parts: list[str] = []
    for b in blocks:
        lines = doc.lines[b.start:b.end]
        if b.kind == "blockquote":
            parts.append("\n".join(re.sub(r"^\s{0,3}> ?", "", ln) for ln in lines))
        elif b.kind == "code":
            parts.append("\n".join(ln[4:] if ln.startswith("    ") else ln.lstrip("\t") for ln in lines))
        elif b.kind == "fence" and re.fullmatch(r"\s*[`~]{3,}\s*(?:markdown|md|text)?\s*", lines[0]):
            parts.append("\n".join(lines[1:-1] if len(lines) > 1 else []))
    return "\n\n".join(parts)


# a finding's heading (or bold lead) that names no severity: `### Finding 1: Title`, `**Issue #2 — Title**`
_NUMBERED_HEADING = re.compile(r"(?:#{1,6}\s+|\*\*)\s*(?:finding|issue|problem|concern|bug)\s*#?\s*\d+\b", re.I)


def unclassified_headings(doc: Doc, lo: int, hi: int) -> int:
    """Headings (or bold paragraph leads) in blocks[lo:hi] shaped like a numbered finding."""
    return sum(1 for b in doc.blocks[lo:hi] if b.kind in ("heading", "paragraph")
               and _NUMBERED_HEADING.match(doc.lines[b.start].strip()))


_EXTERNAL = re.compile(r"\bsee\s+`[^`\n]+\.md`|\b(?:in|at)\s+`[^`\n]*review[^`\n]*\.md`", re.I)
_OMITTED = re.compile(r"/tmp/|full (?:text|review|unmodified text)|omitted|not reproduced|available in the workdir",
                      re.I)


def review_from_window(doc: Doc, lo: int, hi: int, agent: str, model: str | None, pass_: int | None,
                       families, where: str, warnings: list[ParseWarning]) -> AgentReview:
    sections = outline(doc, lo, hi)
    cov = coverage_table(doc, sections, lo, hi)
    cov_paths = list(cov)
    findings, structured = findings_in(doc, lo, hi, families, cov_paths, where, warnings, sections,
                                       own_tags=True)
    # from the line after the review's own heading, so a blanked wrapper fence stays in the text
    start_line = doc.blocks[lo - 1].end if 0 < lo <= len(doc.blocks) else 0
    end_line = doc.blocks[hi].start if hi < len(doc.blocks) else len(doc.lines)
    text = doc.raw(start_line, end_line).strip()
    unclassified = 0
    if not structured and not findings:
        unclassified = unclassified_headings(doc, lo, hi)
        # the whole review may be wrapped: a blockquote, an indented code block or a plain fence
        inner = unwrap(doc, doc.blocks[lo:hi])
        if inner:
            sub = Doc(inner)
            sub_secs = outline(sub, 0, len(sub.blocks))
            cov = cov or coverage_table(sub, sub_secs, 0, len(sub.blocks))
            cov_paths = list(cov)
            findings, structured = findings_in(sub, 0, len(sub.blocks), families, cov_paths, where, warnings,
                                               sub_secs, own_tags=True)
            unclassified += unclassified_headings(sub, 0, len(sub.blocks))
    if unclassified and not findings:  # no severity anywhere: nothing is guessed, but it is said
        warnings.append(ParseWarning(where=where, message=f"review of {agent}: {unclassified} finding heading(s) "
                                     "carry no severity (critical, important or suggestion): no finding taken"))
    number_ids(findings, set())
    observations = observations_in(doc, sections, lo, hi, families, cov_paths)
    omitted = not structured and not findings and bool(_OMITTED.search(text) or len(text) < 1500)
    status = ReviewerStatus.available
    if omitted:  # the appendix may still name the findings: "I1 (title), S1 (title)"
        findings = summary_findings(text, cov_paths)
        status = ReviewerStatus.omitted
        if not findings and _EXTERNAL.search(text):
            status = ReviewerStatus.external  # "See `review-x.md`": the review lives outside
    verdict = None
    m = re.search(r"\*\*Verdict:?\*\*:?\s*(.+)|\*\*Verdict:\s*([^*]+)\*\*", text)
    if m:
        verdict = strip_md(m.group(1) or m.group(2)).strip()[:300]
    return AgentReview(agent=agent, model=model, pass_=pass_, findings=findings, observations=observations,
                       coverage=cov, verdict=verdict, status=status, text=text)


def parse_review(text: str, agent: str | None = None, model: str | None = None,
                 warnings: list[ParseWarning] | None = None) -> AgentReview:
    """Parse ONE reviewer's markdown review into its findings (never raises on drift); what the
    parser noticed on the way (e.g. finding headings without a severity) is appended to `warnings`."""
    doc = Doc(text)
    warnings = [] if warnings is None else warnings
    fam = agent or model or "unknown"
    review = review_from_window(doc, 0, len(doc.blocks), fam, model, None, KNOWN_FAMILIES, "review", warnings)
    review.family = agent_family(model or fam)
    return review


__all__ = ["parse_review", "review_from_window", "findings_in", "coverage_table", "parse_locations",
           "Observation", "ObservationKind"]
