"""The run's worker pool is renewed every so many cases; every case still runs exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import wait

from harness.benchmark.workers import Workers
from harness.core.allocator import release_free_memory


def test_the_pool_is_renewed_and_every_case_runs_once_on_a_thread_of_its_pool():
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()

    def case(i: int) -> int:
        with lock:
            seen.append((i, threading.current_thread().name))
        return i * i

    workers = Workers(4, rotate_after=10, name="w")
    futures = []
    for i in range(35):  # at most 4 in flight, as the runner keeps them
        futures.append(workers.submit(case, i))
        if len(futures) % 4 == 0:
            wait(futures[-4:])
    workers.shutdown()
    assert [f.result() for f in futures] == [i * i for i in range(35)]
    assert sorted(i for i, _ in seen) == list(range(35))
    assert workers.pools == 4  # 35 cases, 10 per pool
    for t in [t for t in threading.enumerate() if t.name.startswith("w_")]:
        t.join(5)  # a retired pool's threads end (and give back their malloc caches)
        assert not t.is_alive()


def test_a_retired_pool_finishes_its_case_in_flight():
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "done"

    workers = Workers(1, rotate_after=1)
    first = workers.submit(slow)
    started.wait(5)
    second = workers.submit(slow)  # a fresh pool: the first pool keeps its case in flight
    release.set()
    workers.shutdown(wait=True)
    assert (first.result(), second.result()) == ("done", "done") and workers.pools == 2


def test_release_free_memory_runs_where_glibc_is_absent_or_present():
    assert release_free_memory() in (True, False)
