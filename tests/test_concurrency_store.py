"""Several processes on one DuckDB file, through the CLI.

While `harness bench` runs, it holds the file only for its short write batches: `runs`, `runs show`,
`reports`, `show`, `retro` and `leaderboard` work on the same store and show the run's progress,
and another writer (`ingest`) gets in between two batches. A process that holds the file for good
still makes the others fail with one line (exit 2), or wait with HARNESS_DB_WAIT."""

from __future__ import annotations

import json
import multiprocessing as mp
import threading
import time

import pytest

from harness.store import Store
from openai_server import OpenAIServer
from reliability_tools import assert_one_line_error, assert_run_consistent, harness_proc, subprocess_env
from runner_data import answer_for, populate

from conftest import SAMPLE

pytestmark = pytest.mark.slow

READERS = {
    "runs": ["runs", "--json"],
    "reports": ["reports", "--json"],
    "show": ["show", "{report}"],
    "retro": ["retro", "{report}"],
    "leaderboard": ["leaderboard"],
    "runs show": ["runs", "show", "{run}", "--json"],
}


def _running(env: dict[str, str]) -> dict | None:
    p = harness_proc("runs", "--json", env=env)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    rows = [r for r in json.loads(out) if r["status"] == "running"]
    return rows[0] if rows else None


def test_a_running_bench_can_be_watched_and_written_beside(tmp_path):
    db = tmp_path / "shared.duckdb"
    with Store(db) as st:
        report_ids = populate(st, 40)
    env = subprocess_env(db, HARNESS_DB_WAIT="60")
    gate, answered = threading.Event(), []

    def responder(body: dict):  # from the 12th request on, answers wait until the readers are done
        answered.append(1)
        if len(answered) >= 12:
            gate.wait(120)
        return answer_for(body)

    with OpenAIServer(responder=responder, delay=0.05) as srv:
        holder = harness_proc("bench", "--model", "openai/test-model", "--split", "all", "--api-base", srv.url,
                              "--concurrency", "2", "--json", env=env)
        deadline = time.monotonic() + 120
        seen: dict | None = None
        while seen is None or not 0 < seen["finished"] < seen["cases"]:  # progress, mid-run
            assert holder.poll() is None and time.monotonic() < deadline, holder.communicate()
            seen = _running(env)
            time.sleep(0.2)
        assert seen["scored"] == seen["finished"]
        procs = {name: harness_proc(*(a.format(report=report_ids[0], run=seen["run_id"]) for a in args), env=env)
                 for name, args in READERS.items()}
        writer = harness_proc("ingest", str(SAMPLE), "--json", env=env)
        outs = {name: p.communicate(timeout=120) for name, p in procs.items()}
        wout, werr = writer.communicate(timeout=120)
        # the run was still going (its model calls held) while every other command got its answer
        assert holder.poll() is None and len(answered) < 40
        gate.set()
        hout, herr = holder.communicate(timeout=180)
    for name, p in procs.items():
        assert p.returncode == 0, (name, outs[name][1])
    view = json.loads(outs["runs show"][0])
    assert view["status"] == "running" and 0 < view["finished"] < view["cases"] == 40
    assert len(view["results"]) == view["finished"] >= seen["finished"]
    assert report_ids[0] in outs["show"][0]
    assert writer.returncode == 0, werr
    assert json.loads(wout)["totals"]["new"] == 6
    assert holder.returncode == 0, herr
    run = json.loads(hout)
    assert run["status"] == "complete" and run["scored"] == 40
    with Store(db) as st:  # the file holds both writers' work, each case once
        assert st.one("SELECT count(*) FROM run_cases")[0] == 40
        assert_run_consistent(st, run["run_id"])
        assert st.one("SELECT count(*) FROM reports")[0] == 40 + 6


def _hold(path: str, ready, release) -> None:
    st = Store(path)
    ready.set()
    release.wait(60)
    st.close()


def test_a_store_held_for_good_is_one_line_error_or_a_wait(tmp_path):
    db = tmp_path / "held.duckdb"
    Store(db).close()
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(db), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        t = time.monotonic()
        p = harness_proc("runs", env=subprocess_env(db, HARNESS_DB_WAIT="0.5"))
        out, err = p.communicate(timeout=60)
        assert p.returncode == 2, (out, err)
        assert_one_line_error(err, "in use by another harness process")
        assert out == "" and time.monotonic() - t < 30  # gave up after its wait: no hang
        waiter = harness_proc("runs", "--json", env=subprocess_env(db, HARNESS_DB_WAIT="120"))
        time.sleep(1.0)
        assert waiter.poll() is None  # still waiting for the holder
        release.set()
        wout, werr = waiter.communicate(timeout=120)
    finally:
        release.set()
        holder.join(30)
    assert waiter.returncode == 0, werr
    assert json.loads(wout) == []
