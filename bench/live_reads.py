"""Reading a store while `harness bench` writes it: how long readers wait, and what it costs the run.

    uv run python bench/live_reads.py [--cases 200] [--concurrency 32] [--latency 0.5] [--every 0.25] [--repeat 3]

A `harness bench` process (the console entry point, as a user runs it) works through N cases
against the loopback server (bench/loopback.py, its own process). Alternately, with and without
a reader: this process opening the same file read-only every `--every` seconds, as `harness
runs` does (open, list the runs with the running one's progress, close). Printed per round: the
run's wall time as a ratio of the ideal ceil(N / C) * latency, and for the reader the time each
open waited for the file (median, p95, max), how many reads got in, and the progress they saw.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from loopback import LoopbackServer  # noqa: E402
from runner_data import populate  # noqa: E402


def template(n: int) -> Path:
    from harness.gold.facts import refresh
    from harness.store import Store

    db = Path(tempfile.mkdtemp(prefix="bench-live-")) / "template.duckdb"
    with Store(db) as st:
        populate(st, n)
        refresh(st)  # the gold's fates, once (as bench/runner.py does)
    return db


def reader(db: Path, every: float, stop: threading.Event, out: dict) -> None:
    from harness.store import Store
    from harness.store.runs import list_runs

    while not stop.wait(every):
        t = time.perf_counter()
        try:
            with Store(db, read_only=True, wait_s=30) as st:
                rows = [r for r in list_runs(st).to_dicts() if r["status"] == "running"]
        except Exception as exc:  # noqa: BLE001 - counted, the benchmark goes on
            out["failed"].append(str(exc).splitlines()[0])
            continue
        out["waits"].append(time.perf_counter() - t)
        if rows:
            out["progress"].append(rows[0]["finished"])


def one_run(tmpl: Path, url: str, n: int, c: int, every: float | None) -> dict:
    db = tmpl.with_name(f"run-{time.monotonic_ns()}.duckdb")
    shutil.copy(tmpl, db)
    env = {**os.environ, "HARNESS_DB": str(db), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "cli", "bench", "--model", "openai/test-model", "--split", "all",
           "--api-base", url, "--concurrency", str(c), "--json"]
    got: dict = {"waits": [], "failed": [], "progress": []}
    stop = threading.Event()
    thread = threading.Thread(target=reader, args=(db, every, stop, got), daemon=True) if every else None
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if thread:
        thread.start()
    out, err = proc.communicate(timeout=1800)
    stop.set()
    if thread:
        thread.join()
    assert proc.returncode == 0, err
    res = json.loads(out)
    assert res["status"] == "complete" and res["scored"] == n, res
    db.unlink(missing_ok=True)
    return {"wall": res["wall_s"], **got}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--every", type=float, default=0.25)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n, c = args.cases, args.concurrency
    ideal = math.ceil(n / c) * args.latency
    tmpl = template(n)
    rows: dict[str, list[dict]] = {"alone": [], "with reader": []}
    with LoopbackServer(args.latency) as srv:
        for i in range(args.repeat):
            order = [None, args.every] if i % 2 == 0 else [args.every, None]
            for every in order:
                r = one_run(tmpl, srv.url, n, c, every)
                rows["with reader" if every else "alone"].append(r)
                print(f"round {i + 1} {'with reader' if every else 'alone'}: wall {r['wall']:.2f} s "
                      f"({r['wall'] / ideal:.2f}x ideal)", flush=True)
    for name, rs in rows.items():
        walls = [r["wall"] / ideal for r in rs]
        print(f"{name:12} wall/ideal median {statistics.median(walls):.2f} (best {min(walls):.2f}, {len(rs)} runs; "
              f"ideal {ideal:.1f} s for {n} cases at concurrency {c})")
    waits = [w for r in rows["with reader"] for w in r["waits"]]
    failed = [f for r in rows["with reader"] for f in r["failed"]]
    progress = [p for r in rows["with reader"] for p in r["progress"]]
    if waits:
        waits.sort()
        print(f"reader: {len(waits)} reads got in, {len(failed)} failed; open+list+close median "
              f"{statistics.median(waits) * 1000:.0f} ms, p95 {waits[int(0.95 * (len(waits) - 1))] * 1000:.0f} ms, "
              f"max {waits[-1] * 1000:.0f} ms; progress seen mid-run: {sorted(set(progress))[:12]}"
              + (" ..." if len(set(progress)) > 12 else ""))
    if failed:
        print("first failure: " + failed[0])
    shutil.rmtree(tmpl.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
