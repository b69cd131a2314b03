"""Client-wide flow control for model calls: the provider's quota mirrored, AIMD, shared pauses.

Every model call takes a `Ticket` from the run's one `AdaptiveLimiter` and hands it back with
what the provider said. Three mechanisms, all for the whole client (never per request):

- **Quota mirror.** Providers report their buckets on every answer (`x-ratelimit-limit-*`,
  `-remaining-*`, `-reset-*` for requests and tokens; Anthropic's
  `anthropic-ratelimit-*`). The limiter keeps a copy of each bucket: its level as reported
  when that request was admitted, refilled at the provider's rate since (derived from
  `(limit - remaining) / reset`, the time to fill up again), minus what this client sent
  after that request. A call starts only when the mirror holds a request and its estimated
  tokens, so the client never has more in flight than the quota admits and a 429 is the
  exception. A limit that rises mid-run (a new tier) shows in the next answer's headers.
- **AIMD concurrency.** The number of concurrent calls starts at the configured concurrency;
  a 429 or a 5xx halves it (at most once per `cooldown_s`: the other calls already in flight
  report the same event), each success adds back 1/limit up to the ceiling.
- **Shared pauses.** A 429's retry-after (seconds or an HTTP date) pauses every new call
  until it has passed. A server error pauses the client too, with a backoff that doubles for
  each failure of a call sent after the previous pause ended (a probe), and is cleared by
  the first success; `outage` says whether the failures came from more than one request
  since the last success (then it is the provider's outage, not a request's own fault).

Token estimates are the request's size in characters / 4, calibrated by the ratio of the
input tokens the provider reports to that estimate, plus the mean output tokens so far.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

_UNITS = ("requests", "tokens")


@dataclass
class Ticket:
    """One admitted call: when it went out, and the client's totals sent before it."""

    t: float
    tokens: float
    sent_requests: float
    sent_tokens: float


@dataclass
class _Bucket:
    """The client's copy of one provider bucket (requests or tokens)."""

    limit: float = 0.0
    rate: float | None = None  # units per second
    level: float = 0.0  # units available at `at`
    at: float = 0.0
    known: bool = False
    synced: float = -1.0  # the client's request count before the call whose answer was read last

    def available(self, now: float) -> float:
        if self.rate is None:
            return self.level
        return min(self.limit, self.level + self.rate * max(0.0, now - self.at))

    def wait_for(self, need: float, now: float) -> float:
        """Seconds until `need` units are available (0 when they are)."""
        have = self.available(now)
        need = min(need, self.limit)  # a request larger than the bucket waits for a full one
        if have >= need:
            return 0.0
        if not self.rate:
            return 0.5  # no rate known yet: look again soon (the next answer reports it)
        return (need - have) / self.rate

    def take(self, units: float, now: float) -> None:
        self.level = self.available(now) - units
        self.at = now


@dataclass
class _Quota:
    """Parsed rate-limit headers of one answer."""

    limit: dict[str, float] = field(default_factory=dict)
    remaining: dict[str, float] = field(default_factory=dict)
    reset_s: dict[str, float] = field(default_factory=dict)


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")


def parse_duration(value: str, now_epoch: float | None = None) -> float | None:
    """Seconds in a reset header: `20ms`, `1.5s`, `6m0s`, `1h2m`, a bare number (seconds) or an
    RFC 3339 / HTTP date (Anthropic), relative to now; None when unreadable."""
    v = value.strip()
    if not v:
        return None
    try:
        x = float(v)
        return x if math.isfinite(x) and x >= 0 else None
    except ValueError:
        pass
    m = _DURATION.match(v)
    if m and any(m.groups()):
        h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mi * 60 + s + ms / 1000
    now_epoch = time.time() if now_epoch is None else now_epoch
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(v)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now_epoch)


def parse_quota(headers: Mapping[str, str] | None) -> _Quota | None:
    """The request and token buckets an answer's headers describe (None when they say nothing)."""
    if not headers:
        return None
    q = _Quota()
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    for unit in _UNITS:
        for field_, target in (("limit", q.limit), ("remaining", q.remaining), ("reset", q.reset_s)):
            for name in (f"x-ratelimit-{field_}-{unit}", f"anthropic-ratelimit-{unit}-{field_}"):
                raw = lower.get(name)
                if raw is None:
                    continue
                val = parse_duration(raw) if field_ == "reset" else _number(raw)
                if val is not None:
                    target[unit] = val
                break
    return q if q.remaining else None


def _number(raw: str) -> float | None:
    try:
        x = float(raw.strip())
    except ValueError:
        return None
    return x if math.isfinite(x) and x >= 0 else None


class AdaptiveLimiter:
    def __init__(self, max_concurrency: int, *, min_concurrency: int = 1, cooldown_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        if max_concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.max = float(max_concurrency)
        self.min = float(max(1, min(min_concurrency, max_concurrency)))
        self.limit = float(max_concurrency)
        self.cooldown_s = cooldown_s
        self.in_flight = 0
        self.paused_until = 0.0
        self.decreases = 0
        self._last_decrease = -1e18
        self._clock = clock
        self._cond = threading.Condition()
        # quota mirror
        self.buckets = {u: _Bucket() for u in _UNITS}
        self.sent = {u: 0.0 for u in _UNITS}
        self.quota_waits = 0  # acquisitions that waited for the mirror
        self._waiting: dict[int, int] = {}  # callers waiting in acquire, by how often they were refused
        # token estimates: reported input tokens per estimated one, mean output tokens
        self._calib = 1.0
        self._out_mean = 0.0
        self._answers = 0
        # server errors
        self.failures = 0  # consecutive failure signals since the last success (client-wide)
        self._failing: set[int] = set()  # ids of the requests that failed since the last success

    # -- estimates ---------------------------------------------------------------------
    def estimate_tokens(self, request_chars: int) -> float:
        with self._cond:
            return request_chars / 4 * self._calib + self._out_mean

    def observe_usage(self, request_chars: int, input_tokens: int | None, output_tokens: int | None) -> None:
        if not input_tokens or request_chars <= 0:
            return
        with self._cond:
            self._answers += 1
            w = max(0.05, 1.0 / self._answers)  # a running mean at first, then an EMA
            self._calib += w * (input_tokens / (request_chars / 4) - self._calib)
            self._out_mean += w * ((output_tokens or 0) - self._out_mean)

    # -- the slot ----------------------------------------------------------------------
    def acquire(self, tokens: float = 0.0, *, refused: int = 0) -> Ticket:
        """A slot for one call; `refused`: how often this call was answered 429 already (the
        calls refused most go first, so that no call starves behind the others' retries)."""
        waited = False
        with self._cond:
            self._waiting[refused] = self._waiting.get(refused, 0) + 1
            try:
                return self._acquire(tokens, refused, waited)
            finally:
                self._waiting[refused] -= 1
                if not self._waiting[refused]:
                    del self._waiting[refused]
                self._cond.notify_all()

    def _acquire(self, tokens: float, refused: int, waited: bool) -> Ticket:  # holds the lock
        while True:
            now = self._clock()
            if now < self.paused_until:
                self._cond.wait(self.paused_until - now)
                continue
            if any(r > refused for r in self._waiting):
                self._cond.wait(0.5)  # a call refused more often goes first
                continue
            if self.in_flight >= int(self.limit):
                self._cond.wait(0.5)
                continue
            need = {"requests": 1.0, "tokens": tokens}
            wait = max((b.wait_for(need[u], now) for u, b in self.buckets.items() if b.known and need[u] > 0),
                       default=0.0)
            if wait > 0:
                waited = True
                self._cond.wait(min(wait, 1.0))
                continue
            ticket = Ticket(now, tokens, self.sent["requests"], self.sent["tokens"])
            for u, b in self.buckets.items():
                if b.known:
                    b.take(need[u], now)
            self.sent["requests"] += 1
            self.sent["tokens"] += tokens
            self.in_flight += 1
            if waited:
                self.quota_waits += 1
            return ticket

    def release(self, ticket: Ticket | None = None, *, success: bool,
                headers: Mapping[str, str] | None = None) -> None:
        with self._cond:
            self.in_flight -= 1
            if ticket is not None:
                self._observe(ticket, parse_quota(headers))
            if success:
                if self.limit < self.max:
                    self.limit = min(self.max, self.limit + 1.0 / self.limit)
                self.failures = 0
                self._failing.clear()
            self._cond.notify_all()

    def _observe(self, ticket: Ticket, quota: _Quota | None) -> None:
        """Resynchronise the mirror from what the provider reported when it admitted `ticket`."""
        if quota is None:
            return
        now = self._clock()
        for unit in _UNITS:
            if unit not in quota.remaining:
                continue
            b = self.buckets[unit]
            remaining = quota.remaining[unit]
            limit = quota.limit.get(unit, max(b.limit, remaining))
            reset = quota.reset_s.get(unit)
            if ticket.sent_requests < b.synced:
                continue  # a later call's answer already said more
            b.synced = ticket.sent_requests
            if reset and limit > remaining:
                b.rate = (limit - remaining) / reset  # the time to fill up again
            elif b.rate is None:
                b.rate = limit / 60.0  # a full bucket says no rate: quotas are per minute
            elif b.limit and limit != b.limit:
                b.rate *= limit / b.limit
            b.limit = limit
            # the report is as of the admission, somewhere between sending and now: refilling
            # from now errs on the safe side (the client waits a little long, never sends early)
            refilled = remaining
            sent_after = (self.sent[unit] - (ticket.sent_requests if unit == "requests" else ticket.sent_tokens)
                          - (1.0 if unit == "requests" else ticket.tokens))
            b.level = min(limit, refilled) - max(0.0, sent_after)
            b.at = now
            b.known = True

    # -- signals -----------------------------------------------------------------------
    def _decrease(self, now: float) -> None:
        if now - self._last_decrease >= self.cooldown_s:
            self.limit = max(self.min, self.limit / 2.0)
            self._last_decrease = now
            self.decreases += 1

    def rate_limited(self, retry_after: float | None, fallback_s: float,
                     headers: Mapping[str, str] | None = None, ticket: Ticket | None = None) -> float:
        """Record a 429; returns how long the caller should wait before retrying."""
        with self._cond:
            now = self._clock()
            self._decrease(now)
            if ticket is not None:
                self._observe(ticket, parse_quota(headers))
            wait = retry_after if retry_after is not None and retry_after >= 0 else fallback_s
            self.paused_until = max(self.paused_until, now + wait)
            self._cond.notify_all()
            return max(0.0, self.paused_until - now)

    def server_error(self, request_id: int, backoff: Callable[[int], float], attempt: int = 0) -> tuple[float, bool]:
        """Record a 5xx / transport failure of request `request_id` (stable across its retries).

        Returns (seconds until the client may call again, outage?): an outage when more than one
        request failed since the last success. The pause doubles only for a failure of a call
        that started after the last pause ended (`failures` counts those); failures of calls
        that were already in flight report the same event.
        """
        with self._cond:
            now = self._clock()
            self._decrease(now)
            self._failing.add(request_id)
            if now >= self.paused_until:
                self.failures += 1
                # doubling with the client's failures, but never past this request's own attempts:
                # a provider that keeps failing does not make every later request wait the cap
                self.paused_until = now + backoff(min(self.failures - 1, attempt))
            self._cond.notify_all()
            return max(0.0, self.paused_until - now), len(self._failing) > 1

    def __enter__(self) -> "AdaptiveLimiter":
        self._ticket = self.acquire()
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.release(self._ticket, success=exc_type is None)
