"""The MCP server's store access: pooled cursors of the one open store, the registry version, the
attribution snapshot read tools run on, the read-result cache."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from mcp_types import CallToolResult

import ledger.access  # the mcp_tokens / mcp_grants tables, registered on import
from ledger import snapshot
from ledger.remote_store import RemoteStore
from ledger.store import Store


class StoreAccess:
    """The one open store, shared by a server's requests.

    - Cursors: each request works on a cursor of its own (DuckDB connections are not shared across
      threads); cursors are pooled, since opening one costs about as much as a small query.
    - The registry version (ledger.access.registry_version, a counter: no query on a local store),
      checked at most every `ttl` seconds and at once after a write through this server. A change
      made by another front door of this process, or by another process through the store's
      owner, is seen within `ttl`. ttl=0 checks on every request (tests).
    - The attribution snapshot (`reading`): read tools run on cursors whose attributed_daily and
      usage_compliance are materialised once per registry version (ledger.snapshot, shared with
      the process's other doors on the same open store), so a call no longer joins every rollup
      row to claims, accounts, the hierarchy and the catalog to find what the caller may see.
      After the version moves (any audited change: claims, org apply, decisions, ingest) it is
      rebuilt in the background, started by the write through this server or by the first read
      that sees the new version; until it is built, reads run on the live views (the store as it
      is now), never on the older snapshot. wait_for_snapshot=True makes reads wait for the
      rebuild instead (tests). snapshot=False (or a store bridged to its owner) reads the live
      views."""

    def __init__(self, store: Store, *, ttl: float = 1.0, snapshot: bool = True,
                 wait_for_snapshot: bool = False) -> None:
        self.store = store
        self.ttl = ttl
        self._pool_lock = threading.Lock()
        self._free: list[Store] = []
        self._version_lock = threading.Lock()
        self._version_cur = store.cursor()
        self._version: tuple[int, float] = (0, float("-inf"))
        self.snapshot = snapshot and not isinstance(store, RemoteStore)
        self.wait_for_snapshot = wait_for_snapshot
        self._snapshot_free: list[Store] = []  # cursors whose views point at the snapshot

    def acquire(self) -> Store:
        with self._pool_lock:
            return self._free.pop() if self._free else self.store.cursor()

    def release(self, cur: Store) -> None:
        if cur._in_tx:  # noqa: SLF001 - never hand on a cursor inside a transaction
            cur.close()
            return
        with self._pool_lock:
            self._free.append(cur)

    @contextmanager
    def cursor(self) -> Iterator[Store]:
        cur = self.acquire()
        try:
            yield cur
        finally:
            self.release(cur)

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """A cursor for read-only work: on the current version's snapshot once it is built, else live."""
        snapshots = snapshot.state(self.store) if self.snapshot else None
        memo = snapshots.ready(self.store, self.version(), wait=self.wait_for_snapshot) if snapshots else None
        if snapshots is None or memo is None:
            with self.cursor() as cur:
                yield cur
            return
        with self._pool_lock:
            cur = self._snapshot_free.pop() if self._snapshot_free else self.store.cursor()
        snapshot.point_at(cur, snapshots, memo)
        try:
            yield cur
        finally:
            cur.snapshot_memo = None
            with self._pool_lock:
                self._snapshot_free.append(cur)

    def version(self, *, fresh: bool = False) -> int:
        """The registry version, read again when `ttl` has passed or `fresh` is asked for (then every
        later caller within `ttl` gets the new value too: the grant watch reads it fresh each check)."""
        with self._version_lock:
            value, at = self._version
            now = time.monotonic()
            if fresh or now - at >= self.ttl:
                value = ledger.access.registry_version(self._version_cur)
                self._version = (value, now)
            return value

    def changed(self) -> None:
        """A write went through: check the version on the next request, and start the snapshot's
        rebuild now, so the next read is less likely to find it behind."""
        with self._version_lock:
            self._version = (self._version[0], float("-inf"))
        if self.snapshot:
            snapshot.state(self.store).ready(self.store, self.version())


class ResultCache:
    """Read-tool results per (caller, tool, arguments), reused while the store version (see
    StoreAccess) and the day are unchanged, for at most `ttl` seconds. Read tools are functions of
    the store, the caller's scope, the arguments and the day; every change to the store that can
    move a result (registry changes, decisions, ingest) is audited, which moves the version. The
    ttl bounds what an unaudited change could leave stale. ttl=0: no caching."""

    MAX_ENTRIES = 4096

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str, str], tuple[tuple[int, date], float, CallToolResult]] = {}

    def key(self, email: str, name: str, arguments: dict[str, Any]) -> tuple[str, str, str] | None:
        if self.ttl <= 0:
            return None
        try:
            return email, name, json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return None

    def get(self, key: tuple[str, str, str] | None, version: tuple[int, date]) -> CallToolResult | None:
        hit = self._entries.get(key) if key is not None else None
        if hit is None or hit[0] != version or time.monotonic() - hit[1] >= self.ttl:
            return None
        return hit[2]

    def put(self, key: tuple[str, str, str] | None, version: tuple[int, date], result: CallToolResult) -> None:
        if key is None:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (version, time.monotonic(), result)
