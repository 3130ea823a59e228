"""One owner of the store: the process that holds the DuckDB file serves every other steward process
of the same OS user through a Unix socket, so that `ask`, `org apply` or `ingest` work while `serve`
or a stdio MCP server runs.

The channel carries SQL, not commands: a client runs its own code (paths, progress, output stay in
the caller's process) against a `RemoteStore` whose statements run on a cursor of the owner's open
database. A client's write transaction takes the owner's write lock for its length, so the owner's own
writes and every client's take turns; a client that dies mid-transaction is rolled back.

Who may connect: only the same OS user (the socket's folder is 0700, the socket 0600, and the peer's
uid is checked with SO_PEERCRED). That user could open the file directly anyway; see docs/security.md.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from ledger.errors import StoreError
from ledger.store import Store

log = logging.getLogger(__name__)

_FRAME = struct.Struct("!Q")
_MAX_FRAME = 1 << 31


def socket_path(db: str | Path) -> Path:
    """Where the owner of the store at `db` listens: a per-user folder, one socket per store file.

    Not beside the store: a Unix socket path is limited to about 100 bytes, and store paths are not."""
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    key = hashlib.sha256(str(Path(db).resolve()).encode()).hexdigest()[:24]
    return Path(base) / f"steward-{os.getuid()}" / f"{key}.sock"


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise StoreError(f"{folder} must belong to you and be private (mode 0700) to serve the store; "
                         f"fix it with: chmod 700 {folder}")


def _send(sock: socket.socket, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_FRAME.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the store channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> Any:
    (size,) = _FRAME.unpack(_recv_exact(sock, _FRAME.size))
    if size > _MAX_FRAME:
        raise ConnectionError(f"store channel frame of {size} bytes refused")
    return pickle.loads(_recv_exact(sock, size))


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


# ----------------------------------------------------------------------------- owner side


class _Session:
    """One client connection: its cursors on the owner's database and their open transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cursors: dict[int, Store] = {}
        self.open_tx: dict[int, AbstractContextManager] = {}
        self.results: dict[int, Any] = {}

    def handle(self, op: str, cid: int, args: tuple) -> Any:
        if op == "cursor":
            self.cursors[cid] = self.store.cursor()
            return None
        if op == "commits":
            return self.store.commits[0]
        cur = self.cursors[cid]
        if op == "execute":
            sql, params, many = args
            con = cur.con
            result = con.executemany(sql, params) if many else con.execute(sql, params or [])
            # DuckDB's column types do not pickle; callers only read the names.
            description = [(d[0], str(d[1]), *d[2:]) for d in result.description or []] or None
            rows = result.fetchall() if description else []
            return description, rows
        if op == "begin":
            cm = cur.transaction()
            cm.__enter__()
            self.open_tx[cid] = cm
            return None
        if op in ("commit", "rollback"):
            cm = self.open_tx.pop(cid)
            if op == "commit":
                cm.__exit__(None, None, None)
            else:
                reason = RuntimeError("rolled back by the client")
                cm.__exit__(RuntimeError, reason, None)
            return None
        if op == "register":
            cur.con.register(*args)
            return None
        if op == "unregister":
            cur.con.unregister(*args)
            return None
        if op == "close":
            self._close_cursor(cid)
            return None
        raise ValueError(f"unknown store channel operation {op!r}")

    def _close_cursor(self, cid: int) -> None:
        cm = self.open_tx.pop(cid, None)
        if cm is not None:  # the client went away mid-transaction: nothing of it may remain
            with suppress(Exception):
                cm.__exit__(ConnectionError, ConnectionError("client gone"), None)
        cur = self.cursors.pop(cid, None)
        if cur is not None:
            with suppress(Exception):
                cur.con.close()

    def close(self) -> None:
        for cid in list(self.cursors):
            self._close_cursor(cid)


class StoreOwner:
    """Serve the open `store` to other processes of the same user until stop()."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = socket_path(store.path)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> StoreOwner:
        _private_folder(self.path.parent)
        with suppress(FileNotFoundError):
            self.path.unlink()  # a socket left by an owner that was killed: we hold the file lock now
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        listener.listen(16)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="store-owner", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if _peer_uid(conn) != os.getuid():
                conn.close()
                continue
            with self._lock:
                self._conns.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), name="store-client", daemon=True)
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        session = _Session(self.store)
        try:
            _send(conn, ("hello", {"owner_pid": os.getpid(), "db": str(self.store.path)}))
            while True:
                op, cid, args = _recv(conn)
                try:
                    _send(conn, ("ok", session.handle(op, cid, args)))
                except duckdb.Error as exc:
                    _send(conn, ("error", type(exc).__name__, str(exc)))
                except Exception as exc:  # noqa: BLE001 - reported to the client, which raises it
                    _send(conn, ("error", type(exc).__name__, str(exc)))
        except (ConnectionError, OSError, EOFError):
            pass
        finally:
            session.close()
            with self._lock:
                self._conns.discard(conn)
            with suppress(OSError):
                conn.close()

    def stop(self) -> None:
        """Stop listening and end every client session (open transactions roll back)."""
        self._stopping.set()
        if self._listener is not None:
            with suppress(OSError):  # wakes the accept() of the listening thread (close alone does not)
                self._listener.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                self._listener.close()
            with suppress(FileNotFoundError):
                self.path.unlink()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:  # sessions end (rolled back) before the store may close under them
            thread.join(timeout=10)


# ----------------------------------------------------------------------------- client side


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
                _send(self.sock, (op, cid, args))
                reply = _recv(self.sock)
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
        return other

    def ensure_schema(self) -> None:
        """The owner put the schema in place when it opened the file."""

    @contextmanager
    def transaction(self) -> Iterator[RemoteConnection]:  # type: ignore[override]
        if self._in_tx:
            yield self.con
            return
        con = self.con
        self.channel.call("begin", con._id)
        self._in_tx = True
        try:
            yield con
        except BaseException:
            with suppress(StoreError):
                self.channel.call("rollback", con._id)
            raise
        else:
            self.channel.call("commit", con._id)
            self.commits[0] += 1
        finally:
            self._in_tx = False

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
        kind, hello = _recv(sock)
    except (ConnectionRefusedError, FileNotFoundError, ConnectionError):
        sock.close()
        return None  # an owner killed without cleaning up: its socket is stale
    sock.settimeout(None)
    if kind != "hello":
        sock.close()
        raise StoreError(f"{path} is not a steward store channel; remove it and try again")
    return RemoteStore(Path(db), _Channel(sock, hello))
