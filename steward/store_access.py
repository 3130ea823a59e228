"""How a steward process reaches the store: through its owner when `serve` or an MCP server holds
the file, else by opening the file itself; and how an owner serves it to the others."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger import owner, remote_store
from ledger.errors import StoreError, StoreLocked
from ledger.store import Store

# An owner holds the file lock a moment before its channel listens.
_OWNER_STARTING_SECONDS = 3.0


def open_store(db: Path, *, create: bool = True, read_only: bool = False) -> Store:
    """The store at `db` for one command: the owner's (same API) or the file's. `create=False` (a command
    that reads, or writes into an existing registry) never makes a new empty store at a mistyped path;
    `read_only` opens the file so (a check that must not change it; the owner's store is as it is)."""
    remote = remote_store.connect(db)
    if remote is not None:
        return remote
    try:
        return Store(db, create=create and not read_only, read_only=read_only)
    except StoreLocked:  # (no store there, or a damaged one, is not worth waiting for)
        deadline = time.monotonic() + _OWNER_STARTING_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.1)
            remote = remote_store.connect(db)
            if remote is not None:
                return remote
        raise


@contextmanager
def store_for(db: Path, *, create: bool = True, read_only: bool = False) -> Iterator[Store]:
    """`with store_for(settings.db) as store:` for a command that uses the store and stops."""
    store = open_store(db, create=create, read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def own_store(db: Path) -> tuple[Store, owner.StoreOwner]:
    """Open the file as its owner (serve, an MCP server) and serve it to other steward processes."""
    remote = remote_store.connect(db)
    if remote is not None:
        pid = remote.owner_pid
        remote.close()
        raise StoreError(f"another steward process (pid {pid}) owns the store {db}; stop it first, or "
                         "point --db / STEWARD_DB at another store")
    store = Store(db)
    try:
        return store, owner.StoreOwner(store).start()
    except BaseException:
        store.close()
        raise


def own_or_join(db: Path) -> tuple[Store, owner.StoreOwner | None]:
    """Join the store's owner if one runs, else become the owner (a stdio MCP server does this)."""
    remote = remote_store.connect(db)
    if remote is not None:
        return remote, None
    try:
        return own_store(db)
    except StoreLocked:  # another process became the owner a moment ago
        return open_store(db), None
