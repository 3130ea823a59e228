"""The DuckDB store: one file holds CUR usage, rollups and the governance registry."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ledger import versions
from ledger.errors import StoreError, StoreLocked
from ledger.schema import ADDED_COLUMNS, ALL_DDL, SCHEMA_VERSION


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, or one clear StoreError: the file is held by another process, or damaged."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLocked(
                f"cannot open the store {path}: {exc}. Another steward process "
                "(e.g. `steward serve`) may hold it; stop it or point --db elsewhere."
            ) from exc
        raise _damaged(path, exc) from exc
    except duckdb.Error as exc:
        raise _damaged(path, exc) from exc


def _damaged(path: Path, exc: Exception) -> StoreError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(f"the store {path} is damaged or is not a Steward (DuckDB) store ({first}). Restore it "
                      "from a backup, or move it aside and rebuild it with `steward org apply` and "
                      "`steward ingest`; `steward doctor` checks a store that opens.")


class Store:
    """A connection to the Steward DuckDB file with the schema in place."""

    def __init__(self, path: str | Path, *, read_only: bool = False, create: bool = True) -> None:
        """Open the store at `path`; `create=False` (read commands) refuses to make a new empty one."""
        self.path = Path(path)
        if not create and str(path) != ":memory:" and not self.path.exists():
            raise StoreError(f"there is no Steward store at {self.path}. Check --db (or STEWARD_DB); to make one, "
                             "run `steward org apply ORG.yaml` and `steward ingest CUR` (or `steward demo`).")
        self.con = _connect(self.path, read_only=read_only)
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            self.con.execute("SET enable_progress_bar = false")  # it writes to stdout, under our own output
            if not read_only:
                self.ensure_schema()
        except duckdb.Error as exc:  # a truncated file can open and fail on its first read
            self.con.close()
            raise _damaged(self.path, exc) from exc
        self._in_tx = False
        self._after_commit: list[Callable[[], None]] = []
        self._changes: set[str] = set()  # topics the open transaction changes (ledger.versions)
        self.write_lock = threading.RLock()
        self.commits = [0]  # write transactions committed through this store and its cursors
        self.versions = versions.of_database(self.path)
        self.shared: dict[str, Any] = {}  # per open database, for its cursors too (ledger.snapshot)

    def cursor(self) -> Store:
        """Another connection to the same open database, for another thread of the one process
        that owns the file (DuckDB connections are not shared across threads). It shares the
        write lock: see transaction()."""
        other = Store.__new__(Store)
        other.path = self.path
        other.con = self.con.cursor()
        other.con.execute("SET TimeZone = 'UTC'")
        other._in_tx = False
        other._after_commit = []
        other._changes = set()
        other.write_lock = self.write_lock
        other.commits = self.commits
        other.versions = self.versions
        other.shared = self.shared
        return other

    def ensure_schema(self) -> None:
        """Create every table and view that is missing (ledger.schema) and record the version."""
        for ddl in ALL_DDL:
            self.con.execute(ddl)
        for table, columns in ADDED_COLUMNS.items():  # stores created before these columns existed
            for col, sql_type in columns.items():
                self.con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {col} {sql_type}")
        self.con.execute(
            "INSERT OR REPLACE INTO schema_info VALUES ('version', ?)", [str(SCHEMA_VERSION)]
        )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing unit of work; nested use joins the outer transaction.

        Write transactions of one store and all its cursors take turns (one lock): DuckDB would
        let two run at once, but two that both append to the hash-chained audit log pick the same
        next seq and one fails at commit. Reads never take the lock."""
        if self._in_tx:
            yield self.con
            return
        with self.write_lock:
            self._begin()
            self._in_tx = True
            try:
                yield self.con
            except BaseException:
                self._rollback()
                self._after_commit.clear()
                self._changes.clear()
                raise
            else:
                self._commit()
                self.commits[0] += 1
                changes, self._changes = self._changes, set()
                if changes:  # after the commit: whoever sees the new number finds the rows
                    self.versions.bump(changes)
            finally:
                self._in_tx = False
            hooks, self._after_commit = self._after_commit, []
            for hook in hooks:
                hook()

    # Where a transaction starts and ends: here, on this connection; a RemoteStore asks the owner.
    def _begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        self.con.execute("ROLLBACK")

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once the current transaction commits (now, outside one); dropped on rollback.
        For what must follow the database and never run ahead of it (the audit anchor file)."""
        if self._in_tx:
            self._after_commit.append(hook)
        else:
            hook()

    def changed(self, *topics: str) -> None:
        """Say that the current transaction changes `topics` (ledger.versions): their counters move
        once it commits (at once, outside one); nothing moves on rollback."""
        if self._in_tx:
            self._changes.update(topics)
        else:
            self.versions.bump(topics)

    def version(self, topic: str) -> int:
        """How many committed transactions changed `topic` since this process opened the file."""
        return self.versions.get(topic)

    def rows(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def dicts(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def scalar(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        # A snapshot build in the background (ledger.snapshot) runs on a cursor of this database:
        # DuckDB refuses to close a connection while one of its cursors is busy.
        building = getattr(self, "shared", {}).get("snapshots")
        if building is not None:
            building.join()
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
