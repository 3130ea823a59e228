"""The DuckDB store: one file holds CUR usage, rollups and the governance registry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ledger.errors import StoreError

SCHEMA_VERSION = 1

# Raw Bedrock rows, normalised. One row per CUR line item that concerns Bedrock.
USAGE_DDL = """
CREATE TABLE IF NOT EXISTS bedrock_usage (
    billing_period      VARCHAR NOT NULL,   -- YYYY-MM
    usage_start         TIMESTAMP NOT NULL, -- UTC, hour or day as delivered
    usage_date          DATE NOT NULL,
    payer_account       VARCHAR,
    account_id          VARCHAR NOT NULL,
    region              VARCHAR NOT NULL,   -- source region for cross-region; 'unknown' if not derivable
    principal           VARCHAR NOT NULL,   -- role ARN for assumed roles; 'unknown' when empty
    principal_raw       VARCHAR,
    principal_type      VARCHAR NOT NULL,   -- role | user | api_key | root | unknown | other
    line_item_type      VARCHAR NOT NULL,
    charge_class        VARCHAR NOT NULL,   -- usage | credit | refund | tax | discount | fee | other
    billing_entity      VARCHAR,
    product_code        VARCHAR,
    usage_type          VARCHAR NOT NULL,
    operation           VARCHAR,
    billing_model       VARCHAR,            -- model name as billed ('Claude4.6Sonnet', 'Claude 3 Haiku')
    model_id            VARCHAR,            -- resolved Bedrock model id, NULL when unmapped
    model_family        VARCHAR,
    kind                VARCHAR NOT NULL,   -- input | output | cache_read | cache_write | embedding |
                                            -- guardrail | provisioned | image | other
    tier                VARCHAR NOT NULL,   -- standard | batch | flex | priority | latency-optimized | reserved
    routing             VARCHAR NOT NULL,   -- in-region | geo | global
    pricing_unit        VARCHAR,
    usage_amount        DOUBLE,
    tokens              DOUBLE,             -- usage_amount scaled by pricing_unit; NULL for non-token units
    unblended_cost      DOUBLE NOT NULL,
    net_unblended_cost  DOUBLE NOT NULL,
    resource_id         VARCHAR,
    resource_tags       MAP(VARCHAR, VARCHAR),
    principal_tags      MAP(VARCHAR, VARCHAR),
    source_file         VARCHAR
);
"""

# Daily rollup: every answer reads this, never the raw rows.
ROLLUP_DDL = """
CREATE TABLE IF NOT EXISTS usage_daily (
    billing_period      VARCHAR NOT NULL,
    usage_date          DATE NOT NULL,
    account_id          VARCHAR NOT NULL,
    region              VARCHAR NOT NULL,
    principal           VARCHAR NOT NULL,
    billing_model       VARCHAR,
    model_id            VARCHAR,
    model_family        VARCHAR,
    kind                VARCHAR NOT NULL,
    tier                VARCHAR NOT NULL,
    routing             VARCHAR NOT NULL,
    charge_class        VARCHAR NOT NULL,
    tokens              DOUBLE,
    usage_amount        DOUBLE,
    unblended_cost      DOUBLE NOT NULL,
    net_unblended_cost  DOUBLE NOT NULL,
    line_items          BIGINT NOT NULL
);
"""

META_DDL = """
CREATE TABLE IF NOT EXISTS ingested_periods (
    billing_period  VARCHAR PRIMARY KEY,
    ingested_at     TIMESTAMP NOT NULL,
    source          VARCHAR NOT NULL,
    files           BIGINT NOT NULL,
    rows            BIGINT NOT NULL,
    bedrock_rows    BIGINT NOT NULL,
    data_through    DATE
);
CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR);
"""

_extra_ddl: list[str] = []


def register_ddl(ddl: str) -> None:
    """Let other ledger modules (registry, audit) add their tables to the one schema."""
    if ddl not in _extra_ddl:
        _extra_ddl.append(ddl)


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
        # Import here so every table is registered whichever module opened the store first.
        import ledger.access  # noqa: F401
        import ledger.audit  # noqa: F401
        import ledger.model_sync  # noqa: F401
        import ledger.registry  # noqa: F401

        for ddl in (USAGE_DDL, ROLLUP_DDL, META_DDL, *_extra_ddl):
            self.con.execute(ddl)
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
