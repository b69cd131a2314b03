"""Design concerns/strengths, testing gaps and acknowledged limitations as Observation records."""

from __future__ import annotations

import re

from harness.core.models import Observation, ObservationKind
from harness.gold.parse.agents import find_agent_groups
from harness.gold.parse.doc import Block, Doc
from harness.gold.parse.locations import parse_locations
from harness.gold.parse.sections import Section

_MARKER = re.compile(r"^(?:\d+[.)]|[-*+])\s+")
_SCOPE_TAG = re.compile(r"\*?\((in-scope|future|out-of-scope|pre-existing)\)\*?")

_GAP_LEAD = re.compile(r"untested|gap|not (?:yet )?(?:covered|tested|exercised)|missing|no test|risk|lack", re.I)
# "None." under a Concerns heading is the absence of an observation, not one.
_EMPTY = re.compile(r"^[*_\s]*(?:none|n/?a|nothing(?: to (?:report|add))?|no (?:concerns|gaps|issues))[.!*_\s]*$", re.I)
_TITLE = re.compile(r"^(?:\d+[.)]\s+|[-*+]\s+)?(?:~~)?\*\*(.+?)\*\*")


def _items(doc: Doc, blocks: list[Block]) -> list[tuple[int, int]]:
    """Line ranges of the entries in a section: list items, else paragraphs."""
    out: list[tuple[int, int]] = []
    for b in blocks:
        if b.kind in ("ordered_list", "bullet_list"):
            out += [(it.start, it.end) for it in b.items]
    if out:
        return out
    return [(b.start, b.end) for b in blocks if b.kind == "paragraph"]


def _obs(doc: Doc, kind: ObservationKind, rng: tuple[int, int], index: int, families, coverage) -> Observation:
    text = doc.raw(*rng).strip()
    text = _MARKER.sub("", text)
    m = _TITLE.match(text)
    title = m.group(1).strip() if m else ""
    first = text.split("\n", 1)[0]
    agents, spans = find_agent_groups(first, families)
    tags = [t.strip().lower() for t in _SCOPE_TAG.findall(first)]
    return Observation(kind=kind, index=index, title=title, text=text, agents=agents,
                       locations=parse_locations(first, coverage), tags=tags)


def observations_in(doc: Doc, sections: list[Section], lo: int, hi: int, families, coverage) -> list[Observation]:
    out: list[Observation] = []
    for s in sections:
        if not (lo <= s.k < hi):
            continue
        if s.kind == "design":
            subs = [c for c in sections if s.k < c.k < s.end and c.kind in ("concerns", "strengths")]
            if subs:
                for c in subs:
                    kind = ObservationKind.design_concern if c.kind == "concerns" else ObservationKind.design_strength
                    for i, rng in enumerate(_items(doc, c.body(doc)), 1):
                        out.append(_obs(doc, kind, rng, i, families, coverage))
            else:
                for i, rng in enumerate(_items(doc, s.body(doc)), 1):
                    out.append(_obs(doc, ObservationKind.design_concern, rng, i, families, coverage))
        elif s.kind == "testing":
            blocks = s.body(doc)
            lists: list[Block] = []
            lead_seen, any_lead = False, False
            for b in blocks:
                if b.kind in ("paragraph", "heading") and _GAP_LEAD.search(b.text):
                    lead_seen = any_lead = True
                elif b.kind in ("ordered_list", "bullet_list"):
                    if lead_seen:
                        lists.append(b)
            if not any_lead:
                lists = [b for b in blocks if b.kind == "ordered_list"]
            i = 0
            for b in lists:
                for it in b.items:
                    i += 1
                    out.append(_obs(doc, ObservationKind.testing_gap, (it.start, it.end), i, families, coverage))
        elif s.kind == "limitations":
            # a "Declined in prior rounds" sub-section is its own kind, not a limitation
            sub = next((c.k for c in sections if s.k < c.k < s.end and c.kind == "declined"), s.end)
            for i, rng in enumerate(_items(doc, doc.blocks[s.k + 1:sub]), 1):
                out.append(_obs(doc, ObservationKind.limitation, rng, i, families, coverage))
        elif s.kind == "declined":
            for i, rng in enumerate(_items(doc, s.body(doc)), 1):
                out.append(_obs(doc, ObservationKind.declined, rng, i, families, coverage))
    return [o for o in out if not _EMPTY.match(o.text)]
