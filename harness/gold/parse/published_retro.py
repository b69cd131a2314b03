"""The "Agent Performance Retro": per-agent paragraphs, the Summary table (normalised to metric
rows x agent columns, whether or not it was published transposed) and the reconciliation note."""

from __future__ import annotations

import re

from harness.core.models import ParseWarning, PublishedRetro, RetroCell, RetroRow, RetroTable
from harness.gold.parse.agents import agent_family, clean_model, looks_like_agent
from harness.gold.parse.doc import Block, Doc
from harness.gold.parse.sections import Section
from harness.gold.parse.values import parse_cell, strip_md

_LABEL_TAIL = re.compile(r"\s+(?:—|–|-)\s+.*$")

#: a reconciliation paragraph: `**Reconciliation:**`, `**Reconciliation.**`, `Reconciliation:`, "Reconciliation note"
_RECON_PARA = re.compile(r"^\s*(?:\*\*|__)?Reconciliation(?:\s+notes?)?(?:\*\*|__)?\s*(?:[:.—–-]|\*\*|$)", re.I)


def _agent_label(cell: str, families) -> bool:
    t = strip_md(cell).strip("[] ")
    return bool(t) and looks_like_agent(t, families)


def table_to_retro(rows: list[list[str]], families) -> RetroTable | None:
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    head = rows[0]
    labels = head[1:]
    if labels and sum(_agent_label(c, families) for c in labels) >= max(1, len(labels) // 2 + 1):
        cols = [agent_family(strip_md(c)) for c in labels]
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
        cols = [agent_family(strip_md(r[0])) for r in agent_rows]
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


def parse_retro(doc: Doc, sec: Section | None, sections: list[Section], families,
                warnings: list[ParseWarning]) -> PublishedRetro:
    if sec is None:
        return PublishedRetro(present=False, absent_reason="the report has no Agent Performance Retro section")
    where = f"line {doc.blocks[sec.k].start + 1}: {sec.title}"
    retro = PublishedRetro(present=True)
    subs = [s for s in sections if sec.k < s.k < sec.end]
    top_level = min((s.level for s in subs), default=None)
    recon_secs: list[str] = []
    for s in subs:
        if s.kind == "reconciliation":  # `### Reconciliation`, `#### Reconciliation` under Summary, ...
            text = _section_text(doc, s.body(doc))
            if text:
                recon_secs.append(text)
            continue
        if s.level != top_level:
            continue
        label = strip_md(s.title)
        label = _LABEL_TAIL.sub("", label).strip("[] ")
        if looks_like_agent(label, families):
            retro.agent_notes[agent_family(label)] = _section_text(doc, s.body(doc))
    if recon_secs:
        retro.reconciliation = "\n\n".join(recon_secs)
    recon_ranges = [(s.k, s.end) for s in subs if s.kind == "reconciliation"]
    blocks = doc.blocks[sec.k + 1:sec.end]
    table: RetroTable | None = None
    after_table: list[str] = []
    recon: list[str] = []
    in_recon = False
    for k, b in enumerate(blocks, start=sec.k + 1):
        if any(lo <= k < hi for lo, hi in recon_ranges):
            continue  # read above as a reconciliation section
        if b.kind == "table":
            t = table_to_retro(b.rows, families)
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
            continue
        text = doc.raw(b.start, b.end).strip()
        if b.kind == "paragraph" and _RECON_PARA.match(text):
            in_recon = True
            recon.append(text)
            continue
        if in_recon and b.kind in ("bullet_list", "ordered_list"):
            recon.append(text)
            continue
        in_recon = False
        if table is not None and b.kind == "paragraph":
            after_table.append(text)
    if recon:
        retro.reconciliation = "\n\n".join(([retro.reconciliation] if retro.reconciliation else []) + recon)
    retro.summary = table
    retro.closing = "\n\n".join(after_table) or None
    if table is None:
        warnings.append(ParseWarning(where=where, message="retro has no Summary table"))
    return retro
