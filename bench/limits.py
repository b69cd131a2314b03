"""Throughput at a provider's limit: ours and inspect_ai on the same limit-enforcing server.

    uv run --group bench python bench/limits.py [--cases 200] [--concurrency 32] [--repeat 1]
                                                 [--only ours,inspect] [--modes rpm,tpm]

The loopback provider (tests/limited_server.py) runs in its own process (bench/loopback.py):
buckets that hold a minute's quota and refill continuously, 429 with retry-after in seconds,
x-ratelimit-* headers on every answer, log-normal latency (median 0.5 s, sigma 0.6: the 99th
percentile is ~4x the median). A minute lasts `--minute` seconds (10 by default) so that a
200-case run takes about half a minute. Two modes:

- rpm: 60 requests a minute (6 per second): the request bucket binds;
- tpm: 60,000 tokens a minute; every case's diff is padded to ~1,000 tokens, so the
  token bucket binds (about 5 requests per second for either framework's prompt).

Throughput / limit is read from the provider's own admissions: the units admitted after the
first minute's bucket was spent, over the time they took, as a share of the refill rate:

    (units admitted - bucket) / (last admission - first admission) / (limit per second)

1.0 is a client that never lets the bucket sit full or idle. The wall time of the run is
printed too. The run must end with every case scored and 0 failed cases, which the script
checks: for ours `status == complete`, `errors == 0`; for inspect_ai every sample scored
without error. The machine's load average (`os.getloadavg`) is printed before each run: the
limits make the run wait on the provider, not on the CPU (a few requests per second).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from loopback import LoopbackServer  # noqa: E402
from runner_data import diff_for, populate  # noqa: E402

MODEL = "openai/test-model"
PAD = 90  # unchanged context lines per diff in tpm mode (~1,000 tokens a request)


def modes(minute: float) -> dict[str, dict]:
    base = dict(minute_s=minute, latency=0.5, sigma=0.6, latency_cap=10.0, retry_after="seconds", seed=1)
    return {"rpm": {**base, "rpm": 60}, "tpm": {**base, "tpm": 60_000}}


def run_ours(url: str, n: int, c: int, pad: int) -> dict:
    from harness.benchmark.runner import run_bench
    from harness.store import Store

    db = Path(tempfile.mkdtemp(prefix="bench-limits-")) / "bench.duckdb"
    st = Store(db)
    populate(st, n, pad)
    t = time.perf_counter()
    res = run_bench(st, model=MODEL, program="single", split="all", api_base=url, concurrency=c)
    wall = time.perf_counter() - t
    st.close()
    ok = res.status == "complete" and res.scored == n and res.errors == 0
    return {"wall": wall, "ok": ok, "failed": res.errors + (n - res.finished), "retries": res.retries,
            "f1": res.metrics.f1}


def run_inspect(url: str, n: int, c: int, pad: int) -> dict:
    from inspect_ai import Task, eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer
    from inspect_ai.solver import TaskState, generate

    @scorer(metrics=[accuracy()])
    def located():
        async def score(state: TaskState, target: Target) -> Score:
            return Score(value=CORRECT if target.text in (state.output.completion or "") else INCORRECT)
        return score

    samples = [Sample(input=f"Review this diff.\n\n{diff_for(i, pad)}", target=f"src/mod_{i}.py", id=i)
               for i in range(n)]
    task = Task(dataset=samples, solver=generate(), scorer=located())
    logs = tempfile.mkdtemp(prefix="bench-inspect-")
    t = time.perf_counter()
    out = inspect_eval(task, model="openai-api/loopback/test-model", model_base_url=url,
                       model_args={"api_key": "no-key"}, max_connections=c, display="none", log_dir=logs,
                       fail_on_error=False, score_display=False)
    wall = time.perf_counter() - t
    log = out[0]
    failed = sum(1 for s in (log.samples or []) if s.error) + (n - len(log.samples or []))
    acc = log.results.scores[0].metrics["accuracy"].value if log.results and log.results.scores else None
    return {"wall": wall, "ok": log.status == "success" and failed == 0, "failed": failed, "retries": None,
            "f1": acc}


def throughput(stats: dict, limits: dict, unit: str) -> float:
    per_minute = limits["rpm"] if unit == "requests" else limits["tpm"]
    rate = per_minute / limits["minute_s"]
    units = stats["admitted"] if unit == "requests" else stats["tokens"]
    span = stats["last"] - stats["first"]
    return (units - per_minute) / span / rate if span > 0 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--minute", type=float, default=10.0, help="seconds in the provider's minute")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default="ours,inspect")
    ap.add_argument("--modes", default="rpm,tpm")
    args = ap.parse_args()
    runners = {"ours": run_ours, "inspect": run_inspect}
    chosen = [k for k in args.only.split(",") if k in runners]
    all_modes = modes(args.minute)
    rows = []
    for mode in args.modes.split(","):
        limits = all_modes[mode]
        unit = "requests" if mode == "rpm" else "tokens"
        pad = PAD if mode == "tpm" else 0
        with LoopbackServer(0.0, limits=limits) as srv:
            for k in chosen:  # warm-up on a few cases: imports, first-call set-up
                runners[k](srv.url, 4, 4, pad)
            for rep in range(args.repeat):
                for k in (chosen if rep % 2 == 0 else chosen[::-1]):
                    srv.reset()
                    load = os.getloadavg()[0]
                    fig = runners[k](srv.url, args.cases, args.concurrency, pad)
                    s = srv.stats()
                    ratio = throughput(s, limits, unit)
                    rows.append((mode, k, ratio, fig, s, load))
                    print(f"{mode} {k}: throughput/limit {ratio:.3f}, wall {fig['wall']:.1f} s, "
                          f"failed {fig['failed']}, 429s {s['refused']}, admitted {s['admitted']} "
                          f"({s['tokens']} tokens), max in flight {s['max_in_flight']}, load {load:.2f}",
                          flush=True)
    print(f"\n{args.cases} cases, concurrency {args.concurrency}, a minute = {args.minute:g} s; "
          "latency log-normal median 0.5 s sigma 0.6")
    print("| mode | runner | throughput / limit | wall (s) | failed cases | 429s | score | load avg |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, k, ratio, fig, s, load in rows:
        print(f"| {mode} | {k} | {ratio:.3f} | {fig['wall']:.1f} | {fig['failed']} | {s['refused']} | "
              f"{fig['f1']} | {load:.2f} |")


if __name__ == "__main__":
    main()
