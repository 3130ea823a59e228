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

import os
import socket
import threading
from contextlib import AbstractContextManager, suppress
from typing import Any

import duckdb

from ledger.store import Store
from ledger.store_channel import peer_uid, private_folder, receive, send, socket_path

class _Session:
    """One client connection: its cursors on the owner's database and their open transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cursors: dict[int, Store] = {}
        self.open_tx: dict[int, AbstractContextManager] = {}

    def handle(self, op: str, cid: int, args: tuple) -> Any:
        if op == "cursor":
            self.cursors[cid] = self.store.cursor()
            return None
        if op == "commits":
            return self.store.commits[0]
        if op == "version":
            return self.store.version(*args)
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
        if op == "changed":  # ledger.versions: the client's audit entry says what its transaction changes
            cur.changed(*args[0])
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
        private_folder(self.path.parent)
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
            if peer_uid(conn) != os.getuid():
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
            send(conn, ("hello", {"owner_pid": os.getpid(), "db": str(self.store.path)}))
            while True:
                op, cid, args = receive(conn)
                try:
                    send(conn, ("ok", session.handle(op, cid, args)))
                except duckdb.Error as exc:
                    send(conn, ("error", type(exc).__name__, str(exc)))
                except Exception as exc:  # noqa: BLE001 - reported to the client, which raises it
                    send(conn, ("error", type(exc).__name__, str(exc)))
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
