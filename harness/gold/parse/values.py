"""Small value parsers shared by the report parser, scorers and retro code.

Each takes one raw string (a table cell, a header value, a bracket group) and returns a plain
value or None when it does not understand the text; none of them raises.
"""

from __future__ import annotations

import re
from functools import lru_cache

from harness.core.models import Severity

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LEADING_INT = re.compile(r"^~?(\d+)\b")
_PARENS = re.compile(r"\(.*?\)")
_TOOL_PART = re.compile(r"^\s*([\w./:-]+)\s*[:=×x]?\s*(\d+)\s*$")

# "—", "-", "N/A (429)", "not recorded", "n/a": a cell that carries no value.
_EMPTY = re.compile(r"^\s*(?:[—–-]+|n/?a\b.*|none recorded|not recorded|unknown|\?)\s*$", re.I)

_HMS = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2})(?:\.\d+)?$")
_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(h(?:ours?|rs?)?|m(?:in(?:utes?|s)?)?|s(?:ec(?:onds?|s)?)?)\b", re.I)
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


@lru_cache(maxsize=8192)
def strip_md(text: str) -> str:
    """Drop emphasis, code ticks and link targets: `**2I**` -> 2I, [#309](url) -> #309."""
    text = _LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    return text.strip()


def is_empty_cell(raw: str) -> bool:
    return bool(_EMPTY.match(strip_md(raw))) or not strip_md(raw)


def parse_duration(raw: str) -> float | None:
    """Seconds from `4m 56s`, `4:30`, `1:02:03`, `4 min 30 s`, `1 h 2 min 3 s`, `510s`, `278`."""
    text = strip_md(raw).lower()
    text = _PARENS.sub("", text).strip()
    if not text or is_empty_cell(text):
        return None
    m = _HMS.match(text)
    if m:
        h, mi, s = m.groups()
        return float(int(h or 0) * 3600 + int(mi) * 60 + int(s))
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, seen = 0.0, 0
    rest = text
    for m in _UNIT.finditer(text):
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)[0]]
        seen += 1
        rest = rest.replace(m.group(0), "", 1)
    if seen and not re.sub(r"[\s,~≈]", "", rest):
        return total
    return None


_SEV_COUNT = re.compile(r"(\d+)\s*([CIS])\b")


def parse_findings_cell(raw: str) -> dict[str, int] | None:
    """`1C 2I 2S` / `2I` / `none` -> {"critical": 1, "important": 2, "suggestion": 2}."""
    text = strip_md(raw)
    text = _PARENS.sub("", text).strip()
    if re.fullmatch(r"(?i)none|0|no findings", text):
        return {s.value: 0 for s in Severity}
    if not text or is_empty_cell(text):
        return None
    counts = {s.value: 0 for s in Severity}
    matched = _SEV_COUNT.findall(text)
    if not matched or _SEV_COUNT.sub("", text).strip(" ,;+/"):
        return None
    for n, letter in matched:
        counts[Severity.from_letter(letter).value] += int(n)
    return counts


def parse_tool_calls(raw: str) -> dict | None:
    """`31 (Read 12, Bash 10, Grep 6)` -> {"total": 31, "breakdown": {"Read": 12, ...}}."""
    text = strip_md(raw)
    m = re.match(r"^~?(\d+)\s*(?:\((.*)\))?\s*$", text)
    if not m:
        return None
    breakdown: dict[str, int] = {}
    for part in (m.group(2) or "").split(","):
        pm = _TOOL_PART.match(part)
        if pm:
            breakdown[pm.group(1)] = breakdown.get(pm.group(1), 0) + int(pm.group(2))
    return {"total": int(m.group(1)), "breakdown": breakdown}


_TRANSITION = re.compile(r"\b([CIS])\s*(?:→|->|=>|to)\s*([CIS]|drop(?:ped)?|D)\b", re.I)


def parse_transitions(raw: str) -> dict | None:
    """`3 (I→S)` / `2 (C→I, I→S)` -> {"count": 3, "transitions": ["I→S"]}."""
    text = strip_md(raw)
    m = re.match(r"^(\d+)\b(.*)$", text)
    if not m:
        return None
    transitions = [f"{a.upper()}→{b.upper() if len(b) == 1 else 'dropped'}" for a, b in _TRANSITION.findall(m.group(2))]
    return {"count": int(m.group(1)), "transitions": transitions}


def parse_int_cell(raw: str) -> int | None:
    """`5`, `2 (doc ref, …)`, `10/10` -> leading integer."""
    m = _LEADING_INT.match(strip_md(raw))
    return int(m.group(1)) if m else None


@lru_cache(maxsize=1024)
def metric_kind(metric: str) -> str:
    """Which parser a Summary-table row needs, from its metric name."""
    m = strip_md(metric).lower()
    if re.search(r"duration|wall|time\b|elapsed", m):
        return "duration"
    if re.search(r"tool", m):
        return "tool_calls"
    if re.search(r"downgrad|upgrad|severity change|re-?rated", m):
        return "transitions"
    if re.search(r"^(findings|totals?|raw findings|findings \(.*\))$", m):
        return "findings"
    return "int"


def parse_cell(metric: str, raw: str):
    """Parsed value of one Summary-table cell; None when the text has no value we understand."""
    if is_empty_cell(raw):
        return None
    kind = metric_kind(metric)
    if kind == "duration":
        return parse_duration(raw)
    if kind == "tool_calls":
        return parse_tool_calls(raw)
    if kind == "transitions":
        return parse_transitions(raw)
    if kind == "findings":
        return parse_findings_cell(raw)
    return parse_int_cell(raw)


@lru_cache(maxsize=1024)
def severity_from_word(word: str) -> Severity | None:
    w = strip_md(word).strip("[]():").lower()
    if re.fullmatch(r"critical|blocker|p0|high", w):
        return Severity.critical
    if re.fullmatch(r"important|major|p1|medium", w):
        return Severity.important
    if re.fullmatch(r"suggestions?|minor|nit|nits|p2|p3|low|optional", w):
        return Severity.suggestion
    return None
