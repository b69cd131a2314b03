"""The consolidate task in the benchmark runner: its cases, solvers and score function.

`harness bench --task consolidate` goes through the same runner as review runs (concurrency,
cache, resume, memo, one transaction per case); this module supplies what differs:

* cases: `load_consolidate_cases` (reports with two or more reviews holding findings);
* solvers: an offline baseline (`union`, `majority`, `replay:published`, see baselines.py) or
  a consolidator program (`consolidate`, `consolidate_cot`, `saved:HASH`);
* scoring: the `consolidation` scorer (scorers/consolidation.py): the consolidated findings
  against the report's consolidated findings, and each original finding's decision against
  the decision its fate implies. Gold = the report's gold set and its stored fates, read
  through the one path every scoring path uses (`harness.gold.build.fates_by_report`).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from harness.benchmark.consolidate.cases import ConsolidateCase, gold_decisions
from harness.core.consolidation import Consolidation, ScoredDecision
from harness.core.hashing import content_hash
from harness.core.models import Finding, Report

TASKS = ("review", "consolidate")
DEFAULT_PROGRAM = "consolidate"
SCORER = "consolidation"


def check_task(task: str) -> str:
    from harness.core.errors import HarnessError

    if task not in TASKS:
        raise HarnessError(f"unknown task {task!r}", hint="use review or consolidate")
    return task


def baseline_hash(name: str) -> str:
    """Stands in for the program hash of an offline baseline (with the code that defines it)."""
    return content_hash({"consolidate_baseline": name.lower(), "version": 1}, 16)


# -- scoring ---------------------------------------------------------------------------------


def score_case(report: Report, case: ConsolidateCase | None, consolidation: Consolidation | None,
               fates: list[Any] | None, **args: Any) -> tuple[Any, list[ScoredDecision]]:
    """(ScoreResult of the `consolidation` scorer, scored decisions) of one case."""
    import scorers
    from harness.benchmark.consolidate.cases import original_findings

    originals = case.originals if case is not None else original_findings(report)
    gold = scorers.gold_for_report(report, fates)
    golds = gold_decisions(originals, fates)
    given = {d.ref: d for d in (consolidation.decisions if consolidation else [])}
    rows = []
    for o in originals:
        fate, g = golds.get(o.ref, (None, None))
        d = given.get(o.ref)
        dec = d.decision.value if d else None
        rows.append(ScoredDecision(ref=o.ref, agent=o.agent, idx=o.idx, finding_id=o.finding_id,
                                   severity=o.severity.value, title=o.title, decision=dec,
                                   target=d.target if d else None, reason=d.reason if d else "",
                                   gold_fate=fate, gold=g, correct=None if g is None else dec == g))
    sc = scorers.get_scorer(SCORER, **args)
    findings = consolidation.consolidated() if consolidation else []
    result = sc.score_case(gold, findings, {r.ref: r.gold for r in rows}, {r.ref: r.decision for r in rows})
    return result, rows


def score_fn(fates: dict[str, list[Any]], cases: dict[str, ConsolidateCase], **args: Any) -> Callable:
    """The runner's scoring of consolidate cases: `(report, findings, decisions) -> (ScoreResult,
    scored decisions as dicts)`; the ScoreResult is stored as the case's one score."""
    from harness.core.consolidation import ConsolidatedFinding, FindingDecision

    def score(report: Report, findings: list[Finding], decisions: list[dict] | None = None) -> tuple[Any, list]:
        cons = Consolidation(
            findings=[ConsolidatedFinding(id=f.id, severity=f.severity, title=f.title, locations=f.locations,
                                          body=f.body, reviewers=list(f.agents)) for f in findings],
            decisions=[FindingDecision.model_validate(d) for d in decisions or []])
        result, rows = score_case(report, cases.get(report.id), cons, fates.get(report.id), **args)
        result.report_id = report.id
        return result, [r.model_dump(mode="json") for r in rows]

    return score


# -- solvers ---------------------------------------------------------------------------------


class BaselineSolver:
    """union / majority / replay:published: no model, no network. `outcome`: the runner's Outcome
    model (passed in: the runner imports this module, not the other way round)."""

    def __init__(self, name: str, gold_findings: dict[str, list[Finding]], outcome: type):
        from harness.gold.fates import scorer_matcher

        self.Outcome = outcome
        self.name = name
        self.gold_findings = gold_findings
        self.matcher = scorer_matcher()

    def solve(self, case: ConsolidateCase, report: Report, epoch: int, stats: Any) -> Any:
        from harness.benchmark.consolidate.baselines import run_baseline
        from harness.core.runs import CaseStatus

        Outcome = self.Outcome

        if not case.runnable:
            return Outcome(status=CaseStatus.skipped, error=case.reason)
        cons = run_baseline(self.name, report, case.originals, self.gold_findings.get(report.id), self.matcher)
        return Outcome(status=CaseStatus.ok, findings=cons.consolidated(),
                       decisions=[d.model_dump(mode="json") for d in cons.decisions])


class ProgramSolver:
    """A consolidator program (DSPy module) through the project's LM client."""

    def __init__(self, program: Callable[[], Any], client: Any, outcome: type):
        self.Outcome = outcome
        self._program = program
        self._lock = threading.Lock()
        self.client = client

    @property
    def program(self) -> Any:
        with self._lock:
            return self._program()

    def solve(self, case: ConsolidateCase, report: Report, epoch: int, stats: Any) -> Any:
        from harness.benchmark.programs import quiet_context
        from harness.benchmark.programs.consolidators import run_consolidator
        from harness.core.runs import CaseStatus

        Outcome = self.Outcome

        if not case.runnable:
            return Outcome(status=CaseStatus.skipped, error=case.reason)
        with quiet_context(self.client.lm(epoch=epoch, stats=stats)):
            res = run_consolidator(self.program, case.inputs, {o.ref for o in case.originals})
        if stats.last_finish_reason == "length":
            return Outcome(status=CaseStatus.parse_failure, raw=stats.last_text, decisions=[],
                           error="answer truncated at max tokens (finish_reason=length)")
        if res.status == "parse_error":
            return Outcome(status=CaseStatus.parse_failure, raw=res.raw or stats.last_text, decisions=[],
                           error=res.error or "answer did not parse")
        cons = res.consolidation
        return Outcome(status=CaseStatus.ok, findings=cons.consolidated(), error=res.error,
                       decisions=[d.model_dump(mode="json") for d in cons.decisions])


def make_solver(model: str, module: Callable[[], Any] | None, client: Callable[[], Any],
                reports: dict[str, Report], fates: dict[str, list[Any]], outcome: type) -> Any:
    """The solver of a consolidate run: a baseline when `model` names one, else the program."""
    from harness.benchmark.consolidate.baselines import is_baseline

    if is_baseline(model):
        import scorers

        gold = {rid: scorers.gold_for_report(r, fates.get(rid)).findings for rid, r in reports.items()}
        return BaselineSolver(model, gold, outcome)
    return ProgramSolver(module, client(), outcome)


#: the registered consolidator programs (harness.benchmark.programs.consolidators), named here so that
#: checking a run's program needs neither DSPy nor the registry (a memoised re-run imports neither)
CONSOLIDATORS = ("consolidate", "consolidate_cot")


def check_program(store: Any, program: str, task: str) -> None:
    """A consolidator runs on consolidate cases only, a review program on review cases only."""
    from harness.core.errors import HarnessError

    base = program
    if program.startswith("saved:"):
        from harness.store.programs import find_program

        base = find_program(store, program[len("saved:"):])["base"]
    kind = "consolidate" if base in CONSOLIDATORS else "review"
    if kind != task:
        hint = f"consolidators: {', '.join(CONSOLIDATORS)}" if task == "consolidate" else "use --task consolidate"
        raise HarnessError(f"program {program!r} is a {kind} program, not a {task} one", hint=hint)
