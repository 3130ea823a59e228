"""Read-tool latency: python bench/tools.py [--rows N | --db STORE] [--repeat K].

Builds (or reuses) a demo store of N CUR rows (default 10 million), then calls every read tool as
a person allowed to call it, with default arguments, K times: p50 and p95 per tool. The same calls
are then answered from the raw rows (the rollup table shadowed by a view over `bedrock_usage`) to
show what the rollups buy. Target: p95 <= 50 ms per read tool on 2 cores.
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

RAW_SHADOW = """
CREATE OR REPLACE TEMP VIEW usage_daily AS
SELECT billing_period, usage_date, account_id, region, principal, billing_model, model_id, model_family,
       kind, tier, routing, charge_class, tokens, usage_amount, unblended_cost, net_unblended_cost,
       1::BIGINT AS line_items,
       CASE WHEN resource_id LIKE '%:application-inference-profile/%' THEN resource_id END AS profile_id,
       tag_set
FROM main.bedrock_usage
"""


def build_store(rows: int, work: Path) -> Path:
    from ledger import model_names, org_apply, org_parse
    from demo.generate import generate
    from ledger.ingest import ingest
    from ledger.store import Store

    result = generate(work / "data", as_of=AS_OF, rows=rows)
    db = work / "bench.duckdb"
    with Store(db) as store:
        ingest(store, [str(result.export_root)], actor="bench")
        org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor="bench")
        model_names.remap(store)
    return db


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(store, repeat: int) -> dict[str, tuple[float, float]]:  # noqa: ANN001
    from tools import toolset
    from tools.caller import resolve_caller
    from tools.context import ToolContext

    out: dict[str, tuple[float, float]] = {}
    for t in sorted(toolset.all_tools(), key=lambda t: t.name):
        if t.action != "read":
            continue
        email = CALLER_FOR.get(t.name, DEFAULT_CALLER)
        ctx = ToolContext(store=store, caller=resolve_caller(store, email), today=AS_OF,
                          clock=datetime(2026, 11, 23, 9))
        args = EXTRA_ARGS.get(t.name, {})
        toolset.call(ctx, t.name, args)  # warm: views, caches
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            toolset.call(ctx, t.name, args)
            times.append((time.perf_counter() - start) * 1000)
        out[t.name] = (statistics.median(times), percentile(times, 0.95))
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
        fast = measure(store, args.repeat)
    with Store(db) as store:
        store.con.execute(RAW_SHADOW)
        raw = measure(store, args.raw_repeat)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"store: {n:,} Bedrock rows, {rollup_rows:,} rollup rows")
    print(f"{'tool':<22}{'p50 ms':>9}{'p95 ms':>9}{'raw p50 ms':>12}{'speed-up':>10}  target p95<=50ms")
    for name, (p50, p95) in fast.items():
        r50 = raw[name][0]
        print(f"{name:<22}{p50:9.1f}{p95:9.1f}{r50:12.1f}{r50 / p50 if p50 else 0:9.1f}x  {'OK' if p95 <= 50 else 'MISS'}")


if __name__ == "__main__":
    main()
