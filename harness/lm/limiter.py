"""Adaptive concurrency for model calls: AIMD on rate limits, with a shared retry-after pause.

Every model call takes a slot. The number of slots starts at the configured concurrency; a
429 halves it (multiplicative decrease, at most once per `cooldown_s` so a burst of 429s from
calls that were already in flight counts as one signal) and pauses new calls until the
provider's retry-after has passed; each success adds 1/limit (additive increase: about +1
per `limit` successes) back up to the ceiling.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


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

    def acquire(self) -> None:
        with self._cond:
            while True:
                now = self._clock()
                if now < self.paused_until:
                    self._cond.wait(self.paused_until - now)
                    continue
                if self.in_flight < int(self.limit):
                    self.in_flight += 1
                    return
                self._cond.wait(0.5)

    def release(self, *, success: bool) -> None:
        with self._cond:
            self.in_flight -= 1
            if success and self.limit < self.max:
                self.limit = min(self.max, self.limit + 1.0 / self.limit)
            self._cond.notify_all()

    def rate_limited(self, retry_after: float | None, fallback_s: float) -> float:
        """Record a 429; returns how long the caller should wait before retrying."""
        with self._cond:
            now = self._clock()
            if now - self._last_decrease >= self.cooldown_s:
                self.limit = max(self.min, self.limit / 2.0)
                self._last_decrease = now
                self.decreases += 1
            wait = retry_after if retry_after is not None and retry_after >= 0 else fallback_s
            self.paused_until = max(self.paused_until, now + wait)
            self._cond.notify_all()
            return max(0.0, self.paused_until - now)

    def __enter__(self) -> "AdaptiveLimiter":
        self.acquire()
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.release(success=exc_type is None)
