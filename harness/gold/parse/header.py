"""The report's header table (`| **Date** | ... |`) -> Report fields."""

from __future__ import annotations

import re

from harness.core.models import Commit, ParseWarning, Reviewer
from harness.gold.parse.agents import agent_family, clean_model
from harness.gold.parse.values import parse_duration, strip_md

HEADER_KEYS = {"date", "repo", "pr", "round", "author", "branch", "commits", "commit", "reviewers", "verdict",
               "wall-clock time", "wall-clock", "wall clock", "duration", "review sha"}


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


_STATUS_WORDS = (  # first match wins; checked on the text around the model name
    ("no_output", re.compile(r"\bno (?:usable )?output\b|produced nothing|empty (?:review|output)|"
                             r"returned nothing|no review produced", re.I)),
    ("dropped", re.compile(r"\bdropped\b|\bfailed\b|\bcrash(?:ed)?\b|timed? ?out|\bquota\b|\bcapacity\b|"
                           r"\b429\b|\bunavailable\b|\bskipped\b|\bremoved\b|\baborted\b|rate.?limit", re.I)),
    ("omitted", re.compile(r"\bomitted\b|not (?:included|reproduced)", re.I)),
    ("external", re.compile(r"\bexternal\b|kept (?:outside|separately)|see `[^`]+\.md`", re.I)),
)
_EFFORT = re.compile(r"^\s*effort\s*[:=]\s*([\w.+-]+)\s*(?:[—–,;:-]+\s*(.*?))?\s*$", re.I | re.S)
# where a model name stops and prose about it begins ("Gemini 3.1 Pro produced no output — quota")
_PROSE = re.compile(r"\s(?:[—–]|-{1,2}|:)\s|\s(?:produced|returned|was|were|had|has|is|did|dropped|failed|"
                    r"timed|hit|omitted|not|ran|crashed|skipped)\b", re.I)


def reviewer_status(text: str, struck: bool = False) -> str:
    for status, rx in _STATUS_WORDS:
        if rx.search(text):
            return status
    return "dropped" if struck else "available"


def parse_reviewers(raw: str) -> list[Reviewer]:
    """The header's Reviewers cell: one Reviewer per model, with effort, status and reason.

    `Claude Opus 4.7 (effort: xhigh), ~~Gemini 3.1 Pro~~ (429 capacity)`;
    `Codex GPT 5.5 (effort: xhigh — dropped, see retro)`;
    `Gemini 3.5 Flash (effort: default); Gemini 3.1 Pro (effort: default) produced no output — quota`."""
    out: list[Reviewer] = []
    text = re.sub(r"<br\s*/?>", ",", raw)
    for part in (p for chunk in split_top(text, ",") for p in split_top(chunk, ";")):
        struck = "~~" in part
        part = part.replace("~~", "")
        notes = re.findall(r"\(([^()]*)\)", part)
        outside = re.sub(r"\([^()]*\)", " ", part)
        effort = None
        rest_notes = []
        for n in notes:
            m = _EFFORT.match(n)
            if m:
                effort = m.group(1)
                if m.group(2):
                    rest_notes.append(m.group(2).strip())
            elif n.strip():
                rest_notes.append(n.strip())
        name = outside
        pm = _PROSE.search(" " + outside.strip() + " ")
        if pm:
            cut = max(pm.start() - 1, 0)
            name, tail = outside.strip()[:cut], outside.strip()[cut:]
            tail = tail.strip(" —–-:")
            if tail:
                rest_notes.append(" ".join(tail.split()))
        model = clean_model(strip_md(name))
        if not model:
            continue
        note = "; ".join(rest_notes) or None
        status = reviewer_status(note or "", struck)
        out.append(Reviewer(agent=model, family=agent_family(model), model=model, effort=effort,
                            status=status, note=note))
    return out


_GITHUB = re.compile(r"github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?=[/)#?\s]|$)")


def parse_repo(raw: str) -> str | None:
    """`[owner/name](https://github.com/owner/name)` / `owner/name` / a URL -> `owner/name`."""
    val = strip_md(raw).strip()
    m = re.fullmatch(r"([\w.-]+/[\w.-]+)", val)
    if m:
        return m.group(1)
    m = _GITHUB.search(raw)
    if m:
        return m.group(1)
    return val or None


def finish_header(fields: dict) -> None:
    """PR and repo from the other rows when their own rows are missing (`Round | 3 (of PR #711)`)."""
    round_pr = fields.pop("_round_pr", None)
    pr_repo = fields.pop("_pr_repo", None)
    if fields.get("pr") is None and round_pr is not None:
        fields["pr"] = round_pr
    if not fields.get("repo") and pr_repo:
        fields["repo"] = pr_repo


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
        elif k in ("repo", "repository"):
            report_fields["repo"] = parse_repo(raw)
        elif k == "pr":
            m = re.search(r"#?(\d+)", val)
            if m:
                report_fields["pr"] = int(m.group(1))
            t = re.split(r"\s+(?:—|–|-)\s+|:\s+", val, maxsplit=1)
            if len(t) == 2:
                report_fields["pr_title"] = t[1].strip()
            pr_repo = _GITHUB.search(raw)
            if pr_repo:
                report_fields.setdefault("_pr_repo", pr_repo.group(1))
        elif k == "round":
            m = re.match(r"(\d+)", val)
            if m:
                report_fields["round"] = int(m.group(1))
            of = re.search(r"\(\s*of\s+([^)]*?)\s*\)", val, re.I)
            if of:
                report_fields["round_of"] = of.group(1)
                pm = re.fullmatch(r"(?:PR\s*#?\s*|pr-|#)(\d+)", of.group(1), re.I)
                if pm:
                    report_fields.setdefault("_round_pr", int(pm.group(1)))
        elif k == "review sha":
            m = re.search(r"\b([0-9a-f]{7,40})\b", val)
            if m:
                report_fields["review_sha"] = m.group(1)
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
    finish_header(report_fields)
