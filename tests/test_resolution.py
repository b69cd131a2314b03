"""Acted-on gold: every consolidated finding carries its resolution, read from the Resolution table.

The synthetic reports below use every ref form and action wording seen in the real corpora
(`Critical #1: title`, `C1: title`, `Important I1: title`, `Suggestion 2: title`,
`Important #1 (I1): title`, ranges like `Suggestions #1–#2`, and `Testing Gap #3: ...` /
`Documentation Gap #1: ...` rows that are not findings), written from scratch.
"""

from __future__ import annotations

import json

import pytest

from harness.core.models import RESOLUTION_STATUSES, resolution_status
from harness.core.errors import ParseError
from harness.gold.parse import parse_report

HEADER = """# Deep Review: 20250105-101010-pr-5

| | |
|---|---|
| **Date** | 2025-01-05 10:10 |
| **Repo** | [acme/widgets](https://github.com/acme/widgets) |
| **Round** | 1 |
| **PR** | [#5](https://github.com/acme/widgets/pull/5) — Sprocket cache |
| **Reviewers** | Claude Opus 4.6, Codex GPT 5.4 |
| **Verdict** | **Merge with fixes** |

---

## Consolidated Review

### Findings

#### Critical Issues

C1. **Cache key ignores tenant** — `src/cache.py:10-14` [Claude Opus 4.6] (critical, security)

Two tenants share one entry.

---

#### Important Issues

I1. **Eviction runs under the read lock** — `src/cache.py:40` [Codex GPT 5.4] (important, concurrency)

Writers stall behind readers.

---

I2. **TTL read in minutes, applied in seconds** — `src/config.py:7` [Claude Opus 4.6] (important, bug)

A one hour TTL becomes one minute.

---

I3. **Miss path allocates twice** — `src/cache.py:88` [Codex GPT 5.4] (important, performance)

---

#### Suggestions

S1. **Rename `tmp_map`** — `src/cache.py:3` [Claude Opus 4.6] (suggestion, style)

---

S2. **Docstring claims LRU, code is FIFO** — `src/cache.py:20` [Codex GPT 5.4] (suggestion, docs)

---

S3. **Magic number 4096** — `src/cache.py:55` [Claude Opus 4.6] (suggestion, style)

---

### Testing Gaps

1. No test evicts under contention. [Codex GPT 5.4]

2. No test covers the TTL unit. [Claude Opus 4.6]

---

## Resolution

"""

# (ref cell, action cell) -> the finding ids it must resolve to
REF_FORMS = [
    ("Critical #1: Cache key ignores tenant", ["C1"]),
    ("C1: Cache key ignores tenant", ["C1"]),
    ("Critical C1: Cache key ignores tenant", ["C1"]),
    ("Important #2: TTL unit", ["I2"]),
    ("Important I2: TTL unit", ["I2"]),
    ("Important 2: TTL unit", ["I2"]),
    ("I2: TTL unit", ["I2"]),
    ("Important #2 (I2): TTL unit", ["I2"]),
    ("**Important #2**: TTL unit", ["I2"]),
    ("Suggestion #3: Magic number", ["S3"]),
    ("Suggestion S3: Magic number", ["S3"]),
    ("Suggestion 3: Magic number", ["S3"]),
    ("S3: Magic number", ["S3"]),
    ("Suggestion #3 (S3): Magic number", ["S3"]),
    ("Suggestions #1–#2", ["S1", "S2"]),
    ("Important #1-#3", ["I1", "I2", "I3"]),
    ("Testing Gap #2: TTL unit untested", []),
    ("Testing Gap 2: TTL unit untested", []),
    ("Testing Gap #1 (links to I1): contention", []),
    ("Testing Gaps #1–#2", []),
    ("Documentation Gap #1: README example", []),
    ("Design Observation: cache layering", []),
]


def _report(rows: list[tuple[str, str]], header: str = "| # | Finding | Action |") -> str:
    cols = header.count("|") - 1
    lines = [header, "|" + "---|" * cols]
    for n, (ref, action) in enumerate(rows, 1):
        extra = " |" * (cols - 3)
        lines.append(f"| {n} | {ref} | {action} |{extra}")
    return HEADER + "\n".join(lines) + "\n"


def _finding_ids(ids: list[str]) -> list[str]:
    return [i for i in ids if not i.startswith("TG")]


@pytest.mark.parametrize("ref,expected", REF_FORMS)
def test_every_ref_form_maps_to_the_right_finding(ref, expected):
    report = parse_report(_report([(ref, "Fixed")]))
    assert [f.id for f in report.findings] == ["C1", "I1", "I2", "I3", "S1", "S2", "S3"]
    assert _finding_ids(report.resolutions[0].finding_ids) == expected
    fixed = sorted(f.id for f in report.findings if f.resolution == "fixed")
    assert fixed == sorted(expected)
    assert all(f.resolution == "unknown" for f in report.findings if f.id not in expected)


@pytest.mark.parametrize("header", ["| # | Finding | Action |", "| # | Finding | Action | Reason |",
                                    "| # | Finding | Status |"])
def test_table_header_variants(header):
    report = parse_report(_report([("C1: Cache key ignores tenant", "Fixed"),
                                   ("Suggestion #2: Docstring", "Skipped")], header))
    got = {f.id: f.resolution for f in report.findings}
    assert got["C1"] == "fixed" and got["S2"] == "skipped" and got["I1"] == "unknown"


@pytest.mark.parametrize("action,status", [
    ("Fixed", "fixed"), ("**Fixed**", "fixed"), ("Fixed (moved the check under the lock)", "fixed"),
    ("Fixed as part of Important #3", "fixed"), ("Auto-resolved by I2", "fixed"), ("Test written", "fixed"),
    ("Tests written", "fixed"), ("Documentation updated", "fixed"), ("Done", "fixed"), ("Addressed", "fixed"),
    ("Skipped", "skipped"), ("Skipped (cosmetic)", "skipped"), ("Won't fix", "skipped"),
    ("Declined", "skipped"), ("Skipped — deferred to a follow-up PR", "deferred"),
    ("Deferred", "deferred"), ("Follow-up", "deferred"), ("Commented", "commented"),
    ("Acknowledged", "commented"), ("Replied on the PR", "commented"), ("Mulled it over", "unknown"),
])
def test_action_wordings(action, status):
    report = parse_report(_report([("S1: Rename", action)]))
    assert {f.id: f.resolution for f in report.findings}["S1"] == status


def test_note_column_turns_a_skip_into_a_deferral():
    report = parse_report(_report([("S1: Rename", "Skipped | deferred to the cache rewrite")],
                                  "| # | Finding | Action | Reason |"))
    assert report.findings[4].resolution == "deferred"
    assert resolution_status("Skipped", "not worth the churn") == "skipped"


def test_most_acted_on_row_wins_when_a_finding_has_two_rows():
    report = parse_report(_report([("S1: Rename", "Skipped"), ("Suggestions #1–#2", "Fixed")]))
    got = {f.id: f.resolution for f in report.findings}
    assert got["S1"] == "fixed" and got["S2"] == "fixed"


def test_no_resolution_table_means_unknown():
    text = HEADER.split("## Resolution")[0]
    report = parse_report(text)
    assert report.findings and {f.resolution for f in report.findings} == {"unknown"}
    assert all(f.resolution in RESOLUTION_STATUSES for f in report.findings)


def test_agent_findings_carry_no_resolution_field():
    from harness.core.models import Finding

    f = Finding(severity="important", title="x")
    assert "resolution" not in json.loads(f.model_dump_json())


def test_show_json_contract_and_store(capsys, tmp_path, store):
    import cli
    from harness.store.gold import put_report

    path = tmp_path / "20250105-101010-pr-5.md"
    path.write_text(_report([("Critical #1: Cache key", "Fixed"), ("Important I1: Eviction", "Commented"),
                             ("I2: TTL", "Skipped — deferred to the config rework"), ("S1: Rename", "Skipped")]))
    assert cli.main(["ingest", str(path)]) == 0
    capsys.readouterr()
    assert cli.main(["show", "20250105-101010-pr-5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    got = {f["id"]: f["resolution"] for f in doc["findings"]}
    assert got == {"C1": "fixed", "I1": "commented", "I2": "deferred", "I3": "unknown", "S1": "skipped",
                   "S2": "unknown", "S3": "unknown"}
    # the flat gold table holds it too
    put_report(store, parse_report(path.read_text(), source=str(path)))
    rows = dict(store.con.execute("SELECT id, resolution FROM findings").fetchall())
    assert rows == got


def test_stored_docs_without_resolution_get_it_on_load():
    report = parse_report(_report([("C1: Cache key", "Fixed")]))
    doc = json.loads(report.model_dump_json(by_alias=True))
    for f in doc["findings"]:
        f.pop("resolution")
    from harness.core.models import Report

    again = Report.model_validate(doc)
    assert {f.id: f.resolution for f in again.findings}["C1"] == "fixed"


def _more_corpus():
    from conftest import CORPUS

    more = CORPUS.parent / "reviews-more"
    return sorted(CORPUS.glob("*.md")) + (sorted(more.rglob("*.md")) if more.is_dir() else [])


@pytest.mark.skipif(not _more_corpus(), reason="report corpus not found")
def test_corpus_refs_to_findings_resolve_and_statuses_are_words():
    import re

    sev_ref = re.compile(r"^\W*(critical|important|suggestion)s?\b|^\W*[CIS]\d+\b", re.I)
    unresolved, n = [], 0
    for path in _more_corpus():
        if path.name.lower() == "readme.md":
            continue
        try:
            report = parse_report(path.read_text(encoding="utf-8"), source=str(path))
        except ParseError as exc:  # scans and CI digests beside the reports are no deep reviews
            assert "not a deep-review report" in str(exc), path
            continue
        assert all(f.resolution in RESOLUTION_STATUSES for f in report.findings)
        if not report.findings:
            continue
        for r in report.resolutions:
            if sev_ref.match(r.ref):
                n += 1
                if not _finding_ids(r.finding_ids):
                    unresolved.append((path.name, r.ref[:40]))
    assert n > 100 and not unresolved
