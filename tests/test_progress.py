"""Progress: a line every 10 s on a non-terminal (done/total, errors, cost, ETA), a bar on a terminal."""

from __future__ import annotations

import io

import cli
from conftest import SAMPLE
from harness.core import progress as prog


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_non_tty_writes_a_line_every_ten_seconds_and_a_last_one():
    out, clock = io.StringIO(), Clock()
    with prog.progress("bench", stream=out, tty=False, clock=clock) as update:
        for done in range(1, 41):
            clock.t += 1.0  # one case a second: 40 s in all
            update(done, 40, done // 20, 0.001 * done)
    lines = out.getvalue().splitlines()
    assert len(lines) == 5  # at 10, 20, 30, 40 s, and the end
    assert lines[0] == "bench: 10/40 (25%), 0 errors, $0.0100, ETA 30s"
    assert lines[1] == "bench: 20/40 (50%), 1 error, $0.0200, ETA 20s"
    assert lines[-1] == "bench: 40/40 (100%), 2 errors, $0.0400, done in 40.0 s"


def test_quick_work_prints_nothing():
    out, clock = io.StringIO(), Clock()
    with prog.progress("ingest", stream=out, tty=False, clock=clock) as update:
        for done in range(1, 6):
            clock.t += 0.1
            update(done, 5)
    assert out.getvalue() == ""


def test_tty_draws_a_bar_only_after_two_seconds():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out, clock = Tty(), Clock()
    with prog.progress("dataset inputs", stream=out, clock=clock) as update:
        update(1, 10)
        assert out.getvalue() == ""
        clock.t += 3
        update(5, 10, 1, None)
    assert "dataset inputs" in out.getvalue()


def test_bench_on_a_non_terminal_reports_progress(capsys, monkeypatch):
    monkeypatch.setattr(prog, "EVERY", 0.0)
    monkeypatch.setattr(prog, "AFTER", 0.0)
    assert cli.main(["ingest", str(SAMPLE)]) == 0
    capsys.readouterr()
    rc = cli.main(["bench", "--model", "replay:Claude", "--split", "all", "--json"])
    err = capsys.readouterr().err
    assert rc == 0, err
    lines = [x for x in err.splitlines() if x.startswith("bench: ")]
    assert lines and lines[-1].startswith("bench: 6/6 (100%), 0 errors, $0.0000, done in ")


def test_report_runs_no_panel_replay_and_says_how_to_add_them(capsys, monkeypatch, tmp_path):
    """A report only reads stored scores (issue: one gold, one score): the missing replays of the
    panel are named with the command that stores them, and nothing is run or written."""
    from harness.store import Store

    monkeypatch.setattr(prog, "EVERY", 0.0)
    monkeypatch.setattr(prog, "AFTER", 0.0)
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "r.duckdb"))
    assert cli.main(["ingest", str(SAMPLE)]) == 0
    assert cli.main(["bench", "--model", "replay:Claude", "--split", "all", "--json"]) == 0
    with Store() as st:
        (run_id,) = st.one("SELECT run_id FROM runs")
    capsys.readouterr()
    assert cli.main(["report", run_id, "--boot", "100"]) == 0
    captured = capsys.readouterr()
    assert "replaying" not in captured.err and "harness bench --model replay:" in captured.out
    with Store() as st:
        assert st.one("SELECT count(*) FROM runs")[0] == 1
