"""`harness demo` end to end, and the offline heuristic reviewer it runs."""

from __future__ import annotations

import json

import pytest

from harness.lm.heuristic_reviewer import added_lines, answer, review
from tests.report_fixture import demo_once, replaced

DIFF = """diff --git a/app/db.py b/app/db.py
--- a/app/db.py
+++ b/app/db.py
@@ -10,3 +10,6 @@
 def find(con, name):
-    return con.execute("SELECT * FROM t WHERE name = ?", [name])
+    q = "SELECT * FROM t WHERE name = '" + name + "'"
+    data = open(path).read()
+    return con.execute(q)
 
diff --git a/tests/test_db.py b/tests/test_db.py
--- /dev/null
+++ b/tests/test_db.py
@@ -0,0 +1,2 @@
+def test_find():
+    time.sleep(1)
"""


def test_added_lines_are_numbered_on_the_new_side():
    got = added_lines(DIFF)
    assert [(p, n) for p, n, _ in got] == [("app/db.py", 11), ("app/db.py", 12), ("app/db.py", 13),
                                           ("tests/test_db.py", 1), ("tests/test_db.py", 2)]


def test_review_flags_patterns_deterministically():
    found = review(DIFF)
    assert found == review(DIFF)
    by_title = {f["title"]: f for f in found}
    sql = by_title["SQL built by string concatenation"]
    assert (sql["severity"], sql["path"], sql["line_start"]) == ("critical", "app/db.py", 11)
    assert by_title["Test waits on the wall clock instead of a fake clock"]["path"] == "tests/test_db.py"
    assert found[0]["severity"] == "critical"  # most severe first
    assert review("") == []


def test_sleep_outside_tests_is_not_flagged():
    diff = "+++ b/app/x.py\n@@ -1,0 +1,1 @@\n+time.sleep(1)\n"
    assert review(diff) == []


def test_answer_parses_with_the_dspy_chat_adapter():
    import dspy

    from harness.benchmark.programs import ReviewDiff

    sig = dspy.Predict(ReviewDiff).signature
    msgs = dspy.ChatAdapter().format(sig, demos=[], inputs={"diff": DIFF, "changed_files": "", "context": ""})
    parsed = dspy.ChatAdapter().parse(sig, answer(msgs))
    assert [f.title for f in parsed["findings"]] == [f["title"] for f in review(DIFF)]


@pytest.mark.slow
def test_demo_end_to_end_and_idempotent(tmp_path_factory):
    from harness.demo.pipeline import run_demo

    first = demo_once(tmp_path_factory)
    assert first.ingested == 6 and len(first.failed) == 1 and "pr-77" in first.failed[0]
    assert first.inputs == 6 and first.retro_reports == 6 and first.retro_cells_compared > 0
    assert set(first.runs) == {"replay:Claude", "replay:Codex", "replay:Gemini",
                               "single · offline/heuristic-reviewer"}
    for name in ("report.md", "report.html", "report.json", "retro.md"):
        assert (tmp_path_factory.getbasetemp() / first.out_dir / name).exists()
    assert "| Model |" in first.leaderboard_md
    rep = json.loads((tmp_path_factory.getbasetemp() / first.out_dir / "report.json").read_text())
    program = next(r for r in rep["reviewers"] if r["kind"] == "program")
    assert program["usage"]["model_calls"] == 6 and program["usage"]["input_tokens"] > 0
    # the consolidate task's offline baselines ran on the sample's multi-review reports
    cons = first.consolidation
    assert set(cons) == {"union", "majority", "replay:published"}
    assert all(v["cases"] == 5 and v["decision_accuracy"] is not None for v in cons.values())
    assert cons["replay:published"]["f1"] == 1.0 and cons["union"]["fp_rejection_recall"] == 0.0
    assert (tmp_path_factory.getbasetemp() / first.out_dir / "consolidate.md").exists()
    # again into the same folder: a fresh store, the same results
    again = run_demo(first.out_dir)
    replaced(again)
    assert again.summary_md == first.summary_md
    assert again.retro_disagreements == first.retro_disagreements


@pytest.mark.slow
def test_rerun_of_the_program_is_served_from_the_cache(tmp_path_factory, tmp_path):
    from harness.benchmark.runner import run_bench
    from harness.lm.heuristic_reviewer import register
    from harness.store import Store
    from tests.report_fixture import store_copy

    demo = demo_once(tmp_path_factory)
    with Store(store_copy(demo, tmp_path)) as st:
        res = run_bench(st, model=register(), program="single", split="all")
    assert (res.model_calls, res.cache_hits, res.scored) == (0, 6, 6)
