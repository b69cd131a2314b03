"""run_bench end to end against the loopback server: scoring, cache, failures, budget, replay, resume."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.benchmark.runner import run_bench
from harness.core.models import AgentReview, Finding, Location, Severity
from harness.store.runs import case_frame, list_runs
from openai_server import OpenAIServer, Reply, chat_answer, empty, ok, server_error, truncated
from runner_data import answer_for, populate, report_id_in, simple_score

ROOT = Path(__file__).resolve().parent.parent


def bench(store, srv, **kw):
    args = dict(model="openai/test-model", program="single", split="all", api_base=srv.url, concurrency=4,
                score_fn=simple_score, backoff_s=0.01)
    args.update(kw)
    return run_bench(store, **args)


@pytest.fixture
def server():
    with OpenAIServer(responder=answer_for) as srv:
        yield srv


def test_every_case_scored_and_stored(store, server):
    populate(store, 6)
    res = bench(store, server)
    assert res.status == "complete" and res.cases == res.finished == res.scored == 6
    assert (res.model_calls, res.cache_hits, res.errors) == (6, 0, 0)
    assert res.metrics.precision == res.metrics.recall == res.metrics.f1 == 1.0
    assert res.input_tokens == 60 and res.output_tokens == 30
    preds = store.all("SELECT p.report_id, p.title, l.label, p.locations[1].path FROM run_predictions p"
                      " LEFT JOIN score_labels l ON l.run_id = p.run_id AND l.report_id = p.report_id AND l.epoch = p.epoch AND l.side = 'pred' AND l.idx = p.idx ORDER BY p.report_id")
    assert len(preds) == 6 and all(p[2] == "true_positive" for p in preds)
    assert preds[0][3] == "src/mod_0.py"
    out = json.loads(res.model_dump_json())
    assert {"run_id", "cases", "scored", "errors", "model_calls", "cache_hits", "wall_s"} <= set(out)
    assert set(out["metrics"]) >= {"precision", "recall", "f1"}


def test_rerun_is_free_and_epochs_are_independent(store, server):
    populate(store, 4)
    first = bench(store, server, epochs=2)
    assert first.cases == 8 and first.model_calls == 8 and server.requests == 8
    again = bench(store, server, epochs=2)
    assert again.run_id != first.run_id  # a new run (nonce), same answers
    assert again.model_calls == 0 and again.cache_hits == 8 and server.requests == 8
    assert again.metrics == first.metrics and again.spent == 0.0


def test_parse_failures_are_outcomes_with_raw_answers(store, server):
    populate(store, 5)
    bad = {"r0001": Reply(content="I think the code is fine."),
           "r0002": Reply(content=chat_answer(findings=[{"severity": "apocalyptic", "title": 3}])),
           "r0003": Reply(content=""),
           "r0004": truncated('[[ ## findings ## ]]\n[{"severity": "important", "title": "cut')}
    server.responder = lambda body: bad.get(report_id_in(body)) or answer_for(body)
    res = bench(store, server)
    assert res.status == "complete_with_errors" and res.scored == 5 and res.parse_failures == 4 and res.errors == 0
    assert res.error_kinds == [{"kind": "parse_failure", "count": 4, "first": res.error_kinds[0]["first"]}]
    cases = {r["report_id"]: r for r in case_frame(store, res.run_id).to_dicts()}
    assert cases["r0000"]["status"] == "ok"
    for rid in ("r0001", "r0002", "r0003", "r0004"):
        assert cases[rid]["status"] == "parse_failure" and cases[rid]["error"], rid
        assert cases[rid]["fn"] == 1 and cases[rid]["tp"] == 0  # scored as an empty review
    assert "code is fine" in cases["r0001"]["raw_response"]
    assert "truncated" in cases["r0004"]["error"] and "cut" in cases["r0004"]["raw_response"]
    assert res.metrics.recall == pytest.approx(1 / 5)


def test_error_budget_stops_the_run(store, server):
    # --max-errors sets what is tolerated (the exit code); the run itself stops past max(it, 10)
    populate(store, 14)
    server.responder = lambda body: server_error(503)
    res = bench(store, server, concurrency=1, max_errors=2, max_retries=1)
    assert res.status == "failed" and "stopped after 11 case errors" in res.message
    assert res.errors == 11 and res.finished == 11 < res.cases
    assert [k["kind"] for k in res.error_kinds] == ["server"] and res.error_kinds[0]["count"] == 11
    row = case_frame(store, res.run_id).row(0, named=True)
    assert row["status"] == "error" and "server" in row["error"] and row["retries"] == 1


def test_transient_faults_end_in_a_complete_run(store, server):
    populate(store, 6)
    seen: dict[str, int] = {}

    def flaky(body):
        rid = report_id_in(body)
        seen[rid] = seen.get(rid, 0) + 1
        return server_error(500) if seen[rid] == 1 else answer_for(body)

    server.responder = flaky
    res = bench(store, server)
    assert res.status == "complete" and res.scored == 6 and res.retries == 6 and res.errors == 0
    assert store.one("SELECT count(*) FROM run_predictions WHERE run_id = ?", [res.run_id])[0] == 6


def test_fatal_model_error_fails_the_run_with_one_line(store):
    populate(store, 3)
    res = run_bench(store, model="nonexistent-provider-xyz", program="single", split="all", score_fn=simple_score)
    assert res.status == "failed" and "unknown model" in res.message and res.finished == 0


def test_resume_retries_errors_and_keeps_finished_cases(store, server):
    populate(store, 6)
    down = {"r0002", "r0004"}
    server.responder = lambda body: server_error(500) if report_id_in(body) in down else answer_for(body)
    res = bench(store, server, max_retries=0)
    assert res.errors == 2 and res.scored == 4
    n = server.requests
    down.clear()
    done = bench(store, server, resume=res.run_id)
    assert done.run_id == res.run_id and done.status == "complete"
    assert done.scored == 6 and done.errors == 0 and server.requests == n + 2  # only the two errors re-ran
    assert done.metrics.f1 == 1.0


def _replay_parser(text: str, agent: str | None = None):
    """Stands in for harness.gold.parse.parse_review in tests: `path:a-b` citations under bold titles."""
    findings = [Finding(severity=Severity.important, title=m.group(1),
                        locations=[Location(path=m.group(2), line_start=int(m.group(3)), line_end=int(m.group(4)))])
                for m in re.finditer(r"\*\*(.+?)\*\* \(`([^:`]+):(\d+)-(\d+)`\)", text)]
    return AgentReview(agent=agent or "?", findings=findings, text=text)


def test_replay_scores_recorded_reviews_without_model_calls(store):
    populate(store, 5)
    res = run_bench(store, model="replay:Claude", split="all", score_fn=simple_score, parse=_replay_parser)
    assert res.status == "complete" and res.scored == 5 and res.model_calls == 0
    assert res.metrics.f1 == 1.0 and res.program.startswith("replay:")
    with pytest.raises(HarnessError, match="no recorded reviewer 'Gemini'") as exc:
        run_bench(store, model="replay:Gemini", split="all", score_fn=simple_score, parse=_replay_parser)
    assert "known: Claude" in exc.value.one_line()


def test_replay_through_the_real_parser(store):
    pytest.importorskip("harness.gold.parse")
    populate(store, 3)
    res = run_bench(store, model="replay:Claude", split="all", score_fn=simple_score)
    assert res.status == ("complete_with_errors" if res.parse_failures else "complete")
    assert res.scored == 3


def test_runs_lists_every_run(store, server):
    populate(store, 2)
    a = bench(store, server)
    b = bench(store, server, model="replay:Claude", parse=_replay_parser)
    rows = list_runs(store).to_dicts()
    assert [r["run_id"] for r in rows] == [a.run_id, b.run_id]
    assert rows[0]["status"] == "complete" and rows[0]["f1"] == 1.0 and rows[0]["program_hash"]



