"""Coerce reviewer output into `Finding`s.

Reviewers that are not our DSPy programs (hosted bots, a colleague's JSON, the programs' own
flat output model) write findings as dicts or models with a flat `path` / `line_start` /
`line_end` instead of `locations`; severity words vary. Everything funnels through here.
"""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from harness.core.errors import ParseError
from harness.core.models import Finding, Location, Severity

_SEVERITY_ALIASES = {
    "c": "critical", "critical": "critical", "blocker": "critical", "severe": "critical",
    "i": "important", "important": "important", "major": "important", "high": "important",
    "medium": "important", "warning": "important",
    "s": "suggestion", "suggestion": "suggestion", "minor": "suggestion", "low": "suggestion",
    "nit": "suggestion", "info": "suggestion", "style": "suggestion",
}
_FIELDS = set(Finding.model_fields)


def coerce_severity(value: Any) -> Severity:
    if isinstance(value, Severity):
        return value
    word = str(getattr(value, "value", value)).strip().lower()
    if word not in _SEVERITY_ALIASES:
        raise ParseError(f"unknown severity {value!r}", hint="use critical, important or suggestion")
    return Severity(_SEVERITY_ALIASES[word])


def coerce_finding(item: Any, where: str = "finding") -> Finding:
    if isinstance(item, Finding):
        return item
    if isinstance(item, BaseModel):
        item = item.model_dump()
    if not isinstance(item, dict):
        raise ParseError(f"{where}: expected an object, got {type(item).__name__}")
    d = dict(item)
    if "severity" not in d or "title" not in d:
        raise ParseError(f"{where}: a finding needs at least 'severity' and 'title'")
    d["severity"] = coerce_severity(d["severity"])
    path = d.pop("path", None) or d.pop("file", None)
    start = d.pop("line_start", None)
    if start is None:
        start = d.pop("line", None)
    end = d.pop("line_end", None)
    locations = d.get("locations") or []
    if path and not locations:
        locations = [Location(path=str(path), line_start=_int(start), line_end=_int(end))]
    d["locations"] = locations
    d = {k: v for k, v in d.items() if k in _FIELDS}  # extra keys (confidence, ...) are ignored
    for key in ("title", "body"):
        if d.get(key) is None:
            d[key] = ""
    try:
        return Finding.model_validate(d)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        raise ParseError(f"{where}: invalid finding ({loc}: {first.get('msg')})") from None


def coerce_findings(items: Iterable[Any]) -> list[Finding]:
    return [coerce_finding(x, f"finding #{i + 1}") for i, x in enumerate(items)]


def _int(v: Any) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ParseError(f"line number {v!r} is not an integer") from None
