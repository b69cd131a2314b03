"""Review inputs from a tiny git repository built in the test, splits, and cases."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.benchmark.dataset import (
    assign_splits,
    build_dataset,
    build_inputs,
    build_split,
    dataset_summary,
    group_key,
    load_cases,
    materialise,
)
from harness.core.errors import HarnessError, NotFound
from harness.core.git import EMPTY_TREE, GitRepo
from harness.core.models import Commit, Report
from harness.lm.tokens import count_tokens
from harness.store.gold import put_report
from tests.gitrepo_fixture import TinyRepo


@pytest.fixture
def history(tmp_path):
    """main with: PR 7 merged (branch commits present), PR 8 merged from a branch whose reviewed
    commits were later rewritten, a squash commit for PR 9, and an unrelated later commit."""
    r = TinyRepo(tmp_path / "repo")
    sha = {"c0": r.commit("initial", {"a.txt": "one\ntwo\nthree\n"})}
    r.checkout("-b", "feat")
    sha["f1"] = r.commit("change a, add b", {"a.txt": "one\nTWO\nthree\n", "src/b.py": "x = 1\n"})
    sha["f2"] = r.commit("grow b", {"src/b.py": "x = 1\ny = 2\nz = 3\n"})
    r.checkout("main")
    sha["m0"] = r.commit("main moves on", {"c.txt": "c\n"})
    sha["m7"] = r.merge("feat", "Merge pull request #7 from someone/feat")
    r.checkout("-b", "feat2")
    sha["g1"] = r.commit("add d", {"d.txt": "d1\nd2\n"})
    r.checkout("main")
    sha["m8"] = r.merge("feat2", "Merge pull request #8 from someone/feat2")
    sha["s9"] = r.commit("Remove c (#9)", {"c.txt": None})
    return r, sha


def report(rid, pr=None, commits=(), branch=None, date="2026-03-01T00:00"):
    return Report(id=rid, pr=pr, branch=branch, date=date, commits=[Commit(sha=c) for c in commits])


def test_exact_from_listed_commits_in_any_order(history):
    r, sha = history
    inp = materialise(GitRepo(r.path), report("r7", 7, [sha["f2"][:7], sha["f1"][:7]], "feat"))
    assert (inp.status, inp.method, inp.reason) == ("exact", "commits", None)
    assert inp.base == sha["c0"] and inp.head == sha["f2"]
    assert {(f.path, f.added, f.removed) for f in inp.files} == {("a.txt", 1, 1), ("src/b.py", 3, 0)}
    assert "+TWO" in inp.diff and "c.txt" not in inp.diff  # main's own change is not in the PR
    assert inp.tokens == count_tokens(inp.diff) > 0


def test_commits_on_two_branches_are_approximate(history):
    r, sha = history
    inp = materialise(GitRepo(r.path), report("rz", 7, [sha["f1"][:7], sha["m0"][:7]]))
    assert inp.status == "approximate" and "not one chain" in inp.reason
    assert inp.base == sha["c0"] and inp.head == sha["m0"]


def test_missing_commits_fall_back_to_merge_commit(history):
    r, sha = history
    inp = materialise(GitRepo(r.path), report("r8", 8, ["deadbee", "cafef00"], "feat2"))
    assert inp.status == "approximate" and inp.method == "merge"
    assert "deadbee" in inp.reason and sha["m8"][:12] in inp.reason
    assert inp.head == sha["g1"] and inp.base == sha["m7"]  # merge-base of main and the branch
    assert [f.path for f in inp.files] == ["d.txt"]


def test_squash_commit_fallback_and_no_commits_listed(history):
    r, sha = history
    inp = materialise(GitRepo(r.path), report("r9", 9, ["0badc0d"]))
    assert (inp.status, inp.method, inp.head, inp.base) == ("approximate", "squash", sha["s9"], sha["m8"])
    assert [(f.path, f.added, f.removed) for f in inp.files] == [("c.txt", 0, 1)]
    inp = materialise(GitRepo(r.path), report("r7b", 7, [], "feat"))
    assert inp.status == "approximate" and "lists no commits" in inp.reason and inp.head == sha["f2"]


def test_unavailable_with_reason(history):
    r, _ = history
    repo = GitRepo(r.path)
    no_merge = materialise(repo, report("r10", 10, ["1234567"]))
    assert no_merge.status == "unavailable" and "refs/pull/10/head" in no_merge.reason and not no_merge.diff
    nothing = materialise(repo, report("rx"))
    assert nothing.status == "unavailable" and "no commits" in nothing.reason and "no PR" in nothing.reason


def test_pull_ref_and_branch_fallbacks_for_unmerged_prs(history):
    r, sha = history
    r.checkout("-b", "open-pr", sha["m7"])
    tip = r.commit("still open", {"e.txt": "e\n"})
    r.checkout("main")
    r.git("update-ref", "refs/pull/11/head", tip)
    repo = GitRepo(r.path)
    by_pr = materialise(repo, report("r11", 11, ["abcdef1"], "someone-elses-name"))
    assert (by_pr.status, by_pr.method, by_pr.base, by_pr.head) == ("approximate", "pull_ref", sha["m7"], tip)
    assert [f.path for f in by_pr.files] == ["e.txt"] and "refs/pull/11/head" in by_pr.reason
    by_branch = materialise(repo, report("rb", None, ["abcdef1"], "open-pr"))
    assert (by_branch.method, by_branch.head, by_branch.base) == ("branch", tip, sha["m7"])
    merged = materialise(repo, report("rf", None, ["abcdef1"], "feat"))  # merged: nothing of its own left
    assert merged.status == "unavailable" and "branch 'feat'" in merged.reason


def test_root_commit_diffs_against_empty_tree(history):
    r, sha = history
    inp = materialise(GitRepo(r.path), report("r0", None, [sha["c0"][:8]]))
    assert inp.status == "exact" and inp.base == EMPTY_TREE
    assert [(f.path, f.added) for f in inp.files] == [("a.txt", 3)]


def test_landing_commit_prefers_the_reports_branch(tmp_path):
    r = TinyRepo(tmp_path / "repo")
    r.commit("initial", {"a": "1\n"})
    for branch, fname in (("old-history", "x"), ("wanted", "y")):
        r.checkout("-b", branch)
        r.commit(f"work on {branch}", {fname: "1\n"})
        r.checkout("main")
        r.merge(branch, f"Merge pull request #5 from someone/{branch}")
    for branch, path in (("wanted", "y"), ("old-history", "x")):
        inp = materialise(GitRepo(r.path), report("r", 5, ["fffffff"], branch))
        assert [f.path for f in inp.files] == [path]


def test_build_is_idempotent_and_loses_nothing(history, store):
    r, sha = history
    reports = [report("a", 7, [sha["f1"][:7], sha["f2"][:7]], "feat"), report("b", 8, ["deadbee"], "feat2"),
               report("c", 10, ["1234567"]), report("d")]
    for rep in reports:
        put_report(store, rep)
    seen = []
    s1 = build_inputs(store, r.path, on_progress=lambda i, n: seen.append((i, n)))
    assert (s1.new, s1.changed, s1.unchanged) == (4, 0, 0)
    assert (s1.exact, s1.approximate, s1.unavailable) == (1, 1, 2)
    assert seen[-1] == (4, 4)
    before = store.all("SELECT report_id, content_hash, built_at FROM review_inputs ORDER BY 1")
    s2 = build_inputs(store, r.path)
    assert (s2.new, s2.changed, s2.unchanged) == (0, 0, 4)
    assert store.all("SELECT report_id, content_hash, built_at FROM review_inputs ORDER BY 1") == before
    with pytest.raises(NotFound):
        build_inputs(store, r.path / "nope")
    assert store.one("SELECT count(*) FROM review_inputs")[0] == 4


def test_cases_exist_for_every_report_of_the_split(history, store, tmp_path):
    r, sha = history
    for rep in [report("a", 7, [sha["f2"][:7]], "feat"), report("a2", 7, [sha["f1"][:7]], "feat"),
                report("b", 8, ["deadbee"], "feat2"), report("c", 10, ["1234567"]), report("d")]:
        put_report(store, rep)
    with pytest.raises(NotFound):
        load_cases(store, "test")  # no split yet
    assert {c.status for c in load_cases(store, "all")} == {"missing"}
    summary = build_dataset(store, r.path, seed=3, export=tmp_path / "splits")
    exported = json.loads((tmp_path / "splits" / "default.json").read_text())
    assert exported["assignments"] == summary.split.assignments and exported["seed"] == 3
    cases = [c for s in ("train", "dev", "test") for c in load_cases(store, s)]
    assert sorted(c.report_id for c in cases) == ["a", "a2", "b", "c", "d"]
    by_id = {c.report_id: c for c in cases}
    assert by_id["a"].split == by_id["a2"].split  # rounds of PR 7 stay together
    assert by_id["a"].runnable and by_id["b"].runnable and not by_id["c"].runnable
    assert by_id["c"].status == "unavailable" and by_id["c"].reason
    a = by_id["a"]
    assert a.inputs["head"] == sha["f2"] and a.inputs["repo_path"] == str(r.path.resolve())
    assert "src/b.py (+2 -0)" in a.inputs["changed_files"] and "PR #7" in a.inputs["context"]
    assert len(load_cases(store, "all", limit=2)) == 2
    rows = {row["split"]: row for row in dataset_summary(store)}
    assert sum(row["reports"] for row in rows.values()) == 5
    assert sum(row["exact"] for row in rows.values()) == 2
    assert sum(row["unavailable"] for row in rows.values()) == 2
    assert sum(row["tokens"] for row in rows.values()) == summary.tokens
    with pytest.raises(HarnessError):
        load_cases(store, "validation")


# -- splits -------------------------------------------------------------------------------

reports_strategy = st.lists(
    st.tuples(st.integers(1, 40) | st.none(), st.sampled_from(["b1", "b2", None])),
    min_size=1, max_size=60)


@given(reports_strategy, st.integers(0, 2**16), st.randoms())
def test_split_is_reproducible_grouped_and_order_free(specs, seed, rnd):
    reports = [Report(id=f"r{i:03d}", pr=pr, branch=b) for i, (pr, b) in enumerate(specs)]
    keys = {r.id: group_key(r) for r in reports}
    first = assign_splits(keys, seed)
    shuffled = list(keys.items())
    rnd.shuffle(shuffled)
    assert assign_splits(dict(shuffled), seed) == first
    by_group: dict[str, set[str]] = {}
    for rid, split in first.items():
        by_group.setdefault(keys[rid], set()).add(split)
    assert all(len(s) == 1 for s in by_group.values())
    n = len(by_group)
    counts = {s: sum(1 for v in by_group.values() if v == {s}) for s in ("train", "dev", "test")}
    if n >= 3:
        assert all(counts.values())
    assert abs(counts["train"] - n / 2) <= 1.5 and abs(counts["test"] - n / 4) <= 1.5


def test_split_seed_changes_assignment_and_bad_ratios_are_refused():
    keys = {f"r{i}": f"pr:{i}" for i in range(40)}
    assert assign_splits(keys, 0) != assign_splits(keys, 1)
    assert assign_splits(keys, 0, (1, 0, 0)) == {k: "train" for k in keys}
    with pytest.raises(HarnessError):
        assign_splits(keys, 0, (0.5, 0.5))


def test_build_split_is_stored_and_replaced(store):
    for i in range(8):
        put_report(store, Report(id=f"r{i}", pr=i // 2))
    a = build_split(store, seed=1)
    b = build_split(store, seed=1)
    assert a == b
    stored = store.all("SELECT report_id, split FROM split_assignments WHERE split_name='default' ORDER BY 1")
    assert dict(stored) == a.assignments
    c = build_split(store, seed=2, ratios=(0.25, 0.25, 0.5))
    assert store.one("SELECT seed FROM splits WHERE name='default'")[0] == 2
    assert dict(store.all("SELECT report_id, split FROM split_assignments")) == c.assignments


def test_cli_build_and_show(history, tmp_path, capsys):
    from cli import main
    from harness.store import Store

    r, sha = history
    db = tmp_path / "cli.duckdb"
    with Store(db) as st:
        for rep in [report("a", 7, [sha["f2"][:7]], "feat"), report("b", 8, ["deadbee"], "feat2"),
                    report("c", 10, ["1234567"])]:
            put_report(st, rep)
    assert main(["--db", str(db), "dataset", "build", "--repo", str(r.path), "--seed", "5",
                 "--export", str(tmp_path / "splits"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["exact"], out["approximate"], out["unavailable"]) == (1, 1, 1)
    assert out["split"]["seed"] == 5 and (tmp_path / "splits" / "default.json").exists()
    assert main(["--db", str(db), "dataset", "show", "--reasons", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert sum(s["reports"] for s in shown["splits"]) == 3
    assert {p["report_id"] for p in shown["problems"]} == {"b", "c"}
    assert main(["--db", str(db), "dataset", "show"]) == 0
    assert "| split | reports |" in capsys.readouterr().out
    assert main(["--db", str(db), "dataset", "build", "--repo", str(tmp_path / "none")]) == 2
    assert "no git repository" in capsys.readouterr().err
    assert main(["--db", str(db), "dataset", "build", "--repo", str(r.path), "--ratios", "a,b"]) == 2
