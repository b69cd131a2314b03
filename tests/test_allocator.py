"""A run's threads share one malloc arena (glibc): counted with malloc_info in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.core.allocator import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None, reason="malloc arenas are glibc's")

# 8 threads each allocate (malloc-sized bytes objects) while all are alive; then glibc's own
# report of its arenas is counted
PROBE = r"""
import ctypes, sys, tempfile, threading
from harness.core.allocator import limit_malloc_arenas

if sys.argv[1] == "cli":  # the command, then what a run starts: polars' and DuckDB's threads
    import contextlib, io
    import cli
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["--help"])
    import duckdb, polars
    duckdb.connect().execute("SELECT 42").fetchall()
    polars.DataFrame({"a": list(range(100_000))}).sum()
took = limit_malloc_arenas() if sys.argv[1] in ("limit", "cli") else None
start, hold = threading.Barrier(8), threading.Barrier(8)
keep = []

def work():
    start.wait()
    keep.append([bytes(4096 + i) for i in range(500)])
    hold.wait()

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
path = tempfile.mktemp()
fp = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(fp))
libc.fclose(ctypes.c_void_p(fp))
print(took, open(path).read().count("<heap nr="))
"""


def _arenas(mode: str, env: dict[str, str] | None = None) -> tuple[str, int]:
    full = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | (env or {})
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=full,
                         timeout=60, check=True).stdout.split()
    return out[0], int(out[1])


def test_threads_share_one_arena_after_the_limit() -> None:
    took, limited = _arenas("limit")
    assert took == "True"
    assert limited == 1
    _, free = _arenas("none")
    assert free > 2  # without it, each new thread takes an arena of its own


def test_the_command_sets_it_before_polars_and_duckdb_start_threads() -> None:
    took, n = _arenas("cli")
    assert took == "True"
    assert n == 1


def test_a_users_malloc_arena_max_is_left_alone() -> None:
    took, n = _arenas("limit", {"MALLOC_ARENA_MAX": "3"})
    assert took == "False"
    assert 1 < n <= 3
