"""Issue 11 §3, the store: a mistyped --db for a read command makes no empty store; a damaged store gets
one clear message; `steward doctor` finds damaged blocks; the audit chain is anchored outside its table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ledger import audit
from ledger.errors import StoreError
from ledger.store import Store
from steward.cli import app
from tests.orgfixture import build_store

MARIA = "maria@example.com"


def run(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), "--as-of", "2026-11-21", *args])


@pytest.mark.parametrize("command", [["ask", "how is Checkout doing?", "--as", MARIA],
                                     ["tools", "call", "my_scope", "--as", MARIA], ["audit", "verify"],
                                     ["org", "export"], ["audit", "log"]])
def test_a_mistyped_store_for_a_read_command_is_not_created(tmp_path, command):
    typo = tmp_path / "stewrad.duckdb"
    r = run(typo, *command)
    assert r.exit_code != 0
    assert f"there is no Steward store at {typo}" in r.output and "steward org apply" in r.output
    assert not typo.exists(), "no empty store is left behind"
    assert "Traceback" not in r.output


def _damaged_copy(tmp_path: Path, how: str) -> Path:
    good = build_store(tmp_path / "good")
    good.close()
    data = bytearray((tmp_path / "good" / "steward.duckdb").read_bytes())
    bad = tmp_path / f"{how}.duckdb"
    if how == "truncated":
        bad.write_bytes(bytes(data[: len(data) // 3]))
    else:
        bad.write_bytes(b"this is not a database " * 200)
    return bad


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_a_damaged_store_gets_one_clear_message(tmp_path, how):
    bad = _damaged_copy(tmp_path, how)
    with pytest.raises(StoreError, match=f"the store {bad} is damaged or is not a Steward"):
        Store(bad)
    r = run(bad, "tools", "call", "my_scope", "--as", MARIA)
    assert r.exit_code != 0 and "is damaged" in r.output and "Restore it from a backup" in r.output
    assert "Traceback" not in r.output


def test_doctor_reports_a_corrupted_block(tmp_path):
    store = build_store(tmp_path)
    path = store.path
    # A big table whose blocks sit in the middle of the file.
    store.con.execute("CREATE TABLE filler AS SELECT range AS i, 'row ' || range AS s FROM range(300000)")
    store.close()
    assert run(path, "doctor").exit_code == 0
    con = duckdb.connect(str(path), read_only=True)
    block = con.execute("SELECT max(block_id) FROM pragma_storage_info('filler')").fetchone()[0]
    con.close()
    # DuckDB's file: three 4 KiB headers, then 256 KiB blocks, each starting with its checksum.
    at = 3 * 4096 + block * 262144 + 64
    data = bytearray(path.read_bytes())
    data[at: at + 4096] = bytes(b ^ 0xFF for b in data[at: at + 4096])
    path.write_bytes(bytes(data))
    r = run(path, "doctor")
    assert r.exit_code == 1 and "damaged" in r.output and "Corrupt database file" in r.output
    assert "Traceback" not in r.output


def _store_with_entries(tmp_path: Path, n: int = 3) -> Path:
    path = tmp_path / "audit.duckdb"
    with Store(path) as store:
        for i in range(n):
            audit.append(store, actor="lead@example.com", action="test.write", subject=str(i))
    return path


def test_an_intact_log_verifies_against_its_anchor(tmp_path):
    path = _store_with_entries(tmp_path)
    with Store(path) as store:
        v = audit.verify(store)
    assert v.ok and v.entries == 3 and v.anchored


@pytest.mark.parametrize("cut", ["DELETE FROM audit_log WHERE seq = 3", "DELETE FROM audit_log",
                                 "DROP TABLE audit_log"], ids=["last-entry", "truncated", "dropped"])
def test_cutting_the_audit_log_fails_verify(tmp_path, cut):
    path = _store_with_entries(tmp_path)
    con = duckdb.connect(str(path))
    con.execute(cut)
    con.close()
    with Store(path) as store:  # a dropped table is recreated empty on open
        v = audit.verify(store)
    assert not v.ok and "records 3" in v.reason and "removed" in v.reason
    r = run(path, "audit", "verify")
    assert r.exit_code == 1 and "records 3" in r.output


def test_a_rolled_back_entry_does_not_move_the_anchor(tmp_path):
    path = _store_with_entries(tmp_path)
    with Store(path) as store:
        with pytest.raises(RuntimeError):
            with store.transaction():
                audit.append(store, actor="lead@example.com", action="test.write", subject="rolled back")
                raise RuntimeError("boom")
        assert audit.verify(store).ok
