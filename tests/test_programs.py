"""Review programs driven by DSPy's DummyLM: findings, parse failures as outcomes, per_file
chunking and de-duplication, agent tools and their sandbox, panel consolidation, saved programs."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.utils.dummies import DummyLM
from hypothesis import given
from hypothesis import strategies as st

from harness.core.errors import NotFound
from harness.core.models import Severity
from harness.lm.tokens import count_tokens
from harness.benchmark.programs import (
    ReviewFinding,
    get_program,
    program_hash,
    program_names,
    run_program,
    save_program,
)
from harness.benchmark.programs.diffsplit import dedupe, parse_files, split_diff
from harness.benchmark.programs.workspace import CommitTree, PathEscape, clean_path
from tests.gitrepo_fixture import TinyRepo

F1 = {"severity": "critical", "title": "Nil map write in handler", "path": "src/a.go",
      "line_start": 12, "line_end": 14, "body": "panics", "category": "correctness"}
F2 = {"severity": "suggestion", "title": "Typo in log message", "path": "src/b.go", "line_start": 3}


def file_diff(path: str, hunks: list[tuple[int, list[str]]]) -> str:
    out = [f"diff --git a/{path} b/{path}\n", "index 1111111..2222222 100644\n",
           f"--- a/{path}\n", f"+++ b/{path}\n"]
    for start, lines in hunks:
        out.append(f"@@ -{start},0 +{start},{len(lines)} @@\n")
        out += [f"+{l}\n" for l in lines]
    return "".join(out)


INPUTS = {"diff": file_diff("src/a.go", [(10, ["m[k] = v"])]), "changed_files": "src/a.go (+1 -0)",
          "context": "PR #1: add handler", "repo_path": "", "head": ""}


def test_registry_lists_the_programs_with_stable_hashes():
    # the five review programs and the two consolidators (harness.benchmark.programs.consolidators)
    assert program_names() == ["agent", "consolidate", "consolidate_cot", "cot", "panel", "per_file", "single"]
    for name in program_names():
        assert program_hash(get_program(name)) == program_hash(get_program(name))
    assert len({program_hash(get_program(n)) for n in program_names()}) == 7
    assert program_hash(get_program("per_file", budget=100)) != program_hash(get_program("per_file"))
    with pytest.raises(NotFound):
        get_program("nope")


@pytest.mark.parametrize("name,extra", [("single", {}), ("cot", {"reasoning": "looked at it"})])
def test_predict_and_cot_return_findings(name, extra):
    lm = DummyLM([{**extra, "findings": [F1, F2]}])
    with dspy.context(lm=lm):
        res = run_program(get_program(name), INPUTS)
    assert res.status == "ok" and res.error is None
    assert [f.severity for f in res.findings] == [Severity.critical, Severity.suggestion]
    loc = res.findings[0].locations[0]
    assert (loc.path, loc.line_start, loc.line_end) == ("src/a.go", 12, 14)
    assert res.findings[1].locations[0].line_end == 3  # a single line cited
    assert res.findings[0].category == "correctness"
    assert "m[k] = v" in lm.history[-1]["messages"][-1]["content"]  # the diff reached the model


def test_unparseable_answer_is_an_outcome_with_the_raw_response():
    # ChatAdapter fails, then its JSONAdapter fallback fails too: two answers consumed.
    lm = DummyLM([{"findings": "I think it looks fine"}, {"findings": "still prose"}])
    with dspy.context(lm=lm):
        res = run_program(get_program("single"), INPUTS)
    assert res.status == "parse_error" and res.findings == []
    assert "still prose" in res.raw and res.error


def test_invalid_severity_is_a_parse_error_not_a_crash():
    bad = {**F1, "severity": "blocker"}
    with dspy.context(lm=DummyLM([{"findings": [bad]}, {"findings": [bad]}])):
        res = run_program(get_program("single"), INPUTS)
    assert res.status == "parse_error" and "blocker" in res.raw


def test_lm_errors_propagate_to_the_runner():
    class Boom(DummyLM):
        def forward(self, *a, **kw):
            raise ConnectionError("endpoint down")

    with dspy.context(lm=Boom([])), pytest.raises(ConnectionError):
        run_program(get_program("single"), INPUTS)


# -- per_file ---------------------------------------------------------------------------------

hunk_lists = st.lists(st.lists(st.text("abcxyz ", min_size=1, max_size=30), min_size=1, max_size=8),
                      min_size=1, max_size=6)


@given(st.lists(hunk_lists, min_size=1, max_size=6), st.integers(20, 400))
def test_split_diff_covers_the_diff_within_budget(files, budget):
    diff = "".join(file_diff(f"f{i}.txt", [(10 * j + 1, h) for j, h in enumerate(hs)])
                   for i, hs in enumerate(files))
    count = lambda s: len(s) // 4  # noqa: E731
    chunks = split_diff(diff, budget, count)
    for c in chunks:
        assert c.startswith("diff --git ")
        parsed = parse_files(c)
        # over budget only when a piece cannot be cut further: one hunk of one file
        assert count(c) <= budget or (len(parsed) == 1 and len(parsed[0].hunks) == 1)
    # every hunk appears exactly once, under its own file header
    got = [(f.path, h) for c in chunks for f in parse_files(c) for h in f.hunks]
    want = [(f.path, h) for f in parse_files(diff) for h in f.hunks]
    assert got == want
    if count(diff) <= budget:
        assert chunks == [diff]


def test_dedupe_merges_nearby_similar_findings_keeping_the_highest_severity():
    a = ReviewFinding(severity="suggestion", title="Nil map write in handler", path="x.go", line_start=10)
    b = ReviewFinding(severity="critical", title="nil map write in the handler", path="x.go",
                      line_start=12, line_end=13)
    far = ReviewFinding(severity="important", title="Nil map write in handler", path="x.go", line_start=80)
    other = ReviewFinding(severity="important", title="Leaked goroutine", path="x.go", line_start=11)
    out = dedupe([a, b, far, other])
    assert [(f.title, f.severity, f.line_start) for f in out] == [
        ("Nil map write in handler", Severity.critical, 10), ("Nil map write in handler", Severity.important, 80),
        ("Leaked goroutine", Severity.important, 11)]


def test_per_file_reviews_chunks_in_parallel_and_merges():
    big = [f"value_{i} := compute({i}, alpha{i})" for i in range(25)]  # ~300 tokens a hunk
    diff = (file_diff("src/a.go", [(1, big), (100, big)]) + file_diff("src/b.go", [(1, big)])
            + file_diff("src/c.go", [(1, big)]))
    prog = get_program("per_file", budget=400, threads=4)
    chunks = split_diff(diff, 400, count_tokens)
    assert len(chunks) == 4  # a.go cut into its two hunks, b.go, c.go
    dup = {**F1, "title": "Shared helper is racy", "path": "src/util.go", "line_start": 5}
    answers = {
        "+++ b/src/c.go": {"reasoning": "r", "findings": "not a list"},  # this chunk fails to parse
        "+++ b/src/a.go\n@@ -1,0 +1,25 @@": {"reasoning": "r", "findings": [F1, dup]},
        "@@ -100,0 +100,25 @@": {"reasoning": "r", "findings": [dup]},
        "+++ b/src/b.go": {"reasoning": "r", "findings": [F2, dup]},
    }
    lm = DummyLM(answers)
    with dspy.context(lm=lm):
        res = run_program(prog, {**INPUTS, "diff": diff})
    titles = sorted(f.title for f in res.findings)
    assert titles == sorted([F1["title"], F2["title"], dup["title"]])  # dup reported 3 times, kept once
    assert res.status == "parse_error" and res.sub_errors == 1 and "not a list" in res.raw
    assert len(lm.history) == len(chunks) + 1  # one retry through the JSON fallback


def test_per_file_small_diff_is_one_call():
    lm = DummyLM([{"reasoning": "r", "findings": [F1]}])
    with dspy.context(lm=lm):
        res = run_program(get_program("per_file"), INPUTS)
    assert res.status == "ok" and len(res.findings) == 1 and len(lm.history) == 1


# -- agent ------------------------------------------------------------------------------------

@pytest.fixture
def tree_repo(tmp_path):
    r = TinyRepo(tmp_path / "repo")
    r.commit("init", {"src/b.py": "x = 1\n", "README": "hi\n"})
    head = r.commit("grow", {"src/b.py": "x = 1\ny = compute(x)\n", "src/c.py": "def compute(v):\n    return v\n"})
    (tmp_path / "secret.txt").write_text("outside the tree\n")
    return r, head


def test_clean_path_refuses_escapes():
    assert clean_path("src/./b.py") == "src/b.py" and clean_path("") == "" and clean_path("a/../b") == "b"
    for bad in ("../secret.txt", "src/../../x", "/etc/passwd", "C:\\windows", ".."):
        with pytest.raises(PathEscape):
            clean_path(bad)


def test_commit_tree_reads_the_head_commit_only(tree_repo):
    r, head = tree_repo
    (r.path / "src" / "b.py").write_text("uncommitted edit\n")  # the working tree is never read
    t = CommitTree(str(r.path), head[:8])
    assert t.read_file("src/b.py") == "    1  x = 1\n    2  y = compute(x)"
    assert t.read_file("src/c.py", 2, 2) == "    2      return v"
    assert t.list_dir("") == "README\nsrc/" and t.list_dir("src") == "b.py\nc.py"
    assert t.grep("compute") == "src/b.py:2:y = compute(x)\nsrc/c.py:1:def compute(v):"
    assert t.grep("compute", "src/c.py") == "src/c.py:1:def compute(v):"
    assert t.grep("--version") == "no matches"  # a pattern is never taken as an option
    with pytest.raises(NotFound):
        t.read_file("src")
    with pytest.raises(NotFound):
        t.read_file("missing.py")
    with pytest.raises(PathEscape):
        t.read_file("../secret.txt")


def test_agent_uses_tools_counts_calls_and_is_sandboxed(tree_repo):
    r, head = tree_repo
    steps = [
        {"next_thought": "see b", "next_tool_name": "read_file", "next_tool_args": {"path": "src/b.py"}},
        {"next_thought": "escape", "next_tool_name": "read_file", "next_tool_args": {"path": "../secret.txt"}},
        {"next_thought": "who calls", "next_tool_name": "grep", "next_tool_args": {"pattern": "compute"}},
        {"next_thought": "look around", "next_tool_name": "list_dir", "next_tool_args": {"path": "src"}},
        {"next_thought": "done", "next_tool_name": "finish", "next_tool_args": {}},
        {"reasoning": "r", "findings": [F1]},
    ]
    lm = DummyLM(steps)
    inputs = {**INPUTS, "repo_path": str(r.path), "head": head}
    prog = get_program("agent")
    with dspy.context(lm=lm):
        res = run_program(prog, inputs)
    assert res.status == "ok" and res.tool_calls == 4 and [f.title for f in res.findings] == [F1["title"]]
    prompts = "\n".join(m["content"] for h in lm.history for m in h["messages"])
    assert "y = compute(x)" in prompts and "leaves the repository tree" in prompts
    assert "outside the tree" not in prompts
    assert "src/c.py:1:def compute(v):" in prompts and "b.py\nc.py" in prompts


def test_agent_without_checkout_still_answers():
    steps = [{"next_thought": "t", "next_tool_name": "list_dir", "next_tool_args": {}},
             {"next_thought": "t", "next_tool_name": "finish", "next_tool_args": {}},
             {"reasoning": "r", "findings": []}]
    lm = DummyLM(steps)
    with dspy.context(lm=lm):
        res = run_program(get_program("agent"), INPUTS)
    assert res.status == "ok" and res.findings == [] and res.tool_calls == 1
    assert "no checkout" in lm.history[1]["messages"][-1]["content"]


# -- panel ------------------------------------------------------------------------------------

def _panel_with(answers: list[list[dict]], consolidated: list[dict]):
    prog = get_program("panel")
    for reviewer, ans in zip(prog.reviewers, answers):
        reviewer.predict.lm = DummyLM(ans)
    prog.consolidate.predict.lm = DummyLM(consolidated)
    return prog


def test_panel_consolidates_the_reviewers():
    final = {**F1, "title": "Nil map write (consolidated)"}
    prog = _panel_with([[{"reasoning": "r", "findings": [F1]}], [{"reasoning": "r", "findings": [F2]}],
                        [{"reasoning": "r", "findings": []}]],
                       [{"reasoning": "merged", "findings": [final]}])
    res = run_program(prog, INPUTS)
    assert res.status == "ok" and [f.title for f in res.findings] == ["Nil map write (consolidated)"]
    prompt = prog.consolidate.predict.lm.history[-1]["messages"][-1]["content"]
    reviews, _ = json.JSONDecoder().raw_decode(prompt.split("[[ ## reviews ## ]]")[1].strip())
    assert list(reviews) == ["correctness", "robustness", "maintainability"]
    assert reviews["correctness"][0]["title"] == F1["title"] and reviews["maintainability"] == []


def test_panel_survives_a_failed_reviewer_and_a_failed_consolidator():
    garbage = {"reasoning": "r", "findings": "no"}
    prog = _panel_with([[{"reasoning": "r", "findings": [F1]}], [garbage, garbage],
                        [{"reasoning": "r", "findings": [F1, F2]}]], [garbage, garbage])
    res = run_program(prog, INPUTS)
    # the consolidator's answer is lost: the de-duplicated union of the two good reviews stands
    assert res.status == "parse_error" and res.sub_errors == 2
    assert sorted(f.title for f in res.findings) == sorted([F1["title"], F2["title"]])
    assert "robustness" in res.error and "consolidator" in res.error


# -- saved programs ---------------------------------------------------------------------------

def test_save_and_load_by_hash_round_trip(store):
    prog = get_program("cot")
    pred = prog.review.predict
    pred.signature = pred.signature.with_instructions("Tuned: look for nil maps first.")
    pred.demos = [dspy.Example(diff="d", changed_files="f", context="", reasoning="r",
                               findings=[ReviewFinding(**F1)]).with_inputs("diff", "changed_files", "context")]
    pred.lm = DummyLM([])  # an LM set on a predictor is never stored
    h = save_program(store, prog, "cot-tuned", {"base": "cot", "optimizer": "gepa", "dev_f1": [0.2, 0.3]})
    assert h == program_hash(prog) and h != program_hash(get_program("cot"))
    assert save_program(store, prog, "again", {}) == h
    assert store.one("SELECT count(*) FROM programs")[0] == 1
    assert json.loads(store.one("SELECT state FROM programs")[0])["review.predict"]["lm"] is None
    for ref in (f"saved:{h}", f"saved:{h[:10]}", "saved:cot-tuned"):
        loaded = get_program(ref, store=store)
        assert program_hash(loaded) == h and loaded.saved_hash == h
        assert loaded.review.predict.signature.instructions == "Tuned: look for nil maps first."
        assert len(loaded.review.predict.demos) == 1
    with pytest.raises(NotFound):
        get_program("saved:0000", store=store)


def test_saved_per_file_keeps_its_options(store):
    h = save_program(store, get_program("per_file", budget=123, threads=2), "pf", {})
    loaded = get_program(f"saved:{h}", store=store)
    assert (loaded.budget, loaded.threads) == (123, 2)
