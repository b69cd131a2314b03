"""The `harness bench` progress bar: cases done, ETA, money spent so far and case errors."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from harness.benchmark.runner import Progress


@contextmanager
def bench_progress(console: Any, *, enabled: bool = True) -> Iterator[Progress | None]:
    """Yields a `progress(done, total, errors, spent)` callback, or None when not on a terminal."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

    with Bar(TextColumn("bench"), BarColumn(), MofNCompleteColumn(), TextColumn("ETA"), TimeRemainingColumn(),
             TextColumn("${task.fields[spent]:.4f}"), TextColumn("{task.fields[errors]} errors"),
             console=console, transient=True) as bar:
        task = bar.add_task("bench", total=None, spent=0.0, errors=0)

        def update(done: int, total: int, errors: int, spent: float) -> None:
            bar.update(task, completed=done, total=total, errors=errors, spent=spent)

        yield update
