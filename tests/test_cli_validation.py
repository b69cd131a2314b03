"""Bad values fail loudly instead of passing as empty results; ingest never loses a report silently."""

from __future__ import annotations

import json
import re

import pytest

import cli
from conftest import ROOT, SAMPLE

RID = "20250902-101500-pr-41"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("argv", [["leaderboard", "--since", "yesterday"], ["leaderboard", "--until", "2026-13-01"],
                                  ["reports", "--since", "notadate"]])
def test_dates_parse_or_fail_with_the_format(capsys, argv):
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and "YYYY-MM-DD" in err and f"'{argv[-1]}'" in err


def test_a_valid_date_still_filters(capsys):
    run(capsys, "ingest", str(SAMPLE))
    rc, out, _ = run(capsys, "reports", "--since", "2025-10-01", "--json")
    assert rc == 0
    assert {r["id"][:8] for r in json.loads(out)["reports"]} == {"20251014", "20251021", "20251103", "20251118"}


@pytest.mark.parametrize("option", ["--limit", "--timeout", "--concurrency"])
def test_counts_are_at_least_one(capsys, option):
    rc, _, err = run(capsys, "bench", "--model", "replay:Claude", option, "0")
    assert rc == 2 and f"'{option}'" in err and "greater than or equal to 1" in err


def test_unknown_split_name_fails(capsys):
    run(capsys, "ingest", str(SAMPLE))
    rc, _, err = run(capsys, "dataset", "show", "--split-name", "nope")
    assert rc == 2 and "no split named 'nope'" in err


def test_ingest_that_stores_nothing_exits_1(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    rc, _, err = run(capsys, "ingest", str(tmp_path / "empty"))
    assert rc == 1 and "no report stored" in err
    rc, _, err = run(capsys, "ingest", str(SAMPLE / "20250920-083000-pr-77.md"))  # the malformed one
    assert rc == 1 and "no report stored: all 1 file(s) failed" in err


def test_review_with_no_findings_warns(capsys, tmp_path):
    run(capsys, "ingest", str(SAMPLE))
    md = tmp_path / "review.md"
    md.write_text("# My review\n\nLooks good to me, nothing to add.\n")
    rc, out, err = run(capsys, "score", RID, "--findings", str(md), "--json")
    assert rc == 0 and json.loads(out)["predictions"] == []
    assert err.startswith("harness: warning: ") and "0 findings" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("word", ["blocker", "major", "nit"])
def test_unknown_severity_names_the_accepted_words(capsys, tmp_path, word):
    run(capsys, "ingest", str(SAMPLE))
    p = tmp_path / "f.json"
    p.write_text(json.dumps([{"severity": word, "title": "x", "path": "a.go"}]))
    rc, _, err = run(capsys, "score", RID, "--findings", str(p))
    assert rc == 2 and f"unknown severity '{word}'" in err
    assert "critical, important, suggestion" in err


def _readme_findings() -> list[dict]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"Three findings:\n\n```json\n(.*?)```", text, re.S)
    assert block, "README lost its findings example"
    return json.loads(block.group(1))


def test_schema_findings_and_the_readme_example(capsys, tmp_path):
    from scorers import coerce_findings
    from scorers.findings import FindingsFile

    rc, out, _ = run(capsys, "schema", "findings")
    assert rc == 0
    schema = json.loads(out)
    item = schema["$defs"]["FindingIn"]
    assert item["required"] == ["severity", "title"]
    assert set(item["properties"]["severity"]["enum"]) >= {"critical", "important", "suggestion"}
    example = _readme_findings()
    assert len(example) == 3
    FindingsFile.model_validate(example)  # the schema accepts it, and so does the scorer
    assert [f.severity.value for f in coerce_findings(example)] == ["critical", "important", "suggestion"]
    run(capsys, "ingest", str(SAMPLE))
    p = tmp_path / "f.json"
    p.write_text(json.dumps(example))
    rc, out, _ = run(capsys, "score", RID, "--findings", str(p), "--json")
    assert rc == 0 and len(json.loads(out)["predictions"]) == 3
    rc, _, err = run(capsys, "schema", "nope")
    assert rc == 2 and "unknown schema" in err


# -- ingest: report ids are unique in a batch -----------------------------------------------------


def _two_files_one_id(tmp_path):
    src = (SAMPLE / f"{RID}.md").read_text()
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.md").write_text(src)
    (folder / "b.md").write_text(src + "\nA late note that makes this file different.\n")
    return folder


def test_second_file_with_the_same_id_is_an_error_naming_both(capsys, tmp_path):
    folder = _two_files_one_id(tmp_path)
    rc, out, err = run(capsys, "ingest", str(folder), "--json")
    assert rc == 1 and "another file of the batch" in err
    entries = {e["source"].rsplit("/", 1)[-1]: e for e in json.loads(out)["reports"]}
    assert entries["a.md"]["status"] == "ok" and entries["a.md"]["id"] == RID
    assert entries["b.md"]["status"] == "failed"
    reason = entries["b.md"]["warnings"][0]["message"]
    assert RID in reason and str(folder / "a.md") in reason
    # again: the first stays unchanged, the second is refused again (never "replaced")
    rc, out, _ = run(capsys, "ingest", str(folder))
    assert rc == 1
    assert "1 report(s) stored from 2 file(s): 0 new, 0 replaced, 1 unchanged, 1 failed" in out
    assert f"FAILED  {folder / 'b.md'}" in out


def test_newer_version_of_the_same_path_replaces(capsys, tmp_path):
    f = tmp_path / "r.md"
    src = (SAMPLE / f"{RID}.md").read_text()
    f.write_text(src)
    assert run(capsys, "ingest", str(f))[0] == 0
    rc, out, _ = run(capsys, "ingest", str(f))
    assert rc == 0 and "0 new, 0 replaced, 1 unchanged" in out
    f.write_text(src + "\nEdited.\n")
    rc, out, _ = run(capsys, "ingest", str(f))
    assert rc == 0 and "0 new, 1 replaced, 0 unchanged" in out


def test_identical_copies_are_not_a_clash(capsys, tmp_path):
    src = (SAMPLE / f"{RID}.md").read_text()
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(src)
    rc, out, _ = run(capsys, "ingest", str(tmp_path))
    assert rc == 0 and "1 report(s) stored from 2 file(s)" in out


def test_review_whose_findings_carry_no_severity_says_so(capsys, tmp_path):
    run(capsys, "ingest", str(SAMPLE))
    md = tmp_path / "review.md"
    md.write_text("# Review\n\n### Finding 1: Retry loop never ends\n\n`a.go:3` spins.\n\n"
                  "### Finding 2: Missing close\n\n`b.go:9` leaks.\n")
    rc, out, err = run(capsys, "score", RID, "--findings", str(md), "--json")
    assert rc == 0 and json.loads(out)["predictions"] == []
    assert err.startswith("harness: warning: ") and len(err.splitlines()) == 1
    assert "2 finding heading(s) carry no severity" in err
