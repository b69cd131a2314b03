"""The run's worker threads, replaced by fresh ones every so many cases: a long run's memory stays flat.

glibc gives every thread a cache of the blocks it freed (the tcache: up to 7 blocks of each of
64 sizes), which neither other threads nor the system get back while the thread lives. A run's
workers (32 at the default concurrency) each fill theirs further as rarer sizes come by. Measured
(bench/memory.py, 10,000 cases at concurrency 32, RSS and malloc's statistics after each close
of the store): malloc's bytes in use grew +0.22 to +0.31 MB per 1,000 cases while Python's live
objects stayed flat; with the caches off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0) +0.002.
A thread's cache goes back to malloc when the thread ends, so the pool is retired after
ROTATE_AFTER cases (its threads end with their last case) and a fresh pool takes the next ones;
malloc_trim then gives the freed pages back to the system (else they stay resident as free
blocks between blocks in use: with rotation alone, malloc's free bytes grew +0.21 MB per 1,000).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from harness.core.allocator import release_free_memory

ROTATE_AFTER = 1024  # cases per pool: 32 thread starts per ~1,000 cases cost well under a millisecond each


class Workers:
    """`submit` / `shutdown` of a ThreadPoolExecutor of `n` threads, renewed every `rotate_after`
    submissions. A retired pool takes no more work; its cases in flight finish as usual. The
    caller keeps at most `n` cases in flight, so a retired pool never holds queued work and
    nothing needs to keep it."""

    def __init__(self, n: int, *, rotate_after: int = ROTATE_AFTER, name: str = "bench"):
        self.n = n
        self.rotate_after = max(1, rotate_after)
        self.name = name
        self.pools = 1  # pools started so far (tests read it)
        self._pool = self._new()
        self._submitted = 0

    def _new(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.n, thread_name_prefix=self.name)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        if self._submitted >= self.rotate_after:
            # the pool retired last time ended long ago: what its threads' caches held is free
            # now, and goes back to the system before this pool's threads free theirs
            release_free_memory()
            self._pool.shutdown(wait=False)  # its threads end once their case is done
            self._pool = self._new()
            self.pools += 1
            self._submitted = 0
        self._submitted += 1
        return self._pool.submit(fn, *args)

    def shutdown(self, *, wait: bool = True, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
