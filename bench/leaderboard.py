"""Time `harness leaderboard` on a synthetic store of 1,000,000 agent findings.

    uv run python bench/leaderboard.py [--findings 1000000] [--db /tmp/bench-leaderboard.duckdb]

Builds (once, reused when it already holds the requested size) a store with reports,
`retro_agents` and `fates` rows shaped like the corpus: 3 reviewers per report drawn from 6
models, ~8 findings per reviewer, published durations and tool calls. Fates are inserted with
DuckDB's own generators (the bench times the aggregation, not fate extraction). Then it times
`leaderboard()` (store already fresh: no report is stale), best of 5, default n_boot=1000.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.retro.leaderboard import leaderboard, to_markdown  # noqa: E402
from harness.store import Store  # noqa: E402

MODELS = [("Claude", "Claude Opus 4.6"), ("Claude", "Claude Opus 4.7"), ("Codex", "Codex GPT 5.4"),
          ("Codex", "Codex GPT 5.5"), ("Gemini", "Gemini 3.1 Pro"), ("Gemini", "Gemini 2.5 Pro")]
PER_AGENT = 8


def build(st: Store, n_findings: int) -> None:
    n_reports = max(1, n_findings // (3 * PER_AGENT))
    models = ", ".join(f"('{a}', '{m}', {i})" for i, (a, m) in enumerate(MODELS))
    with st.transaction():
        for t in ("fates", "retro_agents", "reports"):
            st.execute(f"DELETE FROM {t}")
        st.execute(
            "INSERT INTO reports (id, source, content_hash, date, pr, has_retro, n_warnings, doc) "
            "SELECT 'r' || lpad(i::VARCHAR, 7, '0'), 'synthetic', 'h', "
            " strftime(DATE '2026-01-01' + (i % 365)::INTEGER, '%Y-%m-%d'), (i % 400)::INTEGER, true, 0, '{}' "
            "FROM range(?) t(i)", [n_reports])
        # reviewer k of report i: family k, model version alternating with i
        st.execute(
            f"""INSERT INTO retro_agents
            SELECT 'r' || lpad(i::VARCHAR, 7, '0'), m.agent, m.model, 'h',
                   strftime(DATE '2026-01-01' + (i % 365)::INTEGER, '%Y-%m-%d'), (i % 400)::INTEGER,
                   (hash(i, k) % 2)::INTEGER, (hash(i, k, 1) % 4)::INTEGER, (hash(i, k, 2) % 6)::INTEGER,
                   (hash(i, k, 3) % 4)::INTEGER, 12, 120 + (hash(i, k, 4) % 600)::DOUBLE,
                   (5 + hash(i, k, 5) % 60)::INTEGER
            FROM range(?) r(i), range(3) a(k),
                 (VALUES {models}) m(agent, model, mi)
            WHERE m.mi = 2 * k + (i % 2)""", [n_reports])
        st.execute(
            """INSERT INTO fates
            SELECT a.report_id, a.agent, j::INTEGER, a.model, NULL, 'I' || (j + 1),
                   ['critical', 'important', 'suggestion'][1 + (hash(a.report_id, a.agent, j) % 3)::INTEGER],
                   'synthetic finding',
                   ['kept', 'kept', 'kept', 'downgraded', 'merged', 'dropped', 'false_positive', 'demoted',
                    'unmatched', 'upgraded'][1 + (hash(a.report_id, a.agent, j, 1) % 10)::INTEGER],
                   NULL, NULL, NULL, 'matcher', ''
            FROM retro_agents a, range(?) f(j)""", [PER_AGENT])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=1_000_000)
    ap.add_argument("--db", default=os.path.join("/tmp", "bench-leaderboard.duckdb"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    st = Store(args.db)
    have = st.one("SELECT count(*) FROM fates")[0]
    want = max(1, args.findings // (3 * PER_AGENT)) * 3 * PER_AGENT
    if have != want:
        t = time.perf_counter()
        build(st, args.findings)
        print(f"built synthetic store: {want:,} agent findings in {time.perf_counter() - t:.1f} s")
    n_reports = st.one("SELECT count(*) FROM reports")[0]
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        df = leaderboard(st)
        times.append(time.perf_counter() - t)
    print(to_markdown(df))
    print(f"leaderboard over {want:,} agent findings, {n_reports:,} reports: "
          f"best {min(times):.3f} s, median {statistics.median(times):.3f} s (goal < 1 s)")
    st.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
