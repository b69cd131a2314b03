"""The runner held at provider limits: the limit-enforcing loopback provider (tests/limited_server.py)
drives run_bench through RPM and TPM windows, retry-after as seconds and as an HTTP date, limits read
from x-ratelimit-* headers before any 429, a limit that rises mid-run, and 5xx bursts. Every case is
scored exactly once and none fails. Minutes last a second or two here; throughput figures are in
bench/limits.py and bench/RESULTS.md, not in timed tests."""

from __future__ import annotations

import time

import pytest

from harness.lm.limiter import AdaptiveLimiter, parse_duration, parse_quota
from harness.benchmark.runner import run_bench
from limited_server import Limits, LimitedProvider, duration
from openai_server import OpenAIServer
from reliability_tools import assert_run_consistent
from runner_data import answer_for, populate, simple_score


def drive(store, limits: Limits, n: int, *, concurrency: int = 8, **kw):
    provider = LimitedProvider(limits, answer_for)
    populate(store, n)
    with OpenAIServer(responder=provider) as srv:
        t = time.monotonic()
        res = run_bench(store, model="openai/test-model", program="single", split="all", api_base=srv.url,
                        concurrency=concurrency, score_fn=simple_score, backoff_s=0.05, **kw)
        wall = time.monotonic() - t
        max_in_flight = srv.max_in_flight
    assert res.status == "complete", res.message
    assert (res.cases, res.finished, res.scored, res.errors, res.parse_failures) == (n, n, n, 0, 0)
    assert_run_consistent(store, res.run_id)
    rows = store.all("SELECT report_id, count(*) FROM run_cases WHERE run_id = ? GROUP BY 1", [res.run_id])
    assert len(rows) == n and all(c == 1 for _, c in rows)  # every case scored exactly once
    assert res.metrics.f1 == 1.0
    return res, provider, wall, max_in_flight


def test_rpm_bound_run_reads_headers_before_any_429(store):
    limits = Limits(rpm=10, minute_s=1.0, latency=0.05, sigma=0.5)
    res, p, wall, _ = drive(store, limits, 30)
    s = p.stats()
    assert s["admitted"] == 30
    # the bucket holds 10: the other 20 wait for the refill (10 per second)
    assert s["last"] >= 1.9
    # the client paces itself from x-ratelimit-remaining/reset: at most a stray 429
    assert s["refused"] <= 2, s
    assert res.retries == s["refused"]


def test_tpm_bound_run(store):
    # each request is ~800 tokens (prompt + answer): 6,000 tokens a "minute" admit ~7
    limits = Limits(tpm=6000, minute_s=1.0, latency=0.05, sigma=0.5)
    res, p, wall, _ = drive(store, limits, 30)
    s = p.stats()
    assert s["admitted"] == 30 and res.input_tokens > 0
    assert s["tokens"] == res.input_tokens + res.output_tokens  # usage reported honestly, counted once
    assert s["last"] >= (s["tokens"] - 6000) / 6000 * 0.9
    assert s["refused"] <= 3, s


def test_retry_after_only_no_headers(store):
    """Without x-ratelimit-* the 429's retry-after (seconds) paces the client; no case fails."""
    limits = Limits(rpm=10, minute_s=1.0, latency=0.02, headers=False)
    res, p, wall, _ = drive(store, limits, 25)
    s = p.stats()
    assert s["admitted"] == 25 and s["refused"] >= 1 and res.retries == s["refused"]


def test_retry_after_as_http_date(store):
    limits = Limits(rpm=6, minute_s=1.0, latency=0.02, headers=False, retry_after="date")
    res, p, wall, _ = drive(store, limits, 15, concurrency=4)
    s = p.stats()
    assert s["admitted"] == 15 and s["refused"] >= 1
    # a date has whole seconds: the client waited for it rather than retrying at once
    assert s["refused"] < 15 * 3, s


def test_limit_rising_mid_run_is_used(store):
    """Slow start: 5 a "minute" for the first minute (1 s), then 40: the client follows the headers up."""
    limits = Limits(rpm=5, minute_s=1.0, rise=8.0, rise_after=1.0, latency=0.02)
    res, p, wall, _ = drive(store, limits, 60)
    s = p.stats()
    times = s["times"]
    assert s["admitted"] == 60
    before = sum(1 for t in times if t < 1.0)
    assert before <= 5 + 5  # the first minute's bucket and its refill
    # after the rise the remaining ~50 go at 40 per second, not 5: well under 3 s in all
    assert times[-1] < 3.5, times[-5:]
    assert s["refused"] <= 4, s


def test_5xx_burst_pauses_the_client_and_fails_no_case(store):
    # answers take 0.2 s, so the burst finds a full crowd in flight however busy the machine is (at
    # 0.05 s the 30 cases could all but finish before it, leaving one request alone in it)
    limits = Limits(latency=0.2, error_bursts=[(0.2, 1.0)], rpm=1000, minute_s=1.0)
    res, p, wall, _ = drive(store, limits, 30, concurrency=8, max_retries=2)
    s = p.stats()
    assert s["errors"] >= 2  # the burst was hit, by more than one request
    assert res.retries >= s["errors"] - 8  # calls in flight when it began may share a retry
    # the client backed off as a whole: far fewer failed requests than cases x retries
    assert s["errors"] < 30


def test_random_5xx_share_is_retried(store):
    limits = Limits(error_share=0.2, latency=0.01, rpm=1000, minute_s=1.0, seed=3)
    res, p, wall, _ = drive(store, limits, 30, max_retries=4)
    assert p.stats()["errors"] >= 1 and res.retries >= p.stats()["errors"]


def test_concurrency_ceiling_is_never_exceeded(store):
    limits = Limits(latency=0.1, rpm=1000, minute_s=1.0)
    _, _, _, max_in_flight = drive(store, limits, 20, concurrency=3)
    assert max_in_flight <= 3


# -- the pieces ----------------------------------------------------------------------------


def test_duration_forms():
    assert parse_duration("20ms") == 0.02
    assert parse_duration("1.5s") == 1.5
    assert parse_duration("6m0s") == 360
    assert parse_duration("1h2m3s") == 3723
    assert parse_duration("2") == 2.0
    assert parse_duration("garbage") is None
    assert abs(parse_duration("2030-01-01T00:00:10Z", now_epoch=1893456000.0) - 10) < 1e-6
    for x in (0.02, 0.5, 1.25, 59.0, 61.5, 360.0):
        assert abs(parse_duration(duration(x)) - x) < 1e-3


def test_quota_headers_parsed_for_both_vendors():
    q = parse_quota({"X-RateLimit-Limit-Requests": "60", "x-ratelimit-remaining-requests": "12",
                     "x-ratelimit-reset-requests": "48s", "x-ratelimit-remaining-tokens": "900"})
    assert q is not None and q.limit == {"requests": 60} and q.remaining == {"requests": 12, "tokens": 900}
    assert q.reset_s == {"requests": 48}
    a = parse_quota({"anthropic-ratelimit-tokens-limit": "1000", "anthropic-ratelimit-tokens-remaining": "10"})
    assert a is not None and a.remaining == {"tokens": 10}
    assert parse_quota({"content-type": "application/json"}) is None


def test_mirror_blocks_when_the_reported_quota_is_spent():
    clock = [100.0]
    lim = AdaptiveLimiter(8, clock=lambda: clock[0])
    t1 = lim.acquire()
    t2 = lim.acquire()  # sent before the first answer came back
    # the first answer: 1 request left of 10, refilling at 10/s (9 missing, full again in 0.9 s)
    lim.release(t1, success=True, headers={"x-ratelimit-limit-requests": "10",
                                           "x-ratelimit-remaining-requests": "1",
                                           "x-ratelimit-reset-requests": "900ms"})
    b = lim.buckets["requests"]
    assert b.known and abs(b.rate - 10.0) < 1e-9
    assert abs(b.available(clock[0]) - 0.0) < 1e-9  # t2 took the one left
    assert b.wait_for(1, clock[0]) == pytest.approx(0.1)
    clock[0] += 0.1
    assert b.wait_for(1, clock[0]) == pytest.approx(0.0, abs=1e-9)
    # an older answer read after a newer one changes nothing
    clock[0] += 1.0
    t3, t4 = lim.acquire(), lim.acquire()
    lim.release(t4, success=True, headers={"x-ratelimit-remaining-requests": "7", "x-ratelimit-limit-requests": "10",
                                           "x-ratelimit-reset-requests": "300ms"})
    level = b.available(clock[0])
    assert level == pytest.approx(7.0)
    lim.release(t3, success=True, headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-limit-requests": "10",
                                           "x-ratelimit-reset-requests": "1s"})
    assert b.available(clock[0]) == pytest.approx(level) and b.synced == t4.sent_requests


def test_outage_needs_two_requests():
    lim = AdaptiveLimiter(4)
    wait, outage = lim.server_error(1, lambda k: 0.0)
    assert not outage and lim.failures == 1
    wait, outage = lim.server_error(2, lambda k: 0.0)
    assert outage
    t = lim.acquire()
    lim.release(t, success=True)
    assert not lim.server_error(3, lambda k: 0.0)[1] and lim.failures == 1
