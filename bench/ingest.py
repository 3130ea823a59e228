"""Ingest benchmark: python bench/ingest.py [--rows N] [--keep DIR].

Generates N demo CUR rows (default 10 million), then measures, each step in its own process:
the floor (DuckDB reading the same columns of the same files), `steward ingest` (rows/s, peak RSS),
the store size, and the time to rebuild one period's rollup, with CPU seconds beside wall times (a shared
machine inflates wall times, not CPU). Targets on 2 cores: >= 1M rows/s,
ingest/floor <= 3, peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(code: str, *args: str) -> tuple[dict, float, int]:
    """Run python code in a child; return its JSON output, wall seconds and peak RSS in bytes."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {code[:80]}")
    return json.loads(out or b"{}"), time.perf_counter() - start, usage.ru_maxrss * 1024


GENERATE = """
import json, sys, time
from datetime import date
from pathlib import Path
from demo.generate import generate
t = time.perf_counter()
r = generate(Path(sys.argv[1]), as_of=date.fromisoformat(sys.argv[2]), rows=int(sys.argv[3]))
print(json.dumps({"rows": r.rows, "files": [str(f) for f in r.files], "seconds": time.perf_counter() - t}))
"""

FLOOR = """
import json, resource, sys, time, duckdb
from ledger.cur_columns import REQUIRED, OPTIONAL
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
files = json.loads(sys.argv[1])
cols = ", ".join(list(REQUIRED) + list(OPTIONAL))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
c = cpu()
t = time.perf_counter()
rows = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM read_parquet({files!r}))").fetchall()
# Materialise the same columns so the floor also pays for reading every value.
con.execute(f"CREATE TEMP TABLE floor AS SELECT {cols} FROM read_parquet({files!r})")
print(json.dumps({"rows": rows[0][0], "seconds": time.perf_counter() - t, "cpu": cpu() - c}))
"""

INGEST = """
import json, resource, sys, time
from ledger.ingest import ingest
from ledger.store import Store
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
with Store(sys.argv[1]) as store:
    c = cpu()
    r = ingest(store, [sys.argv[2]], actor="bench")
    c = cpu() - c
print(json.dumps({"rows": r.rows_read, "bedrock_rows": r.bedrock_rows, "seconds": r.seconds, "duplicates": r.duplicates, "cpu": c,
                  "periods": [p.billing_period for p in r.periods]}))
"""

ROLLUP = """
import json, sys, time
from ledger import rollup
from ledger.store import Store
with Store(sys.argv[1]) as store:
    t = time.perf_counter()
    with store.transaction():
        rollup.rebuild(store, [sys.argv[2]])
    s = time.perf_counter() - t
    n = store.scalar("SELECT count(*) FROM bedrock_usage WHERE billing_period = ?", [sys.argv[2]])
print(json.dumps({"seconds": s, "rows": n}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--as-of", default="2026-11-23")
    ap.add_argument("--keep", type=Path, help="keep the data and store in this folder")
    ap.add_argument("--reuse", action="store_true", help="with --keep: reuse the generated data if it is there")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    work = args.keep or Path(tempfile.mkdtemp(prefix="steward-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data, db = work / "data", work / "bench.duckdb"
    marker = work / f"generated-{args.rows}.json"
    reuse = args.keep and args.reuse and marker.exists()
    for p in ((db, Path(str(db) + ".wal")) if reuse else (data, db, Path(str(db) + ".wal"), marker)):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    try:
        if reuse:
            gen, gen_rss = json.loads(marker.read_text()), 0
        else:
            gen, _, gen_rss = run_child(GENERATE, str(data), args.as_of, str(args.rows))
            marker.write_text(json.dumps(gen))
        floor, _, _ = run_child(FLOOR, json.dumps(gen["files"]))
        ing, ing_wall, ing_rss = run_child(INGEST, str(db), str(data / "steward-demo"))
        roll, _, _ = run_child(ROLLUP, str(db), ing["periods"][-1])
        size = db.stat().st_size + (Path(str(db) + ".wal").stat().st_size if Path(str(db) + ".wal").exists() else 0)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rate = ing["rows"] / ing["seconds"]
    ratio = ing["seconds"] / floor["seconds"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"duckdb {__import__('duckdb').__version__}; date {date.today()}; load average {load_before:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after (wall times are only comparable on a quiet machine)")
    print(f"generated {gen['rows']:,} rows in {len(gen['files'])} files: {gen['seconds']:.1f}s, "
          f"peak RSS {gen_rss / 2**20:,.0f} MiB")
    print(f"floor (read_parquet, same columns, materialised): {floor['seconds']:.2f}s for {floor['rows']:,} rows")
    print(f"ingest: {ing['seconds']:.2f}s ({ing_wall:.2f}s wall incl. start-up), {ing['bedrock_rows']:,} Bedrock rows kept, {ing.get('duplicates', 0):,} duplicates")
    print(f"  rows/s: {rate:,.0f} (target >= 1,000,000)  {'OK' if rate >= 1e6 else 'MISS'}")
    print(f"  ingest / floor: {ratio:.2f} (target <= 3)  {'OK' if ratio <= 3 else 'MISS'}")
    print(f"  CPU seconds (all threads): ingest {ing['cpu']:.1f}, floor {floor['cpu']:.1f}; ratio "
          f"{ing['cpu'] / floor['cpu']:.2f}; {ing['rows'] / ing['cpu']:,.0f} rows per CPU second")
    print(f"  peak RSS: {ing_rss / 2**20:,.0f} MiB (target <= 1536)  {'OK' if ing_rss <= 1.5 * 2**30 else 'MISS'}")
    print(f"store size on disk: {size / 2**20:,.1f} MiB")
    print(f"rollup rebuild of {ing['periods'][-1]} ({roll['rows']:,} rows): {roll['seconds']:.2f}s")


if __name__ == "__main__":
    main()
