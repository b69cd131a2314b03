"""`harness gate` and `harness baseline export`: verdicts, exit codes 0/1/2, JUnit XML and JSON files."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from harness.results.gate import export_baseline, gate, read_baseline, write_baseline
from harness.store import Store
from tests.report_fixture import demo_once, run_ids, store_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_once(tmp_path_factory)


@pytest.fixture
def db(demo, tmp_path):
    return str(store_copy(demo, tmp_path))


def test_pass_on_itself_writes_junit_and_json(demo, db, tmp_path, capsys):
    from cli import main

    program, _ = run_ids(demo)
    junit, js = tmp_path / "out" / "gate.xml", tmp_path / "out" / "gate.json"
    rc = main(["--db", db, "gate", "--baseline", program, "--candidate", program, "--junit", str(junit),
               "--json-out", str(js)])
    line = capsys.readouterr().out.strip()
    assert rc == 0 and line.startswith("PASS f1:") and "\n" not in line
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0" and suite.find(".//failure") is None
    assert json.loads(js.read_text())["verdict"] == "pass"


def test_a_drop_beyond_max_fails_with_exit_1(demo, db, tmp_path, capsys):
    from cli import main

    program, replays = run_ids(demo)
    junit, js = tmp_path / "gate.xml", tmp_path / "gate.json"
    rc = main(["--db", db, "gate", "--baseline", replays["Claude"], "--candidate", program, "--max-drop", "0.02",
               "--junit", str(junit), "--json-out", str(js)])
    assert rc == 1 and capsys.readouterr().out.startswith("FAIL f1:")
    res = json.loads(js.read_text())
    assert res["verdict"] == "fail" and res["delta"] < -0.02 and res["n_reports"] == 5
    failure = ET.parse(junit).getroot().find(".//testcase/failure")
    assert failure is not None and "dropped" in failure.get("message")
    # the same pair passes when the allowed drop covers the measured one
    assert main(["--db", db, "gate", "--baseline", replays["Claude"], "--candidate", program,
                 "--max-drop", f"{-res['delta'] + 0.001:.4f}"]) == 0


def test_baseline_file_gives_the_same_verdict_as_the_run(demo, db, tmp_path):
    program, replays = run_ids(demo)
    with Store(db) as st:
        b = export_baseline(st, replays["Codex"])
        path = write_baseline(b, tmp_path / "baseline.json")
        assert read_baseline(path) == b
        from_file = gate(st, str(path), program, metric="recall", max_drop=0.05, allow_missing=True)
        from_run = gate(st, replays["Codex"], program, metric="recall", max_drop=0.05, allow_missing=True)
    assert b.n_reports == 5 and b.scorer == "default" and b.program == "replay:Codex"
    assert {r.report_id for r in b.reports} and all("tp" in r.counts for r in b.reports)
    assert (from_file.verdict, from_file.delta, from_file.low, from_file.high) == \
           (from_run.verdict, from_run.delta, from_run.low, from_run.high)


def test_missing_reports_fail_unless_allowed(demo, db):
    program, replays = run_ids(demo)
    with Store(db) as st:
        strict = gate(st, program, replays["Gemini"], metric="precision_lenient", max_drop=1.0)
        loose = gate(st, program, replays["Gemini"], metric="precision_lenient", max_drop=1.0, allow_missing=True)
    assert strict.verdict == "fail" and len(strict.missing) == 2 and "did not score 2" in strict.line
    assert loose.verdict == "pass"


def test_lower_is_better_metrics_fail_on_a_rise(demo, db):
    program, replays = run_ids(demo)
    with Store(db) as st:
        res = gate(st, program, replays["Gemini"], metric="over_call_rate", max_drop=0.0, allow_missing=True)
    assert res.candidate > res.baseline and res.verdict == "fail" and "rose" in res.line


def test_errors_exit_2(demo, db, tmp_path, capsys):
    from cli import main

    program, _ = run_ids(demo)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for args in (["--baseline", "nosuchrun", "--candidate", program],
                 ["--baseline", program, "--candidate", "nosuchrun"],
                 ["--baseline", str(bad), "--candidate", program],
                 ["--baseline", str(broken), "--candidate", program],
                 ["--baseline", str(tmp_path / "absent.json"), "--candidate", program],
                 ["--baseline", program, "--candidate", program, "--metric", "nope"]):
        assert main(["--db", db, "gate", *args]) == 2, args
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 6 and all(e.startswith("harness: error: ") for e in err)


def test_cli_baseline_export(demo, db, tmp_path, capsys):
    from cli import main

    program, _ = run_ids(demo)
    out = tmp_path / "ci" / "baseline.json"
    assert main(["--db", db, "baseline", "export", program, "-o", str(out)]) == 0
    assert "6 reports" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["format"] == "harness-baseline/1" and data["model"] == "offline/heuristic-reviewer"
    assert out.stat().st_size < 20_000  # small enough to commit
    assert main(["--db", db, "baseline", "export", "nosuchrun", "-o", str(out)]) == 2
