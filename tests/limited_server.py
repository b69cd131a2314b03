"""A limit-enforcing provider for the loopback OpenAI server (tests and benchmarks, not shipped).

`LimitedProvider(Limits(...), answer)` is a responder for `openai_server.OpenAIServer`: it
admits a request only when its buckets hold it, else answers 429, as a real provider does.

- Requests per minute and tokens per minute: two buckets that hold one minute's quota and
  refill continuously (OpenAI's and Anthropic's documented model). A request's tokens are its
  prompt's (characters of the messages / 4) plus its answer's; the usage it reports is the
  same count, honestly. A refused request costs nothing.
- A 429 carries `retry-after`: seconds (`retry_after="seconds"`, fractional: our minutes are
  short), an HTTP date (`"date"`, whole seconds, rounded up) or nothing (`"none"`).
- Every answer, 429s included, carries `x-ratelimit-limit-*`, `-remaining-*` and `-reset-*`
  (OpenAI's duration form, `1.25s` / `20ms`; reset is the time to fill up again) for requests
  and tokens, unless `headers=False`.
- Latency is log-normal: median `latency`, shape `sigma` (1.0 gives a long tail: the 99th
  percentile is 10x the median), capped at `latency_cap`.
- `error_share` of admitted requests answer 500 / 503 at random; during each
  `(start, end)` of `error_bursts` (seconds since the first request) every request gets 503.
- Slow start: the limits are multiplied by `rise` once `rise_after` minutes have passed since
  the first request (a new API tier).
- `minute_s` is the length of a minute, so that tests run in seconds.

`stats()` says what was admitted when: the benchmarks compute throughput over the limit from it.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Callable

from openai_server import Reply


@dataclass
class Limits:
    rpm: float | None = None
    tpm: float | None = None
    minute_s: float = 60.0
    retry_after: str = "seconds"  # seconds | date | none
    headers: bool = True
    latency: float = 0.0
    sigma: float = 0.0
    latency_cap: float = 30.0
    error_share: float = 0.0
    error_bursts: list[tuple[float, float]] = field(default_factory=list)
    rise: float = 1.0
    rise_after: float = 1.0  # minutes
    seed: int = 0


def prompt_tokens(body: dict) -> int:
    chars = 0
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(p.get("text", "")) for p in content if isinstance(p, dict))
    return max(1, math.ceil(chars / 4))


def duration(seconds: float) -> str:
    """OpenAI's reset form: `20ms`, `1.5s`, `2m3.5s`."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    if seconds < 60:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    m, s = divmod(seconds, 60)
    return f"{int(m)}m{s:.3f}".rstrip("0").rstrip(".") + "s"


class _Bucket:
    def __init__(self, per_minute: float, minute_s: float):
        self.per_minute = per_minute
        self.minute_s = minute_s
        self.level = per_minute
        self.at: float | None = None

    @property
    def rate(self) -> float:
        return self.per_minute / self.minute_s

    def refill(self, now: float, per_minute: float) -> None:
        if self.at is not None:
            self.level = min(per_minute, self.level + self.rate * (now - self.at))
        if per_minute > self.per_minute:  # a higher tier: the new headroom is there at once
            self.level += per_minute - self.per_minute
        self.per_minute = per_minute
        self.at = now

    def wait_for(self, need: float) -> float:
        need = min(need, self.per_minute)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def reset_s(self) -> float:
        return max(0.0, (self.per_minute - self.level) / self.rate)


class LimitedProvider:
    def __init__(self, limits: Limits, answer: Callable[[dict], Reply], *, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.answer = answer
        self.clock = clock
        self.rng = random.Random(limits.seed)
        self.lock = threading.Lock()
        self.t0: float | None = None
        self.buckets: dict[str, _Bucket] = {}
        if limits.rpm:
            self.buckets["requests"] = _Bucket(limits.rpm, limits.minute_s)
        if limits.tpm:
            self.buckets["tokens"] = _Bucket(limits.tpm, limits.minute_s)
        self.admitted: list[tuple[float, int]] = []  # (seconds since start, tokens)
        self.refused = 0
        self.errors = 0

    def per_minute(self, unit: str, now: float) -> float:
        base = self.limits.rpm if unit == "requests" else self.limits.tpm
        assert base
        risen = self.t0 is not None and now - self.t0 >= self.limits.rise_after * self.limits.minute_s
        return base * (self.limits.rise if risen else 1.0)

    def __call__(self, body: dict) -> Reply:
        reply = self.answer(body)
        lim = self.limits
        if reply.kind == "ok":
            text = reply.content or ""
            reply.prompt_tokens = prompt_tokens(body)
            reply.completion_tokens = max(1, math.ceil(len(text) / 4))
        tokens = reply.prompt_tokens + reply.completion_tokens
        need = {"requests": 1.0, "tokens": float(tokens)}
        with self.lock:
            now = self.clock()
            if self.t0 is None:
                self.t0 = now
            for unit, b in self.buckets.items():
                b.refill(now, self.per_minute(unit, now))
            wait = max((b.wait_for(need[u]) for u, b in self.buckets.items()), default=0.0)
            if wait > 0:
                self.refused += 1
                headers = self._headers(now)
                if lim.retry_after == "seconds":
                    headers["retry-after"] = f"{wait:.3f}"
                elif lim.retry_after == "date":
                    headers["retry-after"] = formatdate(math.ceil(time.time() + wait), usegmt=True)
                return Reply(kind="error", status=429, headers=headers, content="rate limit exceeded")
            for unit, b in self.buckets.items():
                b.level -= min(need[unit], b.per_minute)
            since = now - self.t0
            self.admitted.append((since, tokens))
            headers = self._headers(now)
            burst = any(a <= since < b for a, b in lim.error_bursts)
            fail = burst or (lim.error_share > 0 and self.rng.random() < lim.error_share)
            status = 503 if burst else self.rng.choice((500, 503))
            delay = 0.0
            if lim.latency > 0:
                delay = min(lim.latency_cap, lim.latency * math.exp(lim.sigma * self.rng.gauss(0.0, 1.0)))
        if fail:
            self.errors += 1
            return Reply(kind="error", status=status, headers=headers, content=f"upstream failure {status}",
                         delay=delay / 4)
        reply.headers = {**reply.headers, **headers}
        reply.delay += delay
        return reply

    def _headers(self, now: float) -> dict[str, str]:
        if not self.limits.headers:
            return {}
        out = {}
        for unit, b in self.buckets.items():
            out[f"x-ratelimit-limit-{unit}"] = str(int(b.per_minute))
            out[f"x-ratelimit-remaining-{unit}"] = str(max(0, int(b.level)))
            out[f"x-ratelimit-reset-{unit}"] = duration(b.reset_s())
        return out

    def stats(self) -> dict:
        with self.lock:
            return {"admitted": len(self.admitted), "tokens": sum(t for _, t in self.admitted),
                    "refused": self.refused, "errors": self.errors,
                    "first": self.admitted[0][0] if self.admitted else None,
                    "last": self.admitted[-1][0] if self.admitted else None,
                    "times": [round(t, 4) for t, _ in self.admitted]}


def ideal_seconds(limits: Limits, units: list[float], unit: str) -> float:
    """The earliest the last of these admissions could happen under the limit (a full bucket
    at the start, refilled at the per-minute rate; slow start not modelled)."""
    per_minute = limits.rpm if unit == "requests" else limits.tpm
    assert per_minute
    total = sum(units)
    return max(0.0, total - per_minute) / (per_minute / limits.minute_s)


def dumps_stats(p: LimitedProvider) -> str:
    return json.dumps(p.stats())
