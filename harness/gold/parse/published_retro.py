"""The "Agent Performance Retro": per-agent paragraphs, the Summary table (normalised to metric
rows x agent columns, whether or not it was published transposed) and the reconciliation note."""

from __future__ import annotations

import re

from harness.core.models import ParseWarning, PublishedRetro, RetroCell, RetroRow, RetroTable
from harness.gold.parse.agents import Roster, agent_family, clean_model, looks_like_agent
from harness.gold.parse.doc import Block, Doc
from harness.gold.parse.sections import Section
from harness.gold.parse.values import parse_cell, strip_md

_LABEL_TAIL = re.compile(r"\s+(?:—|–|-)\s+.*$")

#: a reconciliation paragraph: `**Reconciliation:**`, `**Reconciliation.**`, `Reconciliation:`, "Reconciliation note"
_RECON_PARA = re.compile(r"^\s*(?:\*\*|__)?Reconciliation(?:\s+notes?)?(?:\*\*|__)?\s*(?:[:.—–-]|\*\*|$)", re.I)


def _agent_label(cell: str, families) -> bool:
    t = clean_model(strip_md(cell))
    return bool(t) and looks_like_agent(t, families)


def _columns(labels: list[str], roster: Roster | None, warnings: list[ParseWarning] | None,
             where: str) -> list[str]:
    """Printed column labels -> reviewer labels (one column per model; never two columns merged)."""
    cols: list[str] = []
    for raw in labels:
        printed = clean_model(strip_md(raw))
        got = roster.resolve(printed) if roster is not None else None
        if got is None and roster is not None:
            cands = [c for c in roster.ambiguous(printed) if c not in cols]
            if cands:
                got = cands[0]
                if warnings is not None:
                    warnings.append(ParseWarning(where=where, message=f"retro column {printed!r} may be "
                                                 f"{' or '.join(roster.ambiguous(printed))}: taken as {got}"))
            elif not roster.listed:
                got = roster.add(printed if re.search(r"\d", printed) else agent_family(printed))
            elif warnings is not None:
                warnings.append(ParseWarning(where=where, message=f"retro column {printed!r} is not a reviewer "
                                             "in the header's Reviewers row"))
        got = got or printed
        while got in cols:  # two columns one label: keep both apart
            got += "'"
        cols.append(got)
    return cols


def table_to_retro(rows: list[list[str]], families, roster: Roster | None = None,
                   warnings: list[ParseWarning] | None = None, where: str = "retro") -> RetroTable | None:
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    head = rows[0]
    labels = head[1:]
    if labels and sum(_agent_label(c, families) for c in labels) >= max(1, len(labels) // 2 + 1):
        cols = _columns(labels, roster, warnings, where)
        out = RetroTable(columns=cols, column_labels=[clean_model(strip_md(c)) for c in labels])
        for row in rows[1:]:
            metric = strip_md(row[0]) if row else ""
            if not metric:
                continue
            cells = {cols[i]: RetroCell(raw=row[i + 1] if i + 1 < len(row) else "",
                                        value=parse_cell(metric, row[i + 1]) if i + 1 < len(row) else None)
                     for i in range(len(cols))}
            out.rows.append(RetroRow(metric=metric, cells=cells))
        return out
    firsts = [r[0] for r in rows[1:] if r]
    if firsts and sum(_agent_label(c, families) for c in firsts) >= max(1, len(firsts) // 2 + 1):
        agent_rows = [r for r in rows[1:] if r and _agent_label(r[0], families)]
        cols = _columns([r[0] for r in agent_rows], roster, warnings, where)
        out = RetroTable(columns=cols, column_labels=[clean_model(strip_md(r[0])) for r in agent_rows],
                         transposed=True)
        for j, metric_cell in enumerate(head[1:], start=1):
            metric = strip_md(metric_cell)
            cells = {cols[i]: RetroCell(raw=r[j] if j < len(r) else "",
                                        value=parse_cell(metric, r[j]) if j < len(r) else None)
                     for i, r in enumerate(agent_rows)}
            out.rows.append(RetroRow(metric=metric, cells=cells))
        return out
    return None


def _merge(a: RetroTable, b: RetroTable) -> None:
    for row in b.rows:
        if a.row(row.metric) is None:
            a.rows.append(row)


def _section_text(doc: Doc, blocks: list[Block]) -> str:
    if not blocks:
        return ""
    return doc.raw(blocks[0].start, blocks[-1].end).strip()


# a paragraph led by a reviewer's name in bold: `**[Claude]** — ...`, `**Claude Opus 4.6** produced ...`
_BOLD_LEAD = re.compile(r"^\s*\*\*\[?([^*\]\n]{1,60}?)\]?\*\*")


def _note_owner(text: str, roster: Roster | None, families) -> str | None:
    """The reviewer a bold-lead paragraph is about, when the bold text is a reviewer's name."""
    m = _BOLD_LEAD.match(text)
    if not m:
        return None
    name = clean_model(m.group(1).strip().rstrip(":.").strip())
    if not name or not looks_like_agent(name, families):
        return None
    if roster is None:
        return agent_family(name)
    cands = roster.candidates(name)
    return cands[0] if len(cands) == 1 else None


def parse_retro(doc: Doc, sec: Section | None, sections: list[Section], families,
                warnings: list[ParseWarning], roster: Roster | None = None) -> PublishedRetro:
    if sec is None:
        return PublishedRetro(present=False, absent_reason="the report has no Agent Performance Retro section")
    where = f"line {doc.blocks[sec.k].start + 1}: {sec.title}"
    retro = PublishedRetro(present=True)
    subs = [s for s in sections if sec.k < s.k < sec.end]
    top_level = min((s.level for s in subs), default=None)
    recon_secs: list[str] = []
    note_secs: list[tuple[int, int]] = []
    for s in subs:
        if s.kind == "reconciliation":  # `### Reconciliation`, `#### Reconciliation` under Summary, ...
            text = _section_text(doc, s.body(doc))
            if text:
                recon_secs.append(text)
            continue
        if s.level != top_level:
            continue
        label = clean_model(_LABEL_TAIL.sub("", strip_md(s.title)))
        owner = None
        if looks_like_agent(label, families):
            owner = (roster.resolve(label) if roster is not None else agent_family(label))
            if owner is None and roster is not None and not roster.listed:
                owner = roster.add(label if re.search(r"\d", label) else agent_family(label))
        if owner is not None:
            text = _section_text(doc, s.body(doc))
            retro.agent_notes[owner] = (retro.agent_notes[owner] + "\n\n" + text).strip() \
                if owner in retro.agent_notes else text
            note_secs.append((s.k, s.end))
    if recon_secs:
        retro.reconciliation = "\n\n".join(recon_secs)
    recon_ranges = [(s.k, s.end) for s in subs if s.kind == "reconciliation"]
    blocks = doc.blocks[sec.k + 1:sec.end]
    table: RetroTable | None = None
    after_table: list[str] = []
    recon: list[str] = []
    in_recon = False
    note_of: str | None = None  # the reviewer whose bold-lead note is running
    for k, b in enumerate(blocks, start=sec.k + 1):
        if any(lo <= k < hi for lo, hi in recon_ranges):
            continue  # read above as a reconciliation section
        in_note_sec = any(a < k < e for a, e in note_secs)
        if b.kind == "table":
            note_of = None
            t = table_to_retro(b.rows, families, roster, warnings, f"line {b.start + 1}: {sec.title}")
            if t is None:
                warnings.append(ParseWarning(where=f"line {b.start + 1}: {sec.title}",
                                             message="retro table whose rows or columns are not agents"))
                continue
            if table is None:
                table = t
            elif t.columns == table.columns:
                _merge(table, t)
            after_table = []
            in_recon = False
            continue
        if b.kind == "heading":
            in_recon = False
            note_of = None
            continue
        text = doc.raw(b.start, b.end).strip()
        if b.kind == "paragraph" and _RECON_PARA.match(text):
            in_recon = True
            note_of = None
            recon.append(text)
            continue
        if in_recon and b.kind in ("bullet_list", "ordered_list"):
            recon.append(text)
            continue
        in_recon = False
        if b.kind == "paragraph" and not in_note_sec:
            owner = _note_owner(text, roster, families)
            if owner is not None:
                retro.agent_notes[owner] = (retro.agent_notes[owner] + "\n\n" + text).strip() \
                    if owner in retro.agent_notes else text
                note_of = owner
                continue
            if _BOLD_LEAD.match(text):
                note_of = None  # `**Overall**: ...` ends a reviewer's note
        if note_of is not None and b.kind in ("bullet_list", "ordered_list", "blockquote"):
            retro.agent_notes[note_of] += "\n\n" + text
            continue
        if table is not None and b.kind == "paragraph":
            after_table.append(text)
    if recon:
        retro.reconciliation = "\n\n".join(([retro.reconciliation] if retro.reconciliation else []) + recon)
    retro.summary = table
    retro.closing = "\n\n".join(after_table) or None
    if table is None:
        warnings.append(ParseWarning(where=where, message="retro has no Summary table"))
    return retro
