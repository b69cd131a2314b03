"""The one table writer (markdown and CSV) and the one output-format dispatcher.

Every markdown table of the project goes through `markdown_table`, which escapes every cell
(header included): a cell is one line (newlines and runs of whitespace become one space) and
its pipes are escaped, so text a report or a model wrote can never break a table's columns.
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


def escape_cell(text: Any) -> str:
    """One line, pipes escaped (an already escaped pipe is left as it is)."""
    return _PIPE.sub(r"\\|", " ".join(str(text).split()))


def cell(text: Any, empty: str = DASH) -> str:
    """A table cell: one line, pipes escaped, None or blank shown as an em dash (or `empty`)."""
    if text is None or not str(text).strip():
        return empty
    return escape_cell(text)


def markdown_table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table; every cell is escaped (`escape_cell`)."""
    lines = ["|" + "|".join(f" {escape_cell(h)} " if str(h).strip() else " " for h in header) + "|",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(escape_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def rows_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
               missing: str = DASH, nothing: str = "(none)") -> str:
    """A markdown table of dict rows (columns: the first row's keys); `nothing` when there are none."""
    if not rows:
        return nothing
    columns = list(columns or rows[0])
    return markdown_table(columns, ([cell(r.get(c), missing) for c in columns] for r in rows))


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
