"""Cited locations: `path:12`, `path:12-20`, `path:114, 157`, `path#L270-L280`, comma / `and` /
`vs` lists, bare file names resolved through the review's Coverage Summary."""

from __future__ import annotations

import posixpath
import re

from harness.core.models import Location

_LINE_SPAN = re.compile(r"L?(\d+)(?:\s*[-–—]\s*L?(\d+))?")

# a token with a slash, or with a file extension, or followed by a line number; plain words never
# match, which keeps the scan cheap on prose
_PATH = (r"(?:[\w.@+~-]+/){2,}(?![\w.@+~-])"  # a directory: `pkg/controllers/`
         r"|(?:[\w.@+~-]+/)+[\w.@+~-]*[\w@+~-]"
         r"|[\w@+~-][\w.@+~-]*\.[A-Za-z][A-Za-z0-9]{0,9}(?![\w])"
         r"|[\w@+~-][\w.-]*(?=:\d|#L\d)"
         r"|(?:Makefile|Dockerfile|Containerfile|Vagrantfile|Jenkinsfile|Gemfile|Rakefile|Procfile|CODEOWNERS)")
_LINES = r"(?::|#L|\s+\(?(?:lines?|L)\s*)(\d+)(?:\s*[-–—]\s*L?(\d+))?"
_MORE = r"((?:\s*(?:,|and|&)\s*L?\d+(?:\s*[-–—]\s*L?\d+)?(?![\w./:]))*)"
_LOC = re.compile(rf"(?<![\w/.@~-])(?P<path>{_PATH})(?:{_LINES}{_MORE})?")
_CHEAP = re.compile(r"[/.:#]|file\b|CODEOWNERS")
# What a run of path characters needs to hold a match of _LOC: a `/`, an extension, a line
# number right after it (`name:12`, `name#L3`), or a bare file name. Every branch opens with a
# literal, so the regex engine skips between them at C speed.
_TRIGGER = re.compile(r"/|\.[A-Za-z]|:\d|#L\d|Makefile|Dockerfile|Containerfile|Vagrantfile|Jenkinsfile"
                      r"|Gemfile|Rakefile|Procfile|CODEOWNERS")
_RUN_TAIL = re.compile(r"[\w.@+~/-]*")
_RUN_BREAK = re.compile(r".*[^\w.@+~/-]", re.S)  # backtracks from the end in C
_EXT_OK = re.compile(r"\.(?:[A-Za-z][A-Za-z0-9]{1,9}|[chmrsS])$")
_BARE_NAMES = {"Makefile", "Dockerfile", "Containerfile", "Vagrantfile", "Jenkinsfile", "Gemfile",
               "Rakefile", "Procfile", "LICENSE", "README", "CODEOWNERS", "Taskfile"}
_NOT_PATHS = re.compile(r"^(?:e\.g|i\.e|etc|vs|v?\d[\d.]*|\d+\w*|[A-Z][a-z]+\.[A-Z]\w*)$")


def _is_path(token: str, has_lines: bool, known: set[str]) -> bool:
    if token in known:
        return True
    if _NOT_PATHS.match(token) or "//" in token:
        return False
    if token.endswith("/"):
        return token.count("/") >= 2 and not token.startswith(("/", "http"))
    base = posixpath.basename(token)
    if "/" in token and base and (_EXT_OK.search(base) or base in _BARE_NAMES or has_lines):
        return True
    if _EXT_OK.search(base):
        # `Type.Method` identifiers look like files; a lowercase extension is required then
        ext = base.rsplit(".", 1)[1]
        return ext.islower() or ext in {"S"}
    return base in _BARE_NAMES


def resolve_path(path: str, coverage_paths: list[str] | None) -> str:
    """A bare or partial name -> the one Coverage Summary path that ends with it."""
    if not coverage_paths or path in coverage_paths:
        return path
    hits = [p for p in coverage_paths if p == path or p.endswith("/" + path)]
    return hits[0] if len(hits) == 1 else path


def _scan(text: str):
    """Exactly `_LOC.finditer(text)`, several times faster on prose. The regex engine tries the
    whole pattern at every character; a match can only start where the lookbehind allows, at the
    start of a run of path characters or right after a `+` inside one, and only in a run that
    holds a trigger. So only the runs around triggers are tried, at those starts, in order."""
    end = done = 0  # end of the last match / of the last run tried
    for trig in _TRIGGER.finditer(text):
        t = trig.start()
        if t < done or t < end:
            continue
        b = t if text[t] in ":#" else _RUN_TAIL.match(text, t).end()
        if b <= done:
            continue
        brk = _RUN_BREAK.match(text, 0, t)  # the last character before t outside the run
        p = brk.end() if brk else 0
        done = b
        while p < b:
            if p >= end and text[p] != "/":
                m = _LOC.match(text, p)
                if m:
                    end = m.end()
                    yield m
            p = text.find("+", p, b) + 1  # the next start follows a `+`; none left: 0 ends the loop
            if p == 0:
                break


def parse_locations(text: str, coverage_paths: list[str] | None = None) -> list[Location]:
    """Every location cited in `text`, in order, without duplicates."""
    if not _CHEAP.search(text):
        return []
    known = set(coverage_paths or [])
    clean = text.replace("`", "").replace("**", "")
    out: list[Location] = []
    seen: set[tuple] = set()
    for m in _scan(clean):
        token = m.group("path").rstrip(".,;:")
        has_lines = m.group(2) is not None
        if not _is_path(token, has_lines, known):
            continue
        path = resolve_path(token.lstrip("./") if token.startswith("./") else token, coverage_paths)
        spans: list[tuple[int | None, int | None]] = []
        if has_lines:
            start = int(m.group(2))
            spans.append((start, int(m.group(3)) if m.group(3) else start))
            for a, b in _LINE_SPAN.findall(m.group(4) or ""):
                spans.append((int(a), int(b) if b else int(a)))
        else:
            spans.append((None, None))
        for s, e in spans:
            key = (path, s, e)
            if key not in seen:
                seen.add(key)
                out.append(Location(path=path, line_start=s, line_end=e))
    return out
