"""The consolidate task: cases, offline baselines, the consolidation scorer, bench --task consolidate."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from consolidate_data import consolidate_report, populate, single_review_report
from harness.benchmark.consolidate import baselines
from harness.benchmark.consolidate.cases import gold_decisions, is_consolidate_case, original_findings, to_case
from harness.core.consolidation import Consolidation, FindingDecision, OriginalFinding
from harness.core.models import Location, Severity
from scorers.consolidation import DECISIONS, decision_counts, decision_metrics

CONTRACT = ("decision_accuracy", "fp_rejection_recall", "fp_rejection_precision", "downgrade_recall",
            "downgrade_precision")


# -- cases --------------------------------------------------------------------------------


def test_a_case_needs_two_reviews_with_findings():
    assert is_consolidate_case(consolidate_report())
    # the second review is omitted: it does not count, whatever findings it lists
    one = single_review_report()
    assert not is_consolidate_case(one)
    assert to_case(one).status == "not_enough_reviews" and not to_case(one).runnable


def test_original_findings_line_up_with_fates():
    origs = original_findings(consolidate_report())
    assert [(o.ref, o.agent, o.idx, o.finding_id) for o in origs] == [
        ("Claude-1", "Claude", 0, "C1"), ("Claude-2", "Claude", 1, "I1"), ("Codex-1", "Codex", 0, "I1"),
        ("Gemini-1", "Gemini", 0, "S1")]
    assert origs[0].reviewer == "Claude Opus 4.7"
    fates = [{"agent": "Claude", "idx": 0, "fate": "downgraded"}, {"agent": "Claude", "idx": 1, "fate": "false_positive"},
             {"agent": "Codex", "idx": 0, "fate": "unmatched"}]
    assert gold_decisions(origs, fates) == {"Claude-1": ("downgraded", "downgraded"),
                                            "Claude-2": ("false_positive", "dropped"),
                                            "Codex-1": ("unmatched", None), "Gemini-1": (None, None)}


def test_case_input_holds_findings_not_gold():
    case = to_case(consolidate_report())
    reviews = json.loads(case.inputs["reviews"])
    assert sorted(reviews) == ["Claude Opus 4.7", "Codex GPT 5.5", "Gemini 3.1 Pro"]
    first = reviews["Claude Opus 4.7"][0]
    assert first["ref"] == "Claude-1" and first["id"] == "C1" and first["severity"] == "critical"
    assert first["locations"] == ["pkg/watch/watch.go:41-43"]
    assert "fate" not in case.inputs["reviews"] and case.inputs["diff"] == ""


# -- baselines ----------------------------------------------------------------------------


def test_union_merges_what_the_matcher_pairs():
    cons = baselines.union(original_findings(consolidate_report()))
    by_ref = {d.ref: d for d in cons.decisions}
    assert len(cons.findings) == 3  # the watcher leak of Claude and Codex became one
    assert by_ref["Claude-1"].target == by_ref["Codex-1"].target
    assert by_ref["Claude-1"].decision == "kept" and by_ref["Codex-1"].decision == "merged"
    leak = next(f for f in cons.findings if f.id == by_ref["Claude-1"].target)
    assert leak.severity == Severity.critical and leak.reviewers == ["Claude Opus 4.7", "Codex GPT 5.5"]


def test_majority_keeps_what_two_reviewers_raised():
    cons = baselines.majority(original_findings(consolidate_report()))
    by_ref = {d.ref: d.decision for d in cons.decisions}
    assert by_ref["Claude-2"] == "dropped" and by_ref["Gemini-1"] == "dropped"
    assert [f.reviewers for f in cons.findings] == [["Claude Opus 4.7", "Codex GPT 5.5"]]


WORDS = ["race", "watcher", "channel", "leak", "timeout", "retry", "config", "cache", "lock", "nil", "quota"]


@st.composite
def originals(draw):
    out = []
    for agent in draw(st.lists(st.sampled_from(["Claude", "Codex", "Gemini"]), min_size=1, max_size=3,
                               unique=True)):
        for i in range(draw(st.integers(0, 5))):
            path = draw(st.sampled_from(["a.go", "b.go", "pkg/c.go"]))
            start = draw(st.integers(1, 60))
            out.append(OriginalFinding(
                ref=f"{agent}-{i + 1}", reviewer=agent, agent=agent, idx=i, severity=draw(st.sampled_from(list(Severity))),
                title=" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))),
                locations=[Location(path=path, line_start=start, line_end=start + 2)]))
    return out


@given(originals())
def test_union_decisions_are_all_kept_or_merged(origs):
    cons = baselines.union(origs)
    assert sorted(d.ref for d in cons.decisions) == sorted(o.ref for o in origs)
    assert {d.decision.value for d in cons.decisions} <= {"kept", "merged"}
    ids = {f.id for f in cons.findings}
    assert all(d.target in ids for d in cons.decisions)
    # nothing is lost and nothing downgraded: every finding's severity is at most its target's
    sev = {f.id: f.severity for f in cons.findings}
    assert all(o.severity.rank <= sev[d.target].rank for o, d in zip(origs, cons.decisions))


# -- metrics ------------------------------------------------------------------------------


def test_decision_metrics_by_hand():
    gold = {"a": "kept", "b": "dropped", "c": "dropped", "d": "downgraded", "e": None}
    pred = {"a": "kept", "b": "dropped", "c": "kept", "d": "dropped", "e": "kept"}
    c = decision_counts(gold, pred)
    m = decision_metrics(c)
    assert c["n_original"] == 5 and c["n_decided"] == 4 and c["cm:dropped:kept"] == 1
    assert m["decision_accuracy"] == 0.5
    assert m["fp_rejection_recall"] == 0.5 and m["fp_rejection_precision"] == 0.5
    assert m["downgrade_recall"] == 0.0 and m["downgrade_precision"] is None
    # a finding the consolidator said nothing about is wrong
    assert decision_counts({"a": "kept"}, {})["cm:kept:none"] == 1


@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3),
                       st.tuples(st.sampled_from([*DECISIONS, None]), st.sampled_from([*DECISIONS, None])),
                       max_size=20), st.randoms())
def test_decision_metrics_are_permutation_invariant(pairs, rnd):
    items = list(pairs.items())
    base = decision_counts({k: g for k, (g, _) in items}, {k: p for k, (_, p) in items})
    rnd.shuffle(items)
    shuffled = decision_counts({k: g for k, (g, _) in items}, {k: p for k, (_, p) in reversed(items)})
    assert shuffled == base and decision_metrics(shuffled) == decision_metrics(base)


def test_scored_case_does_not_depend_on_decision_order():
    from harness.benchmark.consolidate.run import score_case

    report = consolidate_report()
    origs = original_findings(report)
    fates = [{"agent": "Claude", "idx": 0, "fate": "downgraded"}, {"agent": "Claude", "idx": 1, "fate": "dropped"},
             {"agent": "Codex", "idx": 0, "fate": "kept"}, {"agent": "Gemini", "idx": 0, "fate": "kept"}]
    cons = baselines.union(origs)
    a, rows_a = score_case(report, None, cons, fates)
    rev = Consolidation(findings=list(reversed(cons.findings)), decisions=list(reversed(cons.decisions)))
    b, rows_b = score_case(report, None, rev, fates)
    assert a.metrics == b.metrics and a.counts == b.counts
    assert sorted(r.model_dump_json() for r in rows_a) == sorted(r.model_dump_json() for r in rows_b)
    random.Random(0).shuffle(rev.decisions)
    assert score_case(report, None, rev, fates)[0].metrics == a.metrics


# -- bench --task consolidate ---------------------------------------------------------------


@pytest.mark.parametrize("model", ["union", "majority", "replay:published"])
def test_bench_consolidate_offline_json_contract(tmp_path, monkeypatch, model):
    from cli import app
    from harness.store import Store

    db = tmp_path / "c.duckdb"
    st = Store(db)
    populate(st)
    st.close()
    monkeypatch.setenv("HARNESS_DB", str(db))
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:9")  # any model call would fail
    res = CliRunner().invoke(app, ["bench", "--task", "consolidate", "--model", model, "--split", "all", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    review = {"run_id", "status", "model", "program", "program_hash", "split", "cases", "finished", "scored",
              "parse_failures", "errors", "skipped", "model_calls", "cache_hits", "retries", "input_tokens",
              "output_tokens", "cost", "spent", "wall_s", "metrics"}
    assert review <= set(out) and out["task"] == "consolidate"
    assert {"precision", "recall", "f1", "tp", "fp", "fn", *CONTRACT} <= set(out["metrics"])
    assert out["cases"] == 1 and out["scored"] == 1 and out["model_calls"] == 0  # the one-review report is no case
    if model == "replay:published":
        assert out["metrics"]["decision_accuracy"] == 1.0 and out["metrics"]["f1"] == 1.0
        assert out["metrics"]["fp_rejection_recall"] == 1.0 and out["metrics"]["downgrade_recall"] == 1.0
    if model == "union":
        assert out["metrics"]["fp_rejection_recall"] == 0.0 and out["metrics"]["recall"] == 1.0


def test_decisions_are_stored_with_their_gold(store):
    from harness.benchmark.runner import run_bench
    from harness.store.consolidation import decision_frame

    populate(store)
    res = run_bench(store, model="majority", task="consolidate", split="all")
    frame = decision_frame(store, res.run_id)
    rows = {r["ref"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == {"Claude-1", "Claude-2", "Codex-1", "Gemini-1"}
    assert rows["Claude-2"]["gold_fate"] == "false_positive" and rows["Claude-2"]["gold"] == "dropped"
    assert rows["Claude-2"]["decision"] == "dropped" and rows["Claude-2"]["correct"] is True
    assert res.metrics.confusion["dropped"]["dropped"] == 1


def test_unknown_task_and_baseline_on_review_task_fail_cleanly(store):
    from harness.core.errors import HarnessError
    from harness.benchmark.runner import run_bench

    populate(store)
    with pytest.raises(HarnessError, match="unknown task"):
        run_bench(store, model="union", task="merge", split="all")


def test_with_diff_shows_the_change_and_skips_cases_without_one(store):
    from harness.benchmark.consolidate.cases import load_consolidate_cases
    from harness.benchmark.runner import run_bench
    from harness.store.inputs import put_input

    populate(store)
    rid = consolidate_report().id
    cases = load_consolidate_cases(store, "all", with_diff=True)
    assert [(c.report_id, c.status) for c in cases] == [(rid, "diff_unavailable")]
    diff = "diff --git a/pkg/watch/watch.go b/pkg/watch/watch.go\n+	go watch(ctx)\n"
    put_input(store, {"report_id": rid, "status": "exact", "reason": None, "method": "commits", "repo_path": None,
                      "base": "a" * 40, "head": "b" * 40, "diff": diff,
                      "files": [{"path": "pkg/watch/watch.go", "added": 1, "removed": 0}], "tokens": 10,
                      "token_method": "chars/4", "content_hash": "x"})
    (case,) = load_consolidate_cases(store, "all", with_diff=True)
    assert case.runnable and case.inputs["diff"] == diff and "pkg/watch/watch.go (+1 -0)" in case.inputs["changed_files"]
    (plain,) = load_consolidate_cases(store, "all")
    assert plain.inputs["diff"] == "" and plain.inputs["reviews"] == case.inputs["reviews"]
    res = run_bench(store, model="union", task="consolidate", split="all", with_diff=True)
    assert res.scored == 1 and res.metrics.decision_accuracy is not None
