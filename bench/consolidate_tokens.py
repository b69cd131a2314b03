"""Input-token size of a consolidate case next to a review case, over the stored corpus.

For every report: the prompt DSPy's ChatAdapter sends (system + user message, no demos) for
the review program `single` on the report's review input (when the dataset holds it), and for
the consolidator `consolidate` on the report's consolidate case, without and with the diff.
Tokens by `harness.lm.tokens.count_tokens` (cl100k_base when available, else chars/4).

    HARNESS_DB=/tmp/corpus.duckdb python3 -m uv run python bench/consolidate_tokens.py

(the store: `harness ingest ../shared/reviews`, then `harness dataset build --repo PATH`).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def prompt_tokens(signature, inputs: dict) -> int:
    import dspy

    from harness.benchmark.dataset import count_tokens

    msgs = dspy.ChatAdapter().format(signature, demos=[], inputs=inputs)
    return sum(count_tokens(m["content"]) for m in msgs)


def p90(xs: list[int]) -> int:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]


def main() -> int:
    from harness.benchmark.consolidate.cases import load_consolidate_cases
    from harness.benchmark.programs.consolidators import ConsolidateReviews
    from harness.benchmark.dataset import load_cases, token_method
    from harness.benchmark.programs.signatures import ReviewDiff
    from harness.store import Store

    st = Store()
    review = [c for c in load_cases(st, "all") if c.runnable]
    review_tokens = [prompt_tokens(ReviewDiff, {k: v for k, v in c.inputs.items() if k in ReviewDiff.input_fields})
                     for c in review]
    cons = [c for c in load_consolidate_cases(st, "all") if c.runnable]
    cons_tokens = [prompt_tokens(ConsolidateReviews, c.inputs) for c in cons]
    with_diff = [c for c in load_consolidate_cases(st, "all", with_diff=True) if c.runnable]
    diff_tokens = [prompt_tokens(ConsolidateReviews, c.inputs) for c in with_diff]
    print(f"token method: {token_method()}")
    print("| Case | Cases | Median input tokens | p90 | Max |")
    print("|---|---|---|---|---|")
    for name, xs in (("review (`single`, diff)", review_tokens), ("consolidate (`consolidate`, findings only)",
                                                                  cons_tokens),
                     ("consolidate `--with-diff`", diff_tokens)):
        if xs:
            print(f"| {name} | {len(xs)} | {int(statistics.median(xs)):,} | {p90(xs):,} | {max(xs):,} |")
        else:
            print(f"| {name} | 0 | — | — | — |")
    st.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
