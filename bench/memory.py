"""Memory of a long run: RSS sampled while `run_bench` works through N cases.

Issue 16's goal: under 350 MB at 10,000 cases and under 0.5 MB per 1,000 cases of growth.

    uv run python bench/memory.py [--cases 10000] [--concurrency 32] [--store /tmp/mem10k.duckdb]

`--store PATH` keeps the populated store for the next measurement: when PATH already holds
the N synthetic reports (tests/runner_data.populated) it is reused, else they are written there
first. The run itself always goes on a fresh copy of it (a temporary file), so every
measurement starts from the same store: no earlier run's rows, no cached model answers.

Like the `harness` command, the process first makes its threads share one malloc arena
(harness.core.allocator); `--arenas default` leaves glibc's default (up to 8 per core) to
compare.

The loopback server (own process, bench/loopback.py) answers at once, so the run is as fast
as the runner allows and any per-case leak shows as growth. RSS is read from
/proc/self/status every 0.5 s; printed: the RSS after 10 % of the cases (warm) and at the
end, the peak, and the growth per 1,000 cases: between those two points, and as the least-squares
slope over every sample after the warm point (one point is noisy: a write batch in flight moves
RSS by tens of MB).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import arenas  # noqa: E402, I001 - first: it sets the malloc arenas before polars or DuckDB start threads
from rss import rss_mb, slope  # noqa: E402
from loopback import LoopbackServer  # noqa: E402
from runner_data import populate, populated  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--store", type=Path, default=None,
                    help="populated store to reuse (built there first when it lacks the N reports)")
    arenas.add_option(ap)
    args = ap.parse_args()
    print(arenas.describe())

    from harness.benchmark.runner import run_bench
    from harness.store import Store

    work = Path(tempfile.mkdtemp(prefix="bench-memory-")) / "mem.duckdb"
    if args.store is None:
        st = Store(work)
        t = time.perf_counter()
        populate(st, args.cases)
        print(f"store of {args.cases} reports built in {time.perf_counter() - t:.1f} s; RSS {rss_mb():.0f} MB")
    else:
        keep = Store(args.store)
        if populated(keep, args.cases):
            print(f"store {args.store} holds the {args.cases} reports: reused")
        else:
            t = time.perf_counter()
            populate(keep, args.cases)
            print(f"store of {args.cases} reports built at {args.store} in {time.perf_counter() - t:.1f} s")
        keep.close()
        shutil.copyfile(args.store, work)  # the run writes runs and cached answers: never into the kept store
        st = Store(work)
        print(f"run on a copy ({work}); RSS {rss_mb():.0f} MB")
    samples: list[tuple[int, float]] = []  # (cases done, RSS MB)
    done = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append((done[0], rss_mb()))

    def progress(d: int, total: int, errors: int, spent: float) -> None:
        done[0] = d

    sampler = threading.Thread(target=sample, daemon=True)
    with LoopbackServer(0.0) as srv:
        sampler.start()
        t = time.perf_counter()
        res = run_bench(st, model="openai/test-model", program="single", split="all", api_base=srv.url,
                        limit=args.cases, concurrency=args.concurrency, progress=progress)
        wall = time.perf_counter() - t
        stop.set()
        sampler.join()
    assert res.scored == args.cases, res
    samples.append((args.cases, rss_mb()))
    warm = next(((d, r) for d, r in samples if d >= args.cases // 10), samples[0])
    end = samples[-1]
    peak_at, peak = max(samples, key=lambda s: s[1])
    per_k = (end[1] - warm[1]) / max(1, (end[0] - warm[0])) * 1000
    after = [(d, r) for d, r in samples if d >= warm[0]]
    lsq = slope(after)
    # RSS swings by ~30 MB as the store's file is opened and closed (every 2 s): the least-squares
    # line through the lows and through the highs of each 1,000 cases tells what is kept between
    # openings and what an open file adds
    buckets: dict[int, list[float]] = {}
    for d, r in after:
        if d >= args.cases:  # the run's closing queries, not a case's work
            continue
        buckets.setdefault(d // 1000, []).append(r)
    lows = [(k * 1000, min(v)) for k, v in sorted(buckets.items())]
    highs = [(k * 1000, max(v)) for k, v in sorted(buckets.items())]
    print(f"{args.cases} cases at concurrency {args.concurrency} in {wall:.1f} s; RSS at {warm[0]} cases "
          f"{warm[1]:.0f} MB, at the end {end[1]:.0f} MB, peak {peak:.0f} MB at {peak_at} cases; "
          f"growth {per_k:+.1f} MB per 1,000 cases (least-squares slope over {len(after)} samples: "
          f"{lsq:+.2f} MB per 1,000)")
    print(f"lows of each 1,000 cases: {slope(lows):+.2f} MB per 1,000; highs: {slope(highs):+.2f} MB per 1,000 "
          f"(lows {lows[0][1]:.0f} -> {lows[-1][1]:.0f} MB, highs {highs[0][1]:.0f} -> {highs[-1][1]:.0f} MB)")
    step = max(1, len(samples) // 10)
    print("cases done -> RSS MB: " + ", ".join(f"{d}: {r:.0f}" for d, r in samples[::step]))


if __name__ == "__main__":
    main()
