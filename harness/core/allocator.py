"""One malloc arena for a many-threaded run (glibc), so its memory stays flat.

glibc gives each thread that allocates an arena of its own, up to 8 per core. A run's worker
threads allocate and free strings of every size (diffs, prompts, answers, JSON) in ~16 arenas;
each arena's free space fragments on its own and the arenas keep growing while the bytes in use
stay flat. Measured (bench/memory.py, 10,000 cases at concurrency 32): free-but-held malloc
memory +31 MB over 5,000 cases with many arenas, flat with one; RSS slope +2.8-3.6 MB per 1,000
cases before, +1 to +2 after. The workers run Python under the GIL, so one arena's lock is
rarely contended (bench/runner.py: no wall-time cost measured).

glibc fixes its arena limit once more than 8 arenas exist, and importing polars starts 3 threads,
opening DuckDB ~10: the `harness` command sets it first thing (`cli.main`); `Store` sets it too,
for programs that use the library directly (it then holds for threads started afterwards).
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
_taken: bool | None = None  # the first call's outcome: the setting is process-wide


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - present on glibc only (musl has no such symbol)
        return libc
    except (OSError, AttributeError):
        return None


def limit_malloc_arenas(n: int = 1) -> bool:
    """Make threads created from now on share `n` malloc arenas; True if glibc took the setting.

    A MALLOC_ARENA_MAX in the environment is the user's choice and is left alone. It takes
    effect for threads started afterwards (call it before starting workers); threads that
    already own an arena keep it.
    """
    global _taken
    if _taken is None:
        libc = None if os.environ.get("MALLOC_ARENA_MAX") else _glibc()
        _taken = libc is not None and bool(libc.mallopt(ctypes.c_int(_M_ARENA_MAX), ctypes.c_int(n)))
    return _taken


def keep_default_arenas() -> None:
    """Decide now to leave glibc's default (a benchmark comparing both): later calls change nothing."""
    global _taken
    if _taken is None:
        _taken = False


def release_free_memory() -> bool:
    """Give the pages of malloc's free blocks back to the system (glibc's malloc_trim); True if
    any went back. Free blocks between blocks in use stay mapped and resident otherwise: the
    blocks a retired worker thread's cache held (harness.benchmark.workers) would keep the
    process as large as at its busiest. A few milliseconds for a heap of ~50 MB."""
    libc = _glibc()
    return bool(libc.malloc_trim(ctypes.c_size_t(0))) if libc is not None else False
