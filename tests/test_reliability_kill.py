"""SIGKILL in the middle of `harness bench`, `harness ingest` and `harness tune` (real processes),
then resume / re-run: the store opens, nothing is half-written (a report's child rows, a case's
predictions are all there or not at all), and the result equals an uninterrupted one.

Only the killed process is a subprocess; the resume and the uninterrupted reference run in this
process through `cli.main` (the same code path, without paying litellm's import again)."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest

from cli import main
from harness.store import Store
from harness.store import gold
from openai_server import OpenAIServer
from reliability_tools import assert_run_consistent, dump_store, dump_table, harness_proc, subprocess_env
from runner_data import answer_for, populate

from conftest import SAMPLE

pytestmark = pytest.mark.slow


def _wait(cond, proc, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the process never reached the kill point"
        time.sleep(0.005)


def _stored_cases(db: Path) -> int:
    """Cases a running bench has committed so far (it lets go of the file between batches)."""
    from harness.core.errors import StoreError

    try:
        with Store(db, read_only=True, wait_s=5) as st:
            return st.one("SELECT count(*) FROM run_cases")[0]
    except StoreError:  # not let in within the wait
        return 0


def _kill(proc) -> None:
    assert proc.poll() is None, "finished before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


# -- bench ------------------------------------------------------------------------------------------


def _case_set(st: Store, run_id: str) -> tuple[list, list]:
    cases = st.all("SELECT c.report_id, c.epoch, c.status, s.tp, s.fp, s.fn FROM run_cases c"
                   " LEFT JOIN scores s USING (run_id, report_id, epoch) WHERE c.run_id = ? ORDER BY ALL", [run_id])
    preds = st.all("SELECT p.report_id, p.epoch, p.idx, p.title, l.label, p.finding FROM run_predictions p"
                   " LEFT JOIN score_labels l ON l.run_id = p.run_id AND l.report_id = p.report_id AND l.epoch = p.epoch AND l.side = 'pred' AND l.idx = p.idx WHERE p.run_id = ? ORDER BY ALL", [run_id])
    return cases, preds


def test_sigkill_bench_then_resume_equals_uninterrupted(tmp_path, capsys):
    pytest.importorskip("scorers")
    db = tmp_path / "kill.duckdb"
    n = 30
    with Store(db) as st:
        populate(st, n)
    with OpenAIServer(responder=answer_for, delay=0.15) as srv:
        args = ["bench", "--model", "openai/test-model", "--split", "all", "--api-base", srv.url,
                "--concurrency", "4", "--epochs", "2", "--json"]
        proc = harness_proc(*args, env=subprocess_env(db))
        # the kill lands with cases stored and others in flight
        _wait(lambda: srv.requests >= 8 and _stored_cases(db) > 0, proc)
        _kill(proc)

        with Store(db) as st:  # opens: no damage
            (run_id, status), = st.all("SELECT run_id, status FROM runs")
            before = st.one("SELECT count(*) FROM run_cases WHERE run_id = ?", [run_id])[0]
            assert status == "running" and 0 < before < 2 * n
            assert_run_consistent(st, run_id)  # whole cases only: each with all its predictions

        rc, out, err = _cli(capsys, "--db", str(db), "bench", "--resume", run_id, "--api-base", srv.url, "--json")
        assert rc == 0, err
        resumed = json.loads(out)
        rc, out, err = _cli(capsys, "--db", str(db), *args)
        assert rc == 0, err
        clean = json.loads(out)
    assert resumed["run_id"] == run_id and resumed["status"] == "complete"
    assert resumed["scored"] == resumed["finished"] == resumed["cases"] == 2 * n
    assert resumed["metrics"] == clean["metrics"] and clean["cache_hits"] == 2 * n
    with Store(db) as st:
        assert_run_consistent(st, run_id)
        assert _case_set(st, run_id) == _case_set(st, clean["run_id"])  # same scored set, same labels


# -- ingest -----------------------------------------------------------------------------------------

REPORTS = 300


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """300 report files: the good samples under fresh ids (~3 MB, a few seconds of parsing)."""
    folder = tmp_path_factory.mktemp("reports")
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("2*.md"))]
    for i in range(REPORTS):
        text = re.sub(r"^# Deep Review: \S+", f"# Deep Review: kill-{i:04d}", texts[i % len(texts)],
                      count=1, flags=re.M)
        (folder / f"k{i:04d}.md").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def clean_ingest(corpus, tmp_path_factory):
    from harness.gold.ingest import ingest_paths

    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    with Store(db) as st:
        ingest_paths(st, [corpus])
        return {t: rows for t, rows in dump_store(st, stamps=False).items() if t != "schema_migrations"}


def _by_report(dump: dict[str, list[tuple]], st: Store, ids: set[str]) -> dict[str, list[tuple]]:
    """Rows of the per-report tables that belong to `ids` (first column is the report id)."""
    out = {}
    for t in gold_tables(st):
        out[t] = [r for r in dump[t] if r[0] in ids]
    return out


def gold_tables(st: Store) -> list[str]:
    return [r[0] for r in st.all(
        "SELECT table_name FROM information_schema.columns WHERE ordinal_position = 1"
        " AND column_name IN ('report_id', 'id') AND table_name NOT IN ('runs', 'programs') ORDER BY 1")]


@pytest.mark.parametrize("when", ["parsing", "writing"])
def test_sigkill_ingest_then_rerun_equals_uninterrupted(tmp_path, corpus, clean_ingest, when):
    from harness.gold.ingest import ingest_paths

    db = tmp_path / "ingest.duckdb"
    Store(db).close()  # migrated and checkpointed: the WAL appears only when the batch commits
    wal = Path(f"{db}.wal")
    proc = harness_proc("ingest", str(corpus), "--json", env=subprocess_env(db))
    if when == "writing":
        _wait(wal.exists, proc)
    else:
        time.sleep(1.0)  # start-up ~0.5 s, parsing ~2 s
        assert not wal.exists()
    _kill(proc)

    with Store(db) as st:
        stored = set(gold.report_ids(st))
        assert stored in (set(), {f"kill-{i:04d}" for i in range(REPORTS)}), len(stored)  # all or nothing
        now = {t: rows for t, rows in dump_store(st, stamps=False).items() if t != "schema_migrations"}
        assert _by_report(now, st, stored) == _by_report(clean_ingest, st, stored)  # no half-written report
        ingest_paths(st, [corpus])
        after = {t: rows for t, rows in dump_store(st, stamps=False).items() if t != "schema_migrations"}
    assert after == clean_ingest


# -- tune -------------------------------------------------------------------------------------------


def test_sigkill_tune_then_rerun_equals_uninterrupted(tmp_path, capsys):
    pytest.importorskip("harness.tune", reason="`harness tune` is not merged yet")
    from openai_server import Reply
    from tune_fixtures import Script, populate as tune_populate

    db = tmp_path / "tune.duckdb"
    with Store(db) as st:
        tune_populate(st)
    script = Script()
    args = ["tune", "--program", "cot", "--optimizer", "gepa", "--model", "openai/task", "--concurrency", "1",
            "--max-metric-calls", "14", "--seed", "3", "--json"]
    with OpenAIServer(responder=lambda body: Reply(content=script.respond(body["messages"])), delay=0.05) as srv:
        proc = harness_proc(*args, "--api-base", srv.url, env=subprocess_env(db))
        _wait(lambda: srv.requests >= 6, proc)  # past the base program's dev scores
        _kill(proc)
        with Store(db) as st:
            (tune_id, status), = st.all("SELECT tune_id, status FROM tune_runs")
            assert status == "running"
            assert st.one("SELECT count(*) FROM programs WHERE hash IN"
                          " (SELECT program_hash FROM tune_runs)")[0] == 0  # nothing saved half-way
            trials = st.all("SELECT trial FROM tune_trials WHERE tune_id = ? ORDER BY trial", [tune_id])
            assert [t[0] for t in trials] == list(range(1, len(trials) + 1))  # numbered without gaps
        rc, out, err = _cli(capsys, "--db", str(db), *args, "--api-base", srv.url)
        assert rc == 0, err
        rerun = json.loads(out)
    ref_db = tmp_path / "ref.duckdb"
    with Store(ref_db) as st:
        tune_populate(st)
    with OpenAIServer(responder=lambda body: Reply(content=Script().respond(body["messages"]))) as srv:
        rc, out, err = _cli(capsys, "--db", str(ref_db), *args, "--api-base", srv.url)
        assert rc == 0, err
        ref = json.loads(out)
    assert rerun["status"] == ref["status"] == "complete"
    assert rerun["program_hash"] == ref["program_hash"]
    assert rerun["lineage"]["dev_after"] == ref["lineage"]["dev_after"]
    with Store(db) as st, Store(ref_db) as rst:
        new_id = rerun["lineage"]["tune_id"]
        assert dump_table(st, "tune_trials", f"WHERE tune_id = '{new_id}'", stamps=False) == [
            (new_id, *r[1:]) for r in dump_table(rst, "tune_trials", stamps=False)]
