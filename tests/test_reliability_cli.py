"""`harness bench` against garbage answers, a dead endpoint, an unknown model or a missing key:
one line on stderr, an exit code, no traceback, and the run recorded with its reason."""

from __future__ import annotations

import json

import pytest

from cli import main
from harness.lm.client import ModelClient
from harness.store import Store
from openai_server import OpenAIServer, Reply, malformed
from reliability_tools import assert_one_line_error
from runner_data import populate


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "cli.duckdb"
    with Store(path) as st:
        populate(st, 3)
    monkeypatch.setattr(ModelClient, "_backoff", lambda self, attempt: 0.01)  # the CLI's 0.5 s, shortened
    return str(path)


def _bench(capfd, db: str, *args: str) -> tuple[int, str, str]:
    capfd.readouterr()
    rc = main(["--db", db, "bench", "--split", "all", *args])
    out, err = capfd.readouterr()
    return rc, out, err


def _dead_url() -> str:
    srv = OpenAIServer().start()
    url = srv.url
    srv.stop()
    return url


@pytest.mark.parametrize("args, message", [
    (["--model", "no-such-provider-xyz"], "unknown model"),
    (["--model", "openai/gpt-4o-mini"], "OPENAI_API_KEY not set"),
    (["--model", "openai/test-model", "--api-base", "DEAD"], "is the endpoint up"),
], ids=["unknown-model", "missing-key", "dead-endpoint"])
def test_fatal_model_errors_are_one_line(db, capfd, args, message):
    args = [_dead_url() if a == "DEAD" else a for a in args]
    rc, out, err = _bench(capfd, db, *args)
    assert rc == 1
    assert_one_line_error(err, message)
    with Store(db, read_only=True) as st:
        (status, msg), = st.all("SELECT status, message FROM runs")
    assert status == "failed" and message.lower() in msg.lower() and "\n" not in msg


def test_garbage_answers_are_parse_failures_not_crashes(db, capfd):
    with OpenAIServer(responder=lambda body: Reply(content="Looks good to me! \x00\ufffd {[ ## ]] <<<")) as srv:
        rc, out, err = _bench(capfd, db, "--model", "openai/test-model", "--api-base", srv.url, "--json")
    assert rc == 1 and "Traceback" not in err, err  # parse failures are reported, not hidden
    assert_one_line_error(err, "0 case error(s) and 3 parse failure(s), more than --max-errors 0")
    res = json.loads(out)
    assert res["status"] == "complete_with_errors" and res["parse_failures"] == res["scored"] == 3
    with Store(db, read_only=True) as st:
        rows = st.all("SELECT status, error, raw_response FROM run_cases")
    assert all(s == "parse_failure" and e and "\n" not in e and "Looks good" in r for s, e, r in rows), rows


def test_garbage_bodies_exhaust_the_error_budget_with_one_line(db, capfd):
    with OpenAIServer(responder=lambda body: malformed()) as srv:
        rc, out, err = _bench(capfd, db, "--model", "openai/test-model", "--api-base", srv.url,
                              "--max-errors", "0", "--concurrency", "1")
    assert rc == 1
    assert_one_line_error(err, "case error(s) and 0 parse failure(s), more than --max-errors 0")
