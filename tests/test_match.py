"""Hand-built cases: every label, every severity outcome, file-level matches, path spelling."""

from __future__ import annotations

import numpy as np
import pytest

import scorers
from harness.core.errors import ParseError
from harness.core.models import Finding, Location
from scorers.match import MatchParams, assign, pair_matrices
from scorers.paths import normalise_path, paths_compatible


def F(sev="important", title="", path=None, start=None, end=None, body="", id=""):
    locs = [Location(path=path, line_start=start, line_end=end)] if path else []
    return Finding(id=id, severity=sev, title=title, body=body, locations=locs)


RACE = dict(title="Race between enqueueReconcile and close(w.done)",
            body="the deferred close of the done channel fires after the watcher enqueues a reconcile")
LEAK = dict(title="File handle leaked when parseConfig fails",
            body="openConfig returns early on error without closing the descriptor")
UNUSED = dict(title="Unused helper variable tmpBuffer", body="tmpBuffer is assigned and never read")


def gold(findings, known=(), repo=None):
    return scorers.GoldSet(report_id="r1", repo=repo, findings=list(findings), known_false_positives=list(known))


def test_true_positive_with_exact_severity_and_evidence():
    g = gold([F("critical", path="pkg/w.go", start=40, end=52, id="C1", **RACE)])
    r = scorers.score(g, [F("critical", path="pkg/w.go", start=45, end=46, **RACE)])
    p = r.predictions[0]
    assert (p.label, p.severity_match, p.gold_id, p.level, p.distance) == ("true_positive", "exact", "C1", "line", 0)
    assert p.affinity == pytest.approx(1.0) and p.text_affinity == pytest.approx(1.0)
    assert r.gold[0].status == "found" and r.gold[0].prediction_index == 0
    assert r.metrics["precision"] == r.metrics["recall"] == r.metrics["f1"] == 1.0


@pytest.mark.parametrize("pred_sev,gold_sev,outcome", [
    ("critical", "important", "over"), ("important", "suggestion", "over"), ("critical", "suggestion", "over"),
    ("suggestion", "important", "under"), ("important", "critical", "under"),
    ("suggestion", "suggestion", "exact"),
])
def test_severity_outcomes(pred_sev, gold_sev, outcome):
    g = gold([F(gold_sev, path="a.go", start=10, id="G", **LEAK)])
    r = scorers.score(g, [F(pred_sev, path="a.go", start=10, **LEAK)])
    assert r.predictions[0].severity_match == outcome
    c = r.counts
    assert (c["sev_exact"], c["sev_over"], c["sev_under"]) == tuple(float(outcome == o) for o in ("exact", "over", "under"))
    assert r.metrics["over_call_rate"] == float(outcome == "over")


def test_known_false_positive_and_novel_labels_strict_vs_lenient():
    g = gold([F(path="a.go", start=10, id="I1", **LEAK)],
             known=[F("suggestion", path="b.go", start=5, id="Codex:3", **UNUSED)])
    preds = [F(path="a.go", start=11, **LEAK), F("suggestion", path="b.go", start=6, **UNUSED),
             F(title="Missing timeout on HTTP client", path="c.go", start=1, body="no deadline set")]
    strict = scorers.score(g, preds)
    assert [p.label for p in strict.predictions] == ["true_positive", "known_false_positive", "novel"]
    assert strict.predictions[1].gold_id == "Codex:3" and strict.predictions[2].gold_id is None
    assert strict.known_false_positives[0].reraised_by == 1
    assert strict.metrics["precision"] == pytest.approx(1 / 3)
    assert strict.metrics["known_fp_rate"] == 1.0
    lenient = scorers.score(g, preds, strict=False)
    assert lenient.metrics["precision"] == pytest.approx(1 / 2)  # novel left out, known FP still counts
    assert lenient.metrics["precision_strict"] == pytest.approx(1 / 3)


def test_missed_gold_and_location_gate_with_k():
    g = gold([F(path="a.go", start=100, end=110, id="I1", **LEAK)])
    near = [F(path="a.go", start=113, end=120, **LEAK)]  # 3 lines after the gold range
    assert scorers.score(g, near, k=3).gold[0].status == "found"
    assert scorers.score(g, near, k=3).predictions[0].distance == 3
    r = scorers.score(g, near, k=2)
    assert r.gold[0].status == "missed" and r.predictions[0].label == "novel"
    assert r.metrics["recall_k3"] == 1.0 and r.metrics["recall_k0"] == 0.0 and r.metrics["recall_k10"] == 1.0


def test_same_place_different_issue_is_not_a_match():
    g = gold([F(path="a.go", start=10, id="I1", **LEAK)])
    r = scorers.score(g, [F(path="a.go", start=10, **UNUSED)])
    assert r.predictions[0].label == "novel"
    assert r.gold[0].file_hit is True  # the file was still hit


def test_file_level_match_has_lower_affinity():
    g = gold([F(path="pkg/cfg.go", id="I1", **LEAK)])  # gold cites the file only
    r = scorers.score(g, [F(path="pkg/cfg.go", start=30, **LEAK)])
    p = r.predictions[0]
    assert p.label == "true_positive" and p.level == "file" and p.distance is None
    line = scorers.score(gold([F(path="pkg/cfg.go", start=30, id="I1", **LEAK)]),
                         [F(path="pkg/cfg.go", start=30, **LEAK)]).predictions[0]
    assert p.affinity < line.affinity


def test_unlocated_findings_match_on_text_only_when_close():
    g = gold([F(id="I1", **LEAK)])
    assert scorers.score(g, [F(**LEAK)]).predictions[0].level == "text"
    assert scorers.score(g, [F(**UNUSED)]).predictions[0].label == "novel"


def test_optimal_assignment_beats_greedy():
    # p0 cites both files and fits g0 best; p1 fits only g0. Greedy (best pair first) takes
    # p0->g0 and leaves p1 and g1 unmatched; the optimal assignment matches both.
    text = dict(title="reconcile watcher channel close ordering", body="watcher channel close ordering")
    g0 = F(path="a.go", start=10, id="G0", **text)
    g1 = F(path="b.go", start=10, id="G1", **text)
    p0 = Finding(severity="important", locations=[Location(path="a.go", line_start=10),
                                                  Location(path="b.go", line_start=13)], **text)
    p1 = F(path="a.go", start=13, **text)
    r = scorers.score(gold([g0, g1]), [p0, p1])
    assert r.counts["tp"] == 2
    assert [p.gold_id for p in r.predictions] == ["G1", "G0"]


def test_one_to_one_duplicates_are_novel():
    g = gold([F(path="a.go", start=10, id="I1", **LEAK)])
    r = scorers.score(g, [F(path="a.go", start=10, **LEAK), F(path="a.go", start=10, **LEAK)])
    assert sorted(p.label for p in r.predictions) == ["novel", "true_positive"]


def test_flat_dict_input_and_severity_words():
    g = gold([F("critical", path="pkg/w.go", start=40, id="C1", **RACE)])
    for word in ("Critical", "C"):
        r = scorers.score(g, [{"severity": word, "path": "./pkg/w.go", "line_start": 41, "confidence": 0.9, **RACE}])
        assert r.predictions[0].label == "true_positive" and r.predictions[0].severity_match == "exact"
    with pytest.raises(ParseError, match="critical, important, suggestion"):  # no guessing what "Blocker" means
        scorers.score(g, [{"severity": "Blocker", "path": "./pkg/w.go", "line_start": 41, **RACE}])


@pytest.mark.parametrize("raw,expected", [
    ("a/pkg/x.go", "pkg/x.go"), ("b/pkg/x.go", "pkg/x.go"), ("./pkg/x.go", "pkg/x.go"),
    ("`pkg/x.go`", "pkg/x.go"), ("/pkg/x.go", "pkg/x.go"), ("pkg\\x.go", "pkg/x.go"),
    ("pkg/x.go:12-20", "pkg/x.go"), ("rancher-desktop/pkg/x.go", "pkg/x.go"),
    ("org/rancher-desktop/pkg/x.go", "pkg/x.go"),
])
def test_normalise_path(raw, expected):
    assert normalise_path(raw, repo="org/rancher-desktop") == expected


def test_normalise_case_and_suffix_compatibility():
    assert normalise_path("Pkg/X.go", case_insensitive=True) == "pkg/x.go"
    assert paths_compatible("engine/x.go", "pkg/engine/x.go")
    assert not paths_compatible("ngine/x.go", "pkg/engine/x.go")
    assert not paths_compatible("engine/x.go", "pkg/engine/x.go", suffix=False)


def test_path_spellings_match_end_to_end():
    g = gold([F(path="pkg/engine/docker_watcher.go", start=190, id="I1", **RACE)], repo="acme/rd")
    for spelled in ("b/pkg/engine/docker_watcher.go", "rd/pkg/engine/docker_watcher.go", "docker_watcher.go"):
        r = scorers.score(g, [F(path=spelled, start=191, **RACE)])
        assert r.predictions[0].label == "true_positive", spelled
    assert scorers.score(g, [F(path="docker_watcher.go", start=191, **RACE)], suffix_paths=False) \
        .predictions[0].label == "novel"
    upper = [F(path="PKG/engine/Docker_Watcher.go", start=191, **RACE)]
    assert scorers.score(g, upper).predictions[0].label == "novel"
    assert scorers.score(g, upper, case_insensitive=True).predictions[0].label == "true_positive"


def test_multi_location_findings_use_closest_pair():
    g = gold([Finding(id="I1", severity="important", locations=[
        Location(path="a.go", line_start=10), Location(path="b.go", line_start=500)], **LEAK)])
    r = scorers.score(g, [F(path="b.go", start=502, **LEAK)])
    assert r.predictions[0].distance == 2


def test_assign_is_cardinality_first():
    ok = np.array([[True, True], [True, False]])
    aff = np.array([[0.9, 0.95], [0.1, 0.0]])
    assert assign(ok, aff) == [(0, 1), (1, 0)]
    assert assign(np.zeros((0, 3), dtype=bool), np.zeros((0, 3))) == []


def test_pair_matrices_gap_and_file_flags():
    pm = pair_matrices([F(path="a.go", start=1, end=5), F(path="a.go")], [F(path="a.go", start=9, end=9)],
                       MatchParams())
    assert pm.gap[0, 0] == 4 and not pm.file_pair[0, 0]
    assert pm.file_pair[1, 0] and np.isinf(pm.gap[1, 0])


def test_registry():
    assert {"default", "judge"} <= set(scorers.list_scorers())
    sc = scorers.get_scorer("default", k=5)
    assert isinstance(sc, scorers.Scorer) and sc.args["k"] == 5
    from harness.core.errors import HarnessError
    with pytest.raises(HarnessError, match="unknown scorer"):
        scorers.get_scorer("nope")
    with pytest.raises(HarnessError, match="bad arguments"):
        scorers.get_scorer("default", kk=1)
