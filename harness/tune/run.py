"""`harness tune`: optimise a review program on train, select on dev, save it with its lineage.

Flow: load train and dev (never test: `TuneCases`), score the base program on dev, run the
optimiser with a tracker, score the result on dev, save the program (DSPy JSON state under
its content hash) with its lineage, and record the tune run and its trials. Model calls go
through the project's LM layer (`harness.lm.ModelClient`: cache, retries, cost) unless a test
passes its own `lm_factory`. Ctrl-C during optimisation saves the best candidate seen so far,
marked `interrupted`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from pydantic import BaseModel, Field

from harness.core.defaults import DEFAULT_CONCURRENCY
from harness.core.errors import HarnessError
from harness.core.hashing import content_hash
from harness.store import Store
from harness.tune.cases import TuneCases
from harness.tune.optimizers import METRICS, Plan, Tracker, compile_program, knobs

# (model, role 'task' | 'reflection') -> (a dspy LM, an object counting its calls: model_calls,
# cache_hits, input_tokens, output_tokens, cost, spent)
LMFactory = Callable[[str, str], tuple[Any, Any]]

_USAGE = ("model_calls", "cache_hits", "input_tokens", "output_tokens", "cost", "spent")


class TuneOptions(BaseModel):
    program: str = "cot"
    task: str = "review"  # review | consolidate (harness.tune.consolidate)
    with_diff: bool = False  # consolidate: the reviewed change is part of the input
    optimizer: str = "gepa"
    model: str
    reflection_model: str | None = None  # default: the task model
    budget: str = "light"
    metric: str = "f1"
    seed: int = 0
    split_name: str = "default"
    api_base: str | None = None
    threads: int = 4
    max_metric_calls: int | None = None  # GEPA only: overrides the budget preset
    train_limit: int | None = None
    dev_limit: int | None = None
    name: str | None = None  # label of the saved program (default base-optimizer-budget)


class TuneProgress(BaseModel):
    phase: str  # baseline | optimising | final | saving
    trials: int = 0
    best: float | None = None
    metric_calls: int = 0
    model_calls: int = 0
    cost: float = 0.0


class TuneResult(BaseModel):
    tune_id: str
    status: str  # complete | interrupted
    program_hash: str | None = None
    program: str | None = None  # saved:HASH, for `harness bench --program`
    name: str | None = None
    lineage: dict[str, Any] = Field(default_factory=dict)


def client_lm_factory(cache: Any, *, api_base: str | None = None, timeout: float = 120.0,
                      concurrency: int = DEFAULT_CONCURRENCY) -> LMFactory:
    """LMs through the project's LM layer; reflection runs at temperature 1 (GEPA's advice:
    varied proposals), the task model at 0 so that re-evaluations hit the model-call cache."""

    def make(model: str, role: str) -> tuple[Any, Any]:
        from harness.core.runs import CallStats
        from harness.lm import ModelClient, ModelSettings

        settings = ModelSettings(model=model, api_base=api_base, timeout=timeout, concurrency=concurrency,
                                 temperature=1.0 if role == "reflection" else 0.0)
        stats = CallStats()
        return ModelClient(settings, cache).lm(epoch=0, stats=stats), stats

    return make


def _usage(stats: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: 0 for k in _USAGE}
    for s in stats:
        for k in _USAGE:
            out[k] += getattr(s, k, 0) or 0
    return out


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """DSPy, GEPA and optuna print progress bars and chatter, some on stdout (which `--json`
    owns): swallow both streams and their loggers' warnings while tuning; our own progress
    bar (a console bound to the real stderr before this) reports instead. Errors still raise."""
    names = ("dspy", "gepa", "optuna")
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        # a sink, not a buffer: a long GEPA run redraws its bars thousands of times
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        for n, lvl in levels.items():
            logging.getLogger(n).setLevel(lvl)


def dev_score(program: Any, dev: list, metric: Callable[..., Any], lm: Any, threads: int) -> float:
    """Mean per-report metric of `program` on dev (a failed case scores 0)."""
    import dspy

    from harness.tune.optimizers import as_number

    evaluate = dspy.Evaluate(devset=dev, metric=as_number(metric), num_threads=threads,
                             display_progress=False, display_table=False, max_errors=len(dev) + 1)
    with dspy.context(lm=lm):
        res = evaluate(program)
    return sum(float(r[2]) for r in res.results) / len(res.results) if res.results else 0.0


def preflight(program: Any, example: Any, lm: Any) -> None:
    """One dev case outside the optimiser, whose evaluators count a dead endpoint or a missing
    key as a zero score and go on: such errors end the tune here, with their own message."""
    import dspy

    from harness.benchmark.programs import run_program
    from harness.lm import model_error_in

    try:
        with dspy.context(lm=lm):
            run_program(program, dict(example.inputs()))  # parse failures are outcomes, not errors
    except Exception as exc:
        me = model_error_in(exc)
        if me is not None:
            raise me from exc
        raise


def clean_demos(program: Any) -> Any:
    """Keep only signature fields in demos: labeled demos carry the example's gold and ids."""
    import dspy

    for _, pred in program.named_predictors():
        keep = set(pred.signature.fields) | {"augmented"}
        pred.demos = [dspy.Example({k: v for k, v in d.items() if k in keep}) for d in pred.demos]
    return program


def tune(store: Store, opts: TuneOptions, *, lm_factory: LMFactory | None = None,
         progress: Callable[[TuneProgress], None] | None = None,
         cases: TuneCases | None = None) -> TuneResult:
    """Tune `opts.program`; model calls through the project's LM layer (its model-call cache in
    this store) unless `lm_factory` is given."""
    if lm_factory is not None:
        return _tune(store, opts, lm_factory, progress, cases)
    from harness.store.runs import RunWriter

    writer = RunWriter(store)  # the model-call cache the runner uses: tuning calls are reusable
    try:
        return _tune(store, opts, client_lm_factory(writer, api_base=opts.api_base, concurrency=opts.threads),
                     progress, cases)
    finally:
        writer.close()


def _tune(store: Store, opts: TuneOptions, make: LMFactory, progress: Callable[[TuneProgress], None] | None,
          cases: TuneCases | None) -> TuneResult:
    import scorers
    from harness.benchmark.programs import get_program, program_hash, save_program
    from harness.store import programs as sql

    from harness.benchmark.consolidate.run import check_program, check_task

    check_task(opts.task)
    metrics = METRICS
    if opts.task == "consolidate":
        from harness.tune import consolidate

        metrics = consolidate.METRICS
    if opts.metric not in metrics:
        raise HarnessError(f"unknown metric {opts.metric!r} for the {opts.task} task", hint=f"use {', '.join(metrics)}")
    check_program(store, opts.program, opts.task)
    if opts.threads < 1:
        raise HarnessError("--concurrency must be at least 1")
    plan = Plan(opts.optimizer, opts.budget, knobs(opts.optimizer, opts.budget, opts.max_metric_calls),
                opts.threads, opts.seed)
    cases = cases or TuneCases(store, opts.split_name, task=opts.task, with_diff=opts.with_diff)
    split_seed, split_hash = cases.split_info()
    train = cases.examples("train", opts.train_limit)
    dev = cases.examples("dev", opts.dev_limit)
    for split, got in (("train", train), ("dev", dev)):
        if not got:
            raise HarnessError(f"no runnable {split} cases in split {opts.split_name!r}",
                               hint="`harness dataset build --repo PATH` materialises the reviewed diffs; "
                                    "`harness dataset show --reasons` says why cases are missing")
    student = get_program(opts.program, store=store)
    base_hash = program_hash(student)
    reflection_model = opts.reflection_model or opts.model
    task_lm, task_stats = make(opts.model, "task")
    refl_lm, refl_stats = make(reflection_model, "reflection")
    stats = [task_stats] if refl_stats is task_stats else [task_stats, refl_stats]
    metric = (consolidate.metric(metric=opts.metric) if opts.task == "consolidate"
              else scorers.dspy_metric(metric=opts.metric))

    tune_id = content_hash({"opts": opts.model_dump(), "nonce": uuid.uuid4().hex}, 16)
    started = datetime.now(timezone.utc)
    name = opts.name or f"{student.program_name}-{opts.optimizer}-{opts.budget}"
    sql.create_tune_run(store, {
        "tune_id": tune_id, "name": name, "base_program": opts.program, "base_hash": base_hash,
        "optimizer": opts.optimizer, "budget": opts.budget, "metric": opts.metric, "model": opts.model,
        "reflection_model": reflection_model if opts.optimizer != "bootstrap" else None,
        "split_name": opts.split_name, "split_seed": split_seed, "split_hash": split_hash, "seed": opts.seed,
        "train_cases": len(train), "dev_cases": len(dev), "status": "running", "options": plan.knobs})

    phase = "baseline"

    def report(t: Tracker) -> None:
        if progress:
            u = _usage(stats)
            progress(TuneProgress(phase=phase, trials=t.trials, best=t.best_score, metric_calls=t.metric_calls,
                                  model_calls=u["model_calls"], cost=u["cost"]))

    tracker = Tracker(dev_size=len(dev), on_change=report,
                      on_trial=lambda n, s, b: sql.put_trial(store, tune_id, n, s, b))
    status, message = "complete", None
    dev_before = dev_after = None
    try:
        with _quiet():
            report(tracker)
            preflight(student, dev[0], task_lm)
            dev_before = dev_score(student, dev, metric, task_lm, opts.threads)
            phase = "optimising"
            try:
                optimised = compile_program(plan, student, train, dev, metric=metric, task_lm=task_lm,
                                            reflection_lm=refl_lm, tracker=tracker)
            except KeyboardInterrupt:
                status, message = "interrupted", "interrupted: kept the best candidate scored on dev"
                optimised = tracker.best_program()
                dev_after = tracker.best_score
            if status == "complete":
                phase = "final"
                report(tracker)
                dev_after = dev_score(optimised, dev, metric, task_lm, opts.threads)
    except BaseException as exc:  # before optimising, or while scoring the result: nothing to keep
        failed = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        sql.finish_tune_run(store, tune_id, status=failed, message=_one_line(exc), program_hash=None,
                            dev_before=dev_before, dev_after=None,
                            totals={**_usage(stats), "trials": tracker.trials, "metric_calls": tracker.metric_calls})
        raise
    phase = "saving"
    report(tracker)
    usage = {**_usage(stats), "trials": tracker.trials, "metric_calls": tracker.metric_calls}
    lineage = {
        "tune_id": tune_id, "name": name, "status": status, "task": opts.task, "base_program": opts.program, "base_hash": base_hash,
        "optimizer": opts.optimizer, "budget": opts.budget, "options": plan.knobs, "metric": opts.metric,
        "model": opts.model, "reflection_model": reflection_model if opts.optimizer != "bootstrap" else None,
        "split": {"name": opts.split_name, "seed": split_seed, "hash": split_hash},
        "seed": opts.seed, "train_cases": len(train), "dev_cases": len(dev),
        "dev_before": dev_before, "dev_after": dev_after, **usage,
        "started_at": started.isoformat(), "finished_at": datetime.now(timezone.utc).isoformat(),
    }
    if optimised is None:  # interrupted before any candidate was scored
        sql.finish_tune_run(store, tune_id, status=status, message="interrupted before any candidate was scored",
                            program_hash=None, dev_before=dev_before, dev_after=None, totals=usage)
        return TuneResult(tune_id=tune_id, status=status, lineage=lineage)
    optimised.program_config = getattr(student, "program_config", {})
    h = save_program(store, clean_demos(optimised), name, lineage)
    sql.finish_tune_run(store, tune_id, status=status, message=message, program_hash=h, dev_before=dev_before,
                        dev_after=dev_after, totals=usage)
    return TuneResult(tune_id=tune_id, status=status, program_hash=h, program=f"saved:{h}", name=name,
                      lineage=lineage)


def _one_line(exc: BaseException) -> str:
    """The stored reason of a failed tune (provider errors can echo credentials: redacted)."""
    from harness.core.secrets import redact

    if isinstance(exc, HarnessError):
        return redact(exc.one_line())
    text = " ".join(str(exc).split())[:300]
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
