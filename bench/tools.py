"""Read-tool latency: python bench/tools.py [--rows N | --db STORE] [--repeat K].

Builds (or reuses) a demo store of N CUR rows (default 10 million), then calls every read tool as
a person allowed to call it, with default arguments, K times: p50 and p95 per tool, and the median
CPU time of a call (all threads; a shared machine inflates wall times, not CPU). First as the
long-running doors call them (Slack, MCP, chat: on the store version's attribution snapshot, built
beforehand), then on the live views (a one-shot CLI command), then from the raw rows (the rollup
table shadowed by a view over `bedrock_usage`) to show what the rollups buy. Target: p95 <= 50 ms
per read tool on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

# This file is bench/tools.py: keep it from shadowing the `tools` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.rollup import RAW_ROWS_AS_ROLLUP as RAW_SHADOW  # noqa: E402 - after the path fix above

AS_OF = date(2026, 11, 23)
# Who asks each tool: the persona that sees the most (the worst case for latency).
CALLER_FOR = {"task_queue": "eng@example.com"}
DEFAULT_CALLER = "lead@example.com"
EXTRA_ARGS = {
    "estimate_status": {"product": "Checkout Service"},
    "spend_card": {"product": "Checkout Service"},
    "iam_policy": {"product": "Checkout Service"},
    "model_status": {"model": "anthropic.claude-sonnet-4-6", "account": "111122223333", "region": "us-east-1"},
    "compare_spend": {"first_start": "2026-10-01", "first_end": "2026-11-01", "second_start": "2026-11-01",
                      "second_end": "2026-12-01", "by": "product"},
    "product_status": {"product": "Checkout Service"},
    "principal_claim": {"principal": "checkout-service-bedrock"},
}


def build_store(rows: int, work: Path) -> Path:
    from ledger import model_names, org_apply, org_parse
    from demo.generate import generate
    from demo.volumes import RECORDED_BY
    from tools.caller import resolve_caller
    from tools.context import ToolContext
    from tools.volumes import import_volumes_file
    from ledger.ingest import ingest
    from ledger.store import Store

    result = generate(work / "data", as_of=AS_OF, rows=rows)
    db = work / "bench.duckdb"
    with Store(db) as store:
        ingest(store, [str(result.export_root)], actor="bench")
        org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor="bench")
        model_names.remap(store)
        if result.volumes_file is not None:  # business volumes, so cost_per_unit has units to divide by
            ctx = ToolContext(store=store, caller=resolve_caller(store, RECORDED_BY), today=AS_OF,
                              clock=datetime(2026, 11, 23, 6))
            import_volumes_file(ctx, result.volumes_file)
    return db


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(store, repeat: int, *, snapshot: bool) -> dict[str, tuple[float, float, float]]:  # noqa: ANN001
    """Tool -> (p50 ms, p95 ms, median CPU ms) of `repeat` calls after one warm-up call."""
    from ledger import snapshot as snapshots
    from tools import toolset
    from tools.caller import resolve_caller
    from tools.context import ToolContext

    if snapshot:  # built once, as a door's first read after a change would start it
        with snapshots.reading(store, wait=True):
            pass
    out: dict[str, tuple[float, float, float]] = {}
    for t in sorted(toolset.all_tools(), key=lambda t: t.name):
        if t.action != "read":
            continue
        email = CALLER_FOR.get(t.name, DEFAULT_CALLER)
        ctx = ToolContext(store=store, caller=resolve_caller(store, email), today=AS_OF,
                          clock=datetime(2026, 11, 23, 9), snapshot=snapshot)
        args = EXTRA_ARGS.get(t.name, {})
        toolset.call(ctx, t.name, args)  # warm: views, caches
        times, cpu = [], []
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            toolset.call(ctx, t.name, args)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        out[t.name] = (statistics.median(times), percentile(times, 0.95), statistics.median(cpu))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, help="use this demo store instead of building one")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--raw-repeat", type=int, default=3)
    args = ap.parse_args()

    from ledger.store import Store

    work = Path(tempfile.mkdtemp(prefix="steward-bench-tools-"))
    db = args.db or build_store(args.rows, work)
    with Store(db) as store:
        n = store.scalar("SELECT count(*) FROM bedrock_usage")
        rollup_rows = store.scalar("SELECT count(*) FROM usage_daily")
        fast = measure(store, args.repeat, snapshot=True)
        live = measure(store, args.repeat, snapshot=False)
    with Store(db) as store:
        store.con.execute(RAW_SHADOW)
        raw = measure(store, args.raw_repeat, snapshot=False)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}; store: {n:,} Bedrock rows, {rollup_rows:,} rollup rows")
    print(f"{'':<22}{'snapshot (doors)':>27}{'live views (one-shot CLI)':>27}{'raw rows':>10}")
    print(f"{'tool':<22}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}"
          f"{'p50 ms':>10}  target p95<=50ms")
    for name, (p50, p95, cpu) in fast.items():
        l50, l95, lcpu = live[name]
        print(f"{name:<22}{p50:9.1f}{p95:9.1f}{cpu:9.1f}{l50:9.1f}{l95:9.1f}{lcpu:9.1f}{raw[name][0]:10.1f}  "
              f"{'OK' if p95 <= 50 else 'MISS'}")


if __name__ == "__main__":
    main()
