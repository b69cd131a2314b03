"""Benchmark: score 1,000 predicted x 1,000 gold findings of one report (goal: under 1 s).

Synthetic but shaped like real reviews: 120 files, line ranges of 1-15 lines, titles and
bodies drawn from a shared vocabulary, 60% of predictions near a gold finding (same file,
lines jittered, words partly reused), some file-only and location-less findings, and 50
known false positives. Run: `uv run python bench/match.py [--n 1000] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from harness.core.models import Finding, Location, Severity


def _words(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n))


def build(n_pred: int, n_gold: int, seed: int = 0) -> tuple[list[Finding], list[Finding], list[Finding]]:
    rng = random.Random(seed)
    vocab = [f"{a}{b}" for a in ("watch", "sync", "lock", "retry", "parse", "cache", "queue", "state",
                                 "token", "path", "error", "config", "limit", "timer", "event", "index")
             for b in ("er", "ed", "ing", "Handler", "Map", "Loop", "Count", "Spec", "Done", "Ready")]
    files = [f"pkg/mod{i % 17}/file_{i}.go" for i in range(120)]
    sev = list(Severity)

    def finding(i: int, prefix: str) -> Finding:
        path = rng.choice(files)
        start = rng.randint(1, 800)
        kind = rng.random()
        if kind < 0.85:
            locs = [Location(path=path, line_start=start, line_end=start + rng.randint(0, 14))]
        elif kind < 0.95:
            locs = [Location(path=path)]
        else:
            locs = []
        return Finding(id=f"{prefix}{i}", severity=rng.choice(sev), title=_words(rng, vocab, 6),
                       body=_words(rng, vocab, 40), locations=locs)

    gold = [finding(i, "G") for i in range(n_gold)]
    known = [finding(i, "K") for i in range(50)]
    pred = []
    for i in range(n_pred):
        if rng.random() < 0.6:
            g = rng.choice(gold)
            locs = [Location(path=("b/" + loc.path) if rng.random() < 0.3 else loc.path,
                             line_start=None if loc.line_start is None else max(1, loc.line_start + rng.randint(-5, 5)),
                             line_end=None if loc.line_end is None else loc.line_end + rng.randint(-5, 5))
                    for loc in g.locations]
            title = " ".join(w if rng.random() < 0.6 else rng.choice(vocab) for w in g.title.split())
            pred.append(Finding(severity=rng.choice(sev), title=title,
                                body=g.body[: rng.randint(20, len(g.body))], locations=locs))
        else:
            pred.append(finding(i, "P").model_copy(update={"id": ""}))
    return pred, gold, known


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    import scorers

    pred, gold, known = build(a.n, a.n)
    gs = scorers.GoldSet(report_id="bench", findings=gold, known_false_positives=known)
    scorers.score(gs, pred[:10])  # warm imports
    times = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        r = scorers.score(gs, pred)
        times.append(time.perf_counter() - t0)
    c = r.counts
    print(f"{a.n} predicted x {a.n} gold (+{len(known)} known FPs), one report, {a.repeat} runs")
    print(f"  wall: median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s"
          f"  (goal < 1 s: {'PASS' if statistics.median(times) < 1 else 'FAIL'})")
    print(f"  tp={int(c['tp'])} known_fp={int(c['known_fp'])} novel={int(c['novel'])} "
          f"P={r.metrics['precision']:.3f} R={r.metrics['recall']:.3f} F1={r.metrics['f1']:.3f}")


if __name__ == "__main__":
    main()
