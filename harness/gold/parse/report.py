"""parse_report: a whole deep-review markdown report -> models.Report (warnings, never exceptions,
on drift; ParseError only when the text is not a deep-review report at all)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePath

from harness.core.errors import ParseError
from harness.core.models import AgentReview, ParseWarning, Report, Reviewer
from harness.gold.parse.agents import KNOWN_FAMILIES, agent_family, clean_model, looks_like_agent
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
    return _agent_heading(text, frozenset(families))


@lru_cache(maxsize=4096)
def _agent_heading(text: str, families: frozenset) -> tuple[str, str | None, int | None] | None:
    """`[Claude] — Pass 1` / `Claude Opus 4.6 Review` / `[Claude] — Claude Opus 4.6` -> (family, model, pass)."""
    t = strip_md(text)
    m = re.search(r"\bpass\s*#?(\d+)\b", t, re.I)
    pass_ = int(m.group(1)) if m else None
    t = re.sub(r"(?:\s*(?:—|–|-|:)\s*)?\(?\bpass\s*#?\d+\)?", "", t, flags=re.I).strip()
    t = re.sub(r"\s+(?:original\s+)?review$", "", t, flags=re.I).strip()
    parts = [p.strip() for p in re.split(r"\s+(?:—|–|-)\s+", t) if p.strip()]
    if not parts:
        return None
    names = [p.strip("[] ") for p in parts]
    if not looks_like_agent(names[0], families):
        return None
    family = agent_family(names[0])
    model = None
    for n in names:
        if looks_like_agent(n, families) and re.search(r"\d", n):
            model = clean_model(n)
            break
    return family, model, pass_


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

    families = set(KNOWN_FAMILIES) | {r.agent for r in fields.get("reviewers", [])}

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
        raise ParseError(f"{source or 'input'}: no deep-review structure (no header table, findings or retro)")
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
    for f in findings:
        for a in f.agents:
            if fields.get("reviewers") and a not in families:
                warnings.append(ParseWarning(where=f"finding {f.id}", message=f"agent {a!r} is not a reviewer"))
    observations = observations_in(doc, [s for s in top_secs if s.k < appx_lo], 0, appx_lo, families, None)

    retro = parse_retro(doc, retro_sec, sections, families, warnings)
    agent_reviews = _appendix(doc, appx, appx_lo, appx_hi, sections, families, fields, warnings)
    if retro.present and appx is None:
        warnings.append(ParseWarning(where="appendix", message="report has a retro but no appendix of original reviews"))
    resolutions = parse_resolutions(doc, res_sec, findings, observations, warnings)
    _add_unlisted_reviewers(fields, retro, agent_reviews)

    return Report(**fields, findings=findings, observations=observations, agent_reviews=agent_reviews,
                  published_retro=retro, resolutions=resolutions, warnings=warnings)


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
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
    hidden = [i for i in bounds if i < len(lines) and i not in real]
    if not mask and not hidden:
        return None
    return Doc(doc.text, cuts=bounds, mask=mask)


def _appendix(doc: Doc, appx: Section | None, lo: int, hi: int, sections: list[Section], families, fields,
              warnings: list[ParseWarning]) -> list[AgentReview]:
    if appx is None:
        return []
    model_of = {r.agent: r.model for r in fields.get("reviewers", [])}
    heads: list[tuple[int, int, tuple]] = []
    level = None
    for s in sections:
        if not (lo < s.k < hi) or s.level > 6:
            continue
        if level is not None and s.level > level:
            continue
        got = agent_heading(s.title, families)
        if got:
            if level is None:
                level = s.level
            if s.level == level:
                heads.append((s.k, s.level, got))
    out: list[AgentReview] = []
    for i, (k, _, (family, model, pass_)) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else hi
        where = f"line {doc.blocks[k].start + 1}: appendix / {doc.blocks[k].text}"
        review = review_from_window(doc, k + 1, end, family, model or model_of.get(family), pass_, families,
                                    where, warnings)
        out.append(review)
    if not heads:
        body = doc.raw(doc.blocks[lo].start, doc.blocks[hi - 1].end if hi > lo else doc.blocks[lo].end)
        warnings.append(ParseWarning(where=f"line {doc.blocks[lo].start + 1}: appendix",
                                     message="appendix without agent review headings"
                                     + (" (reviews omitted)" if re.search(r"omit", body, re.I) else "")))
    return out


def _add_unlisted_reviewers(fields: dict, retro, agent_reviews: list[AgentReview]) -> None:
    """An agent the retro or appendix names but the Reviewers row left out (typically a failed
    run) still is one of the report's reviewers: listed as unavailable."""
    reviewers = fields.setdefault("reviewers", [])
    known = {r.agent for r in reviewers}
    models: dict[str, str] = {}
    if retro.summary:
        models.update(zip(retro.summary.columns, retro.summary.column_labels or retro.summary.columns))
    for a in agent_reviews:
        models.setdefault(a.agent, a.model or a.agent)
    for fam, model in models.items():
        if fam not in known:
            reviewers.append(Reviewer(agent=fam, model=model, available=False,
                                      note="not in the header's Reviewers row"))
            known.add(fam)
