"""Predictions and score labels lose their own primary key (migration 0017); no row is lost."""

from __future__ import annotations

from harness.store import Store
from old_store import store_before

_PRED = ("INSERT INTO run_predictions (run_id, report_id, epoch, idx, severity, title, locations, body, category,"
         " finding) VALUES (?, ?, 0, ?, 'important', ?, [{'path': 'src/a.py', 'line_start': 3, 'line_end': 4}],"
         " 'why', NULL, '{}')")
_LABEL = ("INSERT INTO score_labels (run_id, report_id, epoch, scorer, args_hash, side, idx, label, affinity,"
          " evidence) VALUES (?, ?, 0, 'default', 'h', ?, ?, ?, 0.5, '{}')")


def _store_before_0017(path) -> None:
    con = store_before(path, 17)
    for rid in ("r2", "r1"):
        for i in range(2):
            con.execute(_PRED, ["run", rid, i, f"{rid} finding {i}"])
            con.execute(_LABEL, ["run", rid, "pred", i, "true_positive" if i else "novel"])
        con.execute(_LABEL, ["run", rid, "gold", 0, "found"])
    con.close()


def _keys(st: Store, table: str) -> list:
    return st.all("SELECT constraint_type FROM duckdb_constraints() WHERE table_name = ?"
                  " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')", [table])


def test_migration_keeps_every_prediction_and_label_without_an_index(tmp_path):
    path = tmp_path / "old.duckdb"
    _store_before_0017(path)
    with Store(path) as st:
        assert st.schema_version() >= 17
        assert st.all("SELECT report_id, idx, title, locations[1].line_end FROM run_predictions ORDER BY ALL") == [
            ("r1", 0, "r1 finding 0", 4), ("r1", 1, "r1 finding 1", 4),
            ("r2", 0, "r2 finding 0", 4), ("r2", 1, "r2 finding 1", 4)]
        assert st.all("SELECT report_id, side, idx, label, affinity FROM score_labels ORDER BY ALL") == [
            ("r1", "gold", 0, "found", 0.5), ("r1", "pred", 0, "novel", 0.5), ("r1", "pred", 1, "true_positive", 0.5),
            ("r2", "gold", 0, "found", 0.5), ("r2", "pred", 0, "novel", 0.5), ("r2", "pred", 1, "true_positive", 0.5)]
        assert _keys(st, "run_predictions") == [] and _keys(st, "score_labels") == []
        assert _keys(st, "run_cases") and _keys(st, "scores")  # the parents keep theirs


def test_labels_still_refuse_an_unknown_side(tmp_path):
    import pytest

    with Store(tmp_path / "s.duckdb") as st:
        with pytest.raises(Exception, match="(?i)constraint"):
            st.execute(_LABEL, ["run", "r1", "elsewhere", 0, "novel"])
