"""`bench --dry-run` against the run that follows it: estimated vs real input tokens (goal: within 10%).

    uv run python bench/dryrun.py [--cases 100] [--pad 120] [--program single]

A store of synthetic reports (tests/runner_data.py; every diff padded with `--pad` unchanged
lines, ~10 tokens each) is estimated with `dry_run` (no model call), then run for real twice:

- on the offline heuristic reviewer (`offline/heuristic-reviewer`, a litellm custom provider
  that reports the prompt's cl100k tokens as usage);
- on the loopback OpenAI server (own process) as `openai/test-model`, whose usage is the
  prompt's characters / 4 (the limit-enforcing provider's count, tests/limited_server.py):
  a provider whose tokenizer is not the one the estimate used.

Printed: the estimate, each run's real input tokens and the relative error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from loopback import LoopbackServer  # noqa: E402
from runner_data import populate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--pad", type=int, default=120)
    ap.add_argument("--program", default="single")
    args = ap.parse_args()

    from harness.benchmark.costs import dry_run
    from harness.benchmark.runner import run_bench
    from harness.store import Store

    for model in ("offline/heuristic-reviewer", "openai/test-model"):
        st = Store(Path(tempfile.mkdtemp(prefix="bench-dryrun-")) / "d.duckdb")
        populate(st, args.cases, args.pad)
        est = dry_run(st, model=model, program=args.program, split="all")
        e = est.estimate
        limits = {"minute_s": 60.0, "rpm": 1e9}  # no limit: usage counted as the provider counts it
        with LoopbackServer(0.0, limits=limits) as srv:
            res = run_bench(st, model=model, program=args.program, split="all", concurrency=8,
                            api_base=srv.url if model.startswith("openai/") else None)
        st.close()
        err = (e.input_tokens - res.input_tokens) / res.input_tokens
        print(f"{model}: {args.cases} cases ({args.program}, pad {args.pad}): estimate {e.input_tokens} input tokens "
              f"({e.tokenizer}), real {res.input_tokens} ({res.model_calls} calls, status {res.status.value}): "
              f"error {err:+.1%}; output estimate {e.output_tokens_estimate} ({est.output_source}), "
              f"real {res.output_tokens}")


if __name__ == "__main__":
    main()
