"""Runner overhead against physics: a loopback OpenAI server answering after a fixed latency.

    uv run python bench/runner.py [--cases 200] [--concurrency 32] [--latency 0.5]

1. Import cost of DSPy and litellm, each in a fresh interpreter.
2. A cold run (empty cache): `run_bench` over N synthetic cases, program `single`, model
   openai/test-model at the loopback server (same process, its own threads); wall time as a
   ratio of the ideal ceil(N / C) * latency (goal <= 1.15). Timed from the call in a warm
   process: litellm and the scorers are imported first (their import time is item 1).
3. A fully cached re-run, as a user runs it: `harness bench ... --json` in a fresh process
   against the same store; wall time including interpreter start-up (goal < 2 s), and it
   must make zero model calls.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from openai_server import OpenAIServer  # noqa: E402
from runner_data import answer_for, populate  # noqa: E402


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--scorer", default="default")
    args = ap.parse_args()

    for m in ("dspy", "litellm", "harness.runner.bench"):
        print(f"import {m}: {import_seconds(m):.2f} s")

    from harness.runner.bench import run_bench
    from harness.store import Store

    # Imports are start-up cost, reported above; the run is timed in a warm process.
    from dspy.clients._litellm import get_litellm

    get_litellm(feature="bench")
    if args.scorer:
        from harness.runner.scoring import scorer_fn

        scorer_fn(args.scorer)
    tmp = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    db = tmp / "bench.duckdb"
    st = Store(db)
    populate(st, args.cases)
    ideal = math.ceil(args.cases / args.concurrency) * args.latency
    with OpenAIServer(responder=answer_for, delay=args.latency) as srv:
        t = time.perf_counter()
        res = run_bench(st, model="openai/test-model", program="single", split="all", api_base=srv.url,
                        concurrency=args.concurrency, scorer=args.scorer)
        wall = time.perf_counter() - t
        assert res.status == "complete" and res.scored == args.cases, res
        print(f"cold run: {args.cases} cases at concurrency {args.concurrency}, latency {args.latency} s: "
              f"wall {wall:.2f} s, ideal {ideal:.2f} s, ratio {wall / ideal:.3f} (goal <= 1.15); "
              f"requests {srv.requests}, f1 {res.metrics.f1}")
        st.close()

        # the cached re-run: a fresh `harness bench` process, as a user runs it
        env = {**os.environ, "HARNESS_DB": str(db), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        cmd = [sys.executable, "-m", "cli", "bench", "--model", "openai/test-model", "--program", "single", "--split", "all",
               "--concurrency", str(args.concurrency), "--api-base", srv.url, "--scorer", args.scorer, "--json"]
        before = srv.requests
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        wall2 = time.perf_counter() - t
        if out.returncode != 0:
            print(out.stderr)
            raise SystemExit(out.returncode)
        res2 = json.loads(out.stdout)
        print(f"cached re-run (fresh process incl. start-up): {wall2:.2f} s (goal < 2 s); model calls "
              f"{res2['model_calls']}, cache hits {res2['cache_hits']}, requests to server {srv.requests - before}")


if __name__ == "__main__":
    main()
