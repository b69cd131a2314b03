"""Time a whole-corpus ingest (parse + store into a fresh DuckDB file) against a bare
markdown-it tokenisation of the same files. Goal: ingest under 1 s on the 2-core box.

    uv run python bench/ingest.py [CORPUS_DIR] [--repeat N]

CORPUS_DIR defaults to ../shared/reviews relative to the repository root. Each figure is
the median (and best) of N runs (default 5), after one warm-up run that pays for imports and
caches. Other work on the machine inflates the medians: read the best column on a busy box.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _median_time(fn, repeat: int) -> tuple[float, float]:
    """(median, best) of `repeat` timed runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "reviews"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    from markdown_it import MarkdownIt

    from harness.gold.ingest import ingest_paths
    from harness.gold.parse import parse_report
    from harness.store import Store
    from harness.store import gold

    files = sorted(Path(args.corpus).glob("*.md"))
    if not files:
        print(f"no *.md files in {args.corpus}", file=sys.stderr)
        return 2
    texts = [f.read_text(encoding="utf-8") for f in files]
    size_mb = sum(len(t.encode()) for t in texts) / 1e6

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokenise = _median_time(lambda: [md.parse(t) for t in texts], args.repeat)

    parsed: list = []

    def parse_all():
        parsed[:] = [parse_report(t, source=str(f)) for f, t in zip(files, texts)]

    parse = _median_time(parse_all, args.repeat)

    with tempfile.TemporaryDirectory() as tmp:
        runs = iter(range(10_000))

        def store_all():
            with Store(Path(tmp) / f"store-{next(runs)}.duckdb") as st:
                gold.put_reports(st, parsed)

        store = _median_time(store_all, args.repeat)

        result = {}

        def ingest_all():
            with Store(Path(tmp) / f"ingest-{next(runs)}.duckdb") as st:
                result["r"] = ingest_paths(st, files)

        ingest = _median_time(ingest_all, args.repeat)

    t = result["r"].totals
    print(f"corpus: {len(files)} files, {size_mb:.2f} MB ({args.corpus})")
    print(f"stored: {t.reports} reports, {t.failed} failed, findings {t.findings}, "
          f"agent findings {t.agent_findings}, parse warnings {t.warnings}")
    print(f"{'':31}  median     best")
    for label, (med, best) in (
        ("markdown-it-py tokenise only", tokenise),
        ("parse_report (all files)", parse),
        ("store into fresh DuckDB", store),  # open + migrate + bulk insert + close
        ("ingest_paths end to end", ingest),  # read + hash + parse + store + totals
    ):
        print(f"{label:31}{med * 1000:8.0f} ms{best * 1000:6.0f} ms")
    print(f"{'ratio ingest / tokenise':31}{ingest[0] / tokenise[0]:8.2f}x {ingest[1] / tokenise[1]:6.2f}x")
    print(f"goal < 1 s (median)            : {'met' if ingest[0] < 1.0 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
