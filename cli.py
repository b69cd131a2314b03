"""`harness` command line: parse arguments, call one library function, print the result.

Heavy modules (duckdb, polars, dspy, litellm) are imported inside the commands so that
`harness --help` stays instant. A HarnessError becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import os
import sys

# Cache each module's bytecode on its first import, even where PYTHONDONTWRITEBYTECODE is set:
# without .pyc files every call compiles typer/rich (and dspy/litellm) again. uv's
# `compile-bytecode` setting would do it at install, but `uv run` then recompiles all of
# site-packages on every call (and says so on stderr).
sys.dont_write_bytecode = False
# Plain click-style help: rendering it through rich costs ~0.1 s of imports on every `--help`.
os.environ.setdefault("TYPER_USE_RICH", "0")

from pathlib import Path  # noqa: E402
from typing import Any, Optional  # noqa: E402

import typer  # noqa: E402

from harness.core.defaults import DEFAULT_CONCURRENCY, REPLAY_PREFIX

app = typer.Typer(
    name="harness",
    help=(
        "Evaluation harness for AI code reviewers.\n\n"
        "Gold set: deep-review reports parsed into DuckDB (ingest, reports, show). "
        "Scorers match a reviewer's findings to the gold (score). "
        "Retro tables and a leaderboard of the recorded reviewers (retro, leaderboard). "
        "DSPy review programs benchmarked with any litellm model (dataset, bench, runs, report, compare, gate). "
        "Prompt tuning with DSPy optimisers (tune, programs).\n\n"
        "Start with `harness demo`: it runs everything offline on the shipped synthetic sample."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _State:
    db: str | None = None


state = _State()


def _quiet_flag_types() -> None:
    """`--help` lists flags without a `<bool>` type: the flag's name says it all."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else shown(self, ctx)


_quiet_flag_types()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"harness {version('review-harness')}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None, "--db", envvar="HARNESS_DB", show_default="./harness.duckdb", help="DuckDB file of the store."
    ),
    _show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
) -> None:
    from harness.core.config import load_config

    state.db = db
    ctx.default_map = load_config().default_map()  # [tool.harness] / harness.toml / HARNESS_*; flags win


def open_store(read_only: bool = False):
    from harness.store import Store

    return Store(state.db, read_only=read_only)


def emit_json(obj: Any) -> None:
    """Print a model or plain object as JSON on stdout."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json", by_alias=True)
    import json

    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"harness: error: {message}", err=True)
    raise typer.Exit(code)


def _iso_date(value: str | None) -> str | None:
    """--since/--until: an ISO date (YYYY-MM-DD), else a usage error saying so."""
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-04-01") from None


# ---------------------------------------------------------------------------------------
# gold set: ingest / reports / show
# ---------------------------------------------------------------------------------------


@app.command()
def ingest(
    paths: list[str] = typer.Argument(None, help="Report files and folders (folders: every *.md, README.md skipped)."),
    git: Optional[str] = typer.Option(None, "--git", help="Read the *.md files of this git repository at --ref, without a checkout."),
    ref: str = typer.Option("HEAD", "--ref", help="Git ref for --git."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any file fails or carries parse warnings."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Parse deep-review reports into the gold set (idempotent by content hash)."""
    from harness.gold.ingest import IngestFailed, ingest_git, ingest_paths
    from harness.core.progress import progress as shown
    from harness.gold.render import render_ingest_summary

    if not paths and not git:
        fail("give report files or folders, or --git REPO --ref REF")
    with open_store() as st, shown("ingest") as update:
        progress = lambda done, total, _source: update(done, total)  # noqa: E731
        try:
            if git:
                result = ingest_git(st, git, ref, under=(paths or [None])[0], strict=strict, progress=progress)
            else:
                result = ingest_paths(st, paths, strict=strict, progress=progress)
            failed = None
        except IngestFailed as exc:
            result, failed = exc.result, exc
    if as_json:
        emit_json(result)
    else:
        typer.echo(render_ingest_summary(result))
    if failed is not None:
        raise failed
    if result.totals.duplicate_ids:
        fail(f"{result.totals.duplicate_ids} file(s) give a report id that another file of the batch gives "
             "(see the FAILED lines); the others were stored", 1)
    if not result.totals.reports:
        fail("no report stored: " + (f"all {result.totals.files} file(s) failed" if result.totals.files
                                     else "no report files (*.md) found"), 1)


@app.command()
def reports(
    pr: Optional[str] = typer.Option(None, "--pr", help="Only this PR: a number, or owner/name#N."),
    since: Optional[str] = typer.Option(None, "--since", callback=_iso_date,
                                        help="Only reports dated on or after this date (YYYY-MM-DD)."),
    warnings: bool = typer.Option(False, "--warnings", help="Only reports with parse warnings, and list the warnings."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stored reports (findings by severity, agent findings, warnings)."""
    from harness.gold.render import render_report_list
    from harness.store import gold

    with open_store(read_only=True) as st:
        listing = gold.report_listing(st, pr=pr, since=since, with_warnings=warnings)
    if as_json:
        emit_json(listing)
    else:
        typer.echo(render_report_list(listing))


@app.command()
def show(
    report_id: str = typer.Argument(..., metavar="ID", help="Report id (the `# Deep Review: <id>` title)."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored Report model as JSON."),
) -> None:
    """Render one stored report in the house format (or its model as JSON)."""
    from harness.gold.render import render_report
    from harness.store import gold

    with open_store(read_only=True) as st:
        report = gold.get_report(st, report_id)
    if as_json:
        emit_json(report)
    else:
        typer.echo(render_report(report), nl=False)


# ---------------------------------------------------------------------------------------
# scorers: score
# ---------------------------------------------------------------------------------------


@app.command("score")
def score_cmd(
    report_id: str = typer.Argument(..., help="Id of a stored report (see `harness reports`)."),
    findings: Path = typer.Option(..., "--findings", "-f",
                                  help="JSON list of findings, or a markdown review in the reports' format."),
    k: int = typer.Option(3, "--k", min=0, help="Line tolerance: widen each gold range by ±k lines."),
    strict: bool = typer.Option(True, "--strict/--lenient",
                                help="Strict counts novel findings as false positives; lenient leaves them out."),
    scorer: str = typer.Option("default", "--scorer", help="Registered scorer name."),
    judge: Optional[str] = typer.Option(None, "--judge", help="litellm model deciding ambiguous pairs."),
    api_base: Optional[str] = typer.Option(None, "--api-base", help="OpenAI-compatible endpoint of the judge."),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
) -> None:
    """Score a reviewer's findings against a stored report's gold; prints each label with its evidence."""
    from harness.gold.score import score_file, score_table

    with open_store() as st:
        result = score_file(st, report_id, findings, k=k, strict=strict, scorer=scorer, judge=judge,
                            api_base=api_base)
    if as_json:
        emit_json(result)
    else:
        typer.echo(score_table(result))


@app.command("schema")
def schema_cmd(
    name: str = typer.Argument(..., metavar="NAME", help="findings: a findings file for `harness score`."),
) -> None:
    """Print the JSON schema of an input file."""
    from scorers.findings import findings_file_schema

    if name != "findings":
        fail(f"unknown schema {name!r} (findings)")
    emit_json(findings_file_schema())


# ---------------------------------------------------------------------------------------
# retro / leaderboard
# ---------------------------------------------------------------------------------------


@app.command("retro")
def retro_cmd(
    report_id: Optional[str] = typer.Argument(None, help="Report id (see `harness reports`)."),
    check: bool = typer.Option(False, "--check", help="Compare with the published table cell by cell "
                               "(exit 0: all decidable cells agree, 1: some flagged, 2: error)."),
    fates: bool = typer.Option(False, "--fates", help="Each original finding's fate, target, evidence and "
                               "deciding rule, per reviewer model."),
    all_: bool = typer.Option(False, "--all", help="Every stored report."),
    fmt: str = typer.Option("md", "--format", help="md, json or csv."),
    as_json: bool = typer.Option(False, "--json", help="JSON (one object for one report id, a list with --all)."),
) -> None:
    """Recompute a report's agent retro Summary table from the stored data (and check the published one)."""
    from harness.retro import tables as retro

    if fmt not in ("md", "json", "csv"):
        fail(f"unknown format {fmt!r} (md, json or csv)")
    if not all_ and not report_id:
        fail("give a report id or --all")
    if fates:
        if all_ or not report_id:
            fail("--fates takes one report id")
        with open_store() as st:
            audit = retro.fates_audit(st, report_id)
        if as_json or fmt == "json":
            emit_json(audit)
        else:
            sys.stdout.write(retro.fates_markdown(audit))
        return
    with open_store() as st:
        results = retro.retro(st, None if all_ else [report_id], check=check)
    if as_json and not all_:
        out = retro.to_json_one(results[0]) + "\n"
    else:
        out = retro.render(results, "json" if as_json else fmt, check)
    sys.stdout.write(out)
    if check and retro.check_exit_code(results):
        raise typer.Exit(1)


@app.command("leaderboard")
def leaderboard_cmd(
    since: Optional[str] = typer.Option(None, "--since", callback=_iso_date,
                                        help="Reports on or after DATE (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", callback=_iso_date,
                                        help="Reports on or before DATE (YYYY-MM-DD)."),
    pr: Optional[str] = typer.Option(None, "--pr", help="Only reports of this PR: a number, or owner/name#N."),
    fmt: str = typer.Option("md", "--format", help="md, json, csv or parquet."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout."),
    n_boot: int = typer.Option(1000, "--boot", help="Bootstrap replicates for the 95% intervals."),
) -> None:
    """One row per reviewer model over the stored reports, with bootstrap 95% intervals."""
    from harness.retro import leaderboard as lb

    with open_store() as st:
        df = lb.leaderboard(st, since=since, until=until, pr=pr, n_boot=n_boot)
    text = lb.write(df, fmt, output)
    if text is not None:
        sys.stdout.write(text)


# ---------------------------------------------------------------------------------------
# dataset / bench / runs
# ---------------------------------------------------------------------------------------

dataset_app = typer.Typer(help="Benchmark inputs: the reviewed change of each report, and train/dev/test splits.",
                          no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


def _md_rows(rows: list[dict]) -> str:
    from harness.core.tables import rows_table

    return rows_table(rows, missing="", nothing="(nothing)") + "\n"


@dataset_app.command("build")
def dataset_build(
    repo: Path = typer.Option(..., "--repo", help="Local clone (or bare mirror) of the reviewed repository."),
    seed: int = typer.Option(0, "--seed", help="Split seed."),
    ratios: str = typer.Option("0.5,0.25,0.25", "--ratios", help="train,dev,test shares over PRs."),
    split_name: str = typer.Option("default", "--split-name", help="Name the split is stored under."),
    export: Optional[Path] = typer.Option(None, "--export", help="Also write the split to DIR/<name>.json "
                                          "(e.g. datasets/splits)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Materialise every stored report's reviewed diff from --repo, then assign splits by PR."""
    from harness.benchmark.dataset import build_dataset
    from harness.core.errors import HarnessError

    try:
        shares = tuple(float(x) for x in ratios.split(","))
    except ValueError:
        raise HarnessError(f"--ratios must be three numbers like 0.5,0.25,0.25, got {ratios!r}") from None
    from harness.core.progress import progress

    with open_store() as st, progress("dataset inputs") as update:
        summary = build_dataset(st, repo, seed=seed, ratios=shares, split_name=split_name, export=export,
                                on_progress=update)
    if as_json:
        emit_json(summary)
        return
    counts = {s: sum(1 for v in summary.split.assignments.values() if v == s) for s in ("train", "dev", "test")}
    typer.echo(_md_rows([summary.model_dump(exclude={"split"})]))
    typer.echo(f"split {summary.split.name!r} (seed {summary.split.seed}): "
               + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" reports; hash {summary.split.content_hash[:12]}")


@dataset_app.command("show")
def dataset_show(
    split_name: str = typer.Option("default", "--split-name", help="Which stored split."),
    reasons: bool = typer.Option(False, "--reasons", help="Also list inputs that are not exact, with why."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per split: reports, PRs, input status counts and diff tokens."""
    from harness.benchmark.dataset import dataset_summary, input_problems

    with open_store(read_only=True) as st:
        rows = dataset_summary(st, split_name)
        problems = input_problems(st) if reasons else None
    if as_json:
        emit_json({"split_name": split_name, "splits": rows, **({"problems": problems} if reasons else {})})
        return
    typer.echo(_md_rows(rows))
    if problems:
        typer.echo(_md_rows(problems))


_RESULT_OPTIONS = ("model", "program", "split", "limit", "epochs", "temperature", "max_tokens", "scorer", "since",
                   "until", "task", "with_diff", "k", "judge", "weights")


def _weights(value: Optional[str]) -> Optional[dict[str, float]]:
    """--weights critical=3,important=2,suggestion=1 -> the scorer's weights (a usage error if bad)."""
    if value is None:
        return None
    from harness.core.errors import HarnessError
    from harness.core.weights import parse_weights

    try:
        return parse_weights(value)
    except HarnessError as exc:
        raise typer.BadParameter(exc.one_line().removeprefix("weights: "), param_hint="'--weights'") from None


_WEIGHTS_HELP = ("Severity weights of recall_weighted: critical=3,important=2,suggestion=1 (a severity not "
                 "named keeps its default).")


@app.command("bench")
def bench(
    ctx: typer.Context,
    model: Optional[str] = typer.Option(None, "--model", help="litellm model (openai/..., anthropic/..., "
                                        "ollama_chat/...) or " + REPLAY_PREFIX + "AGENT for a recorded reviewer."),
    program: Optional[str] = typer.Option(None, "--program", help="Program name, or saved:HASH "
                                          "[default: single; consolidate with --task consolidate]."),
    task: str = typer.Option("review", "--task", help="review (a program reviews the diff) | consolidate "
                             "(a consolidator merges the reviewers' findings; --model union|majority|"
                             "replay:published run offline)."),
    with_diff: bool = typer.Option(False, "--with-diff", help="--task consolidate: show the consolidator "
                                   "the reviewed change too (from the dataset)."),
    split: str = typer.Option("test", "--split", help="train | dev | test | all."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="First N reports of the split."),
    concurrency: int = typer.Option(DEFAULT_CONCURRENCY, "--concurrency", min=1,
                                    help="Cases (and model calls) in flight; shrinks on 429."),
    epochs: int = typer.Option(1, "--epochs", min=1, help="Independent repetitions of every case."),
    timeout: float = typer.Option(120.0, "--timeout", min=1, help="Seconds per model call (retried)."),
    max_errors: int = typer.Option(0, "--max-errors", min=0,
                                   help="Case errors and parse failures tolerated; more make the exit code 1 "
                                        "(the run stops early after max(N, 10) errors)."),
    temperature: float = typer.Option(0.0, "--temperature"),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Answer token cap."),
    api_base: Optional[str] = typer.Option(None, "--api-base", help="OpenAI-compatible endpoint URL."),
    scorer: str = typer.Option("default", "--scorer", help="Scorer name."),
    k: int = typer.Option(3, "--k", min=0, help="Scorer line tolerance: widen each gold range by ±k lines."),
    judge: Optional[str] = typer.Option(None, "--judge", help="Score with the LLM judge on this litellm model."),
    weights: Optional[str] = typer.Option(None, "--weights", help=_WEIGHTS_HELP),
    since: Optional[str] = typer.Option(None, "--since", help="Only reports dated on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Only reports dated on or before YYYY-MM-DD."),
    resume: Optional[str] = typer.Option(None, "--resume", help="Finish run RUN_ID without redoing its cases."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Build every prompt, count tokens, estimate the cost; "
                                 "no model call."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="USD: start no case once spent + in flight "
                                             "would pass it (the run ends interrupted; resume with more)."),
    price_in: Optional[float] = typer.Option(None, "--price-in", help="USD per million input tokens "
                                             "[default: config [tool.harness.prices], else litellm's table]."),
    price_out: Optional[float] = typer.Option(None, "--price-out", help="USD per million output tokens."),
    price_cached: Optional[float] = typer.Option(None, "--price-cached", help="USD per million cached input tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run a review program (or replay a recorded reviewer) over a split; score and store every case."""
    weights_map = _weights(weights)
    if resume:  # a resumed run keeps what decides its results; only execution settings may change
        fixed = [f"--{n.replace('_', '-')}" for n in _RESULT_OPTIONS
                 if ctx.get_parameter_source(n) is not None and ctx.get_parameter_source(n).name == "COMMANDLINE"]
        if fixed:
            raise typer.BadParameter(f"a resumed run keeps its own settings; drop {', '.join(fixed)} "
                                     "(only --concurrency, --timeout, --max-errors and --api-base may change)",
                                     ctx=ctx, param_hint="'--resume'")
    if dry_run:
        from harness.benchmark.costs import dry_run as estimate

        with open_store(read_only=True) as st:
            est = estimate(st, model=model or "", program=program or "single", split=split, task=task, limit=limit, epochs=epochs,
                           temperature=temperature, max_tokens=max_tokens, price_in=price_in, price_out=price_out,
                           price_cached=price_cached)
        if as_json:
            emit_json(est.estimate)
        else:
            from harness.lm.prices import fmt_cost

            e = est.estimate
            typer.echo(_md_rows([{"cases": e.cases, "model_calls": est.calls, "input_tokens": e.input_tokens,
                                  "output_tokens_estimate": e.output_tokens_estimate,
                                  "cost_estimate": fmt_cost(e.cost_estimate)}]))
            typer.echo(f"tokenizer: {e.tokenizer}\noutput: {est.output_source}\n"
                       f"price: {e.price_source or 'unknown (pass --price-in/--price-out)'}")
        return
    from harness.benchmark.progress import bench_progress
    from harness.benchmark.runner import run_bench
    from harness.core.progress import progress as shown

    with open_store() as st, shown("bench") as progress:
        res = run_bench(st, model=model, program=program, split=split, limit=limit, concurrency=concurrency,
                        since=since, until=until,
                        epochs=epochs, timeout=timeout, max_errors=max_errors, temperature=temperature,
                        max_tokens=max_tokens, api_base=api_base, scorer="judge" if judge else scorer,
                        scorer_args={"k": k, **({"model": judge} if judge else {}),
                                     **({"weights": weights_map} if weights_map else {})}, resume=resume,
                        progress=progress, task=task, with_diff=with_diff, max_cost=max_cost, price_in=price_in,
                        price_out=price_out, price_cached=price_cached)
    if as_json:
        emit_json(res)
    else:
        m = res.metrics
        typer.echo(_md_rows([{
            "run_id": res.run_id, "status": res.status.value, "model": res.model, "program": res.program,
            "split": res.split, "cases": res.cases, "scored": res.scored, "errors": res.errors,
            "calls": res.model_calls, "cache_hits": res.cache_hits, "cost": _cost(res.spent),
            "wall_s": round(res.wall_s, 2), "precision": _r3(m.precision), "recall": _r3(m.recall),
            "f1": _r3(m.f1)}]))
        if res.task == "consolidate":
            from harness.benchmark.consolidate.metrics import bench_markdown

            typer.echo(bench_markdown(res))
    for k in res.error_kinds:  # what went wrong, by kind, on stderr (stdout stays the result)
        typer.echo(f"harness: {k['count']} case(s) {k['kind']}; first: {k['first'] or '(no message)'}", err=True)
    if res.status.value == "failed":
        fail(res.message or "run failed", 1)
    if res.errors + res.parse_failures > max_errors:
        fail(f"run {res.run_id}: {res.errors} case error(s) and {res.parse_failures} parse failure(s), "
             f"more than --max-errors {max_errors} (see `harness runs show {res.run_id}`)", 1)
    if res.status.value == "interrupted" and res.message:
        typer.echo(f"harness: {res.message}", err=True)


def _cost(x: float | None) -> str:
    from harness.lm.prices import fmt_cost

    return fmt_cost(x)


def _r3(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


runs_app = typer.Typer(help="Benchmark runs: `harness runs` lists them, `harness runs show RUN` shows one "
                             "case by case.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Benchmark runs: model, program (hash), split, status, cost, cases, F1."""
    if ctx.invoked_subcommand is not None:
        return
    from harness.store.runs import list_runs

    with open_store(read_only=True) as st:
        rows = list_runs(st).to_dicts()
    if as_json:
        emit_json(rows)
        return
    typer.echo(_md_rows([{
        "run_id": r["run_id"], "model": r["model"], "program": f"{r['program']} ({r['program_hash'][:8]})",
        "split": r["split"], "status": r["status"],
        "cases": r["cases"] if r["status"] != "running" else f"{r['finished']} of {r['cases']}", "scored": r["scored"],
        "errors": r["errors"], "cost": _cost(r["cost"]), "f1": _r3(r["f1"]), "started": str(r["started_at"])[:19],
    } for r in rows]))


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., metavar="RUN", help="Run id or a unique prefix (see `harness runs`)."),
    case: Optional[str] = typer.Option(None, "--case", metavar="ID", help="Only the case of this report id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (raw answers in full)."),
) -> None:
    """One run case by case: status, error kind and message, tokens, cost, the raw answer (redacted),
    and each prediction and gold finding with its label."""
    from harness.results.run_view import render_run_view, run_view

    with open_store(read_only=True) as st:
        view = run_view(st, run_id, case)
    if as_json:
        emit_json(view)
    else:
        typer.echo(render_run_view(view), nl=False)



# ---------------------------------------------------------------------------------------
# report / compare / gate / baseline / demo
# ---------------------------------------------------------------------------------------


_WEIGHTS_VIEW = ("Read the view rescored with these severity weights (`harness rescore RUN --weights ...`) "
                 "[default: the run's].")


_K_VIEW = ("Read the scores stored with line tolerance K (default: the run's own scorer arguments); "
           "store them first with `harness rescore RUN --k K`.")


@app.command("rescore")
def rescore_cmd(
    run_id: str = typer.Argument(..., help="Run whose stored findings to score again."),
    k: Optional[int] = typer.Option(None, "--k", min=0, help="Line tolerance [default: the run's]."),
    strict: Optional[bool] = typer.Option(None, "--strict/--lenient", help="[default: the run's]"),
    judge: Optional[str] = typer.Option(None, "--judge", help="Score with the LLM judge on this litellm model."),
    weights: Optional[str] = typer.Option(None, "--weights", help=_WEIGHTS_HELP + " [default: the run's]"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Score a stored run again under another scorer view (k, lenient, judge, weights), stored beside the old one."""
    from harness.benchmark.case_score import rescore

    weights_map = _weights(weights)
    with open_store() as st:
        res = rescore(st, run_id, k=k, strict=strict, judge=judge, weights=weights_map)
    if as_json:
        emit_json(res)
        return
    m = res.metrics
    typer.echo(f"run {res.run_id}: {res.cases} cases scored with {res.scorer} (k={res.args.get('k')}"
               f"{', lenient' if res.args.get('strict') is False else ''}), view {res.args_hash}"
               f" ({res.replaced} replaced, {res.skipped} skipped); precision {_r3(m.get('precision'))},"
               f" recall {_r3(m.get('recall'))}, f1 {_r3(m.get('f1'))}")


@app.command("report")
def report_cmd(
    run_ids: list[str] = typer.Argument(..., help="Run ids (see `harness runs`); several go side by side."),
    fmt: str = typer.Option("md", "--format", help="md, json, csv, parquet or html."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout."),
    panel: Optional[list[str]] = typer.Option(None, "--panel", help="Replay run ids of the historical "
                                              "reviewers [default: newest replay run per agent, run if missing]."),
    no_panel: bool = typer.Option(False, "--no-panel", help="Leave the historical reviewers out."),
    n_boot: int = typer.Option(1000, "--boot", min=100, help="Bootstrap replicates for the 95% intervals."),
    since: Optional[str] = typer.Option(None, "--since", help="Only gold reports dated on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Only gold reports dated on or before YYYY-MM-DD."),
    cutoff: Optional[str] = typer.Option(None, "--cutoff", help="Training cut-off YYYY-MM-DD: every metric before / "
                                         "after it (default: per model, the cutoffs table of the config)."),
    k: Optional[int] = typer.Option(None, "--k", min=0, help=_K_VIEW),
    weights: Optional[str] = typer.Option(None, "--weights", help=_WEIGHTS_VIEW),
) -> None:
    """Benchmark report of runs beside the historical reviewers: per-report Summary tables and aggregates."""
    from harness.results.report import FORMATS, build_report, write

    weights_map = _weights(weights)
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r} ({', '.join(FORMATS)})")
    with open_store() as st:
        rep = build_report(st, run_ids, panel=panel or None, replay_panel=not no_panel, n_boot=n_boot,
                           since=since, until=until, cutoff=cutoff, cutoffs=_cutoffs(), k=k, weights=weights_map)
    text = write(rep, fmt, output)
    if text is not None:
        sys.stdout.write(text)


def _cutoffs() -> dict:
    """Per-model training cut-offs from the config ([tool.harness.cutoffs] / [cutoffs] in harness.toml)."""
    from harness.core.config import load_config

    return load_config().section("cutoffs")


@app.command("compare")
def compare_cmd(
    run_a: str = typer.Argument(..., help="Run A (the reference)."),
    run_b: str = typer.Argument(..., help="Run B (the challenger); deltas are B − A."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    n_boot: int = typer.Option(1000, "--boot", min=100, help="Bootstrap replicates."),
    k: Optional[int] = typer.Option(None, "--k", min=0, help=_K_VIEW),
    weights: Optional[str] = typer.Option(None, "--weights", help=_WEIGHTS_VIEW),
) -> None:
    """Paired comparison of two runs: metric deltas with intervals, and the gold findings that flipped."""
    from harness.results.compare import compare, to_markdown

    weights_map = _weights(weights)
    with open_store() as st:
        res = compare(st, run_a, run_b, n_boot=n_boot, k=k, weights=weights_map)
    if as_json:
        emit_json(res)
    else:
        sys.stdout.write(to_markdown(res))


@app.command("gate")
def gate_cmd(
    baseline: str = typer.Option(..., "--baseline", help="Baseline RUN id, or a FILE from `harness baseline export`."),
    candidate: str = typer.Option(..., "--candidate", help="Candidate RUN id."),
    metric: str = typer.Option("f1", "--metric", help="Metric to gate on (f1, recall, precision_lenient, ...)."),
    max_drop: float = typer.Option(0.02, "--max-drop", help="Largest allowed drop (absolute, e.g. 0.02 = 2 points)."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here."),
    json_out: Optional[Path] = typer.Option(None, "--json-out", help="Write the result as JSON here."),
    allow_missing: bool = typer.Option(False, "--allow-missing",
                                       help="Pass even if the candidate did not score some baseline reports."),
    k: Optional[int] = typer.Option(None, "--k", min=0, help=_K_VIEW),
    weights: Optional[str] = typer.Option(None, "--weights", help=_WEIGHTS_VIEW),
) -> None:
    """CI regression gate: exit 0 (pass) or 1 (fail) with a one-line verdict; 2 on errors."""
    from harness.results.gate import run_gate

    weights_map = _weights(weights)
    with open_store() as st:
        res = run_gate(st, baseline, candidate, metric=metric, max_drop=max_drop, junit=junit, json_out=json_out,
                       allow_missing=allow_missing, k=k, weights=weights_map)
    typer.echo(res.line)
    if res.verdict != "pass":
        raise typer.Exit(1)


baseline_app = typer.Typer(help="Baseline files for `harness gate` (committed in your repository).",
                           no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("export")
def baseline_export(
    run_id: str = typer.Argument(..., help="Run to freeze as the baseline."),
    output: Path = typer.Option(..., "-o", "--output", help="Baseline JSON file to write."),
) -> None:
    """Write a small baseline JSON (per-report counts, aggregate, scorer, program/model) for the gate."""
    from harness.results.gate import export_baseline, write_baseline

    with open_store() as st:
        b = export_baseline(st, run_id)
    path = write_baseline(b, output)
    f1 = b.aggregate.get("f1")
    who = b.model if b.program == b.model else f"{b.program} · {b.model}"
    typer.echo(f"wrote {path}: run {b.run_id} ({who}), {b.n_reports} reports, "
               f"f1 {'n/a' if f1 is None else f'{f1:.3f}'}")


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo-out"), "--out", help="Output folder (report.md, report.html, ...)."),
    db: Optional[Path] = typer.Option(None, "--db", help="Store to use [default: a fresh OUT/harness.duckdb]."),
) -> None:
    """Everything offline on the shipped synthetic sample: ingest, retro check, replay + a DSPy program on a
    deterministic offline baseline model, report (md + html), leaderboard."""
    from harness.demo.pipeline import run_demo

    res = run_demo(out, db, log=lambda line: typer.echo(f"- {line}"))
    typer.echo("\n## Report (quality)\n\n" + res.summary_md)
    if res.acted_md:
        typer.echo("\n## Acted on: fixed findings, severity weight, cost per found issue\n\n" + res.acted_md)
    if res.cutoff_md:
        typer.echo("\n## Before / after a training cut-off (example: --cutoff 2025-10-01)\n\n" + res.cutoff_md)
    typer.echo("\n## Leaderboard of the recorded reviewers\n\n" + res.leaderboard_md.rstrip())
    typer.echo(f"\nDone in {res.total_s:.1f} s. Open {Path(res.out_dir) / 'report.html'} in a browser.")


# ---------------------------------------------------------------------------------------
# tune / programs
# ---------------------------------------------------------------------------------------


@app.command("tune")
def tune_cmd(
    program: Optional[str] = typer.Option(None, "--program", help="Program to tune: a registry name or saved:HASH "
                                          "[default: cot; consolidate_cot with --task consolidate]."),
    task: str = typer.Option("review", "--task", help="review | consolidate (tune a consolidator)."),
    with_diff: bool = typer.Option(False, "--with-diff", help="--task consolidate: the diff is part of the input."),
    optimizer: str = typer.Option("gepa", "--optimizer", help="gepa | mipro | bootstrap."),
    model: str = typer.Option(..., "--model", help="litellm model the program runs on (the task model)."),
    reflection_model: Optional[str] = typer.Option(None, "--reflection-model", help="Model that proposes "
                                                   "instructions (GEPA reflection, MIPROv2 proposer) [default: --model]."),
    budget: str = typer.Option("light", "--budget", help="light | medium | heavy (each optimiser's own presets)."),
    metric: Optional[str] = typer.Option(None, "--metric", help="f1 | weighted_f1 (mean per report on dev); "
                                         "consolidate: decision_accuracy (default) | f1 | balanced."),
    api_base: Optional[str] = typer.Option(None, "--api-base", help="OpenAI-compatible endpoint URL."),
    seed: int = typer.Option(0, "--seed", help="Optimiser seed (the split's own seed is recorded in the lineage)."),
    split_name: str = typer.Option("default", "--split-name", help="Stored split: trains on train, selects on dev."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Cases evaluated in parallel."),
    max_metric_calls: Optional[int] = typer.Option(None, "--max-metric-calls",
                                                   help="GEPA only: cap on program runs, instead of the budget preset."),
    name: Optional[str] = typer.Option(None, "--name", help="Label of the saved program [default: PROGRAM-OPTIMIZER-BUDGET]."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Optimise a review program's prompt on the train split, select on dev (never test), save it."""
    from harness.tune import TuneOptions, tune

    consolidate = task == "consolidate"
    program = program or ("consolidate_cot" if consolidate else "cot")
    metric = metric or ("decision_accuracy" if consolidate else "f1")
    opts = TuneOptions(program=program, task=task, with_diff=with_diff, optimizer=optimizer, model=model, reflection_model=reflection_model,
                       budget=budget, metric=metric, api_base=api_base, seed=seed, split_name=split_name,
                       threads=concurrency, max_metric_calls=max_metric_calls, name=name)
    with open_store() as st, _tune_progress(optimizer, enabled=sys.stderr.isatty()) as progress:
        res = tune(st, opts, progress=progress)
    if as_json:
        emit_json(res)
    else:
        lin = res.lineage
        typer.echo(_md_rows([{
            "program": res.program or "-", "name": res.name, "status": res.status, "optimizer": optimizer,
            "budget": budget, "trials": lin.get("trials"), f"dev {metric} before": _r3(lin.get("dev_before")),
            "after": _r3(lin.get("dev_after")), "model_calls": lin.get("model_calls"),
            "cost": round(lin.get("cost") or 0.0, 4)}]))
        if res.program:
            from harness.core.secrets import redact

            base = f" --api-base {redact(api_base)}" if api_base else ""
            how = " --task consolidate" if consolidate else ""
            typer.echo(f"run it: harness bench{how} --program {res.program} --model {model}{base} --split test")
    if res.status == "interrupted":
        raise typer.Exit(130)


def _tune_progress(optimizer: str, *, enabled: bool):
    """A `progress(TuneProgress)` callback drawing trials, best dev score and cost on stderr."""
    from contextlib import contextmanager

    @contextmanager
    def bar():
        if not enabled:
            yield None
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        # bound to the real stderr now: tuning swallows sys.stderr while DSPy chatters
        console = Console(file=sys.stderr)
        cols = (SpinnerColumn(), TextColumn(f"tune {optimizer} ({{task.fields[phase]}})"),
                TextColumn("trials {task.fields[trials]}"), TextColumn("best dev {task.fields[best]}"),
                TextColumn("{task.fields[calls]} calls"), TextColumn("${task.fields[cost]:.4f}"), TimeElapsedColumn())
        with Progress(*cols, console=console, transient=True) as p:
            task = p.add_task("tune", total=None, phase="start", trials=0, best="-", calls=0, cost=0.0)

            def update(ev) -> None:
                p.update(task, phase=ev.phase, trials=ev.trials, calls=ev.model_calls, cost=ev.cost,
                         best="-" if ev.best is None else f"{ev.best:.3f}")

            yield update

    return bar()


programs_app = typer.Typer(help="Saved (tuned) review programs: `harness programs` lists them, "
                                "`harness programs show HASH` prints one.", invoke_without_command=True)
app.add_typer(programs_app, name="programs")


@programs_app.callback()
def programs_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Saved programs with the optimiser, models, split seed, dev scores and cost that made them."""
    if ctx.invoked_subcommand is not None:
        return
    from harness.tune import list_programs

    with open_store() as st:
        rows = list_programs(st)
    if as_json:
        emit_json(rows)
        return
    typer.echo(_md_rows([{
        "hash": r["hash"][:12], "name": r["name"], "base": r["base"], "optimizer": r["optimizer"] or "-",
        "budget": r["budget"] or "-", "model": r["model"] or "-", "split_seed": r["split_seed"],
        "dev_before": _r3(r["dev_before"]), "dev_after": _r3(r["dev_after"]), "trials": r["trials"],
        "cost": None if r["cost"] is None else round(r["cost"], 4), "status": r["status"] or "-",
        "created": str(r["created_at"])[:19]} for r in rows]))


@programs_app.command("show")
def programs_show(
    ref: str = typer.Argument(..., help="Program hash, unique hash prefix, saved:HASH or name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A saved program's lineage, and each predictor's instructions and demos."""
    from harness.tune import show_program
    from harness.tune.saved import render_program

    with open_store() as st:
        view = show_program(st, ref)
    if as_json:
        emit_json(view)
    else:
        typer.echo(render_program(view), nl=False)



@app.command("config")
def config_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Effective defaults (model, api-base, split, concurrency, k, judge, weights, gate thresholds) and where each
    comes from: [tool.harness] in pyproject.toml or harness.toml, then HARNESS_* variables; flags win."""
    from harness.core.config import load_config

    rows = load_config().rows()
    if as_json:
        emit_json(rows)
    else:
        typer.echo(_md_rows(rows), nl=False)


def _usage_error(exc) -> int:
    """A click usage mistake as `harness: error: ...` and the command's usage line; exit 2."""
    message = exc.format_message()
    possible = sorted(getattr(exc, "possibilities", None) or ())
    if possible:  # an unknown option close to known ones: say which
        message = f"{exc.message} (did you mean {' or '.join(possible)}?)"
    typer.echo(f"harness: error: {message}", err=True)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
    return exc.exit_code


def _click_exceptions():
    """The exception module of the click that typer uses (recent typer vendors its own copy)."""
    try:
        from typer._click import exceptions
    except ImportError:  # typer < 0.20 uses click itself
        from click import exceptions
    return exceptions


def _ignore_ctrl_c() -> None:
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _first_ctrl_c_only() -> None:
    """The first Ctrl-C stops the command (KeyboardInterrupt, as usual); later presses are ignored,
    so that storing what finished and exiting cannot be cut short halfway."""
    import signal

    def press(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, press)


def main(argv: list[str] | None = None) -> int:
    from harness.core.allocator import limit_malloc_arenas

    limit_malloc_arenas()  # first: before polars or DuckDB start threads (see harness/core/allocator.py)
    from harness.core.errors import HarnessError, Interrupted

    cx = _click_exceptions()
    import warnings

    from harness.core.errors import HarnessWarning

    def show(message, category, *args, **kwargs) -> None:
        if issubclass(category, HarnessWarning):
            typer.echo(f"harness: warning: {message}", err=True)
        else:
            shown(message, category, *args, **kwargs)

    shown, warnings.showwarning = warnings.showwarning, show
    warnings.simplefilter("always", HarnessWarning)
    if argv is None:  # the console script, not a test calling main([...]) in its own process
        _first_ctrl_c_only()
    try:
        rc = app(args=argv, prog_name="harness", standalone_mode=False)
    except Interrupted as exc:
        if argv is None:  # the process is exiting: more presses must not turn that into a traceback
            _ignore_ctrl_c()
        typer.echo(f"harness: {exc.one_line()}", err=True)
        return exc.exit_code
    except HarnessError as exc:
        typer.echo(f"harness: error: {exc.one_line()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        if argv is None:
            _ignore_ctrl_c()
        typer.echo("harness: interrupted", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except cx.NoArgsIsHelpError as exc:  # bare `harness` or a bare group: its help, success
        typer.echo(exc.ctx.get_help())
        return 0
    except cx.UsageError as exc:
        return _usage_error(exc)
    except cx.ClickException as exc:
        typer.echo(f"harness: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except (typer.Abort, cx.Abort if hasattr(cx, "Abort") else typer.Abort):
        typer.echo("harness: aborted", err=True)
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        warnings.showwarning = shown
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
