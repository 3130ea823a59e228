"""`steward doctor`: read every block of every table (DuckDB verifies each block's checksum as it reads)
and the audit chain with its anchor; report damage with what to do."""

from __future__ import annotations

import duckdb
import typer

from ledger import audit
from ledger.errors import StewardError
from ledger.remote_store import RemoteStore
from ledger.store import Store
from steward.cli_common import console, err, fail, settings_of
from steward.store_access import store_for


def check_tables(store: Store) -> list[tuple[str, int | None, str]]:
    """(table, rows read, problem) for every table in the store; problem is '' when it read whole."""
    out = []
    for (table,) in store.rows("SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY table_name"):
        try:
            # Hashing each whole row makes DuckDB read (and checksum) every block of every column, while
            # only the count comes back: the same check whether the file is open here or in its owner.
            n = store.scalar(f'SELECT count(*) FROM "{table}" AS doctor_row WHERE hash(doctor_row) IS NOT NULL')
            out.append((table, n, ""))
        except duckdb.Error as exc:
            out.append((table, None, str(exc).strip().splitlines()[0]))
    return out


def doctor(ctx: typer.Context) -> None:
    """Check the store: every table read through (block checksums), and the audit chain and its anchor."""
    s = settings_of(ctx)
    try:
        # Through `steward serve` (or an MCP server) when one owns the file, else opened read-only here.
        with store_for(s.db, create=False, read_only=True) as store:
            if isinstance(store, RemoteStore):
                console.print(f"through the steward process that owns the store (pid {store.owner_pid}); blocks "
                              "it holds in memory were checked when it read them")
            tables = check_tables(store)
            chain = audit.verify(store) if not any(t == "audit_log" and p for t, _, p in tables) else None
    except StewardError as exc:
        raise fail(exc) from None
    damaged = [(t, p) for t, _, p in tables if p]
    for t, n, p in tables:
        console.print(f"{'[red]damaged[/]' if p else 'ok':>7}  {t}" + (f": {p}" if p else f" ({n:,} rows)"))
    if chain is not None:
        console.print(f"{'ok' if chain.ok else '[red]broken[/]':>7}  audit chain: "
                      + (f"{chain.entries} entries" + (f"; {chain.note}" if chain.note else "") if chain.ok
                         else chain.reason))
    if damaged or (chain is not None and not chain.ok):
        err.print(f"{s.db}: {len(damaged)} damaged table(s)" + ("" if chain is None or chain.ok else ", audit chain broken")
                  + ". Restore the store from a backup, or rebuild it with `steward org apply` and `steward ingest` "
                  "(the org file and the CUR are the sources; decisions made since the last `org export` are in "
                  "the audit log).")
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
