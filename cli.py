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
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
) -> None:
    """Score a reviewer's findings against a stored report's gold; prints each label with its evidence."""
    from harness.scoring import score_file, score_table

    with open_store() as st:
        result = score_file(st, report_id, findings, k=k, strict=strict, scorer=scorer, judge=judge)
    if as_json:
        emit_json(result)
    else:
        typer.echo(score_table(result))


# ---------------------------------------------------------------------------------------
# retro / leaderboard
# ---------------------------------------------------------------------------------------


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
