"""The model-call layer on the real litellm path, against a loopback OpenAI-compatible server."""

from __future__ import annotations

import time

import dspy
import pytest
from hypothesis import given, strategies as st_

from harness.core.runs import CallStats
from harness.core.secrets import redact
from harness.lm import ModelCallError, ModelClient, ModelSettings, model_error_in
from harness.lm.limiter import AdaptiveLimiter
from harness.store.runs import RunWriter
from openai_server import (
    OpenAIServer, chat_answer, empty, malformed, ok, rate_limited, reset, server_error, slow, truncated,
)

GOOD = chat_answer(answer="fine")


class QA(dspy.Signature):
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def writer(store):
    w = RunWriter(store)
    yield w
    w.close()


def client(srv, writer, **kw) -> ModelClient:
    settings = ModelSettings(model="openai/test-model", api_base=srv.url, backoff_s=0.01, **kw)
    return ModelClient(settings, writer)


def ask(c: ModelClient, question: str = "q", epoch: int = 0) -> tuple[str, CallStats]:
    stats = CallStats()
    with dspy.context(lm=c.lm(epoch=epoch, stats=stats)):
        out = dspy.Predict(QA)(question=question)
    return out.answer, stats


def failure(c: ModelClient, question: str = "q") -> tuple[ModelCallError, CallStats]:
    stats = CallStats()
    with pytest.raises(Exception) as info, dspy.context(lm=c.lm(epoch=0, stats=stats)):
        dspy.Predict(QA)(question=question)
    err = model_error_in(info.value)
    assert err is not None, info.value
    return err, stats


def test_answer_tokens_and_request_shape(server, writer):
    server.push(ok(GOOD, prompt_tokens=11, completion_tokens=7))
    answer, stats = ask(client(server, writer, temperature=0.0, max_tokens=256))
    assert answer == "fine"
    assert (stats.model_calls, stats.cache_hits, stats.input_tokens, stats.output_tokens) == (1, 0, 11, 7)
    assert stats.cost == 0.0  # litellm has no price for test-model
    body = server.bodies[0]
    assert body["model"] == "test-model" and body["temperature"] == 0.0 and (body.get("max_tokens") or body.get("max_completion_tokens")) == 256


def test_rate_limit_honours_retry_after_and_halves_concurrency(server, writer):
    server.push(rate_limited(0.4), ok(GOOD))
    c = client(server, writer, concurrency=8)
    t = time.perf_counter()
    answer, stats = ask(c)
    assert answer == "fine" and time.perf_counter() - t >= 0.4
    assert (stats.retries, stats.rate_limited, server.requests) == (1, 1, 2)
    assert c.limiter.decreases == 1 and c.limiter.limit < 8


def test_rate_limit_without_retry_after_backs_off(server, writer):
    server.push(rate_limited(None), rate_limited(None), ok(GOOD))
    answer, stats = ask(client(server, writer))
    assert answer == "fine" and stats.rate_limited == 2 and server.requests == 3


@pytest.mark.parametrize("fault", [server_error(500), server_error(502), server_error(503), reset(), malformed()],
                         ids=["500", "502", "503", "reset", "malformed-body"])
def test_transient_faults_are_retried(server, writer, fault):
    server.push(fault, fault, ok(GOOD))
    answer, stats = ask(client(server, writer, max_retries=3))
    assert answer == "fine" and stats.retries == 2 and stats.model_calls == 1 and server.requests == 3


def test_retries_are_bounded(server, writer):
    server.push(*[server_error(500)] * 5)
    c = client(server, writer, max_retries=2)
    c.answered = 1  # the endpoint has answered before: this is the case's failure, not a dead endpoint
    err, stats = failure(c)
    assert err.kind == "server" and not err.fatal and server.requests == 3 and stats.retries == 2
    assert "after 3 attempts" in err.one_line()


def test_timeout_is_retried_then_reported(server, writer):
    server.push(slow(1.0, GOOD), slow(1.0, GOOD))
    err, stats = failure(client(server, writer, timeout=0.25, max_retries=1))
    assert err.kind == "timeout" and not err.fatal and server.requests == 2


def test_empty_and_truncated_answers_are_answers_not_errors(server, writer):
    c = client(server, writer)
    server.push(truncated("[[ ## answer ## ]]\nhalf a sen"))
    answer, stats = ask(c, "t")
    assert stats.last_finish_reason == "length" and stats.model_calls == 1  # the runner makes it a parse failure
    server.push(empty(), empty())
    stats = CallStats()
    with pytest.raises(Exception) as info, dspy.context(lm=c.lm(epoch=0, stats=stats)):
        dspy.Predict(QA)(question="e")
    assert model_error_in(info.value) is None  # a parse failure (AdapterParseError), not a model error
    assert stats.model_calls == 2  # ChatAdapter, then DSPy's JSONAdapter fallback


def test_cache_rerun_makes_no_call_and_epochs_are_independent(server, store):
    server.responder = lambda body: ok(GOOD)
    w1 = RunWriter(store)
    c = client(server, w1)
    ask(c, "same", epoch=0)
    ask(c, "same", epoch=1)
    assert server.requests == 2  # a second epoch is a new sample
    w1.close()
    w2 = RunWriter(store)  # a new run (new writer) reads the committed cache
    _, stats = ask(client(server, w2), "same", epoch=0)
    _, stats1 = ask(client(server, w2), "same", epoch=1)
    w2.close()
    assert server.requests == 2 and stats.cache_hits == 1 and stats1.cache_hits == 1 and stats.model_calls == 0
    assert stats.input_tokens == 10 and stats.spent == 0.0


def test_dead_endpoint_is_fatal(writer):
    srv = OpenAIServer().start()
    url = srv.url
    srv.stop()
    c = ModelClient(ModelSettings(model="openai/test-model", api_base=url, backoff_s=0.01, max_retries=1), writer)
    err, _ = failure(c)
    assert err.kind == "transport" and err.fatal


def test_unknown_model_and_missing_key_are_fatal_one_liners(writer):
    err, _ = failure(ModelClient(ModelSettings(model="no-such-provider-model"), writer))
    assert err.fatal and err.kind == "unknown_model" and "\n" not in err.one_line()
    err, _ = failure(ModelClient(ModelSettings(model="openai/gpt-4o-mini"), writer))
    assert err.fatal and "OPENAI_API_KEY" in err.one_line()


def test_api_key_is_used_but_never_stored(server, store, monkeypatch):
    secret = "sk-test-" + "s3cr3t" * 6
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    server.push(server_error(500).__class__(kind="error", status=500, content=f"bad key {secret}"), ok(GOOD))
    w = RunWriter(store)
    ask(client(server, w), "key?")
    w.close()
    assert any(secret in (h or "") for h in server.auth_headers)  # it did reach the provider
    for (table,) in store.all("SELECT table_name FROM information_schema.tables"):
        dump = store.all(f'SELECT * FROM "{table}"')
        assert secret not in repr(dump), table


def test_redact_masks_env_secrets_and_token_shapes(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "abcd1234efgh5678")
    text = "key abcd1234efgh5678 url https://u:p@host/v1 hdr Bearer abcdefghijklmnopq"
    out = redact({"a": [text]})["a"][0]
    assert "abcd1234efgh5678" not in out and "u:p@" not in out and "abcdefghijklmnopq" not in out


@given(st_.lists(st_.sampled_from(["ok", "429", "fail"]), max_size=60), st_.integers(1, 32))
def test_limiter_aimd_stays_within_bounds(events, ceiling):
    clock = [0.0]
    lim = AdaptiveLimiter(ceiling, cooldown_s=1.0, clock=lambda: clock[0])
    for e in events:
        lim.in_flight = 1  # one call finishing
        before = lim.limit
        lim.release(success=e == "ok")
        if e == "429":
            last = lim._last_decrease
            wait = lim.rate_limited(0.5, 2.0)
            assert wait >= 0.5 - 1e-9 or lim.paused_until > clock[0]
            halved = lim._last_decrease != last
            assert lim.limit == (max(1.0, before / 2) if halved else before)
        elif e == "ok":
            assert lim.limit >= before
        clock[0] += 0.3
        assert 1.0 <= lim.limit <= ceiling and lim.in_flight == 0


def test_limiter_blocks_beyond_limit_and_honours_pause():
    lim = AdaptiveLimiter(2)
    lim.acquire(), lim.acquire()
    t = time.perf_counter()
    import threading

    threading.Timer(0.2, lambda: lim.release(success=True)).start()
    lim.acquire()  # waits for the release
    assert time.perf_counter() - t >= 0.15
    lim.release(success=False), lim.release(success=False)
    lim.rate_limited(0.3, 1.0)
    t = time.perf_counter()
    lim.acquire()
    assert time.perf_counter() - t >= 0.25 and lim.limit == 1.0
