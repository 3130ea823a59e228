"""A steward process's view of a store another process owns: the Store API, every statement run on a
cursor of the owner's open database (see ledger.owner)."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

import duckdb

from ledger.errors import StoreError
from ledger.store import Store
from ledger.store_channel import receive, send, socket_path


class _Channel:
    """The client's socket; one request at a time (cursors of one process share it)."""

    def __init__(self, sock: socket.socket, hello: dict[str, Any]) -> None:
        self.sock = sock
        self.hello = hello
        self.lock = threading.Lock()
        self.next_id = 0

    def call(self, op: str, cid: int, *args: Any) -> Any:
        with self.lock:
            try:
                send(self.sock, (op, cid, args))
                reply = receive(self.sock)
            except (ConnectionError, OSError) as exc:
                raise StoreError(f"lost the connection to the store's owner (pid {self.hello['owner_pid']}): "
                                 f"{exc}; run the command again") from None
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        raise _error(kind, message)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id


def _error(kind: str, message: str) -> Exception:
    cls = getattr(duckdb, kind, None)
    if isinstance(cls, type) and issubclass(cls, duckdb.Error):
        return cls(message)
    if kind == "KeyError":
        return StoreError(f"store channel: unknown cursor ({message})")
    return StoreError(f"the store's owner reported {kind}: {message}")


class RemoteConnection:
    """The part of DuckDB's connection API Steward uses, run on the owner's cursor."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self._id = channel.new_id()
        channel.call("cursor", self._id)
        self.description: Any = None
        self._rows: list[tuple] = []
        self._pos = 0

    def execute(self, sql: str, params: Any = None) -> RemoteConnection:
        self.description, self._rows = self._channel.call("execute", self._id, sql, params, False)
        self._pos = 0
        return self

    def executemany(self, sql: str, params: Any) -> RemoteConnection:
        self.description, self._rows = self._channel.call("execute", self._id, sql, list(params), True)
        self._pos = 0
        return self

    def fetchall(self) -> list[tuple]:
        rows, self._pos = self._rows[self._pos:], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows = self._rows[self._pos:self._pos + size]
        self._pos += len(rows)
        return rows

    def register(self, name: str, data: Any) -> None:
        self._channel.call("register", self._id, name, data)

    def unregister(self, name: str) -> None:
        self._channel.call("unregister", self._id, name)

    def cursor(self) -> RemoteConnection:
        return RemoteConnection(self._channel)

    def close(self) -> None:
        with suppress(StoreError):
            self._channel.call("close", self._id)


class _OwnerCommits:
    """`store.commits[0]` of a RemoteStore: the owner's count, so caches see every process's writes."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel

    def __getitem__(self, index: int) -> int:
        return int(self._channel.call("commits", 0))

    def __setitem__(self, index: int, value: int) -> None:
        """The owner counts the commit itself."""


class RemoteStore(Store):
    """A Store whose database is the owner's: the same API, every statement run by the owner."""

    def __init__(self, path: Path, channel: _Channel) -> None:  # noqa: D107 - see connect()
        self.path = Path(path)
        self.channel = channel
        self.con = RemoteConnection(channel)
        self._in_tx = False
        self._after_commit = []  # Store.after_commit: run here once the owner committed
        self._changes = set()  # unused: changed() marks the owner's transaction
        self.write_lock = threading.RLock()
        self.commits = _OwnerCommits(channel)  # type: ignore[assignment]

    @property
    def owner_pid(self) -> int:
        return int(self.channel.hello["owner_pid"])

    def cursor(self) -> RemoteStore:
        other = RemoteStore.__new__(RemoteStore)
        other.path, other.channel = self.path, self.channel
        other.con = RemoteConnection(self.channel)
        other._in_tx, other.write_lock, other.commits = False, self.write_lock, self.commits
        other._after_commit, other._changes = [], set()
        return other

    def changed(self, *topics: str) -> None:
        """Mark the owner's transaction (the owner's counters move when it commits there)."""
        self.channel.call("changed", self.con._id, topics)

    def version(self, topic: str) -> int:
        """The owner's counter: what every process joined to it changed."""
        return int(self.channel.call("version", 0, topic))

    def ensure_schema(self) -> None:
        """The owner put the schema in place when it opened the file."""

    # Store.transaction runs here unchanged; only its start and end are the owner's.
    def _begin(self) -> None:
        self.channel.call("begin", self.con._id)

    def _commit(self) -> None:
        self.channel.call("commit", self.con._id)

    def _rollback(self) -> None:
        with suppress(StoreError):  # a lost owner has rolled back already
            self.channel.call("rollback", self.con._id)

    def close(self) -> None:
        with suppress(OSError):
            self.channel.sock.close()


def connect(db: str | Path, *, timeout: float = 10.0) -> RemoteStore | None:
    """The owner's store for `db`, or None when no process owns it (then open the file yourself)."""
    path = socket_path(db)
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        kind, hello = receive(sock)
    except (ConnectionRefusedError, FileNotFoundError, ConnectionError):
        sock.close()
        return None  # an owner killed without cleaning up: its socket is stale
    sock.settimeout(None)
    if kind != "hello":
        sock.close()
        raise StoreError(f"{path} is not a steward store channel; remove it and try again")
    return RemoteStore(Path(db), _Channel(sock, hello))
