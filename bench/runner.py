"""Runner overhead against physics, side by side with dspy.Evaluate and inspect_ai.

    uv run --group bench python bench/runner.py [--cases 200] [--concurrency 32] [--latency 0.5] [--repeat 3]

The loopback OpenAI server (tests/openai_server.py) runs in its own process (bench/loopback.py)
and answers every request after `--latency` seconds with one finding at the gold location.

1. Import cost of DSPy, litellm and inspect_ai, each in a fresh interpreter.
2. Cold runs, `--repeat` times each, in one warm process (every framework imported and run
   once on other cases first: start-up is item 1 and item 4, not per-case overhead), on the
   same server, the same N cases and the same concurrency C; wall time as a ratio of the
   ideal ceil(N / C) * latency:
   - ours: `run_bench` (program `single`, default scorer, every case stored in DuckDB, the
     model-call cache, retries, the adaptive limiter) on a fresh store (empty cache). The
     gold's fates are computed when the store is built (once per gold set, timed apart);
   - dspy.Evaluate: the same `single` program, `dspy.LM(cache=False)`, num_threads=C, a
     location-match metric;
   - inspect_ai eval: one `generate()` per sample, max_connections=C, a location-match scorer,
     logs to a temporary directory (skipped with a message when inspect_ai is not installed:
     `uv sync --group bench`).
   Goal: ours <= 1.15 and at or below both.
3. Per-case CPU of our cold run (process CPU time / N).
4. A fully cached re-run as a user runs it: `harness bench ... --json` in a fresh process
   against the store of the last cold run; wall time including interpreter start-up (goal
   < 2 s); it must make zero model calls.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import arenas  # noqa: E402, I001 - first: it sets the malloc arenas before polars or DuckDB start threads
from loopback import LoopbackServer  # noqa: E402
from runner_data import diff_for, populate  # noqa: E402

MODEL = "openai/test-model"


def import_seconds(module: str) -> float | None:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None


# -- the three runners ------------------------------------------------------------------------


def build_store(n: int) -> tuple[Path, float]:
    from harness.gold.facts import refresh
    from harness.store import Store

    db = Path(tempfile.mkdtemp(prefix="bench-runner-")) / "bench.duckdb"
    st = Store(db)
    populate(st, n)
    t = time.perf_counter()
    refresh(st)  # the gold's fates: computed once per gold set, not per run
    fates_s = time.perf_counter() - t
    st.close()
    return db, fates_s


def run_ours(url: str, n: int, c: int) -> dict:
    from harness.benchmark.runner import run_bench
    from harness.store import Store

    db, fates_s = build_store(n)
    st = Store(db)
    cpu, t = time.process_time(), time.perf_counter()
    res = run_bench(st, model=MODEL, program="single", split="all", api_base=url, concurrency=c)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    st.close()
    assert res.status == "complete" and res.scored == n and res.model_calls == n, res
    return {"wall": wall, "cpu": cpu, "f1": res.metrics.f1, "db": db, "fates_s": fates_s}


def run_dspy_evaluate(url: str, n: int, c: int) -> dict:
    import dspy

    from harness.benchmark.dataset import ReviewCase
    from harness.benchmark.programs import get_program

    devset = []
    for i in range(n):
        case = ReviewCase(report_id=f"r{i:04d}", pr=1000 + i, round=1, status="exact", diff=diff_for(i))
        devset.append(dspy.Example(**case.inputs, i=i).with_inputs("diff", "changed_files", "context"))

    def metric(example, pred, trace=None):
        return float(any(getattr(f, "path", None) == f"src/mod_{example.i}.py" for f in (pred.findings or [])))

    lm = dspy.LM(MODEL, api_base=url, api_key="no-key", cache=False, num_retries=0, temperature=0.0)
    program = get_program("single")
    evaluate = dspy.Evaluate(devset=devset, metric=metric, num_threads=c, display_progress=False,
                             max_errors=n)
    cpu, t = time.process_time(), time.perf_counter()
    with dspy.context(lm=lm):
        result = evaluate(program)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "f1": result.score / 100}


def run_inspect(url: str, n: int, c: int) -> dict:
    from inspect_ai import Task, eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer
    from inspect_ai.solver import TaskState, generate

    @scorer(metrics=[accuracy()])
    def located():
        async def score(state: TaskState, target: Target) -> Score:
            return Score(value=CORRECT if target.text in (state.output.completion or "") else INCORRECT)
        return score

    samples = [Sample(input=f"Review this diff.\n\n{diff_for(i)}", target=f"src/mod_{i}.py", id=i)
               for i in range(n)]
    task = Task(dataset=samples, solver=generate(), scorer=located())
    logs = tempfile.mkdtemp(prefix="bench-inspect-")
    cpu, t = time.process_time(), time.perf_counter()
    out = inspect_eval(task, model="openai-api/loopback/test-model", model_base_url=url,
                       model_args={"api_key": "no-key"}, max_connections=c, display="none", log_dir=logs,
                       max_retries=0, fail_on_error=False, score_display=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    log = out[0]
    assert log.status == "success", log.error
    acc = log.results.scores[0].metrics["accuracy"].value if log.results and log.results.scores else None
    return {"wall": wall, "cpu": cpu, "f1": acc}


def cached_rerun(db: Path, url: str, c: int) -> tuple[float, dict]:
    env = {**os.environ, "HARNESS_DB": str(db)}
    cmd = [sys.executable, "-m", "cli", "bench", "--model", MODEL, "--program", "single", "--split", "all",
           "--concurrency", str(c), "--api-base", url, "--json"]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return wall, json.loads(out.stdout)


def _have_inspect() -> bool:
    try:
        import inspect_ai  # noqa: F401
    except ImportError:
        print("inspect_ai: not installed, column skipped (uv sync --group bench)")
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="ours,dspy,inspect", help="comma list of: ours, dspy, inspect")
    arenas.add_option(ap)
    args = ap.parse_args()
    print(arenas.describe())
    n, c = args.cases, args.concurrency
    ideal = math.ceil(n / c) * args.latency

    for m in ("dspy", "litellm", "inspect_ai", "harness.benchmark.runner"):
        s = import_seconds(m)
        print(f"import {m}: " + (f"{s:.2f} s" if s is not None else "not installed"))

    runners = {"ours": run_ours, "dspy": run_dspy_evaluate, "inspect": run_inspect}
    chosen = [k for k in args.only.split(",") if k in runners and (k != "inspect" or _have_inspect())]
    figures: dict[str, list[dict]] = {k: [] for k in chosen}
    with LoopbackServer(args.latency) as srv:
        for k in chosen:  # warm-up (a fresh store, no cache is shared): lazy imports, first-call set-up
            runners[k](srv.url, c, c)
        for rep in range(args.repeat):
            for k in (chosen if rep % 2 == 0 else chosen[::-1]):  # alternate the order between rounds
                figures[k].append(runners[k](srv.url, n, c))
        requests = srv.requests()

        print(f"\ncold runs: {n} cases, concurrency {c}, latency {args.latency} s, ideal {ideal:.2f} s, "
              f"{args.repeat} rounds; server answered {requests} requests")
        print("| runner | wall median (s) | wall best (s) | ratio median | ratio best | CPU/case (ms) | score |")
        print("|---|---|---|---|---|---|---|")
        for k in chosen:
            walls = [f["wall"] for f in figures[k]]
            cpu = statistics.median(f["cpu"] for f in figures[k]) / n * 1000
            med, best = statistics.median(walls), min(walls)
            print(f"| {k} | {med:.2f} | {best:.2f} | {med / ideal:.3f} | {best / ideal:.3f} | {cpu:.1f} | "
                  f"{figures[k][-1]['f1']} |")
        if "ours" in figures:
            fates = statistics.median(f["fates_s"] for f in figures["ours"])
            print(f"(ours: the gold's fates for {n} reports, computed once per gold set: {fates:.2f} s)")

            walls2 = []
            for _ in range(args.repeat):
                before = srv.requests()
                wall2, res2 = cached_rerun(figures["ours"][-1]["db"], srv.url, c)
                walls2.append(wall2)
                assert res2["model_calls"] == 0 and srv.requests() == before, res2
            print(f"\ncached re-run (fresh `harness bench` process incl. start-up), {args.repeat} runs: "
                  f"median {statistics.median(walls2):.2f} s, best {min(walls2):.2f} s (goal < 2 s); "
                  f"model calls {res2['model_calls']}, cache hits {res2['cache_hits']}, scored {res2['scored']}")


if __name__ == "__main__":
    main()
