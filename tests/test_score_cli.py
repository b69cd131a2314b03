"""`harness score` end to end, the scores store, and gold_for_report."""

from __future__ import annotations

import json

import pytest

import cli
import scorers
from harness.core.models import AgentReview, Finding, Location, Report
from harness.store import Store
from harness.store.gold import put_report
from harness.store.scores import get_predicted, get_score, labels_frame, put_score, scores_frame

RID = "20260101-000000-pr-7"


def _report() -> Report:
    def f(id, sev, title, body, path, start, end=None, **kw):
        return Finding(id=id, severity=sev, title=title, body=body,
                       locations=[Location(path=path, line_start=start, line_end=end)], **kw)

    return Report(
        id=RID, repo="acme/widget", content_hash="h1",
        findings=[
            f("C1", "critical", "Deferred close runs after the reconcile is queued",
              "the done channel closes only after enqueue so alive() still reports true", "pkg/watch/loop.go", 40, 52),
            f("I1", "important", "Token cache never expires entries",
              "cached tokens outlive their TTL because expiry is never checked", "pkg/auth/cache.go", 88, 95),
            f("S1", "suggestion", "Name the magic timeout constant", "the literal 30 appears twice",
              "pkg/watch/loop.go", 12),
        ],
        agent_reviews=[AgentReview(agent="Codex", findings=[
            f("I2", "important", "Mutex copied by value in Snapshot",
              "Snapshot returns the struct including its lock", "pkg/state/snap.go", 20, withdrawn=True),
        ])],
    )


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "cli.duckdb"
    with Store(path) as st:
        put_report(st, _report())
    monkeypatch.setenv("HARNESS_DB", str(path))
    return path


FINDINGS = [
    {"severity": "important", "title": "Deferred close runs after reconcile enqueue",
     "body": "alive() still reports true because the done channel closes late",
     "path": "b/pkg/watch/loop.go", "line_start": 44, "line_end": 45},
    {"severity": "important", "title": "Mutex copied by value in Snapshot", "body": "the lock is copied",
     "locations": [{"path": "widget/pkg/state/snap.go", "line_start": 21}]},
    {"severity": "suggestion", "title": "Log line lacks request id", "path": "pkg/http/log.go", "line_start": 3},
]


def _run(capsys, *args):
    rc = cli.main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_score_json_contract(db, tmp_path, capsys):
    p = tmp_path / "f.json"
    p.write_text(json.dumps(FINDINGS))
    rc, out, err = _run(capsys, "score", RID, "--findings", str(p), "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert {"precision", "recall", "f1"} <= set(doc["metrics"])
    assert [(x["label"], x["severity_match"], x["gold_id"]) for x in doc["predictions"]] == [
        ("true_positive", "under", "C1"), ("known_false_positive", None, "Codex:I2"), ("novel", None, None)]
    assert [(g["id"], g["status"]) for g in doc["gold"]] == [("C1", "found"), ("I1", "missed"), ("S1", "missed")]
    assert doc["metrics"]["precision"] == pytest.approx(1 / 3) and doc["metrics"]["recall"] == pytest.approx(1 / 3)
    assert doc["run_id"].startswith("adhoc:") and doc["report_id"] == RID

    rc, out, _ = _run(capsys, "score", RID, "--findings", str(p), "--json", "--lenient")
    assert json.loads(out)["metrics"]["precision"] == pytest.approx(1 / 2)  # novel left out
    rc, out, _ = _run(capsys, "score", RID, "--findings", str(p), "--json", "--k", "0")
    doc2 = json.loads(out)
    assert doc2["args"]["k"] == 0
    # the re-raised mutex finding cites line 21, one line off the rejected one: novel at k=0
    assert [x["label"] for x in doc2["predictions"]] == ["true_positive", "novel", "novel"]
    with Store(db) as st:
        assert scores_frame(st).height == 3  # three arg sets, one findings file


def test_score_human_output(db, tmp_path, capsys):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({"findings": FINDINGS}))
    rc, out, _ = _run(capsys, "score", RID, "--findings", str(p))
    assert rc == 0
    assert "| 1 | true_positive | important | C1 | under |" in out
    assert "known_false_positive" in out and "| f1 |" in out


@pytest.mark.parametrize("content,message", [
    ("[{\"title\": \"x\"}]", "needs at least 'severity' and 'title'"),
    ("[{\"severity\": \"huge\", \"title\": \"x\"}]", "unknown severity"),
    ("{not json", "not valid JSON"),
    ("{\"a\": 1}", "expected a JSON list"),
])
def test_score_bad_input_is_one_line_error(db, tmp_path, capsys, content, message):
    p = tmp_path / "bad.json"
    p.write_text(content)
    rc, out, err = _run(capsys, "score", RID, "--findings", str(p))
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    with Store(db) as st:
        assert scores_frame(st).height == 0  # nothing half-written


def test_score_unknown_report_and_missing_file(db, tmp_path, capsys):
    p = tmp_path / "f.json"
    p.write_text("[]")
    rc, _, err = _run(capsys, "score", "nope", "--findings", str(p))
    assert rc == 2 and "no report" in err
    rc, _, err = _run(capsys, "score", RID, "--findings", str(tmp_path / "missing.json"))
    assert rc == 2 and "does not exist" in err


def test_score_markdown_review(db, tmp_path, capsys):
    pytest.importorskip("harness.gold.parse", reason="markdown reviews need harness.gold.parse (another branch)")
    md = tmp_path / "review.md"
    md.write_text(
        "## Findings\n\n### Critical Issues\n\n"
        "C1. **Deferred close runs after the reconcile is queued** — `pkg/watch/loop.go:40-52`\n\n"
        "The done channel closes after the enqueue, so alive() still reports true.\n\n"
        "### Important Issues\n\nNone.\n\n### Suggestions\n\n"
        "S1. **Log line lacks request id** — `pkg/http/log.go:3`\n\nAdd the id.\n")
    rc, out, err = _run(capsys, "score", RID, "--findings", str(md), "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert [(x["label"], x["gold_id"]) for x in doc["predictions"]] == [("true_positive", "C1"), ("novel", None)]


def test_store_round_trip(store):
    put_report(store, _report())
    gold = scorers.gold_for_report(_report())
    preds = scorers.coerce_findings(FINDINGS)
    r = scorers.score(gold, preds)
    ah = put_score(store, "run-1", RID, r, epoch=1, predicted=preds, gold_hash=gold.gold_hash())
    assert put_score(store, "run-1", RID, r, epoch=1, predicted=preds) == ah  # replace, not duplicate
    back = get_score(store, "run-1", RID, epoch=1)
    assert back.metrics == r.metrics and back.predictions == r.predictions and back.gold == r.gold
    assert back.known_false_positives == r.known_false_positives and back.args == r.args
    assert get_predicted(store, "run-1", RID, epoch=1) == preds
    # a stored score can be recomputed from its stored findings and args
    again = scorers.score(gold, get_predicted(store, "run-1", RID, epoch=1), scorer=back.scorer, **back.args)
    assert again.metrics == r.metrics
    f = scores_frame(store, ["run-1"])
    assert f.height == 1 and f["tp"][0] == 1 and f["f1"][0] == pytest.approx(r.metrics["f1"])
    labels = labels_frame(store, ["run-1"], side="gold")
    assert labels.select("gold_id", "status").rows() == [("C1", "found"), ("I1", "missed"), ("S1", "missed")]
    assert scorers.aggregate(f, by=["run_id"])["f1"][0] == pytest.approx(r.metrics["f1"])
    from harness.core.errors import NotFound
    with pytest.raises(NotFound):
        get_score(store, "run-1", RID, epoch=2)


def test_gold_for_report_fates_seam():
    rep = _report()
    g = scorers.gold_for_report(rep)
    assert [f.id for f in g.findings] == ["C1", "I1", "S1"]
    assert [f.id for f in g.known_false_positives] == ["Codex:I2"]
    assert list(g.reviewer_findings) == ["Codex"]
    # fates from the retro code: by (agent, index) or with the finding itself
    fates = [{"agent": "Codex", "index": 0, "fate": "kept"},
             {"fate": "false_positive", "finding": Finding(id="X", severity="suggestion", title="t"),
              "agent": "Gemini", "index": 4}]
    g2 = scorers.gold_for_report(rep, fates)
    assert [f.id for f in g2.known_false_positives] == ["Gemini:X"]
    g3 = scorers.gold_for_report(rep, [{"agent": "Codex", "index": 0, "fate": "dropped"}])
    assert [f.id for f in g3.known_false_positives] == ["Codex:I2"]
    dropped = rep.model_copy(update={"findings": [rep.findings[0].model_copy(update={"tags": ["dropped"]})]})
    assert scorers.gold_for_report(dropped).findings == []
