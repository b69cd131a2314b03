"""The report's header table (`| **Date** | ... |`) -> Report fields."""

from __future__ import annotations

import re

from harness.core.models import Commit, ParseWarning, Reviewer
from harness.gold.parse.agents import agent_family, clean_model
from harness.gold.parse.values import parse_duration, strip_md

HEADER_KEYS = {"date", "repo", "pr", "round", "author", "branch", "commits", "commit", "reviewers", "verdict",
               "wall-clock time", "wall-clock", "wall clock", "duration"}


def header_key(cell: str) -> str:
    return strip_md(cell).strip(" :").lower()


def is_header_table(rows: list[list[str]]) -> bool:
    keys = {header_key(r[0]) for r in rows if r}
    return len(keys & HEADER_KEYS) >= 2 and ("reviewers" in keys or "date" in keys or "pr" in keys)


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def parse_reviewers(raw: str) -> list[Reviewer]:
    out: list[Reviewer] = []
    for part in split_top(raw.replace("<br>", ",")):
        available = "~~" in part
        notes = re.findall(r"\(([^()]*)\)", part)
        effort = None
        rest_notes = []
        for n in notes:
            m = re.match(r"^\s*effort\s*[:=]\s*(.+?)\s*$", n, re.I)
            if m:
                effort = m.group(1)
            else:
                rest_notes.append(n.strip())
        model = clean_model(re.sub(r"~~", "", part))
        if not model:
            continue
        out.append(Reviewer(agent=agent_family(model), model=model, effort=effort, available=not available,
                            note="; ".join(rest_notes) or None))
    return out


def parse_commits(raw: str) -> list[Commit]:
    out = []
    for part in re.split(r"<br\s*/?>|\n", raw):
        part = part.strip()
        m = re.match(r"^`?([0-9a-f]{6,40})`?\s*[-—:]?\s*(.*)$", part)
        if m:
            out.append(Commit(sha=m.group(1), message=strip_md(m.group(2))))
    return out


def parse_date(raw: str) -> str | None:
    t = strip_md(raw)
    m = re.search(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?", t)
    if not m:
        return None
    return f"{m.group(1)}T{m.group(2).zfill(5)}" if m.group(2) else m.group(1)


def apply_header(report_fields: dict, rows: list[list[str]], warnings: list[ParseWarning], where: str) -> None:
    header: dict[str, str] = {}
    for row in rows:
        if len(row) < 2 or not strip_md(row[0]):
            continue
        header[strip_md(row[0]).strip(" :")] = row[1]
    report_fields["header"] = header
    for key, raw in header.items():
        k = key.lower()
        val = strip_md(raw)
        if k == "date":
            report_fields["date"] = parse_date(raw)
        elif k == "repo":
            report_fields["repo"] = val
        elif k == "pr":
            m = re.search(r"#?(\d+)", val)
            if m:
                report_fields["pr"] = int(m.group(1))
            t = re.split(r"\s+(?:—|–|-)\s+|:\s+", val, maxsplit=1)
            if len(t) == 2:
                report_fields["pr_title"] = t[1].strip()
        elif k == "round":
            m = re.match(r"(\d+)", val)
            if m:
                report_fields["round"] = int(m.group(1))
        elif k == "author":
            report_fields["author"] = val
        elif k == "branch":
            report_fields["branch"] = val
        elif k in ("commits", "commit", "commit under review"):
            report_fields["commits"] = parse_commits(raw)
        elif k == "reviewers":
            report_fields["reviewers"] = parse_reviewers(raw)
        elif k == "verdict":
            report_fields["verdict"] = val
        elif k.startswith("wall") or k == "duration":
            secs = parse_duration(val)
            if secs is None:
                warnings.append(ParseWarning(where=where, message=f"wall-clock time not understood: {val[:40]}"))
            report_fields["wall_clock_s"] = secs
