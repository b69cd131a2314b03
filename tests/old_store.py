"""A store as an older release left it: the migrations before a version, applied and recorded."""

from __future__ import annotations

import duckdb

from harness.store import migrations


def store_before(path, version: int) -> duckdb.DuckDBPyConnection:
    """Apply every migration numbered below `version` to a new file; returns the open connection
    (insert the old rows, then close it and open the file with `Store` to migrate it)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    for number, name, text in migrations():
        if number < version:
            con.execute(text)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
    return con
