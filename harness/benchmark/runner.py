"""`run_bench`: a review program (or a replayed reviewer) over a split of the gold set.

Execution: a thread per in-flight case (DSPy programs and litellm's client are synchronous),
at most `concurrency` cases in flight; model calls additionally pass the adaptive limiter
(harness.lm), which shrinks on 429s. Each finished case is written by the main thread, in
one transaction with its predictions (batched by the run's writer), so a killed run keeps
whole cases only, and `resume` runs the rest, plus the cases that ended in error (they left
no result): every case is scored exactly once.

Failure policy: a parse failure (garbage, schema-breaking JSON, empty or truncated answer)
is an outcome, scored as an empty review with the raw answer kept; a case whose model calls
failed for good is an error with its reason (and its kind). A run whose cases all ran ends
'complete', or 'complete_with_errors' when some errored or failed to parse (`harness bench` exits
1 when there are more of those than --max-errors). After more than max(max_errors,
STOP_AFTER_ERRORS) errors no new case starts and the run ends 'failed'; a fatal model error
(unknown model, missing key, endpoint down) stops the run at once with that one-line message.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterator, Protocol

from pydantic import BaseModel

from harness.benchmark.case_score import ScoreFn
from harness.core.defaults import DEFAULT_CONCURRENCY
from harness.core.errors import HarnessError, Interrupted, ModelError
from harness.core.hashing import content_hash
from harness.core.models import Finding, Report
from harness.core.runs import (
    BenchResult, CallStats, CaseResult, CaseStatus, Metrics, RunConfig, RunStatus,
)
from harness.core.secrets import MASK, redact
from harness.store import Store


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
    def __call__(self, done: int, total: int, errors: int, spent: float) -> None: ...


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
        import dspy

        from harness.benchmark.programs import run_program
        # no DSPy history: it would keep every prompt of a long run in memory (and costs a uuid4 per call)
        with dspy.context(lm=self.client.lm(epoch=epoch, stats=stats), disable_history=True):
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
    from harness.store import runs as sql

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

    known = sql.memo_get_many(store, [key]).get(key)
    if known is not None:
        return module, program, known["hash"]
    from harness.benchmark.programs import program_hash

    phash = program_hash(module())
    sql.memo_put(store, key, "program", {"hash": phash})
    return module, program, phash


def _in_window(store: Store, cases: list, cfg: RunConfig) -> list:
    """The cases whose report is dated in [cfg.since, cfg.until] (all without a window), then --limit."""
    if not (cfg.since or cfg.until):
        return cases
    from harness.store.gold import ids_between

    keep = ids_between(store, cfg.since, cfg.until)
    cases = [c for c in cases if c.report_id in keep]
    if not cases:
        raise HarnessError(f"no report of split {cfg.split!r} is dated between {cfg.since or 'the first'} and "
                           f"{cfg.until or 'the last'}", hint="see `harness reports` for the dates")
    return cases[:cfg.limit] if cfg.limit is not None else cases


def run_bench(
    store: Store,
    *,
    model: str | None = None,
    program: str | None = None,
    split: str = "test",
    limit: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    epochs: int = 1,
    timeout: float = 120.0,
    max_errors: int = 10,
    temperature: float | None = 0.0,
    max_tokens: int | None = None,
    api_base: str | None = None,
    scorer: str = "default",
    max_retries: int = 4,
    resume: str | None = None,
    progress: Progress | None = None,
    score_fn: ScoreFn | None = None,
    parse: Callable[..., Any] | None = None,
    backoff_s: float = 0.5,
    task: str = "review",
    with_diff: bool = False,
    since: str | None = None,
    until: str | None = None,
) -> BenchResult:
    """Run (or resume) a benchmark and return its totals; every finished case is stored as it ends.

    `task`: `review` (a program reviews the diff) or `consolidate` (a consolidator, or an offline
    baseline named by `model`, consolidates the reviewers' findings: harness.benchmark.consolidate)."""
    from harness.benchmark.consolidate.run import DEFAULT_PROGRAM, SCORER, check_task
    from harness.store import runs as sql

    check_task(task)
    if program is None:
        program = DEFAULT_PROGRAM if task == "consolidate" else "single"
    if task == "consolidate" and scorer == "default":
        scorer = SCORER
    if concurrency < 1 or epochs < 1 or max_errors < 0:
        raise HarnessError("--concurrency and --epochs must be at least 1, --max-errors at least 0")
    if resume:
        run = sql.get_run(store, resume)
        run_id = run["run_id"]
        stored = RunConfig.model_validate(run["config"])
        # execution settings may change on resume (a slower network, a smaller quota); results don't
        cfg = stored.model_copy(update={"concurrency": concurrency, "timeout": timeout,
                                        "max_errors": max_errors, "max_retries": max_retries})
        if not api_base and stored.api_base and MASK in stored.api_base:
            raise HarnessError(f"run {run_id} was started with credentials in --api-base (stored redacted)",
                               hint="pass --api-base again to resume")
        api_base = api_base or stored.api_base
        module, _, phash = _program_for(store, cfg.model, cfg.program, cfg.task)
        if phash != cfg.program_hash:
            raise HarnessError(f"run {run_id}: program {cfg.program!r} changed since the run started",
                               hint="start a new run instead of resuming")
    else:
        if not model:
            raise HarnessError("--model is required (or --resume RUN_ID)")
        from harness.core.models import check_date

        since, until = check_date(since, "--since"), check_date(until, "--until")
        module, name, phash = _program_for(store, model, program, task)
        cfg = RunConfig(model=model, program=name, program_hash=phash, split=split, task=task,
                        with_diff=with_diff, limit=limit, epochs=epochs,
                        temperature=temperature, max_tokens=max_tokens, scorer=scorer, since=since, until=until,
                        api_base=redact(api_base) if api_base else None, concurrency=concurrency,
                        timeout=timeout, max_errors=max_errors, max_retries=max_retries)
        run_id = content_hash({"config": cfg.identity(), "nonce": uuid.uuid4().hex}, 16)

    from harness.benchmark.dataset import load_cases
    from harness.store.gold import iter_reports

    window = cfg.since or cfg.until
    if cfg.task == "consolidate":
        from harness.benchmark.consolidate.cases import load_consolidate_cases

        cases: list[Any] = _in_window(store, load_consolidate_cases(
            store, cfg.split, None if window else cfg.limit, with_diff=cfg.with_diff), cfg)
    else:
        cases = _in_window(store, load_cases(store, cfg.split, None if window else cfg.limit), cfg)
    reports = {r.id: r for r in iter_reports(store, [c.report_id for c in cases])}
    planned = [(c, e) for c in cases for e in range(cfg.epochs)]
    if resume:
        sql.forget_errors(store, run_id)  # errors left no result: a resume retries them
        done = sql.finished_cases(store, run_id)
        sql.mark_running(store, run_id)
    else:
        done = set()
        sql.create_run(store, run_id, cfg, len(planned))
    todo = [(c, e) for c, e in planned if (c.report_id, e) not in done]

    writer = sql.RunWriter(store)

    def client() -> Any:
        from harness.lm import ModelClient, ModelSettings

        settings = ModelSettings(model=cfg.model, api_base=api_base, temperature=cfg.temperature,
                                 max_tokens=cfg.max_tokens, timeout=cfg.timeout, max_retries=cfg.max_retries,
                                 concurrency=cfg.concurrency, backoff_s=backoff_s)
        return ModelClient(settings, writer)

    from harness.gold.score import fates_by_report

    fates = fates_by_report(store, list(reports)) if score_fn is None or cfg.task == "consolidate" else {}
    if cfg.task == "consolidate":
        from harness.benchmark.consolidate import run as consolidate

        solver: Any = consolidate.make_solver(cfg.model, module, client, reports, fates, Outcome)
    elif module is None:
        from harness.benchmark.replay import replay_agent

        solver = ReplaySolver(replay_agent(cfg.model), parse)
    else:
        solver = ProgramSolver(module, client())
    memo_keys: dict[tuple[str, int], str] = {}
    if score_fn is None:
        if cfg.task == "consolidate":
            score_fn = consolidate.score_fn(fates, {c.report_id: c for c in cases})
        else:
            from harness.benchmark.case_score import scorer_fn

            score_fn = scorer_fn(cfg.scorer, fates=fates)
        if module is not None:  # a program run; replaying a recorded review is cheap to redo
            from harness.core import memo

            gold = {rid: memo.gold_identity(r.content_hash, fates.get(rid)) for rid, r in reports.items()}
            memo_keys = {(c.report_id, e): memo.case_key(cfg, c.inputs, e, gold[c.report_id])
                         for c, e in todo if c.runnable}

    t0 = time.perf_counter()
    try:
        status, message = _execute(store, writer, run_id, solver, score_fn, reports, todo, cfg, progress,
                                   done=len(done), total=len(planned), memo_keys=memo_keys)
    except KeyboardInterrupt:
        writer.close()
        finished = len(sql.finished_cases(store, run_id))
        raise Interrupted(f"interrupted after {finished} of {len(planned)} cases; "
                          f"resume with `harness bench --resume {run_id}`") from None
    finally:
        writer.close()
    if status == RunStatus.complete:
        t = sql.case_totals(store, run_id)
        if t["errors"] or t["parse_failures"]:
            status = RunStatus.complete_with_errors
    sql.finish_run(store, run_id, status, message, time.perf_counter() - t0)
    return bench_result(store, run_id)


def _execute(store: Store, writer: Any, run_id: str, solver: Any, score_fn: ScoreFn, reports: dict[str, Report],
             todo: list[tuple[Any, int]], cfg: RunConfig, progress: Progress | None, *, done: int,
             total: int, memo_keys: dict[tuple[str, int], str] | None = None) -> tuple[RunStatus, str | None]:
    from harness.core.memo import replay
    from harness.store import runs as sql

    prior = sql.case_totals(store, run_id)
    errors, spent = int(prior["errors"]), float(prior["spent"])
    stop = threading.Event()

    def one(case: Any, epoch: int, memo_key: str | None) -> tuple[CaseResult, str | None]:
        if stop.is_set():
            raise _Cancelled()
        return run_case(run_id, solver, score_fn, case, reports[case.report_id], epoch), memo_key

    pending = _memo_lookup(store, todo, memo_keys or {})
    in_flight: set[Future] = set()
    status, message = RunStatus.complete, None
    if progress:
        progress(done, total, errors, spent)

    def finish(result: CaseResult, memo_key: str | None) -> None:
        nonlocal done, spent, errors, status, message
        writer.case(result, memo_key)
        done += 1
        spent += result.stats.spent
        if result.status == CaseStatus.error:
            errors += 1
            if errors > max(cfg.max_errors, STOP_AFTER_ERRORS) and not stop.is_set():
                stop.set()
                status = RunStatus.failed
                message = (f"stopped after {errors} case errors (more than "
                           f"{max(cfg.max_errors, STOP_AFTER_ERRORS)}); last: {result.error}")
        if progress:
            progress(done, total, errors, spent)

    pool = ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="bench")
    try:
        def fill() -> None:
            while not stop.is_set() and len(in_flight) < cfg.concurrency:
                nxt = next(pending, None)
                if nxt is None:
                    return
                case, epoch, memo_key, hit = nxt
                if hit is not None:  # memoised: this case's stored result, no DSPy, no scoring
                    finish(replay(hit, run_id), None)
                    continue
                in_flight.add(pool.submit(one, case, epoch, memo_key))

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
        writer.close()
        sql.finish_run(store, run_id, RunStatus.interrupted, f"interrupted: {type(exc).__name__}", 0.0)
        raise
    pool.shutdown(wait=True)
    return status, message


class _Cancelled(Exception):
    pass


def _memo_lookup(store: Store, todo: list[tuple[Any, int]], memo_keys: dict[tuple[str, int], str],
                 chunk: int = 256) -> Iterator[tuple[Any, int, str | None, dict | None]]:
    """(case, epoch, memo key, memoised value or None), fetching the memo a chunk at a time."""
    from harness.store import runs as sql

    for i in range(0, len(todo), chunk):
        part = todo[i:i + chunk]
        keys = [(c, e, memo_keys.get((c.report_id, e))) for c, e in part]
        found = sql.memo_get_many(store, [k for _, _, k in keys if k]) if memo_keys else {}
        for c, e, k in keys:
            yield c, e, k, found.get(k) if k else None


def run_case(run_id: str, solver: Any, score_fn: ScoreFn, case: Any, report: Report, epoch: int) -> CaseResult:
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
        if out.decisions is None:
            sc = score_fn(report, findings)
        else:  # consolidate task: the decisions are scored with the findings
            sc = score_fn(report, findings, out.decisions if out.status == CaseStatus.ok else [])
        res.findings, res.labels = findings, sc.labels
        res.tp, res.fp, res.fn, res.metrics = sc.tp, sc.fp, sc.fn, sc.metrics
        res.decisions = sc.decisions
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
        wall_s=run["wall_s"], metrics=metrics,
        error_kinds=sql.error_kinds(store, run["run_id"]),
    )
