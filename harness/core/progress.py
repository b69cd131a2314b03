"""Progress of anything that can take more than a couple of seconds (ingest, dataset build, bench).

`progress(label)` yields an `update(done, total, errors=0, cost=None)` callback. On a terminal it
draws a bar (from the first update after `AFTER` seconds, so quick commands stay clean); elsewhere
(CI logs, pipes) it writes one line every `EVERY` seconds, and a last line at the end when the
work took longer than `AFTER`:

    bench: 37/200 (18%), 2 errors, $0.0123, ETA 1m05s
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TextIO

AFTER = 2.0  # seconds before anything is shown
EVERY = 10.0  # seconds between two lines on a non-terminal

Update = Callable[..., None]  # (done, total, errors=0, cost=None)


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def status_line(label: str, done: int, total: int | None, errors: int, cost: float | None,
                elapsed: float, final: bool = False) -> str:
    parts = [f"{label}: {done}/{total}" + (f" ({100 * done // total}%)" if total else "") if total
             else f"{label}: {done}"]
    parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if cost is not None:
        parts.append(f"${cost:.4f}")
    if final:
        parts.append(f"done in {elapsed:.1f} s")
    elif total and done:
        parts.append(f"ETA {_duration(elapsed / done * (total - done))}")
    return ", ".join(parts)


class _Lines:
    """Non-terminal: a line every EVERY seconds, and a last one if the work took over AFTER."""

    def __init__(self, label: str, stream: TextIO, clock: Callable[[], float]):
        self.label, self.stream, self.clock = label, stream, clock
        self.start = self.last = clock()
        self.state: tuple[int, int | None, int, float | None] | None = None

    def __call__(self, done: int, total: int | None, errors: int = 0, cost: float | None = None) -> None:
        self.state = (done, total, errors, cost)
        now = self.clock()
        if now - self.last >= EVERY:
            self.last = now
            self._write(now)

    def _write(self, now: float, final: bool = False) -> None:
        assert self.state is not None
        self.stream.write(status_line(self.label, *self.state, now - self.start, final) + "\n")
        self.stream.flush()

    def close(self) -> None:
        now = self.clock()
        if self.state is not None and now - self.start > AFTER:
            self._write(now, final=True)


class _Bar:
    """Terminal: a rich bar on stderr, started by the first update after AFTER seconds."""

    def __init__(self, label: str, stream: TextIO, clock: Callable[[], float]):
        self.label, self.stream, self.clock = label, stream, clock
        self.start = clock()
        self.bar: Any = None

    def __call__(self, done: int, total: int | None, errors: int = 0, cost: float | None = None) -> None:
        if self.bar is None:
            if self.clock() - self.start < AFTER:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TextColumn("ETA"),
                                TimeRemainingColumn(), TextColumn("{task.fields[extra]}"),
                                console=Console(file=self.stream), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total, extra="")
        extra = f"{errors} errors" + (f"  ${cost:.4f}" if cost is not None else "")
        self.bar.update(self.task, completed=done, total=total, extra=extra)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def progress(label: str, *, stream: TextIO | None = None, tty: bool | None = None,
             clock: Callable[[], float] = time.monotonic) -> Iterator[Update]:
    stream = sys.stderr if stream is None else stream
    if tty is None:
        tty = stream.isatty()
    shown = (_Bar if tty else _Lines)(label, stream, clock)
    try:
        yield shown
    finally:
        shown.close()
