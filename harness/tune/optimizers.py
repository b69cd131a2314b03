"""The three DSPy optimisers behind `harness tune`, their budgets, and the trial tracker.

gepa       dspy.GEPA: reflective instruction evolution; reads the scorer's feedback text
           (missed gold findings, false positives, severity errors) per example.
mipro      dspy.MIPROv2: proposes instructions and few-shot sets, searches them with optuna.
bootstrap  dspy.BootstrapFewShotWithRandomSearch: few-shot demos from the teacher's good
           traces, candidate sets chosen on dev.

Every optimiser trains on `train` and scores candidates on `dev`. The tracker sees each
candidate scored on the full dev set (a "trial") through hooks the optimisers already have:
GEPA's own callback events, and DSPy's `on_evaluate_*` callbacks for the Evaluate-based two.
It keeps the best candidate so that Ctrl-C can still save it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from harness.core.errors import HarnessError

OPTIMIZERS = ("gepa", "mipro", "bootstrap")
BUDGETS = ("light", "medium", "heavy")
METRICS = ("f1", "weighted_f1")

# A bootstrapped trace becomes a demo only if its review scored at least this much: a demo
# that teaches a half-wrong review is worse than none.
DEMO_THRESHOLD = 0.5

# budget -> optimiser knobs. GEPA and MIPROv2 have DSPy's own auto presets (candidate counts
# 6/12/18, derived trial and metric-call budgets); demos are capped low because each demo
# carries a whole diff into every later prompt.
KNOBS: dict[str, dict[str, dict[str, Any]]] = {
    "gepa": {b: {"auto": b, "reflection_minibatch_size": 3} for b in BUDGETS},
    "mipro": {
        "light": {"auto": "light", "max_bootstrapped_demos": 2, "max_labeled_demos": 2},
        "medium": {"auto": "medium", "max_bootstrapped_demos": 3, "max_labeled_demos": 3},
        "heavy": {"auto": "heavy", "max_bootstrapped_demos": 4, "max_labeled_demos": 4},
    },
    "bootstrap": {
        "light": {"num_candidate_programs": 4, "max_bootstrapped_demos": 2, "max_labeled_demos": 2},
        "medium": {"num_candidate_programs": 8, "max_bootstrapped_demos": 3, "max_labeled_demos": 3},
        "heavy": {"num_candidate_programs": 16, "max_bootstrapped_demos": 4, "max_labeled_demos": 4},
    },
}


def knobs(optimizer: str, budget: str, max_metric_calls: int | None = None) -> dict[str, Any]:
    if optimizer not in OPTIMIZERS:
        raise HarnessError(f"unknown optimizer {optimizer!r}", hint=f"use {', '.join(OPTIMIZERS)}")
    if budget not in BUDGETS:
        raise HarnessError(f"unknown budget {budget!r}", hint=f"use {', '.join(BUDGETS)}")
    out = dict(KNOBS[optimizer][budget])
    if max_metric_calls is not None:
        if optimizer != "gepa":
            raise HarnessError("--max-metric-calls applies to --optimizer gepa only")
        if max_metric_calls < 1:
            raise HarnessError("--max-metric-calls must be at least 1")
        out.pop("auto")
        out["max_metric_calls"] = max_metric_calls
    return out


@dataclass
class Tracker:
    """Trials, best dev score and candidate, metric calls; thread-safe; reports to `on_change`."""

    dev_size: int
    on_trial: Callable[[int, float, float], None] | None = None  # (trial, score, best)
    on_change: Callable[["Tracker"], None] | None = None
    trials: int = 0
    metric_calls: int = 0
    best_score: float | None = None
    _best: Callable[[], Any] | None = None  # builds the best program (a deep copy) on demand
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def metric_called(self) -> None:
        with self._lock:
            self.metric_calls += 1
        if self.on_change:
            self.on_change(self)

    def trial(self, score: float, build: Callable[[], Any]) -> None:
        with self._lock:
            self.trials += 1
            n = self.trials
            if self.best_score is None or score > self.best_score:
                self.best_score, self._best = score, build
            best = self.best_score
        if self.on_trial:
            self.on_trial(n, score, best)
        if self.on_change:
            self.on_change(self)

    def best_program(self) -> Any | None:
        return self._best() if self._best is not None else None


def counted(metric: Callable[..., Any], tracker: Tracker) -> Callable[..., Any]:
    """The feedback metric (GEPA's five-argument form), counting calls."""

    def review_metric(gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
                      pred_trace: Any = None) -> Any:
        tracker.metric_called()
        return metric(gold, pred, trace, pred_name, pred_trace)

    return review_metric


def as_number(metric: Callable[..., Any]) -> Callable[..., float]:
    """Evaluate / BootstrapFewShot want a number: a Prediction is truthy whatever its score."""

    def review_score(gold: Any, pred: Any, trace: Any = None) -> float:
        return float(metric(gold, pred, trace).score)

    return review_score


def with_instructions(student: Any, candidate: dict[str, str]) -> Any:
    """A copy of `student` with GEPA's candidate instructions (as GEPA's adapter builds it)."""
    prog = student.deepcopy()
    for name, pred in prog.named_predictors():
        if name in candidate:
            pred.signature = pred.signature.with_instructions(candidate[name])
    return prog


class GEPAEvents:
    """GEPA callback: every candidate GEPA scores on the whole dev set is a trial."""

    def __init__(self, tracker: Tracker, student: Any):
        self.tracker, self.student = tracker, student

    def on_valset_evaluated(self, event: dict) -> None:
        if event["num_examples_evaluated"] < event["total_valset_size"]:
            return  # a partial (sampled) dev evaluation is not comparable
        cand = dict(event["candidate"])
        self.tracker.trial(float(event["average_score"]), lambda: with_instructions(self.student, cand))


def eval_events(tracker: Tracker) -> Any:
    """DSPy callback: every `Evaluate` call over the whole dev set is a trial (MIPROv2 and
    random search score candidates that way; minibatch evaluations are not counted)."""
    from dspy.utils.callback import BaseCallback

    class EvalEvents(BaseCallback):
        def __init__(self) -> None:
            self.open: dict[str, tuple[Any, int]] = {}

        def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
            devset = inputs.get("devset") or instance.devset
            self.open[call_id] = (inputs.get("program"), len(devset or []))

        def on_evaluate_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
            program, n = self.open.pop(call_id, (None, 0))
            if outputs is None or program is None or n != tracker.dev_size or not outputs.results:
                return
            score = sum(float(r[2]) for r in outputs.results) / len(outputs.results)
            snapshot = program.deepcopy()  # the optimiser may mutate its candidate later
            tracker.trial(score, lambda: snapshot)

    return EvalEvents()


@dataclass
class Plan:
    optimizer: str
    budget: str
    knobs: dict[str, Any]
    threads: int
    seed: int


def compile_program(plan: Plan, student: Any, train: list, dev: list, *, metric: Callable[..., Any],
                    task_lm: Any, reflection_lm: Any, tracker: Tracker) -> Any:
    """Run the optimiser; returns the optimised program. `metric` is the feedback metric."""
    import dspy

    fb = counted(metric, tracker)
    k = plan.knobs
    if plan.optimizer == "gepa":
        opt = dspy.GEPA(metric=fb, reflection_lm=reflection_lm, num_threads=plan.threads, seed=plan.seed,
                        track_stats=False, gepa_kwargs={"callbacks": [GEPAEvents(tracker, student)]}, **k)
        with dspy.context(lm=task_lm):
            return opt.compile(student, trainset=train, valset=dev)
    number = as_number(fb)
    with dspy.context(lm=task_lm, callbacks=[eval_events(tracker)]):
        if plan.optimizer == "mipro":
            opt = dspy.MIPROv2(metric=number, prompt_model=reflection_lm, task_model=task_lm,
                               num_threads=plan.threads, seed=plan.seed, verbose=False, track_stats=False,
                               metric_threshold=DEMO_THRESHOLD, **k)
            return opt.compile(student, trainset=train, valset=dev, seed=plan.seed)
        # random search seeds its candidates itself (-3..n); ours decides the trainset order
        train = list(train)
        random.Random(plan.seed).shuffle(train)
        opt = dspy.BootstrapFewShotWithRandomSearch(metric=number, num_threads=plan.threads,
                                                    metric_threshold=DEMO_THRESHOLD, **k)
        return opt.compile(student, trainset=train, valset=dev)
