"""Findings: recognise where one starts (its "opener" line) and cut a region of blocks into them.

Openers seen in reports (all handled by `parse_opener`):
  C1. **Title** — `path:1-2` [Claude Opus 4.6] (important, regression)
  **C1. Title** — `path:1`            1. **Title** — `path:1` [A][B]
  **[CRITICAL] path:1 — Title** [A]   **CRITICAL** path:1 — Title       ### **[IMPORTANT] path — Title**
  ~~2. **Title** -- FIXED ...~~       2. ~~**Title**~~ **INVALID** — ...  (struck: withdrawn)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.core.models import Finding, Location, ParseWarning, Severity
from harness.gold.parse.agents import find_agent_groups
from harness.gold.parse.doc import Block, Doc
from harness.gold.parse.locations import parse_locations
from harness.gold.parse.values import severity_from_word

_SEV = r"CRITICAL|IMPORTANT|SUGGESTIONS?|MAJOR|MINOR|NIT|Critical|Important|Suggestions?|Major|Minor|Nit"
_ID_SEP = r"(?:[.:)]?\s+(?:—|–|--|-)\s+|[.:)]?\s+)"  # `I1. Title` / `I1 — Title`
_P_ID_BOLD = re.compile(rf"^(?P<id>[CIS]\d+){_ID_SEP}\*\*(?P<title>.+?)\*\*(?P<rest>.*)$")
_P_BOLD_ID = re.compile(rf"^\*\*(?P<id>[CIS]\d+){_ID_SEP}(?P<title>.+?)\*\*(?P<rest>.*)$")
_P_BRACKET_INNER = re.compile(rf"^\*\*\[(?P<sev>{_SEV})\]\s*(?P<inner>.+?)\*\*(?P<rest>.*)$")
_P_SEV_BOLD = re.compile(rf"^\*\*\[?(?P<sev>{_SEV})\]?:?\*\*:?\s+(?P<inner>.+)$")
_P_SEV_PLAIN = re.compile(rf"^\[(?P<sev>{_SEV})\]\s*(?P<inner>.+)$")
_P_BOLD_TITLE = re.compile(r"^\*\*(?P<title>.+?)\*\*(?P<rest>.*)$")
_P_HEADING_ID = re.compile(rf"^(?P<id>[CIS]\d+){_ID_SEP}(?P<title>.+)$")
_SEP = re.compile(r"\s+(?:—|–|--|-)\s+")
_TAG_GROUP = re.compile(r"\*?\(([^()]{1,80})\)\*?")
_TAG_SEV = re.compile(r"\((critical|important|suggestion)((?:\s*,\s*[\w /-]+)*)\)", re.I)
_WITHDRAWN = re.compile(r"^\s*(?:~~|\*\*|_|\*)*(?:withdrawn|retracted|i withdraw this|withdrawing this)\b",
                        re.I | re.M)
_RECON = re.compile(r"^[*_]*(?:reconciliation(?: note)?|consolidation note)[*_]*\s*[:.—-]", re.I)
_HASHES = re.compile(r"^#{1,6}\s+")
_NUMBER = re.compile(r"^(\d+)[.)]\s+")
_BULLET = re.compile(r"^[-*+]\s+")
_TRAILING_SEP = re.compile(r"\s*(?:—|–|--)\s*$")
_RULE = re.compile(r"\s*(?:---+|\*\*\*+|___+)\s*")
_PARA_BREAK = re.compile(r"\n\s*\n")
_LETTER_ID = re.compile(r"[CIS](\d+)$")
_TITLE_TAG = re.compile(r"\s*`?\((?:critical|important|suggestion)(?:\s*,\s*[\w /-]+)*\)`?\s*$", re.I)
_TICKED_ID = re.compile(r"`([CIS]\d+[.:)]?)`")
_AS_ID = re.compile(r"^\s*as\s+[CIS]?\d")


@dataclass
class Opener:
    title: str
    rest: str = ""
    id: str | None = None
    severity: Severity | None = None  # an explicit marker: [CRITICAL], **IMPORTANT**
    number: int | None = None
    withdrawn: bool = False
    strong: bool = False  # carries an id or a severity marker, so it is a finding wherever it sits
    status: list[str] = field(default_factory=list)  # "fixed", "invalid" from struck-through text


def _split_loc_title(inner: str) -> tuple[str, str]:
    """`path:1 — Title` -> (title, "path:1"); text without a leading location is all title."""
    parts = _SEP.split(inner, maxsplit=1)
    if len(parts) == 2 and parse_locations(parts[0]) and len(parts[0]) < 200:
        return parts[1].strip(), parts[0]
    return inner.strip(), ""


_LOC_LEFTOVER = re.compile(r"[\s,;&()]*(?:(?:and|vs\.?|lines?|L?\d+(?:\s*[-–]\s*\d+)?)[\s,;&()]*)*")


def _split_title_loc(title: str) -> tuple[str, str]:
    """`Title — `path:1-2`` (a location inside the bold title) -> (title, "`path:1-2`")."""
    parts = _SEP.split(title)
    if len(parts) < 2:
        return title, ""
    tail = parts[-1]
    core = re.sub(r"\s*\([^()]*\)\s*$", "", tail)  # a trailing `(important, gap)` tag group
    if "`" not in core or not _LOC_LEFTOVER.fullmatch(re.sub(r"`[^`]*`", " ", core)) or not parse_locations(core):
        return title, ""
    return title[:len(title) - len(tail)].rstrip(" —–-"), tail


def parse_opener(line: str, number: int | None = None, heading: bool = False) -> Opener | None:
    """The finding that starts on `line`, or None. `number` is the ordered-list number, if any."""
    s = line.strip()
    s = _HASHES.sub("", s)
    withdrawn = False
    if s.startswith("~~"):
        withdrawn, s = True, s[2:]
    m = _NUMBER.match(s)
    if m:
        number, s = (number if number is not None else int(m.group(1))), s[m.end():]
    else:
        s = _BULLET.sub("", s)
    if s.startswith("~~"):
        withdrawn, s = True, s[2:]
    if s.startswith("`") and (m := _TICKED_ID.match(s)):  # "`S1.` **Title**": the id as code
        s = m.group(1) + s[m.end():]
    status: list[str] = []
    if "~~" in s:
        withdrawn, s = True, s.replace("~~", "")
    if not heading and not s.startswith("**") and s[:1] not in ("C", "I", "S"):
        return None  # outside headings every opener starts with `**` or an id such as `I1`
    if withdrawn:
        for m in re.finditer(r"\*\*(invalid|fixed|withdrawn|retracted|resolved|false positive)\*\*"
                             r"|\b(INVALID|FIXED|WITHDRAWN|RETRACTED|RESOLVED|FALSE POSITIVE)\b", s, re.I):
            word = (m.group(1) or m.group(2)).lower()
            if word not in status and (m.group(1) or m.group(2).isupper()):
                status.append(word)
    op: Opener | None = None
    if m := _P_ID_BOLD.match(s) or _P_BOLD_ID.match(s):
        op = Opener(m.group("title"), m.group("rest"), id=m.group("id"), strong=True)
    elif m := _P_BRACKET_INNER.match(s):
        title, loc = _split_loc_title(m.group("inner"))
        op = Opener(title, loc + " " + m.group("rest"), severity=severity_from_word(m.group("sev")), strong=True)
    elif m := _P_SEV_BOLD.match(s):
        inner = m.group("inner")
        tail = ""
        if inner.startswith("**"):  # **CRITICAL** **Title** — loc
            mb = _P_BOLD_TITLE.match(inner)
            if mb:
                inner, tail = mb.group("title"), mb.group("rest")
        title, loc = _split_loc_title(inner)
        op = Opener(title, loc + " " + tail, severity=severity_from_word(m.group("sev")), strong=True)
    elif heading and (m := _P_SEV_PLAIN.match(s)):
        title, loc = _split_loc_title(m.group("inner"))
        op = Opener(title, loc, severity=severity_from_word(m.group("sev")), strong=True)
    elif m := _P_BOLD_TITLE.match(s):
        op = Opener(m.group("title"), m.group("rest"))
    elif heading and (m := _P_HEADING_ID.match(s)):
        title, loc = _split_loc_title(m.group("title"))
        op = Opener(title, loc, id=m.group("id"), strong=True)
    elif heading and number is not None:
        title, loc = _split_loc_title(s)
        op = Opener(title, loc)
    if op is None:
        return None
    op.title = op.title.strip().strip("*").strip()
    op.title, loc = _split_title_loc(op.title)
    if loc:
        op.rest = loc + " " + op.rest
    if op.title.endswith(":") and not op.strong:
        return None  # "**Fix:** ..." / "**Problem:** ..." lead-ins are not findings
    # `##### I1. Title `(important, regression)``: the agent's own tag group ends a heading title
    if op.title.endswith((")", "`")) and (m := _TITLE_TAG.search(op.title)):
        op.title, op.rest = op.title[:m.start()].rstrip(), m.group(0).strip(" `") + " " + op.rest
    # "Title — more words" inside a bold heading title stays whole; a trailing separator goes
    op.title = _TRAILING_SEP.sub("", op.title)
    op.number, op.withdrawn, op.status = number, withdrawn, status
    if op.id:
        op.severity = op.severity or Severity.from_letter(op.id[0])
    return op


@dataclass
class RestInfo:
    agents: list[str]
    locations: list[Location]
    tags: list[str]
    tag_severity: Severity | None


def parse_rest(rest: str, families, coverage: list[str] | None) -> RestInfo:
    """Locations, `[Agent, ...]` groups and `(tag, tag)` parentheticals after a finding's title."""
    agents, spans = find_agent_groups(rest, families)
    stripped = rest
    for a, b in reversed(spans):
        stripped = stripped[:a] + " " + stripped[b:]
    tags: list[str] = []
    tag_sev: Severity | None = None
    loc_text = stripped
    for m in _TAG_GROUP.finditer(stripped):
        inner = m.group(1)
        if "`" in inner or parse_locations(inner, coverage):
            continue
        loc_text = loc_text.replace(m.group(0), " ")
        if _AS_ID.match(inner):
            continue
        for part in inner.split(","):
            p = part.strip().strip("*_").lower()
            if not p:
                continue
            sev = severity_from_word(p)
            if sev and tag_sev is None:
                tag_sev = sev
            elif p not in tags:
                tags.append(p)
    return RestInfo(agents, parse_locations(loc_text, coverage), tags, tag_sev)


# -- cutting a region into findings ---------------------------------------------------------------

@dataclass
class _Start:
    line: int  # first line of the opener
    op: Opener
    block_end: int  # end line of the opener's own block / item (paragraph continuation is body)


def _candidates(doc: Doc, blocks: list[Block], sev: Severity | None) -> list[_Start]:
    starts: list[_Start] = []
    expected = 1

    def accept(op: Opener, has_context: bool) -> bool:
        if op.strong:
            return True
        if not has_context:
            return False
        if op.number is not None and (op.number == expected or op.number == 1):
            return True
        # a bold title then a separator or attribution, then a location or agents, is a finding;
        # a bold sentence opening a body paragraph ("**This is invalid.** The ...") is not
        if op.title.endswith((".", "!", "?")) or not re.match(r"\s*(?:—|–|--|-|:|\[)", op.rest):
            return False
        return bool(re.search(r"\[[^\]]+\]", op.rest) or parse_locations(op.rest))

    for b in blocks:
        if b.kind in ("heading", "paragraph"):
            op = parse_opener(doc.lines[b.start], heading=b.kind == "heading")
            if op and accept(op, sev is not None or op.number is not None and b.kind == "heading"):
                starts.append(_Start(b.start, op, b.end))
                expected = (op.number or expected) + 1
        elif b.kind in ("ordered_list", "bullet_list"):
            for it in b.items:
                op = parse_opener(doc.lines[it.start], number=it.number)
                if op is None and it.number is not None:
                    continue
                if op and (op.strong or (b.kind == "ordered_list" and accept(op, sev is not None))):
                    starts.append(_Start(it.start, op, it.end))
                    expected = (op.number or expected) + 1
    # findings marked with ids or severity markers make every unmarked bold item ("1. **Nil
    # dereference.** ...") a list inside a finding's body, never a finding of its own
    if any(st.op.strong for st in starts):
        starts = [st for st in starts if st.op.strong]
    return starts


_NONE_TEXT = re.compile(r"^(?:\*|_)?(?:none|n/a|no (?:\w+ ){0,4}(?:issues?|findings?|suggestions?|concerns?)"
                        r"(?: (?:found|identified|raised))?)\b", re.I)


def cut_findings(doc: Doc, blocks: list[Block], sev: Severity | None, families, coverage: list[str] | None,
                 where: str, warnings: list[ParseWarning], end_line: int | None = None,
                 own_tags: bool = False) -> list[Finding]:
    """The findings in `blocks` (one severity section, or a whole findings region when sev is None).

    `own_tags`: an agent's own review, where a finding's `(important, gap)` tag is the agent's own
    rating and wins over the section it was filed under."""
    if not blocks:
        return []
    end_line = end_line if end_line is not None else blocks[-1].end
    starts = _candidates(doc, blocks, sev)
    if not starts:
        body = [b for b in blocks if b.kind not in ("hr", "heading")]
        if sev is not None and body and not _NONE_TEXT.match(doc.raw(body[0].start, body[0].end).strip()):
            warnings.append(ParseWarning(where=f"line {blocks[0].start + 1}: {where}",
                                         message="section has content but no recognisable finding"))
        return []
    out: list[Finding] = []
    for k, st in enumerate(starts):
        stop = starts[k + 1].line if k + 1 < len(starts) else end_line
        out.append(_finding(doc, st, stop, sev, families, coverage, where, warnings, own_tags))
    return out


def _finding(doc: Doc, st: _Start, stop: int, sev: Severity | None, families, coverage, where: str,
             warnings: list[ParseWarning], own_tags: bool = False) -> Finding:
    op = st.op
    first = doc.lines[st.line]
    # the opener paragraph may wrap: the rest of its first block is still the header line
    head_lines = [first]
    j = st.line + 1
    while j < min(st.block_end, stop) and doc.lines[j].strip() and not re.match(
            r"^\s*(?:[-*] |\d+[.)] |\*\*\w[\w ]*:\*\*|[A-Z][\w ]{0,20}:\s)", doc.lines[j]):
        head_lines.append(doc.lines[j])
        j += 1
    rest = op.rest
    if len(head_lines) > 1:
        rest = rest + " " + " ".join(x.strip() for x in head_lines[1:])
    info = parse_rest(rest.replace("~~", ""), families, coverage)
    body_lines = doc.lines[j:stop]
    while body_lines and (not body_lines[-1].strip() or _RULE.fullmatch(body_lines[-1])):
        body_lines.pop()
    body, recon = _split_reconciliation("\n".join(body_lines).strip())
    tags = list(info.tags)
    tag_sev = info.tag_severity
    m = _TAG_SEV.search(body[:4000])
    if m:
        tag_sev = tag_sev or severity_from_word(m.group(1))
        for t in m.group(2).split(","):
            t = t.strip().lower()
            if t and t not in tags:
                tags.append(t)
    for s in op.status:
        if s not in tags:
            tags.append(s)
    withdrawn = op.withdrawn or bool(_WITHDRAWN.search(body))
    severity = (info.tag_severity if own_tags else None) or sev or op.severity or tag_sev
    if severity is None:
        warnings.append(ParseWarning(where=f"line {st.line + 1}: {where}",
                                     message=f"finding without a severity, taken as suggestion: {op.title[:60]}"))
        severity = Severity.suggestion
    fid = op.id or (f"{severity.letter}{op.number}" if op.number is not None else "")
    return Finding(id=fid, severity=severity, title=op.title, agents=info.agents,
                   locations=info.locations, body=body, tags=tags, reconciliation=recon,
                   withdrawn=withdrawn)


def _split_reconciliation(body: str) -> tuple[str, str | None]:
    paras = _PARA_BREAK.split(body)
    keep, recon = [], []
    for p in paras:
        if _RECON.match(p.strip()):
            recon.append(re.sub(r"^[*_]*(?:reconciliation(?: note)?|consolidation note)[*_]*\s*[:.—-]\s*[*_]*",
                                "", p.strip(), flags=re.I).strip())
        else:
            keep.append(p)
    return "\n\n".join(keep).strip(), ("\n\n".join(recon) if recon else None)


def number_ids(findings: list[Finding], used: set[str]) -> None:
    """Give id-less findings `C1`.. per severity, in order; a clash (struck duplicates) gets a suffix."""
    counters: dict[Severity, int] = {}
    for f in findings:
        if f.id:
            m = _LETTER_ID.match(f.id)
            if m and f.id[0] == f.severity.letter:
                counters[f.severity] = max(counters.get(f.severity, 0), int(m.group(1)))
    suffix: dict[str, int] = {}  # last suffix given per base id: n clashes cost O(n), not O(n^2)
    for f in findings:
        if not f.id:
            counters[f.severity] = counters.get(f.severity, 0) + 1
            f.id = f"{f.severity.letter}{counters[f.severity]}"
        base, n = f.id, suffix.get(f.id, 1)
        new = base
        while new in used:
            n += 1
            new = f"{base}.{n}"
        suffix[base] = n
        if new != f.id:
            f.id = new
        used.add(new)


# -- findings named only in a summary of an omitted review ----------------------------------------

_ID_RANGE = re.compile(r"(?<![\w#/.`-])[CIS]\d{1,3}\s*(?:-|–|—|\.\.|to)\s*[CIS]?\d{1,3}\b")
_SUMMARY_REF = re.compile(r"(?<![\w#/.`-])([CIS])(\d{1,3})\s*\(")


def summary_findings(text: str, coverage: list[str] | None = None) -> list[Finding]:
    """`I1 (nil map on restart), S1 (stale doc; withdrawn mid-review)`: the findings an appendix
    lists in place of an omitted original review. Each gets its id, the severity of its letter,
    the parenthetical's first clause as title and the tag "summary". A summary that abbreviates
    with ranges (`S1-S7 reproduced above`) names only some of them: nothing is taken then, since a
    partial list would pass for the whole review."""
    if _ID_RANGE.search(text):
        return []
    out: list[Finding] = []
    seen: set[str] = set()
    for m in _SUMMARY_REF.finditer(text):
        depth, j = 1, m.end()
        while j < len(text) and depth and text[j] != "\n":
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        fid = m.group(1) + m.group(2)
        inner = text[m.end():j - 1].strip()
        if depth or not inner or fid in seen:
            continue
        seen.add(fid)
        title = inner.split(";", 1)[0].strip()
        withdrawn = bool(re.search(r"\bwithdr[ae]wn?\b|\bretracted\b", inner, re.I))
        out.append(Finding(id=fid, severity=Severity.from_letter(m.group(1)), title=title, body=inner,
                           locations=parse_locations(title, coverage), tags=["summary"], withdrawn=withdrawn))
    return out
