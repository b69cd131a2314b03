"""`run_bench`: a review program (or a replayed reviewer) over a split of the gold set.

Execution: a thread per in-flight case (DSPy programs and litellm's client are synchronous),
at most `concurrency` cases in flight, on a pool renewed every ROTATE_AFTER cases (so that the
threads' malloc caches go back: harness/benchmark/workers.py); model calls additionally pass
the adaptive limiter (harness.lm), which shrinks on 429s. Each finished case is written by the
main thread, in one transaction with its predictions (batched by the run's writer), so a
killed run keeps whole cases only, and `resume` runs the rest, plus the cases that ended in
error (they left no result): every case is scored exactly once.

Failure policy: a parse failure (garbage, schema-breaking JSON, empty or truncated answer)
is an outcome, scored as an empty review with the raw answer kept; a case whose model calls
failed for good is an error with its reason (and its kind). A run whose cases all ran ends
'complete', or 'complete_with_errors' when some errored or failed to parse (`harness bench` exits
1 when there are more of those than --max-errors). After more than max(max_errors,
STOP_AFTER_ERRORS) errors no new case starts and the run ends 'failed'; a fatal model error
(unknown model, missing key, endpoint down) stops the run at once with that one-line message.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, Callable, Iterator, Protocol

from pydantic import BaseModel, ValidationError

from harness.benchmark.workers import Workers
from harness.core.errors import HarnessError, Interrupted, ModelError
from harness.core.hashing import content_hash
from harness.core.models import Finding, Report
from harness.core.runs import (
    BenchResult, CallStats, CaseResult, CaseStatus, Metrics, RunConfig, RunStatus,
)
from harness.core.secrets import MASK, redact
from harness.store import Store
from scorers.base import Scorer


STOP_AFTER_ERRORS = 10  # a provider this broken is not worth more cases, whatever --max-errors says


class Outcome(BaseModel):
    """What a solver produced for one case, before scoring."""

    status: CaseStatus
    findings: list[Finding] = []
    raw: str | None = None
    error: str | None = None
    tool_calls: int = 0
    decisions: list[dict] | None = None  # consolidate task: one decision per original finding


class Progress(Protocol):
    def __call__(self, done: int, total: int, errors: int, spent: float | None) -> None: ...


class Solver(Protocol):
    """What produces a case's findings: a review program on a model, a replayed recorded review."""

    def solve(self, case: Any, report: Report, epoch: int, stats: CallStats) -> Outcome: ...


class FatalRunError(ModelError):
    """Every further case would fail the same way (see harness.lm.ModelCallError.fatal)."""


# -- solvers: produce findings for one case ------------------------------------------------


class ProgramSolver:
    def __init__(self, program: Callable[[], Any], client: Any):
        self._program = program  # built on first use: a fully memoised run never imports DSPy
        self._lock = threading.Lock()
        self.client = client

    @property
    def program(self) -> Any:
        with self._lock:
            return self._program()

    def solve(self, case: Any, report: Report, epoch: int, stats: CallStats) -> Outcome:
        if not case.runnable:
            return Outcome(status=CaseStatus.skipped, error=case.reason or f"input {case.status}")
        from harness.benchmark.programs import quiet_context, run_program

        with quiet_context(self.client.lm(epoch=epoch, stats=stats)):
            result = run_program(self.program, case.inputs)
        # a cut-off answer says so, whether or not its fragment happened to parse
        if stats.last_finish_reason == "length":
            return Outcome(status=CaseStatus.parse_failure, raw=stats.last_text,
                           error="answer truncated at max tokens (finish_reason=length)",
                           tool_calls=result.tool_calls)
        if result.status == "parse_error" and not result.findings:
            return Outcome(status=CaseStatus.parse_failure, raw=result.raw or stats.last_text,
                           error=result.error or "answer did not parse", tool_calls=result.tool_calls)
        # per_file / panel keep the findings of the parts that parsed; the failures are noted
        return Outcome(status=CaseStatus.ok, findings=result.findings, tool_calls=result.tool_calls,
                       raw=result.raw, error=result.error)


class ReplaySolver:
    def __init__(self, agent: str, parse: Callable[..., Any] | None = None):
        from harness.benchmark.replay import ReplayProvider

        self.agent = agent
        self.provider = ReplayProvider(agent)
        self.parse = parse

    def solve(self, case: Any, report: Report, epoch: int, stats: CallStats) -> Outcome:
        from harness.benchmark.replay import replay_findings
        from harness.core.errors import ParseError

        text = self.provider.answer(report)
        if text is None:
            return Outcome(status=CaseStatus.skipped, error=f"no recorded review by {self.agent}")
        stats.last_text = text
        try:
            findings = replay_findings(text, self.agent, self.parse)
        except ParseError as exc:
            return Outcome(status=CaseStatus.parse_failure, raw=text, error=exc.one_line())
        return Outcome(status=CaseStatus.ok, findings=findings)


# -- the run ---------------------------------------------------------------------------------


def _program_for(store: Store, model: str, program: str,
                 task: str = "review") -> tuple[Callable[[], Any] | None, str, str]:
    """(module factory or None for replay or an offline baseline, program name, program hash).

    The hash of a program whose code was seen before comes from the memo: building the module
    (and importing DSPy) waits for the first case that actually has to run it.
    """
    from harness.benchmark.replay import is_replay, replay_agent, replay_program_hash
    from harness.core.runs import replay_model

    if task == "consolidate":
        from harness.benchmark.consolidate.baselines import is_baseline
        from harness.benchmark.consolidate.run import baseline_hash

        if is_baseline(model):
            return None, model.strip().lower(), baseline_hash(model)
    elif is_replay(model):
        from harness.store.gold import reviewer_agents

        agent = replay_agent(model)
        from harness.benchmark.replay import agents_in_gold
        from harness.gold.parse.agents import Roster
        from harness.store.gold import iter_reports

        known = reviewer_agents(store)
        if not (any(k.lower() == agent.lower() for k in known)
                or Roster.from_labels(known).candidates(agent, strict=True)):
            names = agents_in_gold(list(iter_reports(store))) if known else []
            raise HarnessError(f"no recorded reviewer {agent!r} in the store",
                               hint=f"known: {', '.join(names)}" if names else "ingest reports first")
        return None, replay_model(agent), replay_program_hash(agent)
    from harness.benchmark.consolidate.run import check_program
    from harness.core import memo
    from harness.store.memo import memo_get_many, memo_put

    check_program(store, program, task)
    saved = None
    if program.startswith("saved:"):
        from harness.store.programs import find_program

        saved = find_program(store, program[len("saved:"):])["hash"]
    key = memo.program_key(program, saved)
    built: list[Any] = []

    def module() -> Any:
        if not built:
            from harness.benchmark.programs import get_program

            built.append(get_program(program, store=store))
        return built[0]

    known = memo_get_many(store, [key]).get(key)
    if known is not None:
        return module, program, known["hash"]
    from harness.benchmark.programs import program_hash

    phash = program_hash(module())
    memo_put(store, key, "program", {"hash": phash})
    return module, program, phash


_EXECUTION = ("concurrency", "timeout", "max_errors", "max_retries", "price_in", "price_out", "price_cached")


def _in_window(store: Store, ids: list[str], cfg: RunConfig) -> list[str]:
    """The report ids dated in [cfg.since, cfg.until] (all without a window), then --limit."""
    if not (cfg.since or cfg.until):
        return ids
    from harness.store.gold import ids_between

    keep = ids_between(store, cfg.since, cfg.until)
    ids = [i for i in ids if i in keep]
    if not ids:
        raise HarnessError(f"no report of split {cfg.split!r} is dated between {cfg.since or 'the first'} and "
                           f"{cfg.until or 'the last'}", hint="see `harness reports` for the dates")
    return ids[:cfg.limit] if cfg.limit is not None else ids


def run_bench(
    store: Store,
    config: RunConfig | None = None,
    *,
    resume: str | None = None,
    progress: Progress | None = None,
    score_fn: Scorer | None = None,
    parse: Callable[..., Any] | None = None,
    backoff_s: float = 0.5,
    **settings: Any,
) -> BenchResult:
    """Run (or resume) a benchmark and return its totals; every finished case is scored and stored
    as it ends.

    `config` says what to run (RunConfig holds every default); keyword `settings` are RunConfig
    fields, a shorthand for `RunConfig(**settings)` (or, with `resume`, the execution settings
    to change). `score_fn` replaces the named scorer (tests); its name and args are recorded.
    """
    from harness.store import runs as sql

    if settings.get("program") is None:  # not given: the task's default program
        settings.pop("program", None)
    if config is None and not resume and not settings.get("model"):
        raise HarnessError("--model is required (or --resume RUN_ID)")
    try:
        given = config.model_copy(update=settings) if config is not None else (
            None if resume else RunConfig.model_validate(settings))
        if given is not None:
            given = RunConfig.model_validate(given.model_dump())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise HarnessError(f"bad run setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    if given is not None and given.task != "review":
        from harness.benchmark.consolidate.run import DEFAULT_PROGRAM, SCORER, check_task

        check_task(given.task)
        given = given.model_copy(update={
            "program": DEFAULT_PROGRAM if "program" not in settings and given.program == "single" else given.program,
            "scorer": SCORER if given.scorer == "default" else given.scorer})
    elif given is not None:
        from harness.benchmark.consolidate.run import check_task

        check_task(given.task)
    api_base: str | None
    store.share()  # other processes read the run (and the store) between our short uses of it
    if resume:
        run = sql.get_run(store, resume)
        run_id = run["run_id"]
        stored = RunConfig.model_validate(run["config"])
        # execution settings may change on resume (a slower network, a smaller quota); results don't
        # the budget is this attempt's (resume with a higher --max-cost); prices only when given again
        update = {k: settings[k] for k in _EXECUTION if settings.get(k) is not None}
        update["max_cost"] = settings.get("max_cost")
        cfg = stored.model_copy(update=update)
        api_base = settings.get("api_base") or (config.api_base if config is not None else None)
        if not api_base and stored.api_base and MASK in stored.api_base:
            raise HarnessError(f"run {run_id} was started with credentials in --api-base (stored redacted)",
                               hint="pass --api-base again to resume")
        api_base = api_base or stored.api_base
        _check_settings(cfg)
        module, _, phash = _program_for(store, cfg.model, cfg.program, cfg.task)
        if phash != cfg.program_hash:
            raise HarnessError(f"run {run_id}: program {cfg.program!r} changed since the run started",
                               hint="start a new run instead of resuming")
        scorer = score_fn or _scorer_for(store, cfg.scorer, cfg.scorer_args)
    else:
        assert given is not None
        _check_settings(given)
        from harness.core.models import check_date

        given = given.model_copy(update={"since": check_date(given.since, "--since"),
                                          "until": check_date(given.until, "--until")})
        api_base = given.api_base
        module, name, phash = _program_for(store, given.model, given.program, given.task)
        scorer = score_fn or _scorer_for(store, given.scorer, given.scorer_args)
        cfg = given.model_copy(update={"program": name, "program_hash": phash, "scorer": scorer.name,
                                       "scorer_args": dict(scorer.args),
                                       "api_base": redact(api_base) if api_base else None})
        run_id = content_hash({"config": cfg.identity(), "nonce": uuid.uuid4().hex}, 16)

    price = None
    if module is not None:
        from harness.lm.prices import resolve_price

        price = resolve_price(cfg.model, cfg.price_in, cfg.price_out, cfg.price_cached)
        if cfg.max_cost is not None and price is None:
            raise HarnessError(f"--max-cost needs a price: {cfg.model} has none in litellm's table or the config",
                               hint="pass --price-in and --price-out (USD per million tokens)")
    window = cfg.since or cfg.until
    preloaded: dict[str, Any] | None = None
    if cfg.task == "consolidate":  # a few dozen cases, all loaded: the solver and scorer need their fates
        from harness.benchmark.consolidate.cases import load_consolidate_cases

        preloaded = {c.report_id: c for c in load_consolidate_cases(
            store, cfg.split, None if window else cfg.limit, with_diff=cfg.with_diff)}
        ids = _in_window(store, list(preloaded), cfg)
    else:  # streamed by CaseFeed: only the ids are held up front
        from harness.benchmark.dataset import case_ids

        ids = _in_window(store, case_ids(store, cfg.split, None if window else cfg.limit), cfg)
    planned = [(rid, e) for rid in ids for e in range(cfg.epochs)]
    if resume:
        sql.forget_errors(store, run_id)  # errors left no result: a resume retries them
        done = sql.finished_cases(store, run_id)
        sql.mark_running(store, run_id)
    else:
        done = set()
        sql.create_run(store, run_id, cfg, len(planned))
    sql.set_price_source(store, run_id, "free (recorded reviews)" if module is None else
                         price.source if price is not None else None)
    todo = [(rid, e) for rid, e in planned if (rid, e) not in done]
    del planned, ids

    writer = sql.RunWriter(store)

    def client() -> Any:
        from harness.lm import ModelClient, ModelSettings

        settings_ = ModelSettings(model=cfg.model, api_base=api_base, temperature=cfg.temperature,
                                  max_tokens=cfg.max_tokens, timeout=cfg.timeout, max_retries=cfg.max_retries,
                                  concurrency=cfg.concurrency, backoff_s=backoff_s, price_in=cfg.price_in,
                                  price_out=cfg.price_out, price_cached=cfg.price_cached)
        return ModelClient(settings_, writer)

    golds: dict[str, Any] = {}  # filled a chunk at a time by the feed, emptied as cases are stored
    decide = None
    if preloaded is not None:
        from harness.benchmark.consolidate import run as consolidate
        from harness.gold.build import fates_by_report
        from harness.store.gold import iter_reports

        reports = {r.id: r for r in iter_reports(store, list(preloaded))}
        fates = fates_by_report(store, list(reports))
        solver: Solver = consolidate.make_solver(cfg.model, module, client, reports, fates, Outcome)
        decide = consolidate.score_fn(fates, preloaded, **cfg.scorer_args)
    elif module is None:
        from harness.benchmark.replay import replay_agent

        solver = ReplaySolver(replay_agent(cfg.model), parse)
    else:
        solver = ProgramSolver(module, client())
    # a program run is memoised; replaying a recorded review is cheap to redo
    from harness.benchmark.feed import CaseFeed

    feed = CaseFeed(store, cfg, todo, golds, preloaded=preloaded,
                    memoise=module is not None and score_fn is None)
    del todo

    t0 = time.perf_counter()
    try:
        budget = None
        if cfg.max_cost is not None and price is not None:
            from harness.benchmark.costs import Budget

            budget = Budget(cfg.max_cost, price, sql.case_totals(store, run_id))
        status, message = _execute(store, writer, run_id, solver, CaseScorer(scorer, golds, decide), feed, cfg,
                                   progress, done=len(done), total=feed.total + len(done), budget=budget)
    except KeyboardInterrupt:
        with _finishing():
            writer.close()
            store.unshare()
            finished = len(sql.finished_cases(store, run_id))
        raise Interrupted(f"interrupted after {finished} of {feed.total + len(done)} cases; "
                          f"resume with `harness bench --resume {run_id}`") from None
    finally:
        with _finishing():
            writer.close()
            store.unshare()
    with _finishing():
        if status == RunStatus.complete:
            t = sql.case_totals(store, run_id)
            if t["errors"] or t["parse_failures"]:
                status = RunStatus.complete_with_errors
        _finish(store, run_id, cfg, status, message, time.perf_counter() - t0)
        return bench_result(store, run_id)


@contextmanager
def _finishing() -> Iterator[None]:
    """Ctrl-C waits while the last batch and the run's totals are written: a second press there
    would leave the run half-closed (stored cases without their run's status and totals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_settings(cfg: RunConfig) -> None:
    if cfg.concurrency < 1 or cfg.epochs < 1 or cfg.max_errors < 0:
        raise HarnessError("--concurrency and --epochs must be at least 1, --max-errors at least 0")


def _scorer_for(store: Store, name: str, args: dict[str, Any]) -> Scorer:
    from harness.benchmark.case_score import LEGACY_ARGS, make_scorer

    return make_scorer(name, args or LEGACY_ARGS, store)


class CaseScorer:
    """The run's scorer with the gold of every report of the run (built once, before any case)."""

    def __init__(self, scorer: Scorer, golds: dict[str, Any], decide: Callable[..., Any] | None = None):
        self.scorer = scorer
        self.golds = golds
        self.decide = decide  # consolidate task: scores the findings with the decisions

    def __call__(self, report: Report, findings: list[Finding], decisions: list[dict] | None = None
                 ) -> tuple[Any, str, list[dict]]:
        """(the case's ScoreResult, the gold's hash, scored decisions of a consolidate case)."""
        from harness.benchmark.case_score import score_case

        gold = self.golds[report.id]
        if decisions is not None and self.decide is not None:
            result, rows = self.decide(report, findings, decisions)
            return result, gold.gold_hash(), rows
        return score_case(self.scorer, gold, findings), gold.gold_hash(), []


def _finish(store: Store, run_id: str, cfg: RunConfig, status: RunStatus, message: str | None,
            wall_add_s: float) -> None:
    """Close the run with its totals: the headline metrics come from the run's own scored view."""
    import scorers
    from harness.store import runs as sql
    from harness.store.scores import view_counts

    c = view_counts(store, run_id, cfg.scorer, scorers.args_hash(cfg.scorer_args))
    m = scorers.metrics_from_counts(c, bool(cfg.scorer_args.get("strict", True)))
    metrics = Metrics(precision=m.get("precision"), recall=m.get("recall"), f1=m.get("f1"),
                      tp=int(c["tp"]), fp=int(c["fp"]), fn=int(c["fn"]), recall_weighted=m.get("recall_weighted"),
                      recall_fixed=m.get("recall_fixed")) if c["cases"] else Metrics()
    sql.finish_run(store, run_id, status, message, wall_add_s, metrics.model_dump())


def _execute(store: Store, writer: Any, run_id: str, solver: Solver, score_fn: CaseScorer, feed: Any,
             cfg: RunConfig, progress: Progress | None, *, done: int, total: int,
             budget: Any = None) -> tuple[RunStatus, str | None]:
    from harness.core.memo import replay
    from harness.store import runs as sql

    from harness.lm.prices import add_cost

    prior = sql.case_totals(store, run_id)
    errors, spent = int(prior["errors"]), prior["spent"]
    stop = threading.Event()
    over_budget: list[str] = []  # why scheduling stopped at --max-cost

    def one(case: Any, report: Report, epoch: int, memo_key: str | None) -> tuple[CaseResult, str | None]:
        if stop.is_set():
            raise _Cancelled()
        return run_case(run_id, solver, score_fn, case, report, epoch), memo_key

    pending = iter(feed)
    in_flight: set[Future] = set()
    status, message = RunStatus.complete, None
    if progress:
        progress(done, total, errors, spent)

    def finish(result: CaseResult, memo_key: str | None) -> None:
        nonlocal done, spent, errors, status, message
        writer.case(result, memo_key)
        feed.finished(result.report_id)  # the last case of its report releases the report and its gold
        done += 1
        spent = add_cost(spent, result.stats.spent)
        if budget is not None:
            budget.finished((result.report_id, result.epoch), result.stats)
        if result.status == CaseStatus.error:
            errors += 1
            if errors > max(cfg.max_errors, STOP_AFTER_ERRORS) and not stop.is_set():
                stop.set()
                status = RunStatus.failed
                message = (f"stopped after {errors} case errors (more than "
                           f"{max(cfg.max_errors, STOP_AFTER_ERRORS)}); last: {result.error}")
        if progress:
            progress(done, total, errors, spent)

    pool = Workers(cfg.concurrency)  # renewed every ROTATE_AFTER cases: see harness/benchmark/workers.py
    try:
        def fill() -> None:
            while not stop.is_set() and not over_budget and len(in_flight) < cfg.concurrency:
                nxt = next(pending, None)
                if nxt is None:
                    return
                case, report, epoch, memo_key, hit = nxt
                if hit is not None:  # memoised: this case's stored result, no DSPy, no scoring
                    finish(replay(hit, run_id), None)
                    continue
                if budget is not None and getattr(case, "runnable", True):
                    refusal = budget.start((case.report_id, epoch), case)
                    if refusal is not None:  # spent + in flight + this case would pass --max-cost
                        over_budget.append(refusal)
                        return
                in_flight.add(pool.submit(one, case, report, epoch, memo_key))

        fill()
        while in_flight:
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in finished:
                in_flight.discard(fut)
                try:
                    result, memo_key = fut.result()
                except _Cancelled:
                    continue
                except FatalRunError as exc:
                    stop.set()
                    status, message = RunStatus.failed, exc.one_line()
                    continue
                finish(result, memo_key)
            fill()
    except BaseException as exc:  # KeyboardInterrupt, or a bug: what finished stays stored
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        with _finishing():
            writer.close()
            _finish(store, run_id, cfg, RunStatus.interrupted, f"interrupted: {type(exc).__name__}", 0.0)
        raise
    pool.shutdown(wait=True)
    if over_budget and status == RunStatus.complete:
        status, message = RunStatus.interrupted, over_budget[0]
    return status, message


class _Cancelled(Exception):
    pass


def run_case(run_id: str, solver: Solver, score_fn: CaseScorer, case: Any, report: Report, epoch: int) -> CaseResult:
    """One case: solve, classify failures, score. Raises FatalRunError only."""
    from harness.lm import model_error_in

    stats = CallStats()
    t0 = time.perf_counter()
    try:
        out = solver.solve(case, report, epoch, stats)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the case's recorded reason
        me = model_error_in(exc)
        if me is not None and me.fatal:
            raise FatalRunError(me.one_line()) from exc
        reason = me.one_line() if me is not None else f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        out = Outcome(status=CaseStatus.error, error=reason, raw=stats.last_text)
        kind = me.kind if me is not None else type(exc).__name__
    else:
        kind = "parse_failure" if out.status == CaseStatus.parse_failure else None
    res = CaseResult(run_id=run_id, report_id=case.report_id, epoch=epoch, status=out.status, error=out.error,
                     error_kind=kind,
                     raw_response=out.raw if out.status != CaseStatus.ok or out.error else None, stats=stats,
                     tool_calls=out.tool_calls)
    if out.status in (CaseStatus.ok, CaseStatus.parse_failure):
        findings = out.findings if out.status == CaseStatus.ok else []
        res.findings = findings
        decisions = None if out.decisions is None else (out.decisions if out.status == CaseStatus.ok else [])
        res.score, res.gold_hash, res.decisions = score_fn(report, findings, decisions)
    res.duration_s = time.perf_counter() - t0
    return res


def bench_result(store: Store, run_id: str) -> BenchResult:
    from harness.store import runs as sql

    run = sql.get_run(store, run_id)
    t = sql.case_totals(store, run["run_id"])
    task = (run["config"] or {}).get("task") or "review"
    metrics = Metrics.model_validate(run["metrics"] or {})
    if task == "consolidate":
        from harness.benchmark.consolidate.metrics import run_metrics

        metrics = run_metrics(store, run["run_id"], metrics)
    return BenchResult(task=task,
        run_id=run["run_id"], status=RunStatus(run["status"]), message=run["message"], model=run["model"],
        program=run["program"], program_hash=run["program_hash"], split=run["split"], cases=run["cases"],
        finished=t["finished"], scored=t["scored"], parse_failures=t["parse_failures"], errors=t["errors"],
        skipped=t["skipped"], model_calls=t["model_calls"], cache_hits=t["cache_hits"], retries=t["retries"],
        input_tokens=t["input_tokens"], output_tokens=t["output_tokens"], cost=t["cost"], spent=t["spent"],
        cached_input_tokens=t["cached_input_tokens"], price_source=run.get("price_source"),
        wall_s=run["wall_s"], metrics=metrics,
        error_kinds=sql.error_kinds(store, run["run_id"]),
    )
