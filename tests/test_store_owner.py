"""One owner of the store: other processes of the same user read and write through it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ledger import owner, remote_store
from ledger.store_channel import socket_path
from ledger.errors import StoreError
from ledger.store import Store
from tests.conftest import insert_usage_row

ROLES = ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]


@pytest.fixture
def runtime_dir(monkeypatch) -> Iterator[Path]:
    # A short folder: Unix socket paths are limited to about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="st"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def owned(tmp_path: Path, runtime_dir: Path) -> Iterator[Store]:
    store = Store(tmp_path / "steward.duckdb")
    insert_usage_row(store, ROLES[0], cost=2.5)
    insert_usage_row(store, ROLES[1], cost=4.0, day="2026-10-02")
    server = owner.StoreOwner(store).start()
    yield store
    server.stop()
    store.close()


def usage_total(store: Store) -> float:
    return store.scalar("SELECT SUM(unblended_cost) FROM bedrock_usage")


def test_no_owner_means_open_the_file_yourself(tmp_path, runtime_dir):
    assert remote_store.connect(tmp_path / "steward.duckdb") is None


def test_reads_through_the_owner_equal_reads_of_the_file(owned):
    remote = remote_store.connect(owned.path)
    assert remote is not None and remote.owner_pid == os.getpid()
    assert remote.scalar("SELECT SUM(unblended_cost) FROM bedrock_usage") == 6.5
    assert remote.dicts("SELECT principal, unblended_cost FROM bedrock_usage ORDER BY principal") == [
        {"principal": ROLES[0], "unblended_cost": 2.5}, {"principal": ROLES[1], "unblended_cost": 4.0}]
    cur = remote.con.execute("SELECT usage_date FROM bedrock_usage ORDER BY 1")
    assert [d[0] for d in cur.description] == ["usage_date"]
    assert [r[0].isoformat() for r in cur.fetchall()] == ["2026-10-01", "2026-10-02"]
    remote.close()


def test_a_committed_write_is_seen_by_the_owner_and_counted(owned):
    remote = remote_store.connect(owned.path)
    before = owned.commits[0]
    with remote.transaction() as con:
        con.execute("UPDATE bedrock_usage SET unblended_cost = unblended_cost * 2")
    assert usage_total(owned) == 13.0
    assert owned.commits[0] == before + 1   # the owner's caches see registry changes made remotely
    remote.close()


def test_a_failed_write_leaves_nothing(owned):
    remote = remote_store.connect(owned.path)
    with pytest.raises(RuntimeError, match="halfway"):
        with remote.transaction() as con:
            con.execute("DELETE FROM bedrock_usage")
            raise RuntimeError("halfway")
    assert usage_total(owned) == 6.5
    remote.close()


def test_sql_errors_arrive_as_duckdb_errors(owned):
    remote = remote_store.connect(owned.path)
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        remote.rows("SELECT * FROM no_such_table")
    remote.close()


def test_a_client_that_dies_mid_transaction_is_rolled_back_and_releases_the_lock(owned):
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from ledger import remote_store
        remote = remote_store.connect({str(owned.path)!r})
        cm = remote.transaction()
        con = cm.__enter__()
        con.execute("DELETE FROM bedrock_usage")
        print("deleted", flush=True)
        os._exit(9)  # like kill -9: no rollback, no goodbye
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ})
    assert done.stdout.strip() == "deleted", done.stderr
    # The owner's own write waits for the lock the dead client held, then goes through.
    finished = threading.Event()

    def owner_write() -> None:
        with owned.transaction() as con:
            con.execute("UPDATE bedrock_usage SET unblended_cost = unblended_cost + 1")
        finished.set()

    threading.Thread(target=owner_write, daemon=True).start()
    assert finished.wait(timeout=30)
    assert usage_total(owned) == 8.5


def test_the_channel_is_private_to_the_user(owned):
    path = socket_path(owned.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent.stat().st_uid == os.getuid()


def test_a_shared_socket_folder_is_refused(tmp_path, runtime_dir):
    folder = socket_path(tmp_path / "s.duckdb").parent
    folder.mkdir(mode=0o700)
    folder.chmod(0o777)
    store = Store(tmp_path / "s.duckdb")
    try:
        with pytest.raises(StoreError, match="private"):
            owner.StoreOwner(store).start()
    finally:
        store.close()


def test_a_stale_socket_of_a_killed_owner_is_ignored_then_replaced(tmp_path, runtime_dir):
    db = tmp_path / "steward.duckdb"
    path = socket_path(db)
    path.parent.mkdir(mode=0o700)
    import socket

    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # bound, never listening: what a kill -9 leaves
    assert remote_store.connect(db) is None
    store = Store(db)
    server = owner.StoreOwner(store).start()
    try:
        remote = remote_store.connect(db)
        assert remote is not None and remote.scalar("SELECT 42") == 42
        remote.close()
    finally:
        server.stop()
        store.close()
    assert not path.exists()


def test_a_client_sees_the_owners_commit_count(owned):
    remote = remote_store.connect(owned.path)
    seen = remote.commits[0]
    with owned.transaction() as con:
        con.execute("UPDATE bedrock_usage SET unblended_cost = 1")
    with remote.transaction() as con:
        con.execute("UPDATE bedrock_usage SET unblended_cost = 2")
    assert remote.commits[0] == seen + 2 == owned.commits[0]
    remote.close()
