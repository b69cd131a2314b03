"""Fault matrix on the real runner path (run_bench -> DSPy -> ModelClient -> litellm -> HTTP) against
the loopback server: one case of four meets the fault, the others answer normally.

For each fault: the run completes; the affected case carries the right outcome (ok after a recorded
retry, or an error / parse failure with its reason); no case is stored or scored twice; every scored
case holds exactly its predictions; a prior run's rows and the gold set are untouched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from harness.benchmark.runner import run_bench
from openai_server import (
    OpenAIServer, Reply, chat_answer, empty, malformed, rate_limited, reset, server_error, slow, truncated,
)
from reliability_tools import assert_run_consistent, dump_table
from runner_data import answer_for, populate, report_id_in, simple_score

TARGET = "r0001"
N = 4


@dataclass
class Fault:
    replies: list  # what the target's successive requests get; afterwards a good answer
    status: str  # the target case's stored status
    error: str | None = None  # substring of its stored reason (None: no reason stored)
    retries: int = 0
    always: bool = False  # every request of the target gets replies[0] (answers, not transport faults)
    kw: dict = field(default_factory=dict)
    raw: str | None = None  # substring of the stored raw answer


def _good_text() -> str:
    return answer_for({"messages": [{"content": f"REPORT-ID {TARGET}"}]}).content


SCHEMA_BREAK = chat_answer(findings=[{"severity": "apocalyptic", "title": 3, "line_start": "ten"}])

FAULTS = {
    "429-retry-after": Fault([rate_limited(0.2)], "ok", retries=1),
    "429-no-retry-after": Fault([rate_limited(None), rate_limited(None)], "ok", retries=2),
    "500": Fault([server_error(500)], "ok", retries=1),
    "502": Fault([server_error(502)], "ok", retries=1),
    "503": Fault([server_error(503), server_error(503)], "ok", retries=2),
    "connection-reset": Fault([reset()], "ok", retries=1),
    "read-timeout": Fault([slow(1.0)], "ok", retries=1, kw={"timeout": 0.3}),
    "malformed-json": Fault([malformed()], "ok", retries=1),
    "500-exhausted": Fault([server_error(500)] * 2, "error", "server after 2 attempts", retries=1,
                           kw={"max_retries": 1}),
    "timeout-exhausted": Fault([slow(0.8), slow(0.8)], "error", "timeout after 2 attempts", retries=1,
                               kw={"timeout": 0.25, "max_retries": 1}),
    "malformed-exhausted": Fault([malformed()] * 2, "error", "after 2 attempts", retries=1,
                                 kw={"max_retries": 1}),
    "schema-breaking-json": Fault([Reply(content=SCHEMA_BREAK)], "parse_failure", "", always=True,
                                  raw="apocalyptic"),
    "empty-answer": Fault([empty()], "parse_failure", "", always=True),
    "cut-at-max-tokens": Fault([truncated('[[ ## findings ## ]]\n[{"severity": "important", "tit')],
                               "parse_failure", "truncated at max tokens", always=True, raw='"tit'),
}


class Scripted:
    """Responder: the target report's requests walk through the fault's replies; the rest answer."""

    def __init__(self, fault: Fault):
        self.fault = fault
        self.seen = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict) -> Reply:
        if report_id_in(body) != TARGET:
            return answer_for(body)
        with self.lock:
            self.seen += 1
            n = self.seen
        if self.fault.always:
            return self.fault.replies[0]
        if n <= len(self.fault.replies):
            return self.fault.replies[n - 1]
        return Reply(content=_good_text())


def bench(store, srv, **kw):
    args = dict(model="openai/test-model", program="single", split="all", api_base=srv.url, concurrency=2,
                score_fn=simple_score, backoff_s=0.01, max_retries=3)
    args.update(kw)
    return run_bench(store, **args)


@pytest.fixture(scope="module")
def server():
    with OpenAIServer(responder=answer_for) as srv:
        yield srv


@pytest.fixture
def prior(store, server):
    """A gold set and an earlier complete run (another temperature: its answers are not the cache's)."""
    server.responder = answer_for
    populate(store, N)
    run = bench(store, server, temperature=0.7)
    assert run.status == "complete" and run.scored == N
    snap = {t: dump_table(store, t, f"WHERE run_id = '{run.run_id}'") for t in ("runs", "run_cases", "run_predictions")}
    snap |= {t: dump_table(store, t) for t in ("reports", "findings", "agent_findings", "model_calls")}
    return run.run_id, snap


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_matrix(store, server, prior, name):
    fault = FAULTS[name]
    prior_id, snap = prior
    script = Scripted(fault)
    server.responder = script
    calls_before = store.one("SELECT count(*) FROM model_calls")[0]
    res = bench(store, server, **fault.kw)

    assert res.status == ("complete" if fault.status == "ok" else "complete_with_errors"), res.message
    assert res.finished == N and res.cases == N
    cases = {r[0]: r for r in store.all(
        "SELECT c.report_id, c.status, c.error, c.retries, c.raw_response, s.tp, c.model_calls FROM run_cases c"
        " LEFT JOIN scores s USING (run_id, report_id, epoch) WHERE c.run_id = ?",
        [res.run_id])}
    assert set(cases) == {f"r{i:04d}" for i in range(N)}
    rid, status, error, retries, raw, tp, calls = cases[TARGET]
    assert status == fault.status, (name, cases[TARGET])
    assert retries == fault.retries, (name, cases[TARGET])
    if fault.error is None:
        assert error is None
    else:
        assert error is not None and fault.error in error and "\n" not in error, error
    if fault.raw:
        assert fault.raw in (raw or "")
    if status == "ok":
        assert tp == 1 and calls >= 1
    elif status == "parse_failure":
        assert tp == 0  # scored as an empty review
    else:
        assert tp is None and calls == 0  # an error is not scored
    for other, row in cases.items():
        if other != TARGET:
            assert row[1] == "ok" and row[5] == 1 and row[3] == 0, row
    assert res.errors == (1 if fault.status == "error" else 0)
    assert res.scored == N - res.errors
    assert_run_consistent(store, res.run_id)
    assert_run_consistent(store, prior_id)

    # cache: only answers are cached (one row per answered request), failed attempts never
    answered = sum(c[6] for c in cases.values())
    assert store.one("SELECT count(*) FROM model_calls")[0] == calls_before + answered
    # nothing stored before was lost or changed
    for t in ("runs", "run_cases", "run_predictions"):
        assert dump_table(store, t, f"WHERE run_id = '{prior_id}'") == snap[t], t
    for t in ("reports", "findings", "agent_findings"):
        assert dump_table(store, t) == snap[t], t
    assert set(snap["model_calls"]) <= set(dump_table(store, "model_calls"))


def test_rate_limit_retry_after_is_honoured(store, server):
    """The retry after a 429 with retry-after waits at least that long (the limiter's pause)."""
    populate(store, 1)
    stamps: list[float] = []

    def responder(body):
        stamps.append(time.monotonic())
        return rate_limited(0.4) if len(stamps) == 1 else answer_for(body)

    server.responder = responder
    res = bench(store, server, concurrency=1)
    assert res.status == "complete" and res.retries == 1 and len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.4


def test_persistent_reset_of_one_case_does_not_fail_the_run(store, server):
    """A case whose requests are always reset fails alone, even before any other call answered:
    the endpoint is up (it accepts connections), so this is not a dead endpoint."""
    populate(store, 3)

    def responder(body):
        return reset() if report_id_in(body) == "r0000" else slow(0.5, answer_for(body).content)

    server.responder = responder
    res = bench(store, server, concurrency=3, max_retries=2)
    assert res.status == "complete_with_errors", res.message
    cases = dict(store.all("SELECT report_id, status FROM run_cases WHERE run_id = ?", [res.run_id]))
    assert cases == {"r0000": "error", "r0001": "ok", "r0002": "ok"}
    assert_run_consistent(store, res.run_id)
