"""The DuckDB store: one file, numbered migrations, and every SQL statement of the project.

`Store` owns the connection and the migrations; the domain modules beside this file
(`gold`, ...) hold the SQL for their tables and return pydantic models or polars frames.
Migrations are `migrations/NNNN_name.sql`, applied in order when the store opens, each in
one transaction and recorded in `schema_migrations`.
"""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import duckdb
import polars as pl

from harness.core.allocator import limit_malloc_arenas
from harness.core.errors import StoreError

DEFAULT_DB = "harness.duckdb"
DEFAULT_WAIT_S = 10.0  # another process's short batch or read ends well within this
SHARED_WAIT_S = 600.0  # a shared store's own reopen: a reader's report may take a while
HOLD_S = 2.0  # a shared store reopens its file at least this often (memory, see release_idle)
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def default_db_path() -> str:
    return os.environ.get("HARNESS_DB") or DEFAULT_DB


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every shipped migration, in order."""
    out = []
    for entry in resources.files("harness.store").joinpath("migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            out.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort()
    versions = [v for v, _, _ in out]
    if len(set(versions)) != len(versions):
        raise StoreError(f"duplicate migration numbers: {versions}")
    return out


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


class Store:
    """A DuckDB file with the schema migrated to the newest version.

    DuckDB allows one writing process per file, and no reader beside it. Opening waits up to
    `wait_s` seconds (default HARNESS_DB_WAIT, else DEFAULT_WAIT_S) for another process to let
    go, then raises a StoreError instead of a traceback. The connection is shared by threads
    through a lock: DuckDB connections are not re-entrant across threads.

    A long writer (a benchmark run) calls `share()`: from then on the file is opened on demand,
    and closed whenever another process waits for it (see `_knock`) and nobody here has used it
    for a moment, so other processes read (and write) the store between the writer's short batches.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 wait_s: float | None = None):
        self.path = str(path if path is not None else default_db_path())
        self.read_only = read_only
        self._lock = threading.RLock()
        if wait_s is None:
            env = os.environ.get("HARNESS_DB_WAIT")
            wait_s = float(env) if env not in (None, "") else DEFAULT_WAIT_S
        self.wait_s = wait_s
        self._shared = False
        self._unshared: threading.Event | None = None  # stops the releasing thread
        self._tx_depth = 0  # release_idle never closes inside a transaction (the lock is re-entrant)
        self._last_use = self._opened_at = time.monotonic()
        limit_malloc_arenas()  # DuckDB starts ~10 threads on its first connect; the harness CLI did it already
        self._con: duckdb.DuckDBPyConnection | None = self._connect(wait_s)
        if not read_only:
            self._migrate()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open connection (reopened on demand once the store is shared). Use under `_lock`."""
        with self._lock:
            if self._con is None:
                self._con = self._connect(max(self.wait_s, SHARED_WAIT_S))
                self._opened_at = time.monotonic()
            self._last_use = time.monotonic()
            return self._con

    # -- sharing the file with other processes ---------------------------------------
    def share(self, idle_s: float = 0.2) -> None:
        """Let go of the file when another process waits for it and it sat unused for `idle_s`
        seconds (a background thread checks); it is reopened on the next use."""
        if self.path == ":memory:":
            return  # nothing to share, and closing would lose it
        with self._lock:
            if self._shared:
                return
            self._shared = True
            stop = self._unshared = threading.Event()

        def release() -> None:
            while not stop.wait(idle_s / 2):
                self.release_idle(idle_s)

        threading.Thread(target=release, name="store-release", daemon=True).start()

    def unshare(self) -> None:
        with self._lock:
            self._shared = False
            if self._unshared is not None:
                self._unshared.set()
                self._unshared = None

    def release_idle(self, idle_s: float, *, always: bool = False) -> bool:
        """Close the file if the store is shared, unused for `idle_s` seconds, and another process
        waits for it or it has been open for HOLD_S (or `always`); True if closed.

        Reopening costs tens of milliseconds, so a run nobody watches keeps the file open, but not
        for ever: an open DuckDB file keeps what it read and wrote in memory, and a long run's
        memory would grow with the store (~5 MB per 1,000 cases, measured). Callers that got a
        result cursor from `execute` fetch it within microseconds, so a connection idle that long
        has nothing pending."""
        if not (always or self._knocked() or time.monotonic() - self._opened_at > HOLD_S):
            return False
        if not self._lock.acquire(blocking=False):
            return False  # in use right now
        try:
            if (not self._shared or self._con is None or self._tx_depth
                    or time.monotonic() - self._last_use < idle_s):
                return False
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._con = None
            return True
        finally:
            self._lock.release()

    # A process that finds the file locked "knocks": it touches FILE.wait while it waits, and a
    # sharing process lets go of the file at its next idle moment when the knock is recent.
    def _knock_file(self) -> Path:
        return Path(self.path + ".wait")

    def _knock(self) -> None:
        try:
            self._knock_file().touch()
        except OSError:  # a read-only folder: the sharer then keeps the file until it ends
            pass

    def _knocked(self, within_s: float = 5.0) -> bool:
        if self.path == ":memory:":
            return False
        try:
            return time.time() - self._knock_file().stat().st_mtime < within_s
        except OSError:
            return False

    def _connect(self, wait_s: float) -> duckdb.DuckDBPyConnection:
        if self.path != ":memory:":
            parent = Path(self.path).resolve().parent
            if not parent.exists():
                raise StoreError(f"cannot open store {self.path}: folder {parent} does not exist")
            if self.read_only and not Path(self.path).exists():
                raise StoreError(f"no store at {self.path} (run `harness ingest` first, or pass --db)")
        deadline = time.monotonic() + max(wait_s, 0.0)
        delay = 0.05
        knocked = False
        while True:
            try:
                con = duckdb.connect(self.path, read_only=self.read_only)
                if knocked:  # in: stop knocking (another waiter knocks again on its next try)
                    self._knock_file().unlink(missing_ok=True)
                return con
            except duckdb.Error as exc:  # IOException on lock, others on damage
                if _is_lock_error(exc):
                    if time.monotonic() < deadline:
                        self._knock()
                        knocked = True
                        time.sleep(delay)
                        delay = min(delay * 2, 0.25)  # a sharing writer's gaps are short: look often
                        continue
                    if knocked:  # giving up: a stale knock would make the holder let go for nobody
                        self._knock_file().unlink(missing_ok=True)
                    raise StoreError(
                        f"store {self.path} is in use by another harness process",
                        hint="wait for it to finish, set HARNESS_DB_WAIT=SECONDS to wait, or use --db",
                    ) from None
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(f"cannot open store {self.path}: {first}") from None

    # -- migrations -------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
            )
            done = {r[0] for r in self.con.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, name, sql in migrations():
                if version in done:
                    continue
                try:
                    self.con.execute("BEGIN TRANSACTION")
                    self.con.execute(sql)
                    self.con.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
                    )
                    self.con.execute("COMMIT")
                except duckdb.Error as exc:
                    self.con.execute("ROLLBACK")
                    raise StoreError(f"migration {version:04d}_{name} failed: {exc}") from None

    def schema_version(self) -> int:
        row = self.one("SELECT coalesce(max(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    # -- access -----------------------------------------------------------------------
    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        """Run a statement. Read results with `one`/`all`/`query`/`frame` instead: a result fetched
        from this return value after the lock is gone races the run's writer thread."""
        with self._lock:
            return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def one(self, sql: str, params: Any = None) -> tuple | None:
        # fetchall, not fetchone: DuckDB 2 refuses new work while a result is unfinished
        with self._lock:
            rows = self.execute(sql, params).fetchall()
            return rows[0] if rows else None

    def all(self, sql: str, params: Any = None) -> list[tuple]:
        with self._lock:
            return self.execute(sql, params).fetchall()

    def frame(self, sql: str, params: Any = None) -> pl.DataFrame:
        """Run a query and return a polars frame."""
        with self._lock:
            rel = self.con.sql(sql, params=params) if params is not None else self.con.sql(sql)
            return rel.pl() if rel is not None else pl.DataFrame()

    def insert_frame(self, table: str, frame: Any, *, ignore_conflicts: bool = False,
                     returning: tuple[str, ...] = ()) -> list[tuple]:
        """One vectorised INSERT of a polars frame or arrow table, by column name.

        DuckDB's executemany pays per row; registering the frame inserts it in one statement.
        `ignore_conflicts` skips rows whose primary key is already stored (cache tables); with
        `returning` columns, the rows actually inserted are returned (the conflict check uses the
        table's index: no scan of what is stored).
        """
        names = frame.column_names if hasattr(frame, "column_names") else frame.columns  # arrow / polars
        cols = ", ".join(f'"{c}"' for c in names)
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        if returning:
            tail += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
        with self._lock:
            self.con.register("_batch", frame)
            try:
                cur = self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch{tail}")
                return cur.fetchall() if returning else []
            finally:
                self.con.unregister("_batch")

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All-or-nothing: a killed process leaves either the whole write or none of it."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            self._tx_depth += 1
            try:
                yield self
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            else:
                self.con.execute("COMMIT")
            finally:
                self._tx_depth -= 1

    def query(self, sql: str, params: Any = None) -> tuple[list[str], list[tuple]]:
        """(column names, rows), fetched under the lock."""
        with self._lock:
            cur = self.execute(sql, params)
            return [d[0] for d in cur.description], cur.fetchall()

    def close(self) -> None:
        self.unshare()
        with self._lock:
            if self._con is None:
                return
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._con = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | os.PathLike[str] | None = None, **kw: Any) -> Store:
    return Store(path, **kw)
