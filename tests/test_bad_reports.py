"""Bad report files mixed with good ones in one `ingest` call: each bad one gets a clear one-line
reason (or is stored, if it happens to be a report), the good ones land exactly as they do alone,
and nothing crashes. Generated with hypothesis: random markdown, truncated synthetic samples,
mangled header tables, binary bytes, wrong encodings; plus a 50 MB file and deep nesting."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from harness.gold.ingest import MAX_REPORT_BYTES, ingest_paths
from harness.store import Store
from harness.store import gold

from conftest import SAMPLE

GOOD = [SAMPLE / "20250611-143000-pr-17.md", SAMPLE / "20251021-161200-pr-63.md"]
TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("2*.md"))]
# a reason the parser's own checks wrote, not an exception that escaped it
CRASH = re.compile(r"^[A-Z]\w*(Error|Exception|Failure)\b|Traceback|^\w+Error:")
EXAMPLES = min(settings.default.max_examples, 40)


def _baseline() -> dict[str, dict]:
    with Store(":memory:") as s:
        res = ingest_paths(s, GOOD)
        assert res.totals.reports == len(GOOD)
        return {e.id: gold.get_report(s, e.id).model_dump(exclude={"source"}) for e in res.reports}


BASELINE = _baseline()


def _rename(text: str, n: int) -> str:
    """Another report id (a variant must not replace the good report of the same id)."""
    return re.sub(r"^# Deep Review: \S+", f"# Deep Review: variant-{n}", text, count=1, flags=re.M)


# -- strategies ---------------------------------------------------------------------------------

FRAGMENTS = [
    "# Deep Review: x", "| **Date** | 2025-01-01 |", "|---|---|", "| | |", "## Findings", "### Critical",
    "### Important", "### Suggestions", "1. **Title** (`a.py:10-12`): body", "- **T** `b.go:3`", "> quoted",
    "```", "```python", "~~~", "<details>", "</details>", "## Retro", "| Agent | Findings |", "| Claude | 3 |",
    "**Verdict**: approve", "S1. **x**", "C1 (dup)", "---", "", "    indented", "* * *", "[link](http://x)",
    "| a | b | c | d | e | f |", "1.", "#", "|", "**", "`", "~~struck~~", "## Claude review", "### Codex",
]


@st.composite
def random_markdown(draw) -> bytes:
    parts = draw(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=40))
    return "\n".join(parts).encode("utf-8", "surrogatepass") if parts else b"# Deep Review: r\n"


@st.composite
def truncated_sample(draw) -> bytes:
    i = draw(st.integers(0, len(TEXTS) - 1))
    data = _rename(TEXTS[i], draw(st.integers(0, 99))).encode("utf-8")
    return data[:draw(st.integers(0, len(data)))]  # may split a multi-byte character: a clear reason too


@st.composite
def wrong_table(draw) -> bytes:
    text = _rename(TEXTS[draw(st.integers(0, len(TEXTS) - 1))], draw(st.integers(0, 99)))
    lines = text.split("\n")
    rows = [k for k, ln in enumerate(lines) if ln.startswith("|")]
    for k in draw(st.lists(st.sampled_from(rows), max_size=8)) if rows else []:
        op = draw(st.sampled_from(["drop_cells", "extra_cells", "no_pipes", "blank", "swap", "garbage"]))
        cells = lines[k].split("|")
        lines[k] = {"drop_cells": "|".join(cells[:2]), "extra_cells": lines[k] + " x | y | z |",
                    "no_pipes": lines[k].replace("|", " "), "blank": "",
                    "swap": "|".join(reversed(cells)), "garbage": "| " + draw(st.text(max_size=20)) + " |"}[op]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def wrong_encoding(draw) -> bytes:
    text = _rename(TEXTS[draw(st.integers(0, len(TEXTS) - 1))], draw(st.integers(0, 99))) + "\ncafé — naïve\n"
    enc = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"]))
    return text.encode(enc, "replace")


bad_docs = st.one_of(random_markdown(), truncated_sample(), wrong_table(), wrong_encoding(),
                     st.binary(max_size=2000))


# -- the property ---------------------------------------------------------------------------------


def _ingest_mixed(tmp: Path, bad: list[bytes]):
    files = []
    for k, data in enumerate(bad):
        f = tmp / f"bad-{k}.md"
        f.write_bytes(data)
        files.append(f)
    with Store(":memory:") as s:
        res = ingest_paths(s, [*files, *GOOD])
        good = {rid: gold.get_report(s, rid).model_dump(exclude={"source"}) for rid in BASELINE}
        failures = gold.list_failures(s)
    return res, good, failures, files


def _check(res, good, failures, files) -> None:
    assert res.totals.files == len(files) + len(GOOD)
    assert good == BASELINE  # the good reports land exactly as they do alone
    by_source = {e.source: e for e in res.reports}
    for f in files:
        e = by_source[str(f)]
        if e.status == "failed":
            reason = e.warnings[0].message
            assert reason and "\n" not in reason and not CRASH.search(reason), reason
    recorded = set(failures["source"].to_list())
    assert recorded == {e.source for e in res.reports if e.status == "failed"}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(bad_docs, min_size=1, max_size=4))
def test_bad_files_get_reasons_and_good_ones_land(bad):
    with tempfile.TemporaryDirectory() as tmp:
        _check(*_ingest_mixed(Path(tmp), bad))


@pytest.mark.parametrize("encoding, reason", [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("latin-1", "not UTF-8"),
])
def test_wrong_encoding_reason_names_the_problem(tmp_path, encoding, reason):
    text = _rename(TEXTS[0], 1) + "\ncafé\n"
    res, good, failures, files = _ingest_mixed(tmp_path, [text.encode(encoding, "replace")])
    _check(res, good, failures, files)
    entry = next(e for e in res.reports if e.source == str(files[0]))
    assert entry.status == "failed" and reason in entry.warnings[0].message


def test_50mb_file_fails_fast_with_a_size_reason(tmp_path):
    big = tmp_path / "huge.md"
    block = TEXTS[1].encode("utf-8")
    with big.open("wb") as fh:
        for _ in range(50 * 2**20 // len(block) + 1):
            fh.write(block)
    assert big.stat().st_size > 50 * 2**20
    t = time.perf_counter()
    with Store(":memory:") as s:
        res = ingest_paths(s, [big, *GOOD])
        assert sorted(gold.report_ids(s)) == sorted(BASELINE)
    elapsed = time.perf_counter() - t
    entry = next(e for e in res.reports if e.source == str(big))
    assert entry.status == "failed" and "too large" in entry.warnings[0].message
    assert f"{big.stat().st_size:,}" in entry.warnings[0].message
    assert elapsed < 10  # parsing it would take about a minute; the size check reads 4 MB


def test_report_just_under_the_limit_is_parsed(tmp_path):
    """The limit is on bytes, not on a report's shape: a long real-looking report still parses."""
    text = _rename(TEXTS[1], 7)
    line = "Context paragraph that pads the report without adding findings.\n"
    data = (text + "\n\n" + line * ((MAX_REPORT_BYTES - len(text.encode()) - 1000) // len(line))).encode()
    assert MAX_REPORT_BYTES - 2000 < len(data) <= MAX_REPORT_BYTES
    f = tmp_path / "long.md"
    f.write_bytes(data)
    with Store(":memory:") as s:
        res = ingest_paths(s, [f])
    assert res.reports[0].status != "failed", res.reports[0].warnings


@pytest.mark.parametrize("prefix", ["> ", "- ", "1. ", "* > "])
def test_pathological_nesting_does_not_kill_the_process(tmp_path, prefix):
    """markdown_it_pyrs segfaulted on ~40k nested containers: the whole batch died with it."""
    data = (_rename(TEXTS[0], 3) + "\n\n" + prefix * 60_000 + "x\n").encode()
    res, good, failures, files = _ingest_mixed(tmp_path, [data])
    _check(res, good, failures, files)
