"""The optional LLM judge, driven by dspy's DummyLM (never the network)."""

from __future__ import annotations

import pytest

import scorers
from harness.core.errors import ModelError
from harness.core.models import Finding, Location
from harness.store.scores import StoreJudgeCache, judge_cache_stats
from scorers.judge import JudgeScorer, cohen_kappa, render


def F(title, body, path, line, id=""):
    return Finding(id=id, severity="important", title=title, body=body,
                   locations=[Location(path=path, line_start=line)])


GOLD = scorers.GoldSet(report_id="r", findings=[
    F("File handle leaked when parseConfig fails", "openConfig returns early on error without closing the descriptor",
      "a.go", 10, "I1"),
    F("Retry loop ignores context cancellation", "the backoff loop keeps sleeping after ctx is done", "b.go", 50, "I2"),
])
# p0: same place as I1, text only loosely related (in the judge's band); p1: right issue, wrong file
PRED = [F("parseConfig error path skips cleanup", "early return in a failure branch", "a.go", 11),
        F("Backoff keeps sleeping after cancellation", "retry loop never checks ctx.Done", "c.go", 5)]


def _lm(answers):
    from dspy.utils.dummies import DummyLM

    return DummyLM(answers)


def _pair_lm(yes: dict[tuple[int, int], float]):
    """A DummyLM answering per (prediction, gold) pair: match with the given confidence, else no."""
    from dspy.utils.dummies import DummyLM

    answers = {}
    for (i, j), conf in yes.items():
        key = render(PRED[i]) + "\n\n[[ ## reference ## ]]\n" + render(GOLD.findings[j])
        answers[key] = {"reasoning": f"pair {i}-{j}", "match": True, "confidence": conf}
    answers["[[ ## candidate ## ]]"] = {"reasoning": "different concern", "match": False, "confidence": 0.8}
    return DummyLM(answers)


def test_rules_alone():
    r = scorers.score(GOLD, PRED)
    assert [p.label for p in r.predictions] == ["true_positive", "novel"]
    assert r.judge_usage is None


def test_judge_vetoes_band_pair_and_rescues_novel(store):
    # the judge rejects p0 ~ I1 (a band pair the rules accepted) and accepts p1 ~ I2 (novel by the rules)
    sc = scorers.get_scorer("judge", model="dummy/judge", band=0.3, lm=_pair_lm({(1, 1): 0.9}),
                            cache=StoreJudgeCache(store))
    assert "lm" not in sc.args and "cache" not in sc.args and sc.args["model"] == "dummy/judge"
    r = sc.score(GOLD, PRED)
    p0, p1 = r.predictions
    assert (p0.label, p0.det_label, p0.decided_by) == ("novel", "true_positive", "judge")
    assert p0.judge["match"] is False and p0.judge["reasoning"] == "different concern"
    assert (p1.label, p1.gold_id, p1.det_label, p1.decided_by) == ("true_positive", "I2", "novel", "judge")
    assert p1.judge["reasoning"] == "pair 1-1"
    assert [g.status for g in r.gold] == ["missed", "found"]
    # band (p0,I1); rescue of p0 against I1 (cached; I2 shares no words); rescue of p1 against I2
    calls, hits = r.judge_usage["calls"], r.judge_usage["cache_hits"]
    assert (calls, hits) == (2, 1)
    assert r.judge_usage["kappa"] == pytest.approx(cohen_kappa(["true_positive", "novel"], ["novel", "true_positive"]))
    assert judge_cache_stats(store)["verdicts"] == 2

    # a second scorer on the same store answers from the cache: its LM has no answers to give
    again = scorers.get_scorer("judge", model="dummy/judge", band=0.3, lm=_lm([]), cache=StoreJudgeCache(store))
    r2 = again.score(GOLD, PRED)
    assert [p.label for p in r2.predictions] == ["novel", "true_positive"]
    assert r2.judge_usage["calls"] == 0 and r2.judge_usage["cache_hits"] == 3
    assert r2.predictions[0].judge["cached"] is True

    # another judge model is another cache key
    other = scorers.get_scorer("judge", model="dummy/other", band=0.3, lm=_lm([]), cache=StoreJudgeCache(store))
    with pytest.raises(ModelError, match="judge model dummy/other failed"):
        other.score(GOLD, PRED)


def test_judge_low_confidence_match_is_not_accepted():
    lm = _pair_lm({(0, 0): 0.9, (1, 1): 0.2})
    r = JudgeScorer(model="dummy/judge", band=0.3, lm=lm).score(GOLD, PRED)
    assert [p.label for p in r.predictions] == ["true_positive", "novel"]
    assert r.judge_usage["kappa"] == 1.0


def test_judge_scorer_rebuilds_from_its_recorded_args():
    sc = JudgeScorer(model="dummy/judge", band=0.3, k=5, strict=False, lm=_pair_lm({}))
    again = scorers.get_scorer("judge", **sc.args)
    assert again.args == sc.args
    from harness.core.errors import HarnessError
    with pytest.raises(HarnessError, match="judge prompt"):
        scorers.get_scorer("judge", **{**sc.args, "prompt_version": "judge-v0"})


def test_cohen_kappa():
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == 1.0
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == 0.0
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0
