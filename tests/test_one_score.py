"""One gold, one score: bench, tune's metric and `harness score` label the same findings alike
(known false positives included); report / compare / gate only read; `rescore` and `--k`."""

from __future__ import annotations

import json

import pytest

import scorers
from harness.core.errors import HarnessError
from harness.core.hashing import content_hash
from harness.core.models import AgentReview, Finding, Location, PublishedRetro, Report, Reviewer, Severity
from harness.benchmark.runner import run_bench
from harness.core.runs import RunConfig
from harness.store import Store
from openai_server import OpenAIServer, Reply, chat_answer
from report_fixture import demo_once, run_ids, store_copy

RID = "r0000"
GOLD_LOC = ("src/mod_0.py", 10)
DROPPED = dict(severity="important", title="Controller loop multiplexes too many event domains",
               path="pkg/controller.go", line_start=200, line_end=204, body="one loop for every event kind",
               category="design")
# what the reviewer answers: the gold finding, the finding the team rejected, and a novel one
FINDINGS = [
    dict(severity="important", title="Unchecked None in handler 0", path="src/mod_0.py", line_start=10,
         line_end=12, body="The handler dereferences the result without checking for None.",
         category="correctness"),
    DROPPED,
    dict(severity="suggestion", title="Rename the helper for clarity", path="src/util.py", line_start=3,
         line_end=3, body="naming", category="style"),
]


def _finding(fid: str, d: dict) -> Finding:
    return Finding(id=fid, severity=Severity(d["severity"]), title=d["title"], body=d["body"],
                   category=d["category"],
                   locations=[Location(path=d["path"], line_start=d["line_start"], line_end=d["line_end"])])


def synthetic_report() -> Report:
    """One consolidated finding; Codex also raised I2, which the reconciliation rejected."""
    gold = _finding("I1", FINDINGS[0]).model_copy(update={"agents": ["Claude", "Codex"]})
    claude = [_finding("I1", FINDINGS[0])]
    codex = [_finding("I1", FINDINGS[0]), _finding("I2", DROPPED)]
    r = Report(id=RID, source=f"synthetic/{RID}.md", pr=1000, round=1, repo="acme/widgets", findings=[gold],
               reviewers=[Reviewer(agent="Claude", model="Claude Test"), Reviewer(agent="Codex", model="Codex Test")],
               agent_reviews=[AgentReview(agent="Claude", model="Claude Test", findings=claude),
                              AgentReview(agent="Codex", model="Codex Test", findings=codex)],
               published_retro=PublishedRetro(present=True, reconciliation=(
                   "Codex I2 (controller loop): rejected as a false positive after reading the code.")))
    r.content_hash = content_hash(r)
    return r


def populate(st: Store) -> None:
    from harness.store.inputs import put_input, put_split
    from harness.store.gold import put_report
    from runner_data import diff_for

    put_report(st, synthetic_report())
    d = diff_for(0)
    put_input(st, {"report_id": RID, "status": "exact", "reason": None, "method": "commits", "repo_path": None,
                   "base": "a" * 40, "head": "b" * 40, "diff": d,
                   "files": [{"path": "src/mod_0.py", "added": 2, "removed": 0}], "tokens": len(d) // 4,
                   "token_method": "chars/4", "content_hash": content_hash(d)})
    put_split(st, "default", 0, [1.0, 0.0, 0.0], "h", [(RID, "pr:1000", "train")])


def _labels(st: Store, run_id: str) -> list[str]:
    return [r[0] for r in st.all("SELECT label FROM score_labels WHERE run_id = ? AND side = 'pred' ORDER BY idx",
                                 [run_id])]


def test_bench_tune_metric_and_score_give_identical_labels(store, tmp_path):
    from harness.gold.build import build_gold
    from harness.gold.score import score_file
    from harness.tune.cases import TuneCases

    populate(store)
    gold = build_gold(store, RID)
    # the rejected finding is a known false positive only through the report's fates
    assert [f.title for f in gold.known_false_positives] == [DROPPED["title"]]
    assert scorers.gold_for_report(synthetic_report()).known_false_positives == []

    # 1. bench: a program on a model that answers FINDINGS
    with OpenAIServer(responder=lambda body: Reply(content=chat_answer(findings=FINDINGS))) as srv:
        res = run_bench(store, model="openai/test-model", program="single", split="all", api_base=srv.url,
                        concurrency=1)
    assert res.status == "complete" and res.scored == 1
    bench_labels = _labels(store, res.run_id)
    bench_feedback = store.one("SELECT feedback FROM scores WHERE run_id = ?", [res.run_id])[0]

    # 2. tune: the example's gold and the metric GEPA / MIPRO / bootstrap read
    import dspy

    (example,) = TuneCases(store).examples("train")
    assert example.gold == gold
    metric = scorers.dspy_metric(metric="f1")
    pred = dspy.Prediction(findings=scorers.coerce_findings(FINDINGS))
    out = metric(example, pred)
    tune_labels = [p.label for p in scorers.score(example.gold, pred.findings).predictions]
    assert out.feedback == bench_feedback and "Known false positives" in out.feedback

    # 3. harness score
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(FINDINGS))
    score_labels = [p.label for p in score_file(store, RID, path).predictions]

    assert bench_labels == tune_labels == score_labels == ["true_positive", "known_false_positive", "novel"]


# -- report / compare / gate only read ---------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_once(tmp_path_factory)


TABLES = ("runs", "run_cases", "run_predictions", "scores", "score_labels")


def _counts(st: Store) -> dict[str, int]:
    return {t: st.one(f"SELECT count(*) FROM {t}")[0] for t in TABLES}


def test_report_compare_gate_leave_the_store_unchanged(demo, tmp_path):
    from harness.results.compare import compare
    from harness.results.gate import export_baseline, gate
    from harness.results.report import build_report

    program, replays = run_ids(demo)
    with Store(store_copy(demo, tmp_path)) as st:
        # a replay run of one agent from another split: the panel must not be re-run for it
        before = _counts(st)
        rep = build_report(st, [program, replays["Claude"]], n_boot=100)
        compare(st, program, replays["Codex"], n_boot=100)
        gate(st, replays["Codex"], program, metric="recall", max_drop=1.0, allow_missing=True, n_boot=100)
        export_baseline(st, program)
        assert _counts(st) == before
    # a requested replay run stands for its agent in the panel: no second Claude column
    assert [r.reviewer for r in rep.reviewers].count("Claude") == 1 and len(rep.reviewers) == 4


def test_report_without_stored_panel_runs_nothing_and_says_so(demo, tmp_path):
    from harness.results.report import build_report

    program, replays = run_ids(demo)
    with Store(store_copy(demo, tmp_path)) as st:
        st.execute("DELETE FROM runs WHERE starts_with(model, 'replay:')")
        before = _counts(st)
        rep = build_report(st, [program], n_boot=100)
        assert _counts(st) == before
    assert rep.panel == [] and any("harness bench --model replay:" in n for n in rep.notes)


# -- rescore and --k ---------------------------------------------------------------------------


def test_rescore_stores_a_new_view_beside_the_old(demo, tmp_path, capsys):
    from cli import main
    from harness.results.compare import compare
    from harness.results.report import build_report
    from harness.benchmark.case_score import rescore
    from harness.store.scores import views

    program, replays = run_ids(demo)
    db = store_copy(demo, tmp_path)
    with Store(db) as st:
        old = st.all("SELECT report_id, epoch, args_hash, tp, fp, fn FROM scores WHERE run_id = ? ORDER BY ALL",
                     [program])
        runs_before = st.all("SELECT * FROM runs ORDER BY run_id")
        with pytest.raises(HarnessError) as err:  # never stored: an error naming the command
            build_report(st, [program], n_boot=100, k=0)
        assert f"harness rescore {program} --k 0" in err.value.hint
        res = rescore(st, program, k=0)
        assert res.cases == 6 and res.args["k"] == 0 and res.replaced == 0
        assert [v["args"]["k"] for v in views(st, program)] == [3, 0]
        # the old view is untouched, the run itself too
        assert st.all("SELECT report_id, epoch, args_hash, tp, fp, fn FROM scores WHERE run_id = ? AND"
                      " args_hash = ? ORDER BY ALL", [program, old[0][2]]) == old
        assert st.all("SELECT * FROM runs ORDER BY run_id") == runs_before
        for agent in ("Claude", "Codex", "Gemini"):
            rescore(st, replays[agent], k=0)
        k0 = build_report(st, [program], n_boot=100, k=0)
        k3 = build_report(st, [program], n_boot=100)
        assert rescore(st, program, k=0).replaced == 6  # idempotent: the same view is replaced
        assert len(views(st, program)) == 2
        c = compare(st, program, replays["Codex"], n_boot=100, k=0)
    assert k0.reviewers[0].scorer_args["k"] == 0 and k3.reviewers[0].scorer_args["k"] == 3
    assert len(k0.reviewers) == 4 and c.scorer_args["k"] == 0
    # k=0 cannot match more than k=3
    assert k0.reviewers[0].counts["tp"] <= k3.reviewers[0].counts["tp"]
    assert k0.reviewers[0].metrics["recall_k0"] == k3.reviewers[0].metrics["recall_k0"]
    assert main(["--db", str(db), "rescore", program, "--k", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["args"]["k"] == 10
    assert main(["--db", str(db), "report", program, "--k", "10", "--no-panel", "--boot", "100"]) == 0
    assert "(k=10" in capsys.readouterr().out
    assert main(["--db", str(db), "compare", program, replays["Codex"], "--k", "7"]) == 2
    assert "harness rescore" in capsys.readouterr().err


def test_bench_k_is_recorded_on_the_run_and_scores_under_it(store, tmp_path):
    from harness.store.runs import get_run
    from harness.store.scores import views

    populate(store)
    far = [dict(FINDINGS[0], line_start=20, line_end=20)]  # 8 lines below the gold range
    with OpenAIServer(responder=lambda body: Reply(content=chat_answer(findings=far))) as srv:
        k3 = run_bench(store, model="openai/test-model", split="all", api_base=srv.url, concurrency=1)
        k10 = run_bench(store, RunConfig(model="openai/test-model", split="all", api_base=srv.url, concurrency=1,
                                         scorer_args={"k": 10}))
    assert get_run(store, k10.run_id)["config"]["scorer_args"]["k"] == 10
    assert get_run(store, k3.run_id)["config"]["scorer_args"]["k"] == 3
    assert [v["args"]["k"] for v in views(store, k10.run_id)] == [10]
    # the matcher's tolerance decides the line-level match (the text still matches at file level)
    lv = {r: store.one("SELECT level FROM score_labels WHERE run_id = ? AND side = 'pred'", [r])[0]
          for r in (k3.run_id, k10.run_id)}
    assert lv[k10.run_id] == "line" and lv[k3.run_id] != "line"
