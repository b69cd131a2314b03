"""`bench --dry-run` against the run that follows it: estimated vs real input tokens (goal: within 10%).

    uv run python bench/dryrun.py [--store PATH] [--split all] [--limit N] [--program single]
                                  [--models openai/test-model,openai/gpt-4o] [--cases 100] [--pad 120]

The run's cases come from `--store` (a store built with `harness ingest` + `harness dataset
build`; the run goes on a temporary copy, so the store keeps no run and no cached answer), else
from `--cases` synthetic reports (tests/runner_data.py; every diff padded with `--pad` unchanged
lines, ~10 tokens each). For each model string, `dry_run` estimates the run (no model call), then
the run goes to the loopback OpenAI server (own process, bench/loopback.py) with that model string.
The server counts `usage.prompt_tokens` as OpenAI does - the chat format's 3 tokens per message
plus its role and content, 3 priming the reply (tests/openai_server.chat_prompt_tokens) - over the
messages it actually received, with the tokenizer the dry run uses for that model string
(harness.lm.tokens.model_tokenizer): like for like. `--count chars4` counts characters / 4
instead (another tokenizer: what the estimate used to be compared with).

Printed per model: the estimate, the server-counted prompt tokens of the requests it received, the
run's recorded input tokens (its cache answers a request identical to an earlier one: its tokens
count in the run, not at the server) and the relative errors.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from loopback import LoopbackServer  # noqa: E402
from runner_data import populate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, default=None, help="built store to run (copied first); else synthetic")
    ap.add_argument("--split", default="all")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--cases", type=int, default=100, help="synthetic reports (without --store)")
    ap.add_argument("--pad", type=int, default=120, help="unchanged lines per synthetic diff")
    ap.add_argument("--program", default="single")
    ap.add_argument("--models", default="openai/test-model,openai/gpt-4o")
    ap.add_argument("--count", choices=("model", "chars4"), default="model",
                    help="server's tokenizer: the model's (as the dry run), or characters / 4")
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()

    from harness.benchmark.costs import dry_run
    from harness.benchmark.runner import run_bench
    from harness.store import Store

    if args.store is not None and not args.store.is_file():
        sys.exit(f"no store at {args.store}")
    for model in args.models.split(","):
        path = Path(tempfile.mkdtemp(prefix="bench-dryrun-")) / "d.duckdb"
        if args.store is not None:
            shutil.copyfile(args.store, path)
        st = Store(path)
        if args.store is None:
            populate(st, args.cases, args.pad)
        est = dry_run(st, model=model, program=args.program, split=args.split, limit=args.limit)
        e = est.estimate
        if args.count == "model":
            server = LoopbackServer(0.0, tokenizer_model=model)
        else:  # the limit-enforcing provider with no limit: usage = characters / 4
            server = LoopbackServer(0.0, limits={"minute_s": 60.0, "rpm": 1e9})
        with server as srv:
            res = run_bench(st, model=model, program=args.program, split=args.split, limit=args.limit,
                            concurrency=args.concurrency, api_base=srv.url)
            received = srv.requests()
            counted = srv.prompt_tokens() if args.count == "model" else None
        st.close()
        shutil.rmtree(path.parent, ignore_errors=True)
        if counted is None:  # chars/4: the provider's usage is what the run recorded (no repeats assumed)
            counted = res.input_tokens
        where = f"{args.store} split {args.split}" if args.store else f"synthetic, pad {args.pad}"
        sent = e.input_tokens - est.repeated_tokens
        print(f"{model}: {e.cases} cases ({where}, {args.program}, limit {args.limit}), {est.runnable} runnable, "
              f"{est.calls} calls ({est.repeated_calls} repeat an earlier request)")
        print(f"  estimate {e.input_tokens} input tokens ({e.tokenizer})")
        print(f"  server counted {counted} prompt tokens over {received} requests "
              f"({'the model tokenizer, OpenAI chat format' if args.count == 'model' else 'characters / 4'}): "
              f"estimate {(e.input_tokens - counted) / counted:+.2%}; estimate of requests sent "
              f"(without repeats) {sent}: {(sent - counted) / counted:+.2%}")
        print(f"  run recorded {res.input_tokens} input tokens ({res.model_calls} calls, {res.cache_hits} cache hits, "
              f"status {res.status.value}): estimate {(e.input_tokens - res.input_tokens) / res.input_tokens:+.2%}")
        print(f"  output: estimate {e.output_tokens_estimate} ({est.output_source}), real {res.output_tokens}")


if __name__ == "__main__":
    main()
