"""The wire between a store's owner and the other steward processes of the same OS user: where the
socket is, who may use it, and how messages are framed (length-prefixed pickles: both ends are the
same user, who could open the store file directly anyway)."""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import struct
from pathlib import Path
from typing import Any

from ledger.errors import StoreError

_FRAME = struct.Struct("!Q")
_MAX_FRAME = 1 << 31


def socket_path(db: str | Path) -> Path:
    """Where the owner of the store at `db` listens: a per-user folder, one socket per store file.

    Not beside the store: a Unix socket path is limited to about 100 bytes, and store paths are not."""
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    key = hashlib.sha256(str(Path(db).resolve()).encode()).hexdigest()[:24]
    return Path(base) / f"steward-{os.getuid()}" / f"{key}.sock"


def private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise StoreError(f"{folder} must belong to you and be private (mode 0700) to serve the store; "
                         f"fix it with: chmod 700 {folder}")


def send(sock: socket.socket, message: Any) -> None:
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


def receive(sock: socket.socket) -> Any:
    (size,) = _FRAME.unpack(_recv_exact(sock, _FRAME.size))
    if size > _MAX_FRAME:
        raise ConnectionError(f"store channel frame of {size} bytes refused")
    return pickle.loads(_recv_exact(sock, size))


def peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]
