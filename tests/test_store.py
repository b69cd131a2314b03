from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from harness.core.errors import NotFound, StoreError
from harness.core.models import Finding, Location, Report, Severity
from harness.store import Store, migrations
from harness.store import gold


def test_migrations_apply_once_and_are_recorded(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        v = st.schema_version()
        assert v == max(m[0] for m in migrations())
        n = st.one("SELECT count(*) FROM schema_migrations")[0]
    with Store(path) as st:  # reopening applies nothing new
        assert st.one("SELECT count(*) FROM schema_migrations")[0] == n


def _report(body: str = "x") -> Report:
    return Report(
        id="r1", content_hash=body, pr=7,
        findings=[Finding(id="C1", severity=Severity.critical, title="t", body=body,
                          locations=[Location(path="a.go", line_start=3, line_end=5)])],
    )


def test_put_report_is_idempotent_and_replaces(store):
    assert gold.put_report(store, _report("a")) == "new"
    assert gold.put_report(store, _report("a")) == "unchanged"
    assert gold.put_report(store, _report("b")) == "replaced"
    assert store.one("SELECT count(*) FROM findings")[0] == 1
    got = gold.get_report(store, "r1")
    assert got.findings[0].body == "b"
    assert got.findings[0].locations[0].line_end == 5


def test_missing_report_is_not_found(store):
    with pytest.raises(NotFound):
        gold.get_report(store, "nope")


def _hold_lock(path, ready, release):
    st = Store(path)
    ready.set()
    release.wait(10)
    st.close()


def test_second_writer_gets_one_line_error(tmp_path):
    path = str(tmp_path / "locked.duckdb")
    Store(path).close()
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_hold_lock, args=(path, ready, release))
    p.start()
    try:
        assert ready.wait(20)
        with pytest.raises(StoreError) as ei:
            Store(path, wait_s=0)
        assert "in use by another harness process" in ei.value.one_line()
        assert "\n" not in ei.value.one_line()
    finally:
        release.set()
        p.join(10)
    with Store(path) as st:  # the file is intact afterwards
        assert st.schema_version() >= 1


def test_frame_returns_polars_after_other_statements(store):
    gold.put_report(store, _report("a"))
    store.one("SELECT count(*) FROM reports")
    df = store.frame("SELECT id, pr FROM reports WHERE pr = ?", [7])
    assert df.to_dicts() == [{"id": "r1", "pr": 7}]
    assert store.frame("SELECT id FROM reports WHERE pr = 99").height == 0


def _count_in_other_process(path: str, wait_s: float) -> int:
    """Open the store read-only in another interpreter (DuckDB's lock is per process) and count
    reports; -1 when it was not let in within `wait_s`."""
    import subprocess
    import sys

    code = ("import sys; from harness.store import Store; from harness.core.errors import StoreError\n"
            "try:\n    st = Store(sys.argv[1], read_only=True, wait_s=float(sys.argv[2]))\n"
            "except StoreError:\n    print(-1); sys.exit()\n"
            "print(st.one('SELECT count(*) FROM reports')[0]); st.close()")
    out = subprocess.run([sys.executable, "-c", code, path, str(wait_s)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_a_shared_store_lets_waiting_processes_in_and_reopens_on_use(tmp_path):
    path = str(tmp_path / "shared.duckdb")
    with Store(path, wait_s=0) as st:
        gold.put_report(st, _report("a"))
        assert _count_in_other_process(path, 1.0) == -1  # held: another process cannot even read
        st.share()
        assert _count_in_other_process(path, 30) == 1  # it knocks and is let in
        assert not Path(path + ".wait").exists()  # and stops knocking once in
        r2 = _report("b").model_copy(update={"id": "r2"})
        gold.put_report(st, r2)  # reopened on use
        assert st.one("SELECT count(*) FROM reports")[0] == 2
        assert not st.release_idle(0.0)  # nobody waits: the sharer keeps the file (reopening costs)
        assert st.release_idle(0.0, always=True)
        assert _count_in_other_process(path, 30) == 2  # what the sharer wrote is there for readers


def test_release_idle_never_closes_inside_a_transaction_or_an_unshared_store(tmp_path):
    with Store(tmp_path / "s.duckdb") as st:
        assert not st.release_idle(0.0, always=True)  # not shared: keeps the file
        st.share()
        with st.transaction():
            st.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'probe')")
            # same thread, re-entrant lock: the depth guard holds
            assert not st.release_idle(0.0, always=True)
        assert st.one("SELECT count(*) FROM schema_migrations WHERE version = 9999")[0] == 1
        assert st.release_idle(0.0, always=True)
        assert not st.release_idle(0.0, always=True)  # already closed


def test_a_shared_store_reopens_its_file_after_hold_s_even_unwatched(tmp_path, monkeypatch):
    import harness.store as store_module

    with Store(tmp_path / "s.duckdb") as st:
        st.share()
        assert not st.release_idle(0.0)  # fresh, nobody waiting: kept
        monkeypatch.setattr(store_module, "HOLD_S", 0.0)
        assert st.release_idle(0.0)  # held long enough: let go (DuckDB's memory with it)
        assert st.one("SELECT 1")[0] == 1  # reopened on use
