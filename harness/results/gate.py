"""The CI regression gate, and the baseline file it can read instead of a shared database.

`harness baseline export RUN -o FILE` writes a small JSON meant to be committed in the user's
repository: per-report additive counts and metrics, the aggregate, the scorer's name and args,
and the program / model identity. The counts are enough to recompute any metric and to pair
the candidate with the baseline report by report, so the gate's bootstrap interval is the same
whether the baseline comes from the store or from the file.

Verdict: the candidate fails when its metric (micro, over the reports both scored) is worse than
the baseline's by more than `max_drop` (absolute; for rates where lower is better, a rise), or
when it did not score reports the baseline scored (unless `allow_missing`). Errors (unknown
run, unreadable or foreign file, unknown metric) are HarnessErrors: exit 2, not a verdict.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal, Mapping
from xml.etree import ElementTree as ET

import polars as pl
from pydantic import BaseModel, Field, ValidationError

from harness.core.errors import HarnessError
from harness.core.weights import DEFAULT_WEIGHTS, format_weights
from harness.results.compare import LOWER_IS_BETTER
from harness.store import Store

BASELINE_FORMAT = "harness-baseline/1"


class BaselineReport(BaseModel):
    report_id: str
    epochs: int
    counts: dict[str, float]  # summed over epochs (scorers.COUNT_FIELDS)
    metrics: dict[str, float | None]  # recomputed from the counts


class Baseline(BaseModel):
    format: str = BASELINE_FORMAT
    run_id: str
    model: str
    program: str
    program_hash: str
    split: str
    scorer: str
    scorer_args: dict[str, Any]
    n_reports: int
    aggregate: dict[str, float | None]  # micro over the reports
    reports: list[BaselineReport]


class GateResult(BaseModel):
    verdict: Literal["pass", "fail"]
    line: str  # the one-line verdict
    metric: str
    max_drop: float
    baseline: float | None
    candidate: float | None
    delta: float | None  # candidate - baseline
    low: float | None
    high: float | None
    beyond_noise: bool
    n_reports: int  # paired
    missing: list[str] = Field(default_factory=list)  # baseline reports the candidate did not score
    baseline_source: str
    baseline_run: str
    candidate_run: str
    scorer: str
    scorer_args: dict[str, Any]
    reasons: list[str] = Field(default_factory=list)


# -- baseline ----------------------------------------------------------------------------------

def _frame_from_counts(rows: list[tuple[str, dict[str, float]]]) -> pl.DataFrame:
    import scorers

    data = {"report_id": [r for r, _ in rows]}
    data |= {c: [float(cs.get(c, 0)) for _, cs in rows] for c in scorers.COUNT_FIELDS}
    frame = pl.DataFrame(data, schema={"report_id": pl.Utf8, **{c: pl.Float64 for c in scorers.COUNT_FIELDS}})
    return scorers.with_metrics(frame)


def _per_report(frame: pl.DataFrame) -> pl.DataFrame:
    """Sum epochs per report (polars), metrics recomputed from the summed counts."""
    import scorers

    summed = (frame.group_by("report_id").agg(pl.len().alias("epochs"),
                                              *[pl.col(c).sum() for c in scorers.COUNT_FIELDS])
              .sort("report_id"))
    return scorers.with_metrics(summed)


def export_baseline(st: Store, run_id: str, *, k: int | None = None,
                    weights: Mapping[str, float] | None = None) -> Baseline:
    """The baseline of a run's stored scores under its own scored view (`k` changed if given)."""
    import scorers
    from harness.results.stored_scores import read_scores, run_view
    from harness.store.runs import get_run

    run = get_run(st, run_id)
    view = run_view(run, k=k, weights=weights)
    scorer, args = view.scorer, view.args
    frame, _ = read_scores(st, run, view)
    if frame.height == 0:
        raise HarnessError(f"run {run['run_id']} has no scored case to export")
    per = _per_report(frame)
    agg = scorers.aggregate(frame).row(0, named=True)
    reports = [BaselineReport(report_id=r["report_id"], epochs=int(r["epochs"]),
                              counts={c: float(r[c]) for c in scorers.COUNT_FIELDS},
                              metrics={m: r[m] for m in scorers.METRIC_FIELDS}) for r in per.to_dicts()]
    return Baseline(run_id=run["run_id"], model=run["model"], program=run["program"],
                    program_hash=run["program_hash"], split=run["split"], scorer=scorer, scorer_args=args,
                    n_reports=len(reports), aggregate={m: agg.get(m) for m in scorers.METRIC_FIELDS},
                    reports=reports)


def write_baseline(baseline: Baseline, path: str | Path) -> Path:
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(baseline.model_dump(mode="json"), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot write {p}: {exc.strerror or exc}") from None
    return p


def read_baseline(path: str | Path) -> Baseline:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HarnessError(f"cannot read baseline {p}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HarnessError(f"baseline {p} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise HarnessError(f"{p} is not a harness baseline file (expected format {BASELINE_FORMAT!r})",
                           hint="write one with `harness baseline export RUN -o FILE`")
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise HarnessError(f"baseline {p} is damaged: {where}: {first['msg']}") from None


def _baseline_source(st: Store, baseline: str, k: int | None = None,
                     weights: Mapping[str, float] | None = None) -> tuple[Baseline, str]:
    """A baseline FILE (when the path exists or ends in .json) or a stored RUN (under its own
    view, `k` / `weights` changed if given: a file's view is the one it was exported with)."""
    p = Path(baseline)
    if p.exists() or p.suffix.lower() == ".json":
        b = read_baseline(p)
        if k is not None and b.scorer_args.get("k") != k:
            raise HarnessError(f"baseline {p} was exported with k={b.scorer_args.get('k')}, not k={k}",
                               hint="export the baseline with the same --k, or drop --k")
        if weights is not None and b.scorer_args.get("weights", DEFAULT_WEIGHTS) != dict(weights):
            raise HarnessError(f"baseline {p} was exported with weights "
                               f"{format_weights(b.scorer_args.get('weights', DEFAULT_WEIGHTS))}, not "
                               f"{format_weights(weights)}", hint="drop --weights: a file's view is fixed")
        return b, str(p)
    return export_baseline(st, baseline, k=k, weights=weights), f"run {baseline}"


# -- gate ----------------------------------------------------------------------------------------

def gate(st: Store, baseline: str, candidate: str, *, metric: str = "f1", max_drop: float = 0.02,
         allow_missing: bool = False, n_boot: int = 1000, seed: int = 0, k: int | None = None,
         weights: Mapping[str, float] | None = None) -> GateResult:
    """The verdict from stored scores only: the candidate is read under the baseline's view."""
    import scorers
    from harness.results.stored_scores import read_scores, view_of
    from harness.store.runs import get_run

    if metric not in scorers.METRIC_FIELDS:
        raise HarnessError(f"unknown metric {metric!r}", hint=f"one of {', '.join(scorers.METRIC_FIELDS)}")
    if max_drop < 0:
        raise HarnessError("--max-drop must be >= 0")
    base, source = _baseline_source(st, baseline, k, weights)
    cand_run = get_run(st, candidate)
    # the candidate is read under the baseline's scorer and args, whatever its own config says
    cand_frame, _ = read_scores(st, cand_run, view_of(base.scorer, base.scorer_args))
    cand = _per_report(cand_frame) if cand_frame.height else _frame_from_counts([])
    base_frame = _frame_from_counts([(r.report_id, r.counts) for r in base.reports])
    strict = bool(base.scorer_args.get("strict", True))
    missing = sorted(set(base_frame.get_column("report_id")) - set(cand.get_column("report_id")))
    d = scorers.paired_bootstrap(base_frame, cand, metric, n=n_boot, seed=seed, kind="micro", strict=strict)
    reasons = []
    if d.n_reports == 0:
        reasons.append("the candidate scored none of the baseline's reports")
    elif d.delta is None:
        reasons.append(f"{metric} is undefined on these reports")
    else:
        worse = d.delta if metric in LOWER_IS_BETTER else -d.delta
        if worse > max_drop + 1e-12:
            reasons.append(f"{metric} {'rose' if metric in LOWER_IS_BETTER else 'dropped'} by {abs(d.delta):.3f} "
                           f"> max {max_drop:.3f}")
    if missing and not allow_missing:
        reasons.append(f"candidate did not score {len(missing)} of the baseline's {base.n_reports} reports")
    verdict = "fail" if reasons else "pass"
    ci = "" if d.low is None else f", 95% CI [{d.low:+.3f}, {d.high:+.3f}]"
    line = (f"{verdict.upper()} {metric}: candidate {_f(d.b)} vs baseline {_f(d.a)} (Δ {_f(d.delta, True)}{ci}, "
            f"{d.n_reports} reports, max drop {max_drop:.3f})" + (f": {'; '.join(reasons)}" if reasons else ""))
    return GateResult(verdict=verdict, line=line, metric=metric, max_drop=max_drop, baseline=d.a, candidate=d.b,
                      delta=d.delta, low=d.low, high=d.high, beyond_noise=d.beyond_noise, n_reports=d.n_reports,
                      missing=missing, baseline_source=source, baseline_run=base.run_id,
                      candidate_run=cand_run["run_id"], scorer=base.scorer, scorer_args=base.scorer_args,
                      reasons=reasons)


def _f(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def junit_xml(res: GateResult, elapsed_s: float = 0.0) -> str:
    """One test suite, one test case (the gate), a <failure> when the verdict is fail."""
    failed = res.verdict == "fail"
    suites = ET.Element("testsuites", name="harness gate", tests="1", failures=str(int(failed)), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="harness.gate", tests="1", failures=str(int(failed)),
                          errors="0", skipped="0", time=f"{elapsed_s:.3f}")
    props = ET.SubElement(suite, "properties")
    for k in ("metric", "max_drop", "baseline", "candidate", "delta", "low", "high", "n_reports",
              "baseline_source", "baseline_run", "candidate_run", "scorer"):
        ET.SubElement(props, "property", name=k, value="" if getattr(res, k) is None else str(getattr(res, k)))
    case = ET.SubElement(suite, "testcase", classname="harness.gate",
                         name=f"{res.metric} drop <= {res.max_drop:g}", time=f"{elapsed_s:.3f}")
    if failed:
        fail = ET.SubElement(case, "failure", message=res.line, type="RegressionGateFailed")
        fail.text = "\n".join(res.reasons + ([f"missing reports: {', '.join(res.missing)}"] if res.missing else []))
    ET.SubElement(case, "system-out").text = res.line
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def run_gate(st: Store, baseline: str, candidate: str, *, metric: str = "f1", max_drop: float = 0.02,
             junit: str | Path | None = None, json_out: str | Path | None = None,
             allow_missing: bool = False, k: int | None = None,
             weights: Mapping[str, float] | None = None) -> GateResult:
    """`harness gate`: the verdict, with the JUnit XML and JSON files written (before any exit)."""
    t0 = time.perf_counter()
    res = gate(st, baseline, candidate, metric=metric, max_drop=max_drop, allow_missing=allow_missing, k=k,
               weights=weights)
    elapsed = time.perf_counter() - t0
    for path, text in ((junit, lambda: junit_xml(res, elapsed)),
                       (json_out, lambda: res.model_dump_json(indent=2) + "\n")):
        if path is None:
            continue
        p = Path(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text(), encoding="utf-8")
        except OSError as exc:
            raise HarnessError(f"cannot write {p}: {exc.strerror or exc}") from None
    return res
