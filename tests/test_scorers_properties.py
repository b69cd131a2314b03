"""Property tests of the default scorer (hypothesis)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import scorers
from harness.core.hashing import canonical_json
from harness.core.models import Finding, Location, Severity

WORDS = ["race", "watcher", "channel", "close", "leak", "handle", "timeout", "retry", "config", "parse",
         "cache", "stale", "lock", "deadlock", "nil", "pointer", "overflow", "index", "quota", "token"]
PATHS = ["pkg/a.go", "pkg/b.go", "cmd/main.go", "b.go"]


@st.composite
def findings(draw, ids: bool = False, paths=PATHS):
    n = draw(st.integers(0, 8))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(["line", "line", "line", "file", "none"]))
        locs = []
        if kind != "none":
            path = draw(st.sampled_from(paths))
            if kind == "line":
                start = draw(st.integers(1, 80))
                locs = [Location(path=path, line_start=start, line_end=start + draw(st.integers(0, 10)))]
            else:
                locs = [Location(path=path)]
        title = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=5)))
        body = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=12)))
        out.append(Finding(id=f"G{i + 1}" if ids else "", severity=draw(st.sampled_from(list(Severity))),
                           title=title, body=body, locations=locs))
    return out


@st.composite
def golds(draw):
    return scorers.GoldSet(report_id="r", findings=draw(findings(ids=True)),
                           known_false_positives=[f.model_copy(update={"id": f"K{i}"})
                                                  for i, f in enumerate(draw(findings()))])


def _strip(fs):
    return [f.model_copy(update={"id": ""}) for f in fs]


@given(golds())
def test_perfect_prediction_scores_one(gold):
    r = scorers.score(gold, _strip(gold.findings))
    assert r.metrics["precision"] == r.metrics["recall"] == r.metrics["f1"] == 1.0
    assert all(p.label == "true_positive" for p in r.predictions)


@given(golds())
def test_empty_prediction(gold):
    r = scorers.score(gold, [])
    assert r.metrics["precision"] is not None and 0.0 <= r.metrics["precision"] <= 1.0
    assert r.metrics["recall"] == (0.0 if gold.findings else 1.0)


@given(golds(), findings(), st.randoms(use_true_random=False))
def test_order_independence(gold, predicted, rnd):
    base = scorers.score(gold, predicted)
    perm = list(range(len(predicted)))
    rnd.shuffle(perm)
    gperm = gold.model_copy(update={"findings": rnd.sample(gold.findings, len(gold.findings)),
                                    "known_false_positives": rnd.sample(gold.known_false_positives,
                                                                        len(gold.known_false_positives))})
    shuffled = scorers.score(gperm, [predicted[i] for i in perm])
    assert shuffled.metrics == base.metrics and shuffled.counts == base.counts

    def labelled(result, order):
        return sorted((canonical_json(predicted[order[p.index]]), p.label, p.gold_id or "")
                      for p in result.predictions)

    assert labelled(shuffled, perm) == labelled(base, list(range(len(predicted))))
    assert sorted((g.id, g.status) for g in shuffled.gold) == sorted((g.id, g.status) for g in base.gold)


@given(golds(), findings(), findings(paths=["novel/elsewhere.go"]), st.booleans())
def test_adding_novel_findings_never_raises_precision(gold, predicted, extra, strict):
    # novel = matches nothing in this gold on its own (here: cited in a file the gold never cites)
    extra = [f for f in extra if scorers.score(gold, [f]).predictions[0].label == "novel"]
    before = scorers.score(gold, predicted, strict=strict)
    after = scorers.score(gold, predicted + extra, strict=strict)
    assert after.metrics["precision"] <= before.metrics["precision"]
    assert after.counts["tp"] == before.counts["tp"]


@given(golds(), findings(), st.integers(0, 30), st.integers(0, 30))
def test_widening_k_never_loses_a_match(gold, predicted, k1, extra):
    narrow = scorers.score(gold, predicted, k=k1)
    wide = scorers.score(gold, predicted, k=k1 + extra)
    assert wide.counts["tp"] >= narrow.counts["tp"]
    assert narrow.metrics["recall_k0"] <= narrow.metrics["recall_k3"] <= narrow.metrics["recall_k10"]


@given(golds(), findings(), st.booleans())
def test_scores_in_unit_interval_and_consistent(gold, predicted, strict):
    r = scorers.score(gold, predicted, strict=strict)
    for key, v in r.metrics.items():
        assert v is None or 0.0 <= v <= 1.0, key
    c = r.counts
    assert c["tp"] + c["known_fp"] + c["novel"] == c["n_pred"] == len(predicted)
    assert c["tp"] + c["fn"] == c["n_gold"]
    assert sum(g.status == "found" for g in r.gold) == c["tp"]
    for p in r.predictions:
        assert (p.severity_match is not None) == (p.label == "true_positive")
        assert p.affinity is None or 0.0 <= p.affinity <= 1.0


@given(golds(), findings())
def test_deterministic(gold, predicted):
    a = scorers.score(gold, predicted).model_dump()
    b = scorers.score(gold, [f.model_copy() for f in predicted]).model_dump()
    assert a == b


def test_property_strategies_exercise_every_label():
    """Guard against vacuous properties: the generators do produce every label."""
    rnd = random.Random(0)
    g = scorers.GoldSet(report_id="r", findings=[Finding(id="G1", severity="important", title="race watcher",
                                                         locations=[Location(path="pkg/a.go", line_start=5)])],
                        known_false_positives=[Finding(id="K1", severity="suggestion", title="stale cache",
                                                       locations=[Location(path="b.go", line_start=9)])])
    preds = [Finding(severity=s, title=t, locations=[Location(path=p, line_start=l)])
             for s, t, p, l in [("important", "race watcher", "pkg/a.go", 6), ("suggestion", "stale cache", "b.go", 9),
                                ("critical", "quota", "cmd/main.go", 1)]]
    rnd.shuffle(preds)
    seen = {p.label for p in scorers.score(g, preds).predictions}
    assert seen == {"true_positive", "known_false_positive", "novel"}


# -- acted-on metrics: recall of fixed findings and severity-weighted recall ---------------------

RESOLUTIONS = ["fixed", "skipped", "commented", "deferred", "unknown"]


@st.composite
def resolved_golds(draw, all_fixed: bool = False):
    gold = draw(golds())
    fs = [f.model_copy(update={"resolution": "fixed" if all_fixed else draw(st.sampled_from(RESOLUTIONS))})
          for f in gold.findings]
    return gold.model_copy(update={"findings": fs})


@given(resolved_golds(all_fixed=True), findings())
def test_recall_fixed_equals_recall_when_every_gold_finding_is_fixed(gold, predicted):
    r = scorers.score(gold, predicted)
    if gold.findings:
        assert r.metrics["recall_fixed"] == r.metrics["recall"]
    else:
        assert r.metrics["recall_fixed"] is None  # nothing fixed: undefined, not invented


@given(resolved_golds(), findings(), st.fixed_dictionaries(
    {s: st.floats(0.5, 5.0) for s in ("critical", "important", "suggestion")}))
def test_acted_on_metrics_in_unit_interval_and_weights_recorded(gold, predicted, weights):
    r = scorers.score(gold, predicted, weights=weights)
    assert r.args["weights"] == weights
    for m in ("recall_fixed", "recall_weighted", "weighted_f1"):
        v = r.metrics[m]
        assert v is None or 0.0 <= v <= 1.0
    fixed = [g for g, f in zip(r.gold, gold.findings) if f.resolution == "fixed"]
    assert r.counts["gold_fixed"] == len(fixed)
    assert r.counts["found_fixed"] == sum(g.status == "found" for g in fixed)
    # equal weights make the weighted recall the plain recall
    flat = scorers.score(gold, predicted, weights={s: 2.0 for s in weights})
    assert flat.metrics["recall_weighted"] == pytest.approx(flat.metrics["recall"])
