"""The Resolution table: one row per addressed finding, refs resolved to consolidated ids."""

from __future__ import annotations

import re

from harness.core.models import Finding, Observation, ObservationKind, ParseWarning, Resolution, Severity
from harness.gold.parse.doc import Doc
from harness.gold.parse.sections import Section
from harness.gold.parse.values import is_empty_cell, strip_md

_ACTION = re.compile(r"^([A-Za-z][\w -]*?)\s*(?:\((.*)\)|[—:–-]\s*(.*))?$", re.S)
_REF_HEAD = re.compile(r":\s|\s(?:—|–)\s")

_SEV_NAME = r"(critical|important|suggestion)s?"


def resolve_ref(ref: str, findings: list[Finding], observations: list[Observation]) -> list[str]:
    text = strip_md(ref)
    ids = {f.id for f in findings}
    by_sev: dict[Severity, list[Finding]] = {}
    for f in findings:
        by_sev.setdefault(f.severity, []).append(f)
    out: list[str] = []

    def add(x: str) -> None:
        if x not in out:
            out.append(x)

    head = _REF_HEAD.split(text, maxsplit=1)[0]
    m = re.match(rf"^\s*{_SEV_NAME}\s*(?:#|[CIS])?\s*(\d+)(?:\s*(?:[-–—]|to)\s*#?[CIS]?(\d+))?", head, re.I)
    if m:
        sev = Severity(m.group(1).lower())
        lo, hi = int(m.group(2)), int(m.group(3) or m.group(2))
        for n in range(lo, hi + 1):
            cand = f"{sev.letter}{n}"
            if cand in ids:
                add(cand)
            elif 0 < n <= len(by_sev.get(sev, [])):
                add(by_sev[sev][n - 1].id)
        return out
    m = re.match(r"^\s*testing gaps?\s*#?(\d+)(?:\s*(?:[-–—]|to)\s*#?(\d+))?", head, re.I)
    if m:
        for n in range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1):
            add(f"TG{n}")
        return out
    for m in re.finditer(r"\b([CIS])(\d+)\b", head):
        if f"{m.group(1)}{m.group(2)}" in ids:
            add(f"{m.group(1)}{m.group(2)}")
    return out


def parse_resolutions(doc: Doc, sec: Section | None, findings: list[Finding], observations: list[Observation],
                      warnings: list[ParseWarning]) -> list[Resolution]:
    if sec is None:
        return []
    out: list[Resolution] = []
    for b in sec.body(doc):
        if b.kind != "table" or not b.rows:
            continue
        head = [strip_md(c).lower() for c in b.rows[0]]
        fi = next((i for i, c in enumerate(head) if c.startswith("finding") or c in ("ref", "item", "issue")), None)
        ai = next((i for i, c in enumerate(head) if c.startswith("action") or c in ("status", "resolution")), None)
        ni = next((i for i, c in enumerate(head) if c.startswith(("note", "reason")) or c in ("details", "comment")), None)
        if fi is None or ai is None:
            continue
        for row in b.rows[1:]:
            if len(row) <= max(fi, ai):
                warnings.append(ParseWarning(where=f"line {b.start + 1}: Resolution", message="short table row"))
                continue
            ref = row[fi].strip()
            action_raw = strip_md(row[ai])
            m = _ACTION.match(action_raw)
            action, note = (m.group(1).strip(), (m.group(2) or m.group(3) or "").strip() or None) if m \
                else (action_raw, None)
            if ni is not None and ni < len(row) and not is_empty_cell(row[ni]):
                note = strip_md(row[ni]) if note is None else f"{note}; {strip_md(row[ni])}"
            out.append(Resolution(ref=ref, action=action, note=note,
                                  finding_ids=resolve_ref(ref, findings, observations)))
    if not out:
        warnings.append(ParseWarning(where=f"line {doc.blocks[sec.k].start + 1}: {sec.title}",
                                     message="Resolution section without a Finding/Action table"))
    return out


__all__ = ["parse_resolutions", "resolve_ref", "ObservationKind"]
