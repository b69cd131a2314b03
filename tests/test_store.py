from __future__ import annotations

import multiprocessing as mp

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
