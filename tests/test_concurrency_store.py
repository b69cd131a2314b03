"""Two processes writing one DuckDB file, through the CLI: while `harness bench` holds the store,
`harness ingest` fails at once with one line (exit 2, no traceback) or waits with HARNESS_DB_WAIT;
the file is intact afterwards and the holder's work is complete."""

from __future__ import annotations

import json
import time

import pytest

from harness.store import Store
from openai_server import OpenAIServer
from reliability_tools import assert_one_line_error, assert_run_consistent, harness_proc, subprocess_env
from runner_data import answer_for, populate

from conftest import SAMPLE

pytestmark = pytest.mark.slow


def test_second_writer_gets_one_line_error_and_the_file_survives(tmp_path):
    db = tmp_path / "shared.duckdb"
    with Store(db) as st:
        populate(st, 12)
    env = subprocess_env(db)
    with OpenAIServer(responder=answer_for, delay=0.25) as srv:
        holder = harness_proc("bench", "--model", "openai/test-model", "--split", "all", "--api-base", srv.url,
                              "--concurrency", "2", "--json", env=env)
        deadline = time.monotonic() + 90
        while srv.requests < 2:  # the bench process has the store open and is mid-run
            assert holder.poll() is None and time.monotonic() < deadline, holder.communicate()
            time.sleep(0.02)
        t = time.monotonic()
        second = harness_proc("ingest", str(SAMPLE), env=env)
        out, err = second.communicate(timeout=60)
        refused_after = time.monotonic() - t
        assert holder.poll() is None, "bench finished before the second writer tried: no contention tested"
        # a waiting second writer gets in once the holder is done
        waiter = harness_proc("ingest", str(SAMPLE), "--json", env=subprocess_env(db, HARNESS_DB_WAIT="120"))
        hout, herr = holder.communicate(timeout=120)
        wout, werr = waiter.communicate(timeout=120)
    assert second.returncode == 2, (out, err)
    assert_one_line_error(err, "in use by another harness process")
    assert out == "" and refused_after < 10  # fails at once: no hang on the lock
    assert holder.returncode == 0, herr
    run = json.loads(hout)
    assert run["status"] == "complete" and run["scored"] == 12
    assert waiter.returncode == 0, werr
    assert json.loads(wout)["totals"]["new"] == 6
    with Store(db) as st:  # the file opens and holds both processes' work
        assert st.one("SELECT count(*) FROM run_cases")[0] == 12
        assert_run_consistent(st, run["run_id"])
        assert st.one("SELECT count(*) FROM reports")[0] == 12 + 6
