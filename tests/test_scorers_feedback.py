"""Feedback text for optimisers and the DSPy metric adapter (GEPA's five-argument form)."""

from __future__ import annotations

import dspy
import pytest

import scorers
from harness.core.models import Finding, Location

GOLD = scorers.GoldSet(report_id="r", findings=[
    Finding(id="C1", severity="critical", title="Deferred close runs after the reconcile is queued",
            body="done channel closes late", locations=[Location(path="pkg/loop.go", line_start=40, line_end=52)]),
    Finding(id="I1", severity="important", title="Token cache never expires entries",
            body="expiry never checked", locations=[Location(path="pkg/cache.go", line_start=88)]),
], known_false_positives=[Finding(id="Codex:2", severity="suggestion", title="Mutex copied by value",
                                  locations=[Location(path="pkg/snap.go", line_start=20)])])

PRED = [
    {"severity": "suggestion", "title": "Deferred close runs after the reconcile is queued",
     "body": "done channel closes late", "path": "pkg/loop.go", "line_start": 41},
    {"severity": "suggestion", "title": "Mutex copied by value", "path": "pkg/snap.go", "line_start": 20},
    {"severity": "important", "title": "Unbounded goroutine per request", "path": "pkg/http.go", "line_start": 7},
]


def test_feedback_names_misses_false_positives_and_severity_errors():
    r = scorers.score(GOLD, PRED)
    text = scorers.feedback(r, GOLD)
    assert text == r.feedback
    assert "I1: Token cache never expires entries (pkg/cache.go:88)" in text
    assert "Mutex copied by value (same as rejected Codex:2)" in text
    assert "Unbounded goroutine per request (pkg/http.go)" in text
    assert "rated suggestion, gold C1 is critical (under-called)" in text
    perfect = scorers.score(GOLD, [f.model_copy(update={"id": ""}) for f in GOLD.findings])
    assert "Every gold finding was found" in perfect.feedback


def test_dspy_metric_is_a_gepa_feedback_metric():
    metric = scorers.dspy_metric(metric="f1")
    example = dspy.Example(gold=GOLD.model_dump()).with_inputs()
    out = metric(example, dspy.Prediction(findings=PRED), None, "review", None)
    r = scorers.score(GOLD, PRED)
    assert isinstance(out, dspy.Prediction)
    assert out.score == pytest.approx(r.metrics["f1"]) and out.feedback == r.feedback
    assert float(out) == pytest.approx(r.metrics["f1"])  # other optimisers use it as a number
    assert metric(example, dspy.Prediction(findings=PRED)).score == out.score  # trace args optional
    # dspy.GEPA checks the five-argument signature when it is built
    from dspy.utils.dummies import DummyLM

    dspy.GEPA(metric=metric, auto="light", reflection_lm=DummyLM([]))


def test_dspy_metric_failure_modes_score_zero_with_reason():
    metric = scorers.dspy_metric(metric="weighted_f1", k=0)
    example = dspy.Example(gold=GOLD)
    missing = metric(example, dspy.Prediction(answer="x"))
    assert missing.score == 0.0 and "no `findings`" in missing.feedback
    bad = metric(example, dspy.Prediction(findings=[{"title": "no severity"}]))
    assert bad.score == 0.0 and "could not be read" in bad.feedback
