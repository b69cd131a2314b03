"""parse_report: a whole deep-review markdown report -> models.Report (warnings, never exceptions,
on drift; ParseError only when the text is not a deep-review report at all)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePath

from harness.core.errors import ParseError
from harness.core.models import AgentReview, Finding, ParseWarning, Report, Reviewer, ReviewerStatus
from harness.gold.parse.agents import KNOWN_FAMILIES, Roster, agent_family, clean_model, looks_like_agent
from harness.gold.parse.doc import Doc
from harness.gold.parse.doc import norm_title
from harness.gold.parse.findings import number_ids
from harness.gold.parse.header import apply_header, is_header_table
from harness.gold.parse.observations import observations_in
from harness.gold.parse.published_retro import parse_retro
from harness.gold.parse.resolution import parse_resolutions
from harness.gold.parse.review import findings_in, review_from_window
from harness.gold.parse.sections import Section, classify, outline
from harness.gold.parse.values import strip_md

_TRAILING = {"resolution", "retro"}  # top-level kinds that may follow the appendix


def agent_heading(text: str, families) -> tuple[str, str | None, int | None] | None:
    got = heading_names(text, frozenset(families))
    if got is None:
        return None
    names, pass_ = got
    model = next((n for n in names if re.search(r"\d", n)), None)
    return agent_family(names[0]), model, pass_


_APPX_PREFIX = re.compile(r"^(?:appendix|original review(?:s)?(?: (?:of|by))?|review (?:of|by))\s*[:—–-]?\s*", re.I)


@lru_cache(maxsize=4096)
def heading_names(text: str, families: frozenset) -> tuple[list[str], int | None] | None:
    """`[Claude] — Pass 1` / `Claude Opus 4.6 Review` / `[Claude] — Claude Opus 4.6` /
    `Appendix: [Claude]` -> (reviewer names in the heading, pass); None when it names no reviewer."""
    t = strip_md(text)
    m = re.search(r"\bpass\s*#?(\d+)\b", t, re.I)
    pass_ = int(m.group(1)) if m else None
    t = re.sub(r"(?:\s*(?:—|–|-|:)\s*)?\(?\bpass\s*#?\d+\)?", "", t, flags=re.I).strip()
    t = re.sub(r"\s+(?:original\s+)?review$", "", t, flags=re.I).strip()
    t = _APPX_PREFIX.sub("", t).strip()
    parts = [p.strip() for p in re.split(r"\s+(?:—|–|-)\s+", t) if p.strip()]
    if not parts:
        return None
    names = [clean_model(p) for p in parts]
    if not names[0] or not looks_like_agent(names[0], families):
        return None
    return [n for n in names if n and looks_like_agent(n, families)], pass_


def parse_report(text: str, source: str = "") -> Report:
    if isinstance(text, bytes):  # tolerate callers handing raw bytes
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"{source or 'input'}: not UTF-8 text (binary file?)") from exc
    if "\x00" in text[:4096]:
        raise ParseError(f"{source or 'input'}: binary content, not a markdown report")
    if not text.strip():
        raise ParseError(f"{source or 'input'}: empty file")
    doc = Doc(text)
    warnings: list[ParseWarning] = []
    blocks = doc.blocks
    n = len(blocks)
    fields: dict = {"source": source}

    # title and id
    stem = PurePath(source).stem if source else ""
    title_k = next((k for k, b in enumerate(blocks) if b.kind == "heading"), None)
    title = blocks[title_k].text if title_k is not None and title_k < 3 else None
    fields["title"] = title
    m = re.match(r"^Deep Review:\s*([\w.-]+)\s*$", strip_md(title or ""))
    fields["id"] = m.group(1) if m else (stem or None)

    # header table: the first table with header keys, before the first section
    header_k = None
    for k, b in enumerate(blocks[:8]):
        if b.kind == "table" and is_header_table(b.rows):
            header_k = k
            apply_header(fields, b.rows, warnings, f"line {b.start + 1}: header")
            break

    # the header's Reviewers row is the authority on who reviewed: body names resolve to it
    roster = Roster.from_labels([r.agent for r in fields.get("reviewers", [])],
                                listed=bool(fields.get("reviewers")))
    families = roster.words()

    sections = outline(doc, 0, n)
    appx = next((s for s in sections if s.kind == "appendix" and s.level <= 3), None)
    if appx and (fixed := _realign(doc, appx, sections, families)) is not None:
        doc, blocks, n = fixed, fixed.blocks, len(fixed.blocks)
        sections = outline(doc, 0, n)
        appx = next((s for s in sections if s.kind == "appendix" and s.level <= 3), None)
    appx_lo = appx.k if appx else n
    # the appendix runs to the first trailing top-level section (Resolution) after it
    appx_hi = n
    if appx:
        for s in sections:
            if s.k > appx.k and s.level <= appx.level and s.kind in _TRAILING:
                appx_hi = s.k
                break
    top_secs = [s for s in sections if s.k < appx_lo or s.k >= appx_hi]

    if header_k is None and not any(s.kind in ("severity", "findings", "retro", "appendix") for s in top_secs):
        raise ParseError(f"{source or 'input'}: not a deep-review report (no header table, findings or retro)")
    if not fields.get("reviewers") and appx is None and not any(s.kind in ("severity", "findings")
                                                                for s in top_secs):
        # a scan, a CI digest, notes: other documents kept beside the reports
        what = f"{title!r}" if title else "untitled document"
        raise ParseError(f"{source or 'input'}: not a deep-review report ({what}: no Reviewers row, "
                         "no findings or Critical/Important/Suggestions sections, no appendix of original reviews)")
    if fields["id"] is None:
        fields["id"] = "report"
        warnings.append(ParseWarning(where="title", message="no report id in the title and no source file name"))
    if header_k is None:
        warnings.append(ParseWarning(where="header", message="no header table (Date / PR / Reviewers)"))
    elif not fields.get("reviewers"):
        warnings.append(ParseWarning(where="header", message="no Reviewers row"))

    retro_sec = next((s for s in top_secs if s.kind == "retro"), None)
    res_sec = next((s for s in top_secs if s.kind == "resolution" and s.k >= appx_lo), None) or \
        next((s for s in top_secs if s.kind == "resolution"), None)
    skip = tuple((s.k, s.end) for s in (retro_sec, res_sec) if s is not None)

    # consolidated findings and observations: everything before the appendix
    findings, structured = findings_in(doc, 0, appx_lo, families, None, "consolidated", warnings,
                                       sections=[s for s in top_secs if s.k < appx_lo], skip=skip)
    if not structured and not findings:
        warnings.append(ParseWarning(where="consolidated", message="no Critical/Important/Suggestions sections"))
    number_ids(findings, set())
    observations = observations_in(doc, [s for s in top_secs if s.k < appx_lo], 0, appx_lo, families, None)

    agent_reviews = _appendix(doc, appx, appx_lo, appx_hi, sections, families, roster, fields, warnings)
    retro = parse_retro(doc, retro_sec, sections, families, warnings, roster)
    if retro.present and appx is None:
        warnings.append(ParseWarning(where="appendix", message="report has a retro but no appendix of original reviews"))
    for f in findings:
        _attribute(f, f"finding {f.id}", roster, agent_reviews, warnings)
    for o in observations:
        _attribute(o, f"{o.kind.value} #{o.index}", roster, agent_reviews, warnings)
    resolutions = parse_resolutions(doc, res_sec, findings, observations, warnings)
    _add_unlisted_reviewers(fields, roster)

    return Report(**fields, findings=findings, observations=observations, agent_reviews=agent_reviews,
                  published_retro=retro, resolutions=resolutions, warnings=warnings)


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_LONG_BARE_FENCE = re.compile(r"^ {0,3}(?:`{4,}|~{4,})[ \t]*$")
_WRAPPER = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*(?:markdown|md|text)?[ \t]*$")


def _realign(doc: Doc, appx: Section, sections: list[Section], families) -> Doc | None:
    """Original reviews pasted inside a plain fence, with fences of their own, break CommonMark's
    nesting: the first inner fence closes the wrapper, and from there code and prose swap places,
    hiding the next agent's heading (and the Resolution after the appendix) inside a code block.
    Re-parse with a fresh start at every appendix boundary and the wrapper lines blanked, so one
    review's fences cannot run into the next. None when the appendix needs no repair."""
    first = next((s for s in sections if s.k > appx.k and s.level <= 6
                  and agent_heading(s.title, families)), None)
    if first is None:
        return None
    lines, level = doc.lines, first.level
    real = {b.start for b in doc.blocks if b.kind == "heading"}
    heads: list[int] = []
    trailer = None
    for i in range(doc.blocks[first.k].start, len(lines)):
        line = lines[i]
        if not line.startswith(("#", " ")):
            continue
        m = _ATX.match(line)
        if not m or (i not in real and lines[i - 1].strip()):
            continue  # a hidden heading still stands after a blank line
        lv, title = len(m.group(1)), m.group(2)
        if lv == level and agent_heading(title, families):
            heads.append(i)
        elif lv <= appx.level and classify(norm_title(title))[0] in _TRAILING:
            trailer = i
            break
    bounds = [*heads, trailer if trailer is not None else len(lines)]
    mask: dict[int, str] = {}
    for a, b in zip(bounds, bounds[1:]):
        j = next((x for x in range(a + 1, b) if lines[x].strip()), None)
        wm = _WRAPPER.match(lines[j]) if j is not None else None
        if not wm:
            continue
        fence = wm.group(1)
        mask[j] = ""
        z = b - 1
        while z > j and (not lines[z].strip() or re.fullmatch(r"\s*(?:---+|\*\*\*+|___+)\s*", lines[z])):
            z -= 1
        tail = lines[z].rstrip()
        if z > j and tail.endswith(fence[0] * 3):
            mask[z] = tail.rstrip(fence[0]).rstrip()
    # findings wrapped one by one in four-backtick fences (no info string) by the reviewer: the
    # fences carry no code, and one stray fence line would swallow the next heading
    for i in range(doc.blocks[first.k].start, trailer if trailer is not None else len(lines)):
        if _LONG_BARE_FENCE.match(lines[i]):
            mask[i] = ""
    hidden = [i for i in bounds if i < len(lines) and i not in real]
    if not mask and not hidden:
        return None
    return Doc(doc.text, cuts=bounds, mask=mask)


def _appendix(doc: Doc, appx: Section | None, lo: int, hi: int, sections: list[Section], families, roster: Roster,
              fields, warnings: list[ParseWarning]) -> list[AgentReview]:
    """One AgentReview per reviewer heading of the appendix, named by the reviewer list. A heading
    the header's list cannot account for never becomes a reviewer: a heading inside a review
    (`### Explicit Verdict ...`) is its text; one naming an unlisted family ends the previous
    review and is skipped with a warning."""
    if appx is None:
        return []
    status_of = {r.agent: r for r in fields.get("reviewers", [])}
    known = frozenset(f.lower() for f in KNOWN_FAMILIES) | families
    heads: list[tuple[int, str | None, int | None, str]] = []  # (block, label or None, pass, printed)
    level = None
    taken: dict[str, int] = {}
    for s in sections:
        if not (lo < s.k < hi) or s.level > 6:
            continue
        if level is not None and s.level > level:
            continue
        got = heading_names(s.title, families)
        if not got:
            continue
        names, pass_ = got
        label = _label_for(names, roster, taken, f"line {doc.blocks[s.k].start + 1}: appendix / {s.title}",
                           warnings)
        if label is None and (roster.listed or agent_family(names[0]).lower() not in known):
            if agent_family(names[0]).lower() not in known or level is None or s.level != level:
                continue  # a heading inside a review, not a reviewer
            where = f"line {doc.blocks[s.k].start + 1}: appendix / {s.title}"
            warnings.append(ParseWarning(where=where, message=f"review by {names[0]!r}, who is not in the "
                                         "header's Reviewers row: skipped"))
        elif label is None:
            label = roster.add(max(names, key=lambda n: (bool(re.search(r"\d", n)), len(n))))
        if level is None:
            level = s.level
        if s.level == level:
            heads.append((s.k, label, pass_, names[0]))
            if label is not None:
                taken[label] = taken.get(label, 0) + 1
    out: list[AgentReview] = []
    for i, (k, label, pass_, printed) in enumerate(heads):
        if label is None:
            continue
        end = heads[i + 1][0] if i + 1 < len(heads) else hi
        where = f"line {doc.blocks[k].start + 1}: appendix / {doc.blocks[k].text}"
        review = review_from_window(doc, k + 1, end, label, label, pass_, families, where, warnings)
        review.family = roster.family_of(label)
        rv = status_of.get(label)
        if rv is not None:
            review.model = rv.model
            if rv.status in (ReviewerStatus.dropped, ReviewerStatus.no_output) and not review.findings:
                review.status = rv.status
        if review.status == ReviewerStatus.external:
            warnings.append(ParseWarning(where=where, message=f"review of {label} is kept outside the report "
                                         "(included by reference): no findings of its own"))
        out.append(review)
    if not heads:
        body = doc.raw(doc.blocks[lo].start, doc.blocks[hi - 1].end if hi > lo else doc.blocks[lo].end)
        warnings.append(ParseWarning(where=f"line {doc.blocks[lo].start + 1}: appendix",
                                     message="appendix without agent review headings"
                                     + (" (reviews omitted)" if re.search(r"omit", body, re.I) else "")))
    return out


def _label_for(names: list[str], roster: Roster, taken: dict[str, int], where: str,
               warnings: list[ParseWarning]) -> str | None:
    """The reviewer a heading names: the most specific name that resolves; a family shared by two
    models (`[Gemini]` twice) goes to the first of them, in header order, with fewest reviews yet."""
    for n in sorted(names, key=len, reverse=True):
        got = roster.resolve(n)
        if got:
            return got
    for n in names:
        cands = roster.ambiguous(n)
        if cands:
            got = min(cands, key=lambda c: taken.get(c, 0))
            warnings.append(ParseWarning(where=where, message=f"heading {n!r} may be {' or '.join(cands)}: "
                                         f"taken as {got} (header order)"))
            return got
    return None


def _attribute(item, where: str, roster: Roster, reviews: list[AgentReview], warnings: list[ParseWarning]) -> None:
    """Attribution names -> reviewer labels. A family with several models in the report resolves to
    the ones whose own review raised the finding; otherwise it is recorded as ambiguous."""
    labels: list[str] = []
    for name in item.agents:
        cands = roster.candidates(name)
        if len(cands) > 1:
            raised = [c for c in cands if any(_same(item, f) for ar in reviews if ar.agent == c for f in ar.findings)]
            if raised:
                cands = raised
            else:
                if isinstance(item, Finding):
                    item.ambiguous[name] = cands
                warnings.append(ParseWarning(where=where, message=f"attribution {name!r} is ambiguous: "
                                             f"{' or '.join(cands)} (neither review shows it)"))
                continue
        if not cands:
            if roster.listed:
                if agent_family(name).lower() not in NO_REVIEWER_WORDS:
                    warnings.append(ParseWarning(where=where, message=f"agent {name!r} is not a reviewer"))
                continue
            cands = [roster.add(agent_family(name) if not re.search(r"\d", name) else name)]
        for c in cands:
            if c not in labels:
                labels.append(c)
    item.agents = labels


NO_REVIEWER_WORDS = frozenset({"consolidator", "consolidation", "orchestrator"})
_WORD = re.compile(r"[a-z0-9]{3,}")


def _same(item, f: Finding) -> bool:
    """Does an agent's own finding look like this consolidated item (a location in common, or the
    same path and a similar title)?"""
    a_locs, b_locs = getattr(item, "locations", []), f.locations
    paths = {x.path for x in a_locs} & {x.path for x in b_locs}
    for la in a_locs:
        for lb in b_locs:
            if la.path == lb.path and la.line_start and lb.line_start and \
                    la.line_start <= (lb.line_end or lb.line_start) + 3 and lb.line_start <= (la.line_end or la.line_start) + 3:
                return True
    ta = set(_WORD.findall((getattr(item, "title", "") or "").lower()))
    tb = set(_WORD.findall(f.title.lower()))
    sim = len(ta & tb) / max(1, len(ta | tb))
    return sim >= 0.5 or (bool(paths) and sim >= 0.25)


def _add_unlisted_reviewers(fields: dict, roster: Roster) -> None:
    """Without a Reviewers row, the reviewers are the ones the appendix, retro or attributions
    named: listed as available, noted as not from the header. With one, nobody is added."""
    reviewers = fields.setdefault("reviewers", [])
    if roster.listed:
        return
    known = {r.agent for r in reviewers}
    for label in roster.labels:
        if label not in known:
            reviewers.append(Reviewer(agent=label, family=roster.family_of(label), model=label,
                                      note="not in the header's Reviewers row"))
            known.add(label)
