"""The DuckDB store: one file holds CUR usage, rollups and the governance registry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ledger.errors import StoreError
from ledger.schema import ALL_DDL, SCHEMA_VERSION, USAGE_ADDED_COLUMNS



class Store:
    """A connection to the Steward DuckDB file with the schema in place."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(
                f"cannot open the store {self.path}: {exc}. Another steward process "
                "(e.g. `steward serve`) may hold it; stop it or point --db elsewhere."
            ) from exc
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")  # it writes to stdout, under our own output
        self._in_tx = False
        self.write_lock = threading.RLock()
        self.commits = [0]  # write transactions committed through this store and its cursors
        if not read_only:
            self.ensure_schema()

    def cursor(self) -> Store:
        """Another connection to the same open database, for another thread of the one process
        that owns the file (DuckDB connections are not shared across threads). It shares the
        write lock: see transaction()."""
        other = Store.__new__(Store)
        other.path = self.path
        other.con = self.con.cursor()
        other.con.execute("SET TimeZone = 'UTC'")
        other._in_tx = False
        other.write_lock = self.write_lock
        other.commits = self.commits
        return other

    def ensure_schema(self) -> None:
        """Create every table and view that is missing (ledger.schema) and record the version."""
        for ddl in ALL_DDL:
            self.con.execute(ddl)
        for col, sql_type in USAGE_ADDED_COLUMNS.items():  # stores created before these columns existed
            self.con.execute(f"ALTER TABLE bedrock_usage ADD COLUMN IF NOT EXISTS {col} {sql_type}")
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
            self.con.execute("BEGIN TRANSACTION")
            self._in_tx = True
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            else:
                self.con.execute("COMMIT")
                self.commits[0] += 1
            finally:
                self._in_tx = False

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
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
