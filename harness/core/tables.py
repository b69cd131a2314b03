"""The one table writer (markdown and CSV) and the one output-format dispatcher.

Every markdown table of the project goes through `markdown_table`, which escapes every cell
(header included): a cell is one line (newlines and runs of whitespace become one space), its
pipes are escaped and so is the `<` of anything a markdown viewer would take for HTML (a tag, a
comment, an autolink), so text a report or a model wrote can never break a table's columns nor
inject markup. The gold writer (harness.gold.render), which reproduces the reports' own markdown
(`<br>` in a header cell), passes `html=True` to keep markup as written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from harness.core.errors import HarnessError

DASH = "\u2014"
_PIPE = re.compile(r"(?<!\\)\|")  # a pipe not already escaped
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])")  # the start of a tag, comment, declaration or autolink
# control characters that str.split() keeps: ESC starts a terminal escape sequence (colours, cursor
# moves, a cleared screen, a window title) when a table is printed to a terminal
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f]")


def escape_cell(text: Any, *, html: bool = False) -> str:
    """One line, pipes escaped (an already escaped pipe is left as it is), control characters shown
    as U+FFFD and, unless `html`, no markup: `<script>` becomes `&lt;script>` (idempotent; `a < b`
    is left as it is)."""
    out = _PIPE.sub(r"\\|", _CONTROL.sub("\ufffd", " ".join(str(text).split())))
    return out if html else _MARKUP.sub("&lt;", out)


def first_line(text: Any, limit: int = 200) -> str | None:
    """The first non-blank line of `text`, cut to `limit` characters (None when there is none)."""
    line = next((ln.strip() for ln in str(text or "").splitlines() if ln.strip()), None)
    if line is None or len(line) <= limit:
        return line
    return line[:limit - 1] + "\u2026"


def cell(text: Any, empty: str = DASH, *, html: bool = False) -> str:
    """A table cell: one line, pipes escaped, None or blank shown as an em dash (or `empty`)."""
    if text is None or not str(text).strip():
        return empty
    return escape_cell(text, html=html)


def markdown_table(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, html: bool = False) -> str:
    """A GitHub-flavoured markdown table; every cell is escaped (`escape_cell`)."""
    lines = ["|" + "|".join(f" {escape_cell(h, html=html)} " if str(h).strip() else " " for h in header) + "|",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(escape_cell(c, html=html) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def rows_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
               missing: str = DASH, nothing: str = "(none)", html: bool = False) -> str:
    """A markdown table of dict rows (columns: the first row's keys); `nothing` when there are none."""
    if not rows:
        return nothing
    columns = list(columns or rows[0])
    return markdown_table(columns, ([cell(r.get(c), missing, html=html) for c in columns] for r in rows), html=html)


def anchor(heading: str, seen: dict[str, int] | None = None) -> str:
    """The in-page link target GitHub gives a markdown heading: lower case, punctuation dropped,
    spaces as hyphens; a repeated heading gets -1, -2 ... when `seen` (shared per document) is given."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
    if seen is None:
        return slug
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return slug if n == 0 else f"{slug}-{n}"


def csv_table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The same table as CSV (RFC 4180 quoting)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


# -- formats ----------------------------------------------------------------------------------

def check_format(fmt: str, formats: Iterable[str]) -> None:
    formats = list(formats)
    if fmt not in formats:
        raise HarnessError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(formats)}")


def render_as(fmt: str, renderers: Mapping[str, Callable[[], str | bytes]]) -> str | bytes:
    """The output of the renderer named `fmt` (HarnessError naming the known ones otherwise)."""
    check_format(fmt, renderers)
    return renderers[fmt]()


def emit(data: str | bytes, output: str | Path | None, fmt: str) -> str | None:
    """Write `data` to `output`, or return the text for stdout (a binary format needs a file)."""
    if output is None:
        if isinstance(data, bytes):
            raise HarnessError(f"{fmt} is binary: give -o FILE")
        return data
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    return None
