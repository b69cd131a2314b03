"""The one markdown / CSV table writer and format dispatcher (harness.core.tables)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.errors import HarnessError
from harness.core.tables import (anchor, cell, csv_table, emit, escape_cell, first_line, markdown_table, render_as,
                                 rows_table)

_DELIM = re.compile(r"(?<!\\)\|")


def _columns(line: str) -> int:
    """Cells in a table line, counted by unescaped pipes as a GFM table parser splits them."""
    return len(_DELIM.findall(line)) - 1


@given(st.lists(st.text(), min_size=1, max_size=4), st.lists(st.lists(st.text(), min_size=4, max_size=4), max_size=3))
def test_untrusted_text_never_breaks_the_columns(header, rows):
    rows = [r[: len(header)] for r in rows]
    out = markdown_table(header, rows)
    lines = out.split("\n")
    assert len(lines) == 2 + len(rows)  # newlines inside cells never start a line
    assert all(_columns(line) == len(header) for line in lines)


@given(st.text())
def test_no_control_character_reaches_a_cell(text):
    out = markdown_table(["h"], [[text]])
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", out.replace("\n", ""))


def test_a_terminal_escape_in_a_cell_is_shown_not_obeyed():
    assert escape_cell("ok \x1b[2J\x1b]0;title\x07 done") == "ok \ufffd[2J\ufffd]0;title\ufffd done"
    assert escape_cell("Vec\x00<u8>", html=True) == "Vec\ufffd<u8>"


def test_pipes_and_newlines_are_escaped_once():
    assert escape_cell("a | b\nc") == "a \\| b c"
    assert escape_cell(escape_cell("a | b")) == "a \\| b"  # idempotent: an escaped pipe stays escaped once
    assert cell(None) == "\u2014" and cell("  ", empty="") == ""
    assert markdown_table(["", "x"], [["**k**", "v|w"]]) == "| | x |\n|---|---|\n| **k** | v\\|w |"


def test_markup_is_escaped_but_the_gold_writer_keeps_the_reports_own():
    from harness.gold.render import table

    assert markdown_table(["a"], [["x <b>y</b> <!-- c --> <http://e> a < b"]]).splitlines()[2] == \
        "| x &lt;b>y&lt;/b> &lt;!-- c --> &lt;http://e> a < b |"
    assert "| x<br>y |" in table(["a"], [["x<br>y"]])
    assert escape_cell(escape_cell("<b>")) == "&lt;b>"  # idempotent


def test_first_line_and_anchor():
    assert first_line("\n  first \nsecond") == "first" and first_line(None) is None and first_line(" \n") is None
    assert first_line("x" * 300, limit=10) == "x" * 9 + "\u2026"
    seen: dict[str, int] = {}
    assert [anchor(h, seen) for h in ("Before / after the cut-off", "Per report (3)", "Per report (3)")] == \
        ["before--after-the-cut-off", "per-report-3", "per-report-3-1"]


def test_rows_table():
    assert rows_table([]) == "(none)"
    assert rows_table([], nothing="(nothing)") == "(nothing)"
    out = rows_table([{"id": "r|1", "n": None}, {"id": "r2", "n": 3}], missing="")
    assert out == "| id | n |\n|---|---|\n| r\\|1 |  |\n| r2 | 3 |"


def test_csv_round_trips():
    rows = [["a,b", 'say "x"', "line\nbreak"], ["", "1", "—"]]
    text = csv_table(["h1", "h2", "h3"], rows)
    assert list(csv.reader(io.StringIO(text))) == [["h1", "h2", "h3"], *rows]


def test_render_as_names_the_known_formats():
    assert render_as("md", {"md": lambda: "m", "json": lambda: "j"}) == "m"
    with pytest.raises(HarnessError) as exc:
        render_as("xml", {"md": lambda: "m", "json": lambda: "j"})
    assert "unknown format 'xml'" in str(exc.value) and exc.value.hint == "use one of md, json"


def test_emit(tmp_path):
    assert emit("text", None, "md") == "text"
    with pytest.raises(HarnessError, match="parquet is binary"):
        emit(b"\x00", None, "parquet")
    assert emit(b"\x00", tmp_path / "sub" / "x.parquet", "parquet") is None
    assert (tmp_path / "sub" / "x.parquet").read_bytes() == b"\x00"


def test_score_table_keeps_a_model_written_title_in_its_cell():
    from harness.core.scores import PredictionLabel, ScoreResult
    from harness.gold.score import score_table

    title = "drops | the lock\n| forged | row |"
    res = ScoreResult(scorer="default", report_id="r1",
                      predictions=[PredictionLabel(index=0, label="novel", severity="important", title=title)])
    table = [line for line in score_table(res).split("\n") if line.startswith("| 1 |")]
    assert len(table) == 1 and _columns(table[0]) == 10
    assert table[0].endswith("drops \\| the lock \\| forged \\| row \\| |")
