"""CLI gold-set section: `ingest`, `reports`, `show` through cli.main (exit codes, --json shapes)."""

from __future__ import annotations

import json

import pytest

import cli
from conftest import SAMPLE

REPORT_KEYS = {"id", "pr", "round", "date", "reviewers", "findings", "agent_reviews",
               "published_retro", "resolutions", "warnings"}
FINDING_KEYS = {"id", "severity", "title", "agents", "locations", "body"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_ingest_json_contract(capsys):
    rc, out, _ = run(capsys, "ingest", str(SAMPLE), "--json")
    assert rc == 0  # a failed file is reported, not fatal
    doc = json.loads(out)
    assert set(doc) == {"reports", "totals"}
    for e in doc["reports"]:
        assert set(e) == {"id", "source", "status", "reason", "warnings"}
        assert e["status"] in ("ok", "warning", "failed")
        assert (e["reason"] is None) == (e["status"] != "failed")
    assert [e["id"] for e in doc["reports"] if e["status"] == "failed"] == ["20250920-083000-pr-77"]
    t = doc["totals"]
    assert t["reports"] == 6 and t["failed"] == 1
    assert set(t["findings"]) == {"critical", "important", "suggestion"}
    assert {"agent_findings", "warnings"} <= set(t)


def test_ingest_summary_and_strict_exit_code(capsys):
    rc, out, _ = run(capsys, "ingest", str(SAMPLE))
    assert rc == 0
    assert "6 report(s) stored from 7 file(s)" in out and "FAILED" in out
    rc, out, err = run(capsys, "ingest", "--strict", str(SAMPLE))
    assert rc == 1
    assert "--strict" in err and len(err.strip().splitlines()) == 1
    assert "6 report(s) stored" in out  # the summary is still printed
    rc, _, _ = run(capsys, "ingest", "--strict", str(SAMPLE / "20250902-101500-pr-41.md"))
    assert rc == 0


def test_ingest_without_paths_is_usage_error(capsys):
    rc, _, err = run(capsys, "ingest")
    assert rc == 2 and "give report files" in err


def test_ingest_git_option(capsys, tmp_path):
    import shutil
    import subprocess

    repo = tmp_path / "r"
    repo.mkdir()
    shutil.copy(SAMPLE / "20251014-090000-pr-63.md", repo)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "r"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)
    rc, out, _ = run(capsys, "ingest", "--git", str(repo), "--ref", "HEAD", "--json")
    assert rc == 0
    assert [e["source"] for e in json.loads(out)["reports"]] == ["git:HEAD:20251014-090000-pr-63.md"]
    rc, _, err = run(capsys, "ingest", "--git", str(repo), "--ref", "nope")
    assert rc == 2 and "unknown git ref" in err


def test_show_json_contract(capsys):
    run(capsys, "ingest", str(SAMPLE))
    rc, out, _ = run(capsys, "show", "20250902-101500-pr-41", "--json")
    assert rc == 0
    doc = json.loads(out)
    assert REPORT_KEYS <= set(doc)
    assert {"agent", "family", "model", "effort", "status", "note", "available"} <= set(doc["reviewers"][0])
    assert (doc["reviewers"][0]["agent"], doc["reviewers"][0]["family"]) == ("Claude Opus 4.7", "Claude")
    assert "repo" in doc and "round" in doc
    assert FINDING_KEYS <= set(doc["findings"][0])
    assert set(doc["findings"][0]["locations"][0]) == {"path", "line_start", "line_end"}
    ar = doc["agent_reviews"][0]
    assert {"agent", "family", "model", "pass", "status", "findings"} <= set(ar)
    assert FINDING_KEYS <= set(ar["findings"][0]) and ar["agent"] == doc["reviewers"][0]["agent"]
    assert {"ref", "action", "note"} <= set(doc["resolutions"][0])
    assert [f["severity"] for f in doc["findings"]].count("critical") == 1


def test_show_renders_house_format_and_missing_id_fails(capsys):
    run(capsys, "ingest", str(SAMPLE))
    rc, out, _ = run(capsys, "show", "20251014-090000-pr-63")
    assert rc == 0
    assert out.startswith("# Deep Review: 20251014-090000-pr-63\n")
    assert "~~Gemini 3.1 Pro~~ (429 capacity)" in out and "## Agent Performance Retro" in out
    rc, _, err = run(capsys, "show", "nope")
    assert rc == 2 and "no report with id 'nope'" in err


def test_reports_filters(capsys):
    run(capsys, "ingest", str(SAMPLE))
    rc, out, _ = run(capsys, "reports", "--json")
    assert rc == 0 and len(json.loads(out)["reports"]) == 6
    _, out, _ = run(capsys, "reports", "--pr", "63", "--json")
    assert [r["round"] for r in json.loads(out)["reports"]] == [1, 2]
    _, out, _ = run(capsys, "reports", "--since", "2025-11-01", "--json")
    assert {r["pr"] for r in json.loads(out)["reports"]} == {88, 95}
    _, out, _ = run(capsys, "reports", "--warnings", "--json")
    doc = json.loads(out)
    assert [r["id"] for r in doc["reports"]] == ["20251118-084500-pr-95"]
    assert doc["warnings"] and doc["failures"][0]["source"].endswith("20250920-083000-pr-77.md")
    rc, out, _ = run(capsys, "reports")
    assert rc == 0 and out.startswith("| id | date |") and "Files that failed to ingest" in out


@pytest.mark.parametrize("cmd", [["reports"], ["show", "x"]])
def test_read_commands_on_missing_store_fail_cleanly(capsys, tmp_path, cmd):
    rc, _, err = run(capsys, "--db", str(tmp_path / "none.duckdb"), *cmd)
    assert rc == 2 and "no store at" in err
