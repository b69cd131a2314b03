"""`harness tune --task consolidate` end to end on the loopback server, then the tuned consolidator in
`bench --task consolidate`, and `report` / `compare` / html of consolidate runs.

Seven copies of the synthetic consolidate report (tests/consolidate_data.py) with a stored split
(4 train, 2 dev, 1 test). The scripted model answers a consolidation prompt with the right
decisions only when its instructions carry MAGIC or the prompt holds demos; otherwise it keeps
every finding. So the base consolidator scores 0.5 decision accuracy on dev and a tuned one 1.0.
"""

from __future__ import annotations

import json
import re

import pytest

from cli import main
from consolidate_data import consolidate_report
from harness.core.hashing import content_hash
from harness.store import Store
from openai_server import OpenAIServer, Reply
from tune_fixtures import MAGIC, answer, output_fields

IDS = [f"2026010{i}-000000-pr-{50 + i}" for i in range(1, 8)]
SPLIT = dict(zip(IDS, ["train"] * 4 + ["dev"] * 2 + ["test"]))
RIGHT = {"Claude-1": ("downgraded", "I1"), "Claude-2": ("dropped", None), "Codex-1": ("kept", "I1"),
         "Gemini-1": ("kept", "S1")}
FINDINGS = [
    {"id": "I1", "severity": "important", "title": "Watcher goroutine leaks when the context is cancelled",
     "path": "pkg/watch/watch.go", "line_start": 40, "line_end": 42, "reviewers": ["Claude Opus 4.7"]},
    {"id": "S1", "severity": "suggestion", "title": "Retry loop has no upper bound on attempts",
     "path": "pkg/retry/retry.go", "line_start": 12, "line_end": 14, "reviewers": ["Gemini 3.1 Pro"]},
]


def populate(st: Store) -> None:
    from harness.store.inputs import put_split
    from harness.store.gold import put_report

    for rid in IDS:
        put_report(st, consolidate_report(rid, pr=int(rid.rsplit("-", 1)[1])))
    put_split(st, "default", 7, [0.6, 0.3, 0.1], content_hash(SPLIT),
              [(rid, f"pr:{rid[-2:]}", s) for rid, s in sorted(SPLIT.items())])


class Script:
    def __init__(self):
        self.prompts: list[str] = []

    def respond(self, messages: list[dict]) -> str:
        text = "\n".join(str(m.get("content", "")) for m in messages)
        self.prompts.append(text)
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        fields = output_fields(system)
        if "decisions" in fields:
            right = MAGIC in system or len(messages) > 2
            refs = sorted(set(re.findall(r'\\?"ref\\?": \\?"([A-Za-z]+-\d+)', messages[-1]["content"])))
            dec = [{"ref": r, "decision": RIGHT[r][0] if right else "kept",
                    "target": RIGHT[r][1] if right else "I1", "reason": "checked"} for r in refs]
            out = {"findings": FINDINGS, "decisions": dec}
            return answer(system, {f: out.get(f, "I compared the reviews.") for f in fields})
        return answer(system, {f: f"Consolidate strictly. {MAGIC}" for f in fields})


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(list(argv))
    return rc, capsys.readouterr().out


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tune.duckdb"
    with Store(path) as st:
        populate(st)
    return str(path)


@pytest.mark.parametrize("optimizer,extra", [("bootstrap", []), ("gepa", ["--max-metric-calls", "10"])])
def test_tune_consolidator_then_bench_report_compare(optimizer, extra, db, capsys, tmp_path):
    script = Script()
    with OpenAIServer(responder=lambda body: Reply(content=script.respond(body["messages"]))) as srv:
        rc, out = run_cli(capsys, "--db", db, "tune", "--task", "consolidate", "--optimizer", optimizer,
                          "--model", "openai/task", "--api-base", srv.url, "--concurrency", "1", "--json", *extra)
        assert rc == 0, out
        res = json.loads(out)
        lin = res["lineage"]
        assert lin["task"] == "consolidate" and lin["base_program"] == "consolidate_cot"
        assert lin["metric"] == "decision_accuracy" and (lin["train_cases"], lin["dev_cases"]) == (4, 2)
        assert lin["dev_before"] == 0.5 and lin["dev_after"] == 1.0
        assert any("PR #51" in p for p in script.prompts)  # a train report's context reached the model
        assert not any("PR #57" in p for p in script.prompts)  # the test report's never did
        if optimizer == "gepa":  # the reflection saw the feedback naming the wrong decisions
            assert any("you said kept, the report dropped it" in p for p in script.prompts)

        runs = []
        for program in (res["program"], "consolidate_cot"):
            rc, out = run_cli(capsys, "--db", db, "bench", "--task", "consolidate", "--program", program,
                              "--model", "openai/task", "--api-base", srv.url, "--split", "test", "--json")
            assert rc == 0, out
            runs.append(json.loads(out))
    tuned, base = runs
    assert tuned["program_hash"] == res["program_hash"] and tuned["scored"] == 1
    assert tuned["metrics"]["decision_accuracy"] == 1.0 and base["metrics"]["decision_accuracy"] == 0.5
    assert base["metrics"]["fp_rejection_recall"] == 0.0 and tuned["metrics"]["fp_rejection_recall"] == 1.0

    # compare: the flipped decisions, B (base) against A (tuned)
    rc, out = run_cli(capsys, "--db", db, "compare", tuned["run_id"], base["run_id"], "--json")
    assert rc == 0, out
    cmp = json.loads(out)["decisions"]
    assert cmp["broke"] == 2 and cmp["fixed"] == 0
    assert {(f["ref"], f["a"], f["b"]) for f in cmp["flips"]} == {("Claude-1", "downgraded", "kept"),
                                                                   ("Claude-2", "dropped", "kept")}
    rc, md = run_cli(capsys, "--db", db, "compare", tuned["run_id"], base["run_id"])
    assert "Flipped decisions (2)" in md and "| Claude-2 |" in md

    # report: both consolidators with their confusion matrices; html draws them
    with Store(db) as st:
        before = st.one("SELECT count(*) FROM runs")[0]
    rc, md = run_cli(capsys, "--db", db, "report", tuned["run_id"], base["run_id"])
    assert rc == 0 and "## Consolidation" in md and "### Confusion matrix" in md
    assert "| dropped | 1 | 1 |" in md  # base: the gold-dropped finding was kept
    html_path = tmp_path / "r.html"
    rc, _ = run_cli(capsys, "--db", db, "report", tuned["run_id"], base["run_id"], "--format", "html",
                    "-o", str(html_path))
    html = html_path.read_text()
    assert rc == 0 and html.count('class="chart confusion"') == 2 and "<h2>Consolidation</h2>" in html
    with Store(db) as st:
        assert st.one("SELECT count(*) FROM runs")[0] == before  # no replay panel was run


def test_consolidation_html_and_markdown_escape_untrusted_text():
    from harness.core.consolidation import (
        ConsolidationSection, DecisionComparison, DecisionFlip, RunConsolidation,
    )
    from harness.results.consolidation import section_html, section_markdown

    evil = "<script>alert(1)</script> | `x`"
    sec = ConsolidationSection(
        runs=[RunConsolidation(run_id="r1", label=evil, n_reports=1, n_decisions=2,
                               confusion={"kept": {"kept": 1, "dropped": 0, "none": 0},
                                          "dropped": {"kept": 1, "dropped": 0, "none": 0}})],
        comparison=DecisionComparison(run_a="r1", run_b="r2", n_common=1, broke=1, flips=[
            DecisionFlip(report_id="rep", ref="Claude-1", title=evil, gold="dropped", a="dropped", b="kept",
                         change="broke")]))
    html = section_html(sec)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count('<rect class="cm"') == 2  # rows kept/dropped x the one predicted column used
    md = section_markdown(sec)
    assert "<script>" not in md and "\\|" in md
