"""`harness compare`: paired deltas, noise, flipped gold findings, exit codes."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError
from harness.results.compare import compare
from harness.store import Store
from tests.report_fixture import demo_once, run_ids, store_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_once(tmp_path_factory)


def test_flips_match_the_stored_gold_labels(demo, tmp_path):
    program, replays = run_ids(demo)
    with Store(store_copy(demo, tmp_path)) as st:
        c = compare(st, replays["Claude"], program, n_boot=200)
        gold = {(r[0], r[1], r[2]): r[3] for r in st.all(
            "SELECT run_id, report_id, gold_id, label FROM score_labels WHERE side = 'gold' AND epoch = 0")}
    assert c.n_reports == 5 and c.only_b == ["20251118-084500-pr-95"] and not c.only_a
    assert c.flips
    for f in c.flips:
        a, b = gold[(replays["Claude"], f.report_id, f.gold_id)], gold[(program, f.report_id, f.gold_id)]
        assert f.direction == f"{a} -> {b}" and f.title
    flipped = {(f.report_id, f.gold_id) for f in c.flips}
    same = [k for k in gold if k[0] == program and (k[1], k[2]) not in flipped and k[1] != "20251118-084500-pr-95"]
    assert all(gold[k] == gold[(replays["Claude"], k[1], k[2])] for k in same)
    f1 = next(d for d in c.metrics if d.metric == "f1_strict")
    assert f1.delta == pytest.approx(f1.b - f1.a) and f1.low <= f1.delta <= f1.high
    assert f1.beyond_noise == (f1.low > 0 or f1.high < 0)


def test_identical_runs_have_no_flips_and_no_signal(demo, tmp_path):
    from harness.benchmark.runner import run_bench
    from harness.lm.heuristic_reviewer import register

    program, _ = run_ids(demo)
    with Store(store_copy(demo, tmp_path)) as st:
        again = run_bench(st, model=register(), program="single", split="all").run_id
        c = compare(st, program, again, n_boot=200)
    assert c.flips == [] and c.n_reports == 6
    assert all(d.delta in (0, None) and not d.beyond_noise for d in c.metrics)


def test_cli_compare_json_and_errors(demo, tmp_path, capsys):
    from cli import main

    program, replays = run_ids(demo)
    db = str(store_copy(demo, tmp_path))
    assert main(["--db", db, "compare", replays["Codex"], program, "--json", "--boot", "100"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"metrics", "flips", "n_reports"} <= set(out)
    assert all({"report_id", "gold_id", "title", "direction"} <= set(f) for f in out["flips"])
    assert main(["--db", db, "compare", program, program]) == 2
    assert main(["--db", db, "compare", program, "nosuchrun"]) == 2
    with Store(db) as st, pytest.raises(HarnessError, match="no run"):
        compare(st, "nosuchrun", program)
