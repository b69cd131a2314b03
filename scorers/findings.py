"""Coerce reviewer output into `Finding`s.

Reviewers that are not our DSPy programs (hosted bots, a colleague's JSON, the programs' own
flat output model) write findings as dicts or models with a flat `path` / `line_start` /
`line_end` instead of `locations`; severity words vary. Everything funnels through here.
"""

from __future__ import annotations

from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from harness.core.errors import ParseError
from harness.core.models import Finding, Location, Severity

# The three severities, and their letters as the reports' tables abbreviate them. Any other word
# ("blocker", "major", "nit") is an error: guessing what a reviewer meant by it would skew the
# severity scores silently.
_SEVERITY_WORDS = {"c": "critical", "critical": "critical", "i": "important", "important": "important",
                   "s": "suggestion", "suggestion": "suggestion"}
_FIELDS = set(Finding.model_fields)


def coerce_severity(value: Any) -> Severity:
    if isinstance(value, Severity):
        return value
    word = str(getattr(value, "value", value)).strip().lower()
    if word not in _SEVERITY_WORDS:
        raise ParseError(f"unknown severity {value!r} (accepted: critical, important, suggestion, or C, I, S)")
    return Severity(_SEVERITY_WORDS[word])


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


class FindingIn(BaseModel):
    """One finding of a findings file (what `coerce_finding` accepts): `severity` and `title` are
    required; the place is either flat (`path`, `line_start`, `line_end`) or a `locations` list.
    Other keys (confidence, ...) are ignored."""

    model_config = ConfigDict(extra="allow")

    severity: Literal["critical", "important", "suggestion", "C", "I", "S"] = Field(
        description="critical, important or suggestion (any case), or the letter C, I or S")
    title: str = Field(description="One line: what is wrong")
    body: str = Field("", description="Why, and what to do (markdown)")
    path: str | None = Field(None, description="File the finding is about (alias: file)")
    line_start: int | None = Field(None, description="First line on the new side of the diff (alias: line)")
    line_end: int | None = Field(None, description="Last line (inclusive) [default: line_start]")
    locations: list[Location] = Field(default_factory=list,
                                      description="Several places; used instead of path/line_start/line_end")
    id: str = Field("", description="The reviewer's own id for the finding")
    tags: list[str] = Field(default_factory=list)
    category: str | None = None


class FindingsFile(RootModel[list[FindingIn]]):
    """A findings file for `harness score --findings`: a JSON list of findings (or an object whose
    `findings` key holds that list)."""


def findings_file_schema() -> dict[str, Any]:
    """The JSON schema of a findings file (`harness schema findings`)."""
    return FindingsFile.model_json_schema()
