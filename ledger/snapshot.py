"""The attribution snapshot of an open store, for the read tools of every long-running door (Slack,
MCP, `steward chat`, scheduled jobs): built once per store version, rebuilt in the background."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ledger import attribution
from ledger.access import registry_version
from ledger.remote_store import RemoteStore
from ledger.store import Store

_NAMES = itertools.count(1)
_STATE_LOCK = threading.Lock()


class Snapshots:
    """The snapshot state of one open database, shared by all its cursors (Store.shared).

    What is served while the snapshot is behind: a read that sees a store version the snapshot is
    not of reads the live views, which are the store as it is now; it never reads a snapshot of an
    older version than the one it saw. The first such read starts the rebuild in the background,
    so no read waits for it (wait=True, for tests and benchmarks, waits instead). The tables are
    built in one transaction, and labelled with the version read just before it began (the tables are
    of that version or a later one)."""

    def __init__(self) -> None:
        # Each open Store gets its own attached database: two Stores on one file in one process
        # (DuckDB shares the instance) must not overwrite each other's tables under their labels.
        self.name = f"{attribution.SNAPSHOT_DB}_{next(_NAMES)}"
        self.version: int | None = None
        self.memo: dict[tuple[Any, ...], Any] = {}  # ledger.attribution.per_snapshot's values
        self.builds = 0
        self.error: BaseException | None = None  # the last failed build's, for the logs and tests
        self._lock = threading.Lock()
        self._builder: threading.Thread | None = None

    def ready(self, store: Store, version: int, *, wait: bool = False) -> dict | None:
        """The memo of the snapshot when it is of `version` or later; else None (read the live views), having
        started a rebuild unless one is under way; with wait=True, after waiting for it."""
        while True:
            with self._lock:
                # Versions only grow (ledger.versions), so a snapshot of a later version than
                # the caller saw is the store as it is now, or nearer to it: never older.
                if self.version is not None and self.version >= version:
                    return self.memo
                builder = self._builder
                if builder is None:
                    builder = self._builder = threading.Thread(
                        target=self._build, args=(store.cursor(),), name="steward-snapshot", daemon=True)
                    builder.start()
            if not wait:
                return None
            builder.join()
            with self._lock:
                if self.error is not None:  # the build failed: read live
                    return None
            # Else it was of an older version than ours (it began earlier): check, build again.

    def _build(self, cur: Store) -> None:
        try:
            built = attribution.build_snapshot(cur, self.name, registry_version)
        except Exception as exc:  # noqa: BLE001 - e.g. the store closed under us: reads stay live
            with self._lock:
                self.error, self._builder = exc, None
            return
        finally:
            cur.con.close()  # not cur.close(), which would wait for this very thread
        with self._lock:
            self.version, self.memo, self.error, self._builder = built, {}, None, None
            self.builds += 1

    def join(self) -> None:
        """Wait for a rebuild under way, if any."""
        builder = self._builder
        if builder is not None:
            builder.join()


def state(store: Store) -> Snapshots:
    """The snapshot state of the database `store` is a connection to."""
    with _STATE_LOCK:
        return store.shared.setdefault("snapshots", Snapshots())


def usable(store: Store) -> bool:
    """A snapshot can serve reads on this connection: a local store, outside a write transaction (a
    write must read its own changes; a store bridged to its owner reads the owner's live views)."""
    return not isinstance(store, RemoteStore) and hasattr(store, "shared") and not store._in_tx  # noqa: SLF001


def point_at(store: Store, snapshots: Snapshots, memo: dict) -> None:
    """Make this connection read the snapshot (its views and memo) until `leave`."""
    if getattr(store, "_views", None) != "snapshot" or getattr(store, "_views_of", None) != snapshots.name:
        attribution.read_snapshot(store, snapshots.name)
        store._views_of = snapshots.name
    store.snapshot_memo = memo


@contextmanager
def reading(store: Store, *, version: int | None = None, wait: bool = False) -> Iterator[bool]:
    """Read-only work on `store` against the snapshot of the current store version (`version`, if
    the caller knows it); yields whether the snapshot is in use (else the live views are)."""
    if not usable(store) or getattr(store, "snapshot_memo", None) is not None:
        yield getattr(store, "snapshot_memo", None) is not None
        return
    snapshots = state(store)
    memo = snapshots.ready(store, registry_version(store) if version is None else version, wait=wait)
    if memo is None:
        yield False
        return
    point_at(store, snapshots, memo)
    try:
        yield True
    finally:
        store.snapshot_memo = None  # views stay pointed; ensure_views turns them live when needed
