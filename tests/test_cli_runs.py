"""Runs that fail or stop say so: Ctrl-C names the resume command, --resume refuses result-changing
flags, replay of an unknown reviewer lists the known ones."""

from __future__ import annotations

import json
import signal
import time

import pytest

import cli
from conftest import SAMPLE
from harness.store import Store
from openai_server import OpenAIServer, Reply
from reliability_tools import harness_proc, subprocess_env
from runner_data import answer_for, populate


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_replay_of_an_unknown_reviewer_lists_the_known_ones(capsys):
    assert run(capsys, "ingest", str(SAMPLE))[0] == 0
    rc, out, err = run(capsys, "bench", "--model", "replay:Nobody", "--split", "all")
    assert rc == 2 and out == ""
    assert "no recorded reviewer 'Nobody'" in err and "known: Claude, Codex, Gemini" in err
    with Store() as st:
        assert st.one("SELECT count(*) FROM runs")[0] == 0  # no empty "complete" run left behind


def test_resume_with_result_flags_is_a_usage_error(capsys):
    rc, _, err = run(capsys, "bench", "--resume", "abc123", "--model", "openai/x", "--program", "cot")
    assert rc == 2 and "--model, --program" in err and err.splitlines()[1].startswith("Usage: harness bench")
    # execution settings may change: this one gets as far as looking the run up
    rc, _, err = run(capsys, "bench", "--resume", "abc123", "--concurrency", "2")
    assert rc == 2 and "abc123" in err and "keeps its own settings" not in err


@pytest.mark.slow
@pytest.mark.parametrize("presses", [1, 40])
def test_ctrl_c_stores_what_finished_and_says_how_to_resume(tmp_path, presses):
    """One press; or many, the later ones landing while the run stores its last batch and closes."""
    from reliability_tools import assert_run_consistent

    db = tmp_path / "run.duckdb"
    with Store(db) as st:
        populate(st, 24)
    env = subprocess_env(db)
    with OpenAIServer(responder=answer_for, delay=0.1) as srv:
        proc = harness_proc("bench", "--model", "openai/test-model", "--split", "all", "--api-base", srv.url,
                            "--concurrency", "4", env=env)
        deadline = time.monotonic() + 120
        while srv.requests < 10:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        for _ in range(presses):
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGINT)
            time.sleep(0.005)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err, err
        line = err.strip().splitlines()[-1]
        assert line.startswith("harness: interrupted after ") and " of 24 cases; resume with `harness bench --resume " in line
        run_id = line.rsplit("--resume ", 1)[1].rstrip("`")
        done = int(line.split("interrupted after ")[1].split(" of ")[0])
        assert 1 <= done < 24
        with Store(db) as st:  # every finished case whole, and the run closed with its status
            status, scored = st.one("SELECT status, scored FROM runs WHERE run_id = ?", [run_id])
            assert status == "interrupted" and scored == done
            assert st.one("SELECT count(*) FROM run_cases WHERE run_id = ?", [run_id])[0] == done
            assert_run_consistent(st, run_id)
        resumed = harness_proc("bench", "--resume", run_id, "--api-base", srv.url, "--json", env=env)
        rout, rerr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, rerr
    res = json.loads(rout)
    assert res["run_id"] == run_id and res["scored"] == 24


def _bench(capsys, srv, *extra: str) -> tuple[int, dict, str]:
    rc, out, err = run(capsys, "bench", "--model", "openai/test-model", "--split", "all", "--api-base", srv.url,
                       "--concurrency", "2", "--json", *extra)
    return rc, json.loads(out), err


@pytest.mark.parametrize("max_errors, code", [(None, 1), ("6", 0)])
def test_parse_failures_are_reported_not_hidden(capsys, tmp_path, monkeypatch, max_errors, code):
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "pf.duckdb"))
    with Store() as st:
        populate(st, 6)
    with OpenAIServer(responder=lambda body: Reply(content="I think the change looks fine.")) as srv:
        rc, res, err = _bench(capsys, srv, *(["--max-errors", max_errors] if max_errors else []))
    assert rc == code, err
    assert res["status"] == "complete_with_errors" and res["parse_failures"] == 6 and res["scored"] == 6
    (kind,) = res["error_kinds"]
    assert kind["kind"] == "parse_failure" and kind["count"] == 6 and kind["first"]
    assert "harness: 6 case(s) parse_failure; first: " in err
    if code:
        assert "more than --max-errors 0" in err and f"harness runs show {res['run_id']}" in err
    rc, out, _ = run(capsys, "runs", "--json")
    assert [r["status"] for r in json.loads(out)] == ["complete_with_errors"]


def test_errors_by_kind_and_exit_1(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "err.duckdb"))
    with Store() as st:
        populate(st, 4)
    with OpenAIServer(responder=lambda body: Reply(content=None, kind="error", status=400)) as srv:
        rc, res, err = _bench(capsys, srv, "--max-errors", "1")
    assert rc == 1, err
    assert res["errors"] == 4 and res["status"] in ("complete_with_errors", "failed")
    kinds = {k["kind"]: k for k in res["error_kinds"]}
    assert sum(k["count"] for k in kinds.values()) == 4 and "parse_failure" not in kinds
    assert all(k["first"] for k in kinds.values())
    assert f"4 case error(s) and 0 parse failure(s), more than --max-errors 1" in err


def test_a_clean_run_is_complete_and_exits_0(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "ok.duckdb"))
    with Store() as st:
        populate(st, 3)
    with OpenAIServer(responder=answer_for) as srv:
        rc, res, err = _bench(capsys, srv)
    assert rc == 0 and res["status"] == "complete" and res["error_kinds"] == [], err


def test_runs_show_case_by_case(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "show.duckdb"))
    with Store() as st:
        populate(st, 3)
    leaky = "Looks fine. key sk-abcdefghijklmnopqrstuv \x1b[31mred\x1b[0m"

    def responder(body):
        return Reply(content=leaky) if "r0001" in json.dumps(body) else answer_for(body)

    with OpenAIServer(responder=responder) as srv:
        rc, res, _ = _bench(capsys, srv, "--max-errors", "1")
    assert rc == 0 and res["parse_failures"] == 1
    run_id = res["run_id"]
    rc, out, err = run(capsys, "runs", "show", run_id[:8], "--json")
    assert rc == 0, err
    view = json.loads(out)
    assert view["run_id"] == run_id and view["status"] == "complete_with_errors"
    cases = {c["report_id"]: c for c in view["results"]}
    assert set(cases) == {"r0000", "r0001", "r0002"}
    ok, bad = cases["r0000"], cases["r0001"]
    assert ok["status"] == "ok" and ok["input_tokens"] > 0 and ok["predictions"][0]["label"] == "true_positive"
    assert [(g["id"], g["status"], g["found_by"]) for g in ok["gold"]] == [("I1", "found", 0)]
    assert bad["status"] == "parse_failure" and bad["error_kind"] == "parse_failure" and bad["error"]
    assert "sk-abcdefghijklmnopqrstuv" not in out and "***" in bad["raw_answer"]  # redacted
    assert [(g["id"], g["status"]) for g in bad["gold"]] == [("I1", "missed")]
    rc, out, _ = run(capsys, "runs", "show", run_id, "--case", "r0001")
    assert rc == 0 and "## r0001: parse_failure" in out and "r0000" not in out
    assert "error (parse_failure):" in out and "| I1 | missed |" in out and "Raw answer:" in out
    assert "\x1b" not in out and "sk-abcdef" not in out  # no terminal escapes, no secrets
    rc, _, err = run(capsys, "runs", "show", run_id, "--case", "nope")
    assert rc == 2 and "has no case 'nope'" in err
    rc, out, _ = run(capsys, "runs", "--json")
    assert rc == 0 and [r["run_id"] for r in json.loads(out)] == [run_id]
