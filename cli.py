"""`harness` command line: parse arguments, call one library function, print the result.

Heavy modules (duckdb, polars, dspy, litellm) are imported inside the commands so that
`harness --help` stays instant. A HarnessError becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer

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


@app.callback()
def _root(
    db: Optional[str] = typer.Option(
        None, "--db", envvar="HARNESS_DB", help="DuckDB file of the store [default: ./harness.duckdb]."
    ),
) -> None:
    state.db = db


def open_store(read_only: bool = False):
    from harness.store import Store

    return Store(state.db, read_only=read_only)


def emit_json(obj: Any) -> None:
    """Print a model or plain object as JSON on stdout."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json", by_alias=True)
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"harness: error: {message}", err=True)
    raise typer.Exit(code)


# ---------------------------------------------------------------------------------------
# gold set: ingest / reports / show
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# scorers: score
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# retro / leaderboard
# ---------------------------------------------------------------------------------------


@app.command("retro")
def retro_cmd(
    report_id: Optional[str] = typer.Argument(None, help="Report id (see `harness reports`)."),
    check: bool = typer.Option(False, "--check", help="Compare with the published table cell by cell."),
    all_: bool = typer.Option(False, "--all", help="Every stored report."),
    fmt: str = typer.Option("md", "--format", help="md, json or csv."),
) -> None:
    """Recompute a report's agent retro Summary table from the stored data (and check the published one)."""
    from harness import retro

    if fmt not in ("md", "json", "csv"):
        fail(f"unknown format {fmt!r} (md, json or csv)")
    if not all_ and not report_id:
        fail("give a report id or --all")
    with open_store() as st:
        results = retro.retro(st, None if all_ else [report_id], check=check)
    out = {"md": lambda: retro.to_markdown(results, check), "json": lambda: retro.to_json(results) + "\n",
           "csv": lambda: retro.to_csv(results)}[fmt]()
    sys.stdout.write(out)
    if check and any(r.disagreements for r in results):
        raise typer.Exit(1)


@app.command("leaderboard")
def leaderboard_cmd(
    since: Optional[str] = typer.Option(None, "--since", help="Reports on or after DATE (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="Reports on or before DATE."),
    pr: Optional[int] = typer.Option(None, "--pr", help="Only reports of this PR."),
    fmt: str = typer.Option("md", "--format", help="md, json, csv or parquet."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout."),
    n_boot: int = typer.Option(1000, "--boot", help="Bootstrap replicates for the 95% intervals."),
) -> None:
    """One row per reviewer model over the stored reports, with bootstrap 95% intervals."""
    from harness import leaderboard as lb

    with open_store() as st:
        df = lb.leaderboard(st, since=since, until=until, pr=pr, n_boot=n_boot)
    text = lb.write(df, fmt, output)
    if text is not None:
        sys.stdout.write(text)


# ---------------------------------------------------------------------------------------
# dataset / bench / runs
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# report / compare / gate / baseline / demo
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# tune / programs
# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from harness.errors import HarnessError

    try:
        rc = app(args=argv, prog_name="harness", standalone_mode=False)
    except HarnessError as exc:
        typer.echo(f"harness: error: {exc.one_line()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("harness: interrupted", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click usage errors in non-standalone mode
        return int(exc.code or 0)
    except Exception as exc:  # click.UsageError and friends
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            typer.echo("harness: aborted", err=True)
            return 130
        raise
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
