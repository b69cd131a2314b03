"""Read what a report says about an agent's original findings into `Statement`s.

Consolidators write things like "Gemini C1 (template stall): critical → important I1",
"Codex P1 closed-channel panic: CRITICAL → IMPORTANT I2", "Claude I2 (cliexit envelope) →
reframed as Design Observation", "rejected as a false positive", "dropped per the resolutions
gate (declined Rounds 1–5)", "(Claude S4, Codex I1, Gemini C1) and was dropped", or, in the
retro paragraph under an agent's heading, "two Important dropped by the gate (I1 ..., I5 ...)".

The reading is deliberately structural rather than file-specific: find references to an
agent's finding (agent name + optional pass marker + optional id, or a bare id inside that
agent's retro paragraph), cut the text that follows each reference up to the next one, and
classify the first sentence of it. A reference with no action of its own borrows the action
around its parenthesis or of the next reference in the same sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from harness.core.models import Severity


class Action(StrEnum):
    false_positive = "false_positive"
    dropped = "dropped"
    demoted = "demoted"
    merged = "merged"
    moved = "moved"  # became a consolidated finding (severity decides kept / down / up)
    downgraded = "downgraded"
    upgraded = "upgraded"
    kept = "kept"


@dataclass
class Statement:
    agent: str | None
    action: Action
    text: str
    source: str = "reconciliation"
    finding_id: str | None = None  # the agent's own id (C1, I2, S10)
    pass_: int | None = None
    description: str | None = None
    from_severity: Severity | None = None
    to_severity: Severity | None = None
    consolidated_id: str | None = None
    consolidated_only: bool = False  # a note attached to that consolidated finding
    sentence: str = ""  # the statement itself (its sentence), the evidence a fate quotes
    #: the reference names the agent ("Claude I4", "its I2", "Gemini's S1"); False for a bare id
    #: in a retro paragraph ("(S1)"), which may be a consolidated or earlier-round id
    qualified: bool = True


_SEV = r"(critical|important|suggestions?)"
_ARROW = r"(?:→|->|=>|⇒|⟶)"
_ID = r"[CIS]\d{1,2}"

_FP = re.compile(r"false[- ]positive|hallucinat|\brejected\b|\binvalid\b|\bmisdirected\b|"
                 r"\bdo(?:es)? not hold up\b|\bdid not hold up\b", re.I)
_DEMOTED = re.compile(
    r"demot|refram|re-?classified as (?:a )?design|design[- ](?:observation|concern|strength)|"
    r"acknowledged[- ]limitation|testing[- ]gap|testing[- ]assessment|" + _ARROW + r"\s*\**\s*(?:an?\s+)?observation", re.I)
_DROPPED = re.compile(
    r"\bdrop(?:ped|s)?\b|\bdeclined\b|declined[- ]in[- ]prior|out[- ]of[- ]scope|\bretract|\bwithdr[ae]w|"
    r"not carried|removed from|\bdiscarded\b|\bexcluded\b", re.I)
_MERGED = re.compile(r"\bmerged\b|\bfolded\b|combined (?:into|with)|consolidated into|absorbed", re.I)
_DOWN = re.compile(r"downgrad|severity reduced|\breduced to\b|\blowered\b", re.I)
_UP = re.compile(r"upgrad|promot|\belevated\b|\braised to\b", re.I)
_MOVED_TO = re.compile(r"\b(?:demoted|moved|reproduced|became|consolidated|folded|recorded|filed|kept)\s+"
                       r"(?:\w+\s+)?(?:to|as|into|in)\b", re.I)
_KEPT = re.compile(r"\bkept\b|\bretained\b|\bheld up\b|\bunchanged\b|\bstands\b", re.I)
_TRANSITION = re.compile(
    r"(?:" + _SEV + r"\**\s*" + _ARROW + r"|from\s+\**" + _SEV + r"\**\s+to)\s*\**\s*" + _SEV, re.I)
_TO_SEV = re.compile(r"(?:" + _ARROW + r"|\b(?:to|as)\b)\s*(?:an?\s+)?\**\s*" + _SEV + r"\b", re.I)
_FROM_SEV = re.compile(
    r"(?:flagged|rated|raised|filed|labell?ed|originally)\b[^.;]{0,40}?\b" + _SEV + r"\b|"
    r"^\s*\(\s*" + _SEV + r"\b|\bat\s+\**" + _SEV + r"\**\s+severity", re.I)
_TARGET_ID = re.compile(r"(?<![A-Za-z0-9])(" + _ID + r")(?![0-9A-Za-z])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\**\s+(?=[A-Z*(`\"])|\n\s*\n")
_SEGMENT_SPLIT = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)")


def _sev(word: str | None) -> Severity | None:
    if not word:
        return None
    w = word.lower().rstrip("s")
    return Severity(w) if w in Severity.__members__ else None


def _ref_pattern(agents: list[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(a) for a in sorted(agents, key=len, reverse=True))
    return re.compile(
        r"(?<![\w-])(?P<agent>" + names + r")(?:['’]s)?"
        r"(?:\s+(?:raised|labell?ed|flagged|filed|rated)\s+its)?"
        r"(?P<mods>(?:\s+(?:original|own|pass[- ]?\d+|P\d+|round[- ]?\d+|R\d+|"
        r"critical|important|suggestion))*)"
        r"(?:[\s:]*\(?\s*(?P<id>" + _ID + r")(?![0-9A-Za-z]))?",
        re.I)


_CONTINUATION = re.compile(r"\s*(?:\([^()]{0,120}\)\s*|`[^`]{0,80}`\s*)?(?:,|/|&|\band\b)\s*(?:and\s+)?(?:its\s+)?"
                          r"(?P<id>" + _ID + r")(?![0-9A-Za-z])")
_ITS_REF = re.compile(r"\b(?:its|their)\s+(?:(?:own|original|raw|pass[- ]?\d+|critical|important|suggestion)\s+)*"
                      r"(?P<id>" + _ID + r")(?![0-9A-Za-z])", re.I)
_BARE_REF = re.compile(r"(?<![\w→>-])(?<!→ )(?<!-> )(?P<id>" + _ID + r")(?![0-9A-Za-z])")
_TARGET_BEFORE = re.compile(r"(?:" + _ARROW + r"|\b(?:to|into|as|became|now|consolidated|with|see)\b)\s*\(?\s*\**\s*$",
                            re.I)


def _first_sentence(text: str) -> str:
    m = _SENTENCE_END.search(text)
    return text[: m.start()] if m else text


_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"|“[^”]*”")
_LEAD_DESC = re.compile(r"^\s*[:—–-]?\s*\([^)]*\)")
_OUT_OF_FINDINGS = re.compile(r"out of the (?:findings|report|consolidat)|\bentirely\b", re.I)
_ACTION_START = re.compile(r"^\W*(?:dropped|rejected|declined|downgraded|demoted|merged|kept|retained|upgraded|"
                           r"promoted|reframed|withdrawn)\b", re.I)


def _classify(part: str) -> tuple[Action | None, Severity | None, Severity | None, str | None]:
    """(action, from severity, to severity, consolidated id) of a piece of text.

    Quoted and code spans are the agent's own words ("it drops every error"), not the
    consolidator's verdict, so they are blanked before the verbs are read."""
    part = _QUOTED.sub(lambda m: " " * len(m.group(0)), part)
    lead = _LEAD_DESC.match(part)
    if lead and not _TRANSITION.search(lead.group(0)):
        part = " " * lead.end() + part[lead.end():]
    trans = _TRANSITION.search(part)
    frm = to = None
    if trans:
        frm = _sev(trans.group(1) or trans.group(2))
        to = _sev(trans.group(3))
    else:
        m = _TO_SEV.search(part)
        if m and (_DOWN.search(part) or _UP.search(part) or re.search(_ARROW, part)):
            to = _sev(m.group(1))
    # the consolidated id is the first one after the first arrow / into / to / as, past a
    # leading "(description)" that may hold the agent's own wording
    lead = re.match(r"\s*[:—–-]?\s*\([^)]*\)", part)
    start = lead.end() if lead else 0
    arrow = re.compile(_ARROW + r"|\b(?:into|to|as|consolidated)\b", re.I).search(part, start)
    tid = None
    for m in _TARGET_ID.finditer(part, arrow.start() if arrow else start):
        if _EARLIER_ROUND.search(part[max(0, m.start() - 30):m.start()]):
            continue  # "declined Round 2 S5": another round's id, not where this one went
        tid = m.group(1).upper()
        break
    if _FP.search(part):
        return Action.false_positive, frm, to, None
    if _DOWN.search(part) and _OUT_OF_FINDINGS.search(part) and tid is None:
        return Action.dropped, frm, to, None  # "downgraded out of the findings entirely"
    if trans is None and tid is None and _DEMOTED.search(part):
        drop = _DROPPED.search(part)
        if drop is not None and drop.start() < _DEMOTED.search(part).start() and \
                not re.search(r"\bdrop\w*\s+(?:in)?to\b", part[drop.start():drop.end() + 6], re.I):
            # "dropped (acknowledged limitation, not a finding)": the verb first, then the reason
            return Action.dropped, frm, to, None
        return Action.demoted, frm, to, None
    if re.search(_SEV + r"\**\s*" + _ARROW + r"\s*\**\s*(?:dropped|declined)", part, re.I):
        return (Action.demoted if _DEMOTED.search(part) else Action.dropped), frm, to, None
    if trans is None and tid is None and _DROPPED.search(part):
        return Action.dropped, frm, to, None
    if trans is None and to is None and tid is not None and _DEMOTED.search(part[: part.find(tid)]) and \
            not re.search(r"demot\w*\s+(?:to\s+)?(?:an?\s+)?\**\s*(?:suggestion|important|critical)?\s*\**\s*\(?\s*$",
                          part[: part.find(tid)], re.I):
        return Action.demoted, frm, to, None  # "reframed as a design observation (see S3)", not "demoted to S4"
    if _MERGED.search(part) and trans is None and not _DOWN.search(part) and not _UP.search(part):
        return Action.merged, frm, to, tid
    if trans is not None or to is not None:
        return Action.moved, frm, to, tid
    if _DOWN.search(part):
        return Action.downgraded, frm, to, tid
    if _UP.search(part):
        return Action.upgraded, frm, to, tid
    if tid is not None and (re.search(_ARROW, part) or _MOVED_TO.search(part)):
        return Action.moved, frm, to, tid
    if _KEPT.search(part):
        return Action.kept, frm, to, tid
    return None, frm, to, None


@dataclass
class _Ref:
    start: int
    end: int
    agent: str | None
    fid: str | None
    pass_: int | None
    mods: str
    qualified: bool = True


def _raw_refs(seg: str, agents: list[str], default_agent: str | None) -> list[_Ref]:
    """Every reference to an agent finding in a segment, before the subject rule."""
    refs: list[_Ref] = []
    canon = {a.lower(): a for a in agents}
    taken: list[tuple[int, int]] = []

    def chain(r: _Ref) -> None:
        # "Gemini C1, I1, I2 → all dropped", "Claude I1 (race) and I5 (panic)": the ids that
        # follow belong to the same agent
        pos = r.end
        while True:
            c = _CONTINUATION.match(seg, pos)
            if not c:
                break
            refs.append(_Ref(c.start("id"), c.end(), r.agent, c.group("id").upper(), r.pass_, r.mods, r.qualified))
            taken.append((c.start("id"), c.end()))
            pos = c.end()

    for m in _ref_pattern(agents).finditer(seg):
        mods = m.group("mods") or ""
        pm = re.search(r"(?:pass[- ]?|P)(\d+)", mods, re.I)
        fid = m.group("id").upper() if m.group("id") else None
        agent = canon.get(m.group("agent").lower(), m.group("agent"))
        refs.append(_Ref(m.start(), m.end(), agent, fid, int(pm.group(1)) if pm else None, mods))
        taken.append((m.start(), m.end()))
        if fid:
            chain(refs[-1])
    if default_agent:
        for m in _ITS_REF.finditer(seg):
            if any(s <= m.start("id") < e for s, e in taken):
                continue
            refs.append(_Ref(m.start(), m.end(), default_agent, m.group("id").upper(), None, ""))
            taken.append((m.start(), m.end()))
            chain(refs[-1])
        for m in _BARE_REF.finditer(seg):
            if any(s <= m.start() < e for s, e in taken):
                continue
            if _TARGET_BEFORE.search(seg[max(0, m.start() - 16): m.start()]):
                continue  # "→ S4", "into I5": a consolidated id, not the agent's own
            if _EARLIER_ROUND.search(seg[max(0, m.start() - 30): m.start()]):
                continue  # "Round 1's declined S5", "same finding as round 7 S8": another round's id
            if re.match(r"\s*" + _ARROW + r"?\s*$", seg[max(0, m.start() - 3): m.start()]) and \
                    re.search(_ARROW + r"\s*$", seg[: m.start()]):
                continue
            refs.append(_Ref(m.start(), m.end(), default_agent, m.group("id").upper(), None, "", qualified=False))
    refs.sort(key=lambda r: r.start)
    return refs


_EARLIER_ROUND = re.compile(r"(?:\b(?:round|pass)[\s-]*\d+|\b[RP]\d+)['’]?s?\s+(?:declined\s+|raw\s+)?$|"
                            r"\bdeclined\s+(?:in\s+)?$", re.I)
_STATEMENT_END = re.compile(_SENTENCE_END.pattern + r"|;\s+")
_OPENING_NOISE = re.compile(r"[*_`>#\-+\s]|\d+[.)]|\breconciliation(?: note)?\b\s*[:.—–-]?", re.I)
_CO_SUBJECT_GAP = re.compile(r"^\s*(?:\([^()]{0,160}\)\s*|`[^`]{0,80}`\s*)?(?:,\s*and|,|/|&|\band\b)\s*$", re.I)
_NEW_CLAUSE_GAP = re.compile(r"(?:[,:]|\band\b|\bwhile\b)\s*\**\s*$", re.I)


def _opens(prefix: str) -> bool:
    """Whether the text before a reference leaves it at the opening of its statement."""
    rest = _OPENING_NOISE.sub(" ", prefix)
    if re.search(_ARROW, rest):
        return False
    return len(rest.split()) <= 4


def _finding_like(seg: str, r: _Ref) -> bool:
    if r.fid or r.pass_ is not None or _sev(next((w for w in r.mods.split() if _sev(w)), None)):
        return True
    # "Gemini's spec.state convergence: critical → important": a description, then a verdict
    return bool(re.match(r"[^.;]{0,100}?(?::|" + _ARROW + ")", seg[r.end:]))


def _refs(seg: str, agents: list[str], default_agent: str | None) -> list[_Ref]:
    """The subject references of a segment.

    A statement (a sentence, or a clause after ";") is about the finding it opens with, and
    the ids listed with it ("Claude I1 (race) and I5 (panic)", "(Claude S4, Codex I1)"). An agent
    named later inside it ("withdrawn by Claude → suggestion S5", "same severity as Codex I2")
    does not start a new statement, except an agent finding that opens a clause after the first
    one's verdict ("Gemini C1 → dropped, Codex I2 → kept")."""
    raw = _raw_refs(seg, agents, default_agent)
    if not raw:
        return []
    bounds = [0] + [m.end() for m in _STATEMENT_END.finditer(seg)] + [len(seg) + 1]
    out: list[_Ref] = []
    for lo, hi in zip(bounds, bounds[1:]):
        inside = [r for r in raw if lo <= r.start < hi]
        cands = [r for r in inside if _finding_like(seg, r)]
        if not cands:
            continue
        opening = [r for r in cands if _opens(seg[lo:r.start])]
        subject = opening[0] if opening else cands[0]
        group = [subject]
        for r in inside:
            if r.start <= subject.start:
                continue
            between = seg[group[-1].end:r.start]
            if _CO_SUBJECT_GAP.match(between):
                group.append(r)
            elif r.fid and r.qualified and _NEW_CLAUSE_GAP.search(between) and \
                    _classify(between)[0] is not None:
                group.append(r)  # a second statement in the same sentence
        out += group
    return out


def _bare(seg: str, r: "_Ref") -> bool:
    """A reference that is only an id (retro paragraph), not "Agent ID"."""
    return bool(r.fid) and seg[r.start:r.end].strip("( ").upper() == r.fid


def _paren_context(seg: str, pos: int) -> tuple[str, str] | None:
    """Text before the '(' enclosing `pos` (same clause) and after its ')' (same sentence)."""
    depth = 0
    for i in range(pos - 1, -1, -1):
        ch = seg[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                close = seg.find(")", pos)
                if close < 0:
                    return None
                before = seg[:i]
                cut = max(before.rfind(". "), before.rfind(")"), before.rfind(";"), before.rfind("\n"))
                return before[cut + 1:], _first_sentence(seg[close + 1:])
            depth -= 1
    return None


def _description(tail: str) -> str | None:
    t = tail.lstrip(" :—–-")
    q = re.match(r"\s*\(([^)]{3,200})\)", t) or re.match(r"\s*[\"“]([^\"”]{3,200})[\"”]", t)
    if q:
        d = q.group(1)
    else:
        m = re.search(r":|" + _ARROW + r"|\s[—–]\s|\(|\.\s", t)
        d = t[: m.start()] if m else t[:120]
    d = re.sub(r"[`*\"“”]", "", d).strip(" ,;")
    d = re.sub(r"^(?:critical|important|suggestion)\s*,\s*", "", d, flags=re.I)
    return d if len(d) >= 3 else None


def _sentence_at(seg: str, starts: list[int], r: _Ref, own: str) -> str:
    """The sentence a reference stands in, through the end of its own statement."""
    lo = max(b for b in starts if b <= r.start)
    end = _SENTENCE_END.search(seg, r.end)
    hi = max(end.start() if end else len(seg), min(len(seg), r.end + len(own)))
    return seg[lo:hi].strip()


def statements_from_text(text: str, agents: list[str], *, source: str = "reconciliation",
                         default_agent: str | None = None) -> list[Statement]:
    """Every statement about an agent finding in a paragraph, list or retro note."""
    out: list[Statement] = []
    for seg in _SEGMENT_SPLIT.split(text or ""):
        seg = re.sub(r"[ \t]*\n[ \t]*", " ", seg).strip()
        if not seg:
            continue
        refs = _refs(seg, agents, default_agent)
        parsed = []
        for k, r in enumerate(refs):
            nxt = refs[k + 1].start if k + 1 < len(refs) else len(seg)
            tail = seg[r.end:nxt]
            own = _first_sentence(tail)
            nxt_sentence = _first_sentence(tail[len(own):].lstrip(" .)*"))
            if len(own.strip(" .,;:)*")) < 3 and own != tail and _ACTION_START.match(nxt_sentence):
                own = own + " " + nxt_sentence  # "(Claude I1). Dropped per the gate."
            action, frm, to, cid = _classify(own)
            if action is None:
                # "dropped by the gate (I1 ..., I5 ...)" / "(Claude S4, Codex I1) and was dropped"
                ctx = _paren_context(seg, r.start)
                if ctx is not None and r.mods == "" and r.agent == default_agent and r.qualified:
                    pass
                elif ctx is not None and not r.qualified:
                    # a bare id in a retro paragraph: only the verb right before its parenthesis
                    ctx = (ctx[0][-80:],)
                for part in ctx or ():
                    a2, _f2, t2, c2 = _classify(part)
                    if a2 is not None and c2 is None:
                        action, to = a2, t2
                        break
            fm = _FROM_SEV.search(own)
            if frm is None and fm:
                frm = _sev(next(g for g in fm.groups() if g))
            if frm is None:  # "…: important → dropped": the severity the agent gave it
                fa = re.search(_SEV + r"\**\s*" + _ARROW, own, re.I)
                frm = _sev(fa.group(1)) if fa else None
            if frm is None and r.mods:
                frm = _sev(next((w for w in r.mods.split() if _sev(w)), None))
            parsed.append([r, action, frm, to, cid, tail, own])
        # a reference with no action of its own borrows the next one's in the same sentence
        for k, p in enumerate(parsed):
            if p[1] is not None:
                continue
            for q in parsed[k + 1:]:
                stop = _SENTENCE_END.search(seg, p[0].end)
                if stop is not None and stop.start() < q[0].start:
                    break
                if q[1] is not None:
                    p[1], p[4] = q[1], (q[4] if q[1] in (Action.dropped, Action.false_positive,
                                                         Action.demoted) else None)
                    break
        starts = [0] + [m.end() for m in _STATEMENT_END.finditer(seg)]
        for r, action, frm, to, cid, tail, own in parsed:
            if action is None:
                continue
            if r.fid is None and r.pass_ is None and frm is None and \
                    not re.match(r"[^.;]{0,100}?(?::|" + _ARROW + ")", tail):
                continue  # "Codex contributed ...": a bare agent name names no finding
            if r.fid and cid == r.fid:
                cid = None
            out.append(Statement(agent=r.agent, action=action, text=seg, source=source, finding_id=r.fid,
                                 pass_=r.pass_, description=_description(tail), from_severity=frm,
                                 to_severity=to, consolidated_id=cid, qualified=r.qualified,
                                 sentence=_sentence_at(seg, starts, r, own)))
    return out


_RAISER = re.compile(r"\bthe (?:raising|reporting|original|only) (?:agent|reviewer)\b|\bthe agent\b|"
                     r"^\s*(?:originally\s+)?(?:rated|flagged|raised|filed|labell?ed)\b", re.I)


def statements_from_note(note: str, agents: list[str], *, consolidated_id: str,
                         description: str | None = None, sole_agent: str | None = None) -> list[Statement]:
    """A "Reconciliation note" on a consolidated finding: each agent it names raised that finding.

    A note naming no agent ("the raising agent rated this Important") speaks of `sole_agent`,
    the one agent the finding credits."""
    out: list[Statement] = []
    seen: set[str] = set()
    flat = re.sub(r"\s*\n\s*", " ", note or "").strip()
    for r in _raw_refs(flat, agents, None):
        if r.agent is None or r.agent in seen:
            continue
        seen.add(r.agent)
        tail = flat[r.end:]
        fm = _FROM_SEV.search(_first_sentence(tail))
        frm = _sev(next(g for g in fm.groups() if g)) if fm else None
        action = Action.false_positive if _FP.search(flat) else Action.moved
        out.append(Statement(agent=r.agent, action=action, text=flat, source="note", finding_id=r.fid,
                             pass_=r.pass_, description=description, from_severity=frm,
                             consolidated_id=consolidated_id, consolidated_only=True,
                             sentence=f"{consolidated_id}: {_first_sentence(flat[max(0, r.start - 60):])}"
                             if r.start > 60 else f"{consolidated_id}: {_first_sentence(flat)}"))
    if not out and sole_agent and _RAISER.search(flat):
        fm = _FROM_SEV.search(_first_sentence(flat))
        out.append(Statement(agent=sole_agent, action=Action.false_positive if _FP.search(flat) else Action.moved,
                             text=flat, source="note", description=description,
                             from_severity=_sev(next(g for g in fm.groups() if g)) if fm else None,
                             consolidated_id=consolidated_id, consolidated_only=True,
                             sentence=f"{consolidated_id}: {_first_sentence(flat)}"))
    return out
