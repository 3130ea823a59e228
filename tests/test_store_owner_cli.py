"""While `steward serve` owns the store, every other steward command still works (through it), and a
killed owner leaves the store as it was."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mcp import Client, StdioServerParameters

from ledger import audit, remote_store
from ledger.store import Store
from tests import curfile
from tests.orgfixture import ORG_YAML, ROWS, TODAY, build_store, product_of

REPO = Path(__file__).resolve().parent.parent
MARIA = "maria@example.com"


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="st"))  # Unix socket paths are limited to about 100 bytes
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def env_for(runtime: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "XDG_RUNTIME_DIR": str(runtime)}


def steward(db: Path, runtime: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "steward.cli", "--db", str(db), "--as-of", TODAY.isoformat(),
                           *args], capture_output=True, text=True, timeout=timeout, env=env_for(runtime),
                          cwd=str(REPO))


def start_serve(db: Path, runtime: Path) -> subprocess.Popen:
    env = {**env_for(runtime), "STEWARD_SCHEDULER_TICK_SECONDS": "3600", "STEWARD_SPEND_CARDS_DAY": "off"}
    for slack in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        env.pop(slack, None)
    log = open(runtime / "serve.log", "w")  # a file, not a pipe nobody reads: serve never blocks on it
    proc = subprocess.Popen([sys.executable, "-m", "steward.cli", "--db", str(db), "serve", "--port", "0"],
                            env=env, cwd=str(REPO), stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 120
    old = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, (runtime / "serve.log").read_text()
            if "Steward serving on" not in (runtime / "serve.log").read_text():
                time.sleep(0.1)
                continue
            remote = remote_store.connect(db)
            assert remote is not None and remote.owner_pid == proc.pid
            remote.close()
            return proc
            time.sleep(0.1)
    finally:
        if old is None:
            os.environ.pop("XDG_RUNTIME_DIR")
        else:
            os.environ["XDG_RUNTIME_DIR"] = old
    proc.kill()
    raise AssertionError("steward serve did not start serving its store")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def mcp_session(db: Path, runtime: Path) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "steward.cli", "--db", str(db), "--as-of", TODAY.isoformat(), "mcp", "--as", MARIA],
        env={"PYTHONPATH": str(REPO), "XDG_RUNTIME_DIR": str(runtime)}, cwd=str(REPO))

    async def main() -> dict[str, Any]:
        async with Client(params, cache=None) as c:
            r = await c.call_tool("spend_breakdown", {"by": "product"})
            return {row["key"]: row for row in r.structured_content["rows"]}

    return anyio.run(main)


def usage_total(store: Store) -> float:
    return round(store.scalar("SELECT coalesce(sum(unblended_cost), 0) FROM bedrock_usage"), 6)


def september_file(root: Path) -> tuple[Path, float]:
    """A new billing period (2026-09): a copy of October's rows moved a month back."""
    rows = []
    for r in ROWS:
        if r["bill_billing_period_start_date"].month != 10 or r["line_item_usage_end_date"].day > 29 \
                or r["line_item_usage_end_date"].month != 10:
            continue
        moved = dict(r)
        for col in ("bill_billing_period_start_date", "line_item_usage_start_date", "line_item_usage_end_date"):
            moved[col] = r[col].replace(month=9)
        moved["bill_billing_period_end_date"] = datetime(2026, 10, 1)
        rows.append(moved)
    path = curfile.write(curfile.export_path(root, "2026-09"), rows)
    return path, round(sum(r["line_item_unblended_cost"] for r in rows), 6)


def test_while_serve_owns_the_store_every_command_and_two_ides_work(tmp_path, runtime_dir):
    build_store(tmp_path).close()
    db = tmp_path / "steward.duckdb"
    with Store(db) as store:
        before = usage_total(store)
    sept_root = tmp_path / "sept"
    _, sept_cost = september_file(sept_root)
    org2 = tmp_path / "org2.yaml"
    org2.write_text(ORG_YAML.replace('{product: Fraud, month: "2026-11", usd: 200}',
                                     '{product: Fraud, month: "2026-11", usd: 250}'))
    expected_checkout = round(sum(r["line_item_unblended_cost"] for r in ROWS if product_of(r) == "Checkout"
                                  and r["line_item_usage_start_date"].date().month == 11), 2)

    serve = start_serve(db, runtime_dir)
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            ask = pool.submit(steward, db, runtime_dir, "ask", "How much did Checkout spend this month?",
                              "--as", MARIA)
            apply = pool.submit(steward, db, runtime_dir, "org", "apply", str(org2))
            ingest = pool.submit(steward, db, runtime_dir, "ingest", str(sept_root / "cur"))
            ides = [pool.submit(mcp_session, db, runtime_dir) for _ in range(2)]
            results = {"ask": ask.result(), "apply": apply.result(), "ingest": ingest.result()}
            sessions = [f.result() for f in ides]
        for name, done in results.items():
            assert done.returncode == 0, (name, done.stdout, done.stderr)
        assert "Conflicting lock" not in "".join(d.stderr for d in results.values())
        assert "Checkout" in results["ask"].stdout
        for rows in sessions:
            assert round(rows["Checkout"]["usd"], 2) == expected_checkout
        doctor = steward(db, runtime_dir, "doctor")   # checks the store through its owner
        assert doctor.returncode == 0, (doctor.stdout, doctor.stderr)
        assert f"pid {serve.pid}" in doctor.stdout
        assert serve.poll() is None   # the owner is still serving
    finally:
        stop(serve)
    assert serve.returncode == 0, (runtime_dir / "serve.log").read_text()
    with Store(db) as store:
        usage_rows, entries = store.scalar("SELECT count(*) FROM bedrock_usage"), store.scalar("SELECT count(*) FROM audit_log")
    assert re.search(rf"ok\s+bedrock_usage \({usage_rows:,} rows\)", doctor.stdout), doctor.stdout
    assert re.search(rf"ok\s+audit chain: {entries} entries", doctor.stdout), doctor.stdout
    with Store(db) as store:
        assert usage_total(store) == round(before + sept_cost, 6)
        assert store.scalar("SELECT usd FROM estimates WHERE product = 'Fraud' AND month = '2026-11'") == 250
        assert audit.verify(store).ok


def big_period(root: Path, rows: int) -> Path:
    """One billing period of `rows` line items (2026-08), built column-wise: fast to write."""
    template = dict(ROWS[0])
    template.update(bill_billing_period_start_date=datetime(2026, 8, 1), bill_billing_period_end_date=datetime(2026, 9, 1),
                    line_item_usage_start_date=datetime(2026, 8, 3), line_item_usage_end_date=datetime(2026, 8, 3, 1))
    one = pa.Table.from_pylist([template], schema=curfile.SCHEMA)
    table = one.take(pa.array(np.zeros(rows, dtype=np.int64)))  # one contiguous chunk, not one a row
    path = curfile.export_path(root, "2026-08")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=250_000)
    return path


def test_an_owner_killed_mid_ingest_leaves_the_previous_state(tmp_path, runtime_dir):
    build_store(tmp_path).close()
    db = tmp_path / "steward.duckdb"
    with Store(db) as store:
        before = usage_total(store)
        periods = store.rows("SELECT DISTINCT billing_period FROM bedrock_usage ORDER BY 1")
    big_root = tmp_path / "big"
    big_period(big_root, 1_000_000)
    serve = start_serve(db, runtime_dir)
    client = subprocess.Popen([sys.executable, "-m", "steward.cli", "--db", str(db), "ingest", str(big_root / "cur")],
                              env=env_for(runtime_dir), cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        size0 = db.stat().st_size + (db.with_name(db.name + ".wal").stat().st_size
                                     if db.with_name(db.name + ".wal").exists() else 0)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert client.poll() is None, "the ingest finished before the owner was killed: use more rows"
            wal = db.with_name(db.name + ".wal")
            size = db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
            if size > size0 + (1 << 20):   # the owner is writing the new period
                break
            time.sleep(0.02)
        serve.kill()   # kill -9
        serve.wait(timeout=30)
        out, err = client.communicate(timeout=120)
    finally:
        if serve.poll() is None:
            serve.kill()
        if client.poll() is None:
            client.kill()
    assert client.returncode != 0
    assert "store's owner" in err, err
    # The next command finds no owner (a stale socket) and opens the file itself, as it was.
    done = steward(db, runtime_dir, "audit", "verify")
    assert done.returncode == 0, done.stderr
    with Store(db) as store:
        assert usage_total(store) == before
        assert store.rows("SELECT DISTINCT billing_period FROM bedrock_usage ORDER BY 1") == periods
