"""Recomputed retro tables and `--check` on hand-built reports; pr-309 on the real corpus."""

from __future__ import annotations

import json

import pytest

from harness.core.models import PublishedRetro, RetroCell, RetroRow, RetroTable
from harness.gold.fates import report_fates, scorer_matcher
from harness.retro.tables import CARRIED, metric_key, recompute, scorer_precision_recall, to_csv, to_markdown
from tests.conftest import CORPUS, corpus_files, needs_corpus
from tests.test_fates import NOTES, RECON, report


def published(cells: dict[str, dict[str, tuple[str, object]]]) -> RetroTable:
    cols = ["Claude", "Codex", "Gemini"]
    return RetroTable(columns=cols, column_labels=["Claude Opus 4.6", "Codex GPT 5.4", "Gemini 3.1 Pro"],
                      rows=[RetroRow(metric=m, cells={a: RetroCell(raw=r, value=v) for a, (r, v) in row.items()})
                            for m, row in cells.items()])


def sample():
    r = report(RECON, NOTES)
    sev = lambda c, i, s: {"critical": c, "important": i, "suggestion": s}  # noqa: E731
    r.published_retro = PublishedRetro(present=True, reconciliation=RECON, agent_notes=NOTES, summary=published({
        "Duration": {"Claude": ("4m 56s", 296.0), "Codex": ("7m 27s", 447.0), "Gemini": ("5m 04s", 304.0)},
        # Claude is credited on I1, S1, S2 (1I 2S): the published cell under-counts
        "Findings": {"Claude": ("1I 1S", sev(0, 1, 1)), "Codex": ("1I 1S", sev(0, 1, 1)),
                     "Gemini": ("1C 1I", sev(1, 1, 0))},
        "Downgraded": {"Claude": ("1 (I→S)", {"count": 1, "transitions": ["I→S"]}),
                       # Codex I2 was demoted to a design observation: the reports count that here
                       "Codex": ("1 (I→obs)", {"count": 1, "transitions": ["I→obs"]}),
                       "Gemini": ("1 (C→I)", {"count": 1, "transitions": ["C→I"]})},
        # Gemini: C3 false positive + S1 dropped = 2; the published cell says 1
        "Dropped": {"Claude": ("1", 1), "Codex": ("0", 0), "Gemini": ("1", 1)},
        "Signal-to-noise": {"Claude": ("high", None), "Codex": ("high", None), "Gemini": ("low", None)},
    }))
    return r


@pytest.fixture(scope="module")
def result():
    r = sample()
    fates = report_fates(r, scorer_matcher())
    return recompute(r, fates, precision_recall=scorer_precision_recall(), check=True)


def test_rows_follow_the_published_table_then_standard_then_extra(result):
    names = [row.metric for row in result.table.rows]
    assert names[:5] == ["Duration", "Findings", "Downgraded", "Dropped", "Signal-to-noise"]
    assert names[-3:] == ["Kept rate", "Precision", "Recall"]
    assert {"Tool calls", "False positives", "Unique insights", "Totals"} <= set(names)


def test_carried_cells_are_marked(result):
    dur = result.table.row("Duration")
    assert dur.cells["Claude"].raw == f"4m 56s {CARRIED}"
    assert result.sources["Duration"]["Claude"] == "published"
    assert result.sources["Findings"]["Claude"] == "recomputed"
    assert "carried over" in to_markdown([result])


def test_check_lists_each_disagreement_with_evidence(result):
    got = {(d.metric, d.agent): d for d in result.disagreements}
    assert set(got) == {("Findings", "Claude"), ("Dropped", "Gemini")}
    f = got[("Findings", "Claude")]
    assert (f.published, f.recomputed) == ("1I 1S", "1I 2S")
    assert any(e.startswith("S2 ") and "Claude" in e for e in f.evidence)
    d = got[("Dropped", "Gemini")]
    assert d.recomputed == "2" and any("false positive" in e for e in d.evidence)
    md = to_markdown([result], check=True)
    assert "2 of" in md and "published `1I 1S`, recomputed `1I 2S`" in md


def test_extra_rows_are_rates(result):
    kept = result.table.row("Kept rate").cells["Gemini"]
    assert kept.value == pytest.approx(1 / 4)  # C1 kept; C2 downgraded, C3 false positive, S1 dropped
    p = result.table.row("Precision").cells["Codex"].value
    r = result.table.row("Recall").cells["Codex"].value
    assert 0 <= p <= 1 and 0 <= r <= 1


def test_csv_has_one_line_per_cell(result):
    lines = to_csv([result]).strip().splitlines()
    assert lines[0].startswith("report_id,metric,agent")
    assert len(lines) - 1 == sum(len(r.cells) for r in result.table.rows)
    assert any(",Findings,Claude," in l and l.endswith(",no") for l in lines)


def test_metric_names_in_their_drifted_forms():
    assert metric_key("**Totals**") == "totals"
    assert metric_key("Duration (s)") == "duration"
    assert metric_key("Critical findings") == "critical"
    assert metric_key("Suggestions") == "suggestion"
    assert metric_key("Signal-to-noise") == "other"


def test_cli_retro_check_json(tmp_path, monkeypatch):
    from cli import main
    from harness.store import Store
    from harness.store.gold import put_report

    db = tmp_path / "h.duckdb"
    r = sample().model_copy(update={"content_hash": "x"})
    with Store(db) as st:
        put_report(st, r)
    import io
    import sys

    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    rc = main(["--db", str(db), "retro", "r1", "--check", "--format", "json"])
    out = json.loads(buf.getvalue())
    assert rc == 1  # disagreements found
    assert {(d["metric"], d["agent"]) for d in out[0]["disagreements"]} == {("Findings", "Claude"), ("Dropped", "Gemini")}
    assert main(["--db", str(db), "retro", "nope"]) == 2


@needs_corpus
def test_pr_309_findings_cells_disagree_as_the_issue_says():
    from harness.gold.parse import parse_report

    path = CORPUS / "20260414-192417-pr-309.md"
    r = parse_report(path.read_text(encoding="utf-8"), str(path))
    res = recompute(r, report_fates(r, scorer_matcher()), check=True)
    got = {(d.metric, d.agent): (d.published, d.recomputed) for d in res.disagreements}
    assert got[("Findings", "Claude Opus 4.6")] == ("1I 7S", "2I 8S")
    assert got[("Findings", "Codex GPT 5.4")] == ("2I", "3I 1S")
    assert ("Findings", "Gemini 3.1 Pro") not in got


def test_severity_labels_of_published_downgraded_cells():
    from harness.retro.tables import severity_labels

    assert severity_labels("3 (I→S)") == (3, {"I→S": 3})
    assert severity_labels("2 (C→I, S→obs)") == (2, {"C→I": 1, "S→obs": 1})
    assert severity_labels("3 (2 I→S, C→I)") == (3, {"I→S": 2, "C→I": 1})
    assert severity_labels("1 (C1→I2)") == (1, {"C→I": 1})
    assert severity_labels("1 (I→Design Obs)") == (1, {"I→obs": 1})
    assert severity_labels("0") == (0, {})
    assert severity_labels("2 (downgraded)") == (2, None)  # a count without labels
    assert severity_labels("3 (I→S, C→I)") == (3, None)  # labels that do not add up: not comparable
    assert severity_labels("n/a") == (None, None)
    assert severity_labels("2 (I1→ack'd, I2→S1)") == (2, {"I→obs": 1, "I→S": 1})
    assert severity_labels("2 (I1→S1, I2→?)") == (2, None)


def test_check_compares_severity_change_labels_not_only_counts():
    r = sample()
    row = r.published_retro.summary.row("Downgraded")
    # Codex I2 went to a design observation: a published `I→S` has the right count, the wrong label
    row.cells["Codex"] = RetroCell(raw="1 (I→S)", value={"count": 1, "transitions": ["I→S"]})
    res = recompute(r, report_fates(r, scorer_matcher()), check=True)
    cell = next(c for c in res.cells if (c.row, c.agent) == ("Downgraded", "Codex"))
    assert cell.agree is False and cell.recomputed == "1 (I→obs)"


def test_convention_is_decided_from_the_reports_own_numbers():
    from harness.retro.tables import findings_convention

    r = sample()
    # Codex credited 1I 1S (I2, S2), original 2I 1S; Gemini credited 1C 1I, original 2C 1S
    conv, why = findings_convention(r)
    assert conv == "credited" and "2 of 3" in why  # Codex and Gemini cells equal their credited counts
    row = r.published_retro.summary.row("Findings")
    for agent, raw, v in (("Claude", "3I 3S", (0, 3, 3)), ("Codex", "2I 1S", (0, 2, 1)), ("Gemini", "3C 1S", (3, 0, 1))):
        row.cells[agent] = RetroCell(raw=raw, value=dict(zip(("critical", "important", "suggestion"), v)))
    conv, _ = findings_convention(r)
    assert conv == "original"
    res = recompute(r, report_fates(r, scorer_matcher()), check=True)
    assert not [c for c in res.cells if c.row == "Findings" and c.agree is False]


def test_total_line_and_undecided_cells():
    r = sample()
    r.published_retro.summary.row("Dropped").cells["Codex"] = RetroCell(raw="some", value=None)
    res = recompute(r, report_fates(r, scorer_matcher()), check=True)
    line = res.total_line()
    decided = [c for c in res.cells if c.agree is not None]
    assert line.startswith(f"{sum(c.agree for c in decided)} of {len(decided)} cells agree; "
                           f"{sum(not c.agree for c in decided)} flagged")
    assert "could not decide Dropped/Codex" in line


def test_cli_fates_and_check_json_contract(tmp_path, monkeypatch):
    import io
    import sys

    from cli import main
    from harness.store import Store
    from harness.store.gold import put_report

    db = tmp_path / "h.duckdb"
    r = sample().model_copy(update={"content_hash": "x"})
    with Store(db) as st:
        put_report(st, r)
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    assert main(["--db", str(db), "retro", "r1", "--fates", "--json"]) == 0
    out = json.loads(buf.getvalue())
    assert set(out) == {"report", "convention", "fates"} and out["report"] == "r1"
    assert out["convention"] in ("original", "credited")
    keys = {"agent", "family", "finding_id", "idx", "severity", "title", "fate", "consolidated_id", "evidence", "rule"}
    assert all(set(f) == keys for f in out["fates"])
    # one entry per original finding, each agent's review order, idx from 0
    want = [(ar.agent, i, f.id) for ar in r.agent_reviews for i, f in enumerate(ar.findings)]
    assert [(f["agent"], f["idx"], f["finding_id"]) for f in out["fates"]] == want
    got = {(f["agent"], f["finding_id"]): f for f in out["fates"]}
    assert (got[("Gemini", "C3")]["fate"], got[("Gemini", "C3")]["rule"]) == ("false_positive", "reconciliation")

    buf.seek(0)
    buf.truncate()
    assert main(["--db", str(db), "retro", "r1", "--check", "--json"]) == 1
    out = json.loads(buf.getvalue())
    assert out["report_id"] == "r1"
    cells = {(c["row"], c["agent"]): c for c in out["cells"]}
    assert all(set(c) == {"agent", "row", "published", "recomputed", "agree", "evidence"} for c in out["cells"])
    assert cells[("Dropped", "Gemini")]["agree"] is False
    assert cells[("Downgraded", "Gemini")]["agree"] is True

    buf.seek(0)
    buf.truncate()
    main(["--db", str(db), "retro", "r1", "--fates"])
    md = buf.getvalue()
    assert "### Gemini" in md and "| reconciliation |" in md


def test_counting_of_false_positives_and_demotions_is_the_reports_own():
    from harness.retro.tables import counting

    r = sample()
    fates = report_fates(r, scorer_matcher())
    # Gemini: C3 false positive + S1 dropped. With no False positives row the table has nowhere
    # else to count the false positive: Dropped includes it, and the published `1` is flagged
    assert counting(r, fates).dropped_includes_fp
    rows = r.published_retro.summary.rows
    rows.append(RetroRow(metric="False positives", cells={a: RetroCell(raw=str(v), value=v) for a, v in
                                                          (("Claude", 0), ("Codex", 0), ("Gemini", 1))}))
    got = counting(r, fates)
    assert not got.dropped_includes_fp and "not in Dropped" in got.evidence
    res = recompute(r, fates, check=True)
    assert next(c for c in res.cells if (c.row, c.agent) == ("Dropped", "Gemini")).agree is True
    # Codex I2 was demoted to an observation; a table that counts it as dropped, not downgraded
    cells = r.published_retro.summary.row("Downgraded").cells
    cells["Codex"] = RetroCell(raw="0", value={"count": 0, "transitions": []})
    r.published_retro.summary.row("Dropped").cells["Codex"] = RetroCell(raw="1", value=1)
    got = counting(r, fates)
    assert got.demoted_in == "dropped"
    res = recompute(r, fates, check=True)
    assert {(c.row, c.agent): c.agree for c in res.cells}[("Dropped", "Codex")] is True


@needs_corpus
def test_downgraded_and_dropped_cells_agree_with_the_corpus():
    """Regression floor for the fates: the published Downgraded / Dropped cells of ../shared/reviews
    (258 cells; 218 agreed on counts before issue 12, 246 after; 227 agree with the labels too)."""
    from harness.gold.parse import parse_report
    from harness.retro.tables import metric_key, severity_labels

    total = agree = agree_count = 0
    for path in corpus_files():
        r = parse_report(path.read_text(encoding="utf-8"), str(path))
        res = recompute(r, report_fates(r, scorer_matcher()), check=True)
        for c in res.cells:
            if metric_key(c.row) not in ("downgraded", "dropped") or c.agree is None:
                continue
            total += 1
            agree += c.agree
            agree_count += c.agree or (metric_key(c.row) == "downgraded" and
                                       severity_labels(c.published)[0] == severity_labels(c.recomputed)[0])
    assert total >= 250
    assert agree_count / total >= 0.92, (agree_count, total)
    assert agree / total >= 0.85, (agree, total)


def test_check_markdown_has_the_total_line_and_an_overall_one():
    r = sample()
    res = recompute(r, report_fates(r, scorer_matcher()), check=True)
    md = to_markdown([res, res], check=True)
    assert f"Check: {res.total_line()}." in md
    decided = [c for c in res.cells if c.agree is not None]
    assert f"Overall: {2 * sum(c.agree for c in decided)} of {2 * len(decided)} cells agree" in md


def test_harness_score_uses_exactly_the_audited_fates(tmp_path, monkeypatch):
    """A prediction equal to an agent finding is a known false positive exactly when `retro --fates`
    says that finding was dropped or a false positive."""
    import io
    import sys

    from cli import main
    from harness.store import Store
    from harness.store.gold import put_report

    db = tmp_path / "h.duckdb"
    r = sample().model_copy(update={"content_hash": "x"})
    with Store(db) as st:
        put_report(st, r)
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    main(["--db", str(db), "retro", "r1", "--fates", "--json"])
    audit = {(f["agent"], f["finding_id"]): f["fate"] for f in json.loads(buf.getvalue())["fates"]}
    rejected = {k for k, v in audit.items() if v in ("dropped", "false_positive")}
    assert rejected  # the sample has some
    for ar in r.agent_reviews:
        for f in ar.findings:
            path = tmp_path / "one.json"
            path.write_text(json.dumps([f.model_dump(mode="json")]), encoding="utf-8")
            buf.seek(0)
            buf.truncate()
            assert main(["--db", str(db), "score", "r1", "--findings", str(path), "--json"]) == 0
            label = json.loads(buf.getvalue())["predictions"][0]["label"]
            assert (label == "known_false_positive") == ((ar.agent, f.id) in rejected), (ar.agent, f.id, label)
