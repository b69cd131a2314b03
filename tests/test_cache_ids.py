"""The cache tables are indexed by a 64-bit id of the key (migration 0016); the key decides a hit."""

from __future__ import annotations

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from harness.core.hashing import content_hash, key_id
from harness.store import Store
from harness.store import memo
from harness.store import runs as sql
from old_store import store_before


@given(st.text(max_size=200))
def test_key_id_is_the_migrations_sql_id(key):
    con = duckdb.connect()
    (in_sql,) = con.execute("SELECT ('0x' || left(sha256(?), 16))::UBIGINT", [key]).fetchone()
    assert key_id(key) == in_sql
    assert 0 <= key_id(key) < 2**64


def _store_before_0016(path) -> None:
    """A store as the last release left it: every migration up to 0015, cache rows keyed by text."""
    con = store_before(path, 16)
    for i in range(3):
        con.execute("INSERT INTO model_calls (key, model, epoch, response, finish_reason, input_tokens,"
                    " output_tokens, cost, duration_s) VALUES (?, 'm', 0, ?, 'stop', 10, 2, NULL, 0.1)",
                    [content_hash(f"request {i}"), f'{{"answer": {i}}}'])
    con.execute("INSERT INTO case_memo (key, kind, value) VALUES ('case:' || ?, 'case', '{\"score\": 1}')",
                [content_hash("case")])
    con.close()


def test_migration_keeps_every_cached_answer_and_memo(tmp_path):
    path = tmp_path / "old.duckdb"
    _store_before_0016(path)
    with Store(path) as st:
        assert st.schema_version() >= 16
        for i in range(3):
            row = sql.cache_get(st, content_hash(f"request {i}"))
            assert row is not None and row["response"] == f'{{"answer": {i}}}' and row["cost"] is None
        key = "case:" + content_hash("case")
        assert memo.memo_get_many(st, [key, "case:absent"]) == {key: {"score": 1}}
        ids = {k: i for k, i in st.all("SELECT key, id FROM model_calls")}
        assert ids == {k: key_id(k) for k in ids}


def test_a_key_sharing_the_id_of_a_cached_key_is_no_hit(tmp_path):
    """Two keys with one id: the id finds the row, the key comparison refuses it."""
    with Store(tmp_path / "s.duckdb") as st:
        sql.cache_put(st, "k1", model="m", epoch=0, response="one", finish_reason="stop", input_tokens=1,
                      output_tokens=1, cost=0.0, duration_s=0.1)
        memo.memo_put(st, "m1", "case", {"v": 1})
        # forge the collision: a stored row whose key is another key of the same id
        st.execute("UPDATE model_calls SET key = 'k1-other' WHERE key = 'k1'")
        st.execute("UPDATE case_memo SET key = 'm1-other' WHERE key = 'm1'")
        assert sql.cache_get(st, "k1") is None
        assert memo.memo_get_many(st, ["m1"]) == {}
        # and storing the colliding key leaves the first row alone (that request is not cached)
        sql.cache_put(st, "k1", model="m", epoch=0, response="two", finish_reason="stop", input_tokens=1,
                      output_tokens=1, cost=0.0, duration_s=0.1)
        assert st.all("SELECT key, response FROM model_calls") == [("k1-other", "one")]


def test_writer_batches_store_ids_that_lookups_find(tmp_path):
    with Store(tmp_path / "s.duckdb") as st:
        w = sql.RunWriter(st, flush_s=0.0)
        for i in range(5):
            w.cache_put(f"key {i}", model="m", epoch=0, response=f"r{i}", finish_reason="stop", input_tokens=1,
                        output_tokens=1, cost=None, duration_s=0.1, cached_input_tokens=None)
        w.flush()
        w.close()
        assert {k: i for k, i in st.all("SELECT key, id FROM model_calls")} == {f"key {i}": key_id(f"key {i}")
                                                                                for i in range(5)}
        for i in range(5):
            assert sql.cache_get(st, f"key {i}")["response"] == f"r{i}"
