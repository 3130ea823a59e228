"""MCP benchmark: python bench/mcp.py [--db STORE] [--as-of DATE] [--clients 20] [--calls 10] [--runs ...].

Tool-call latency over streamable HTTP on loopback: `steward mcp serve-http --port 0` runs in its
own process (it owns the DuckDB file, as `steward serve` would) and N concurrent clients (one bearer
token each, people of several personas; the load generator runs on the same machine) call five read
tools in turn. Runs (target: p95 <= 30 ms for read tools with 20 clients):

  warm-*  the server's read-result cache on: after each person's first call of a tool, results are
          reused until the store changes (what repeated questions from IDE agents cost);
  cold-*  the cache off: every call runs the tool;
  *-sdk   mcp SDK Client sessions calling back to back (closed loop: saturation and throughput);
  *-raw   plain JSON-RPC POSTs back to back (the server's share without the client SDK's work);
  *-sdk-paced  mcp Clients at 1 call/s each (20 calls/s in all; an IDE agent's pace);
  *-raw-paced  plain JSON-RPC POSTs at 1 call/s per client: the server's latency at an IDE's pace
          without the 20 SDK sessions' own work (e.g. validating each structured result against
          its schema), which here shares the 2 cores and the load generator's one event loop.

Reports p50 / p95 / max per tool and overall, throughput, and what each tool costs in-process on
its own ('alone': one caller, no transport; on the live attribution views and on the snapshot MCP
reads use), so the transport and concurrency overhead can be read
off; and the machine and its load average (other work on the box skews the figures).

Without --db the demo store is built in a temporary folder (`steward demo`: about 9k daily CUR rows,
the demo org). Run `steward --db big.duckdb demo --rows 10000000` first for the large figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# `python bench/mcp.py` puts bench/ first on sys.path, where this file would shadow the mcp SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:  # run from a source checkout
    sys.path.insert(0, str(ROOT))

# (tool, arguments): cheap to expensive. Each client calls them in turn.
TOOLS: list[tuple[str, dict[str, Any]]] = [
    ("my_scope", {}),
    ("estimate_status", {}),
    ("spend_breakdown", {"by": "model"}),
    ("quota_status", {}),
    ("model_catalog", {}),
]
# Clients cycle through these people (Product Owners, Portfolio Managers, the FinOps Lead of the
# demo org), each with a product in their scope for estimate_status.
PRODUCT = {"maria@example.com": "Checkout Service", "tom@example.com": "Mobile Assistant",
           "lena@example.com": "Loan Advisor", "hana@example.com": "HR Portal",
           "raj@example.com": "Customer Insights", "priya@example.com": "Fraud Scoring",
           "sam@example.com": "Talent Match", "lead@example.com": "Client Chat",
           "grace@example.com": "Client Chat", "omar@example.com": "Research Copilot"}
PEOPLE = list(PRODUCT)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    import duckdb
    import mcp

    try:
        from importlib.metadata import version

        mcp_version = version("mcp")
    except Exception:  # noqa: BLE001 - informational only
        mcp_version = getattr(mcp, "__version__", "?")
    return (f"{platform.platform()}; {os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}; "
            f"duckdb {duckdb.__version__}; mcp {mcp_version}")


def build_demo(folder: Path, as_of: date) -> Path:
    from demo.generate import generate
    from ledger import model_names, org_apply, org_parse
    from ledger.ingest import ingest
    from ledger.store import Store

    result = generate(folder / "demo", as_of=as_of)
    db = folder / "bench.duckdb"
    with Store(db) as store:
        ingest(store, [str(result.export_root)], actor="bench")
        org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor="bench", why="bench/mcp.py")
        model_names.remap(store)
    return db


def args_for(email: str, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    return {**args, "product": PRODUCT[email]} if tool == "estimate_status" else args


def in_process(db: Path, as_of: date, reps: int = 10) -> dict[str, tuple[float, float]]:
    """Median ms per tool, one caller (the FinOps Lead: the widest scope), no transport: on the live
    attribution views (the CLI's path), and on the attribution snapshot MCP read calls use."""
    from dataclasses import replace

    from ledger.store import Store
    from mcp_server.access import StoreAccess
    from steward.settings import Settings
    from steward.wiring import tool_context
    from tools import toolset

    def median_ms(ctx: Any, tool: str, args: dict[str, Any]) -> float:
        toolset.call(ctx, tool, args)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            toolset.call(ctx, tool, args)
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    out: dict[str, tuple[float, float]] = {}
    with Store(db) as store:
        ctx = tool_context(Settings(store={"db": db}, as_of=as_of), store, "lead@example.com", channel="mcp")
        with StoreAccess(store, wait_for_snapshot=True).reading() as snapshot:
            for tool, args in TOOLS:
                args = args_for("lead@example.com", tool, args)
                out[tool] = (median_ms(ctx, tool, args), median_ms(replace(ctx, store=snapshot), tool, args))
    return out


def tokens_for(db: Path, people: list[str]) -> dict[str, str]:
    from ledger.store import Store
    from mcp_server.auth import create_token

    with Store(db) as store:
        return {p: create_token(store, email=p, created_by="bench", label="bench/mcp.py").token for p in people}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _raw_body(tool: str, args: dict[str, Any], i: int) -> tuple[dict[str, str], bytes]:
    """One stateless (2026-07-28) tools/call request, as the SDK client sends it."""
    import json

    version = "2026-07-28"
    body = {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": tool, "arguments": args,
                       "_meta": {"io.modelcontextprotocol/protocolVersion": version,
                                 "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
                                 "io.modelcontextprotocol/clientCapabilities": {}}}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "MCP-Protocol-Version": version, "Mcp-Method": "tools/call", "Mcp-Name": tool}
    return headers, json.dumps(body).encode()


def _raw_ok(response: Any) -> bool:
    import json

    text = response.text
    if "text/event-stream" in response.headers.get("content-type", ""):
        text = next((line[5:] for line in text.splitlines() if line.startswith("data:")), "{}")
    result = json.loads(text).get("result") or {}
    return response.status_code == 200 and not result.get("isError", True)


async def load(url: str, tokens: dict[str, str], clients: int, calls: int, *, kind: str,
               rate: float) -> tuple[dict[str, list[float]], float]:
    """`clients` concurrent callers; each makes `calls` rounds over TOOLS. kind 'sdk': the mcp
    Client (a session each); 'raw': hand-made JSON-RPC POSTs (the server's share alone). rate: calls
    per second per client (0: back to back)."""
    import random

    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    people = list(tokens)
    samples: dict[str, list[float]] = {tool: [] for tool, _ in TOOLS}
    ready = anyio.Event()
    connected = 0
    started = 0.0

    async def one(i: int) -> None:
        nonlocal connected
        email = people[i % len(people)]
        plan = [(t, args_for(email, t, a)) for t, a in TOOLS]
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {tokens[email]}"}, timeout=120)
        async with http:
            if kind == "sdk":
                session = Client(streamable_http_client(url, http_client=http), cache=None)
                client = await session.__aenter__()

                async def call(tool: str, args: dict[str, Any]) -> bool:
                    return not (await client.call_tool(tool, args)).is_error
            else:
                async def call(tool: str, args: dict[str, Any]) -> bool:
                    headers, body = _raw_body(tool, args, i)
                    return _raw_ok(await http.post(url, content=body, headers=headers))
            try:
                for tool, args in plan:  # warm up: session, tool list, first call of each tool
                    assert await call(tool, args), (email, tool)
                connected += 1
                if connected == clients:
                    ready.set()
                await ready.wait()
                step = 1 / rate if rate else 0.0
                due = time.perf_counter() + random.random() * step
                for _ in range(calls):
                    for tool, args in plan:
                        if step:
                            due += step
                            await anyio.sleep(max(0.0, due - time.perf_counter()))
                        t = time.perf_counter()
                        ok = await call(tool, args)
                        samples[tool].append((time.perf_counter() - t) * 1000)
                        assert ok, (email, tool)
            finally:
                if kind == "sdk":
                    await session.__aexit__(None, None, None)

    async with anyio.create_task_group() as tg:
        for i in range(clients):
            tg.start_soon(one, i)
        await ready.wait()
        started = time.perf_counter()
    return samples, time.perf_counter() - started


def report(title: str, samples: dict[str, list[float]], seconds: float, alone: dict[str, tuple[float, float]]) -> None:
    every = [v for values in samples.values() for v in values]
    print(f"\n{title}")
    print(f"{'tool':18} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'alone ms':>9} {'snapshot':>9}")
    for tool, values in samples.items():
        if values:
            print(f"{tool:18} {len(values):6d} {statistics.median(values):8.1f} {pct(values, 95):8.1f} "
                  f"{max(values):8.1f} {alone[tool][0]:9.1f} {alone[tool][1]:9.1f}")
    print(f"{'all read tools':18} {len(every):6d} {statistics.median(every):8.1f} {pct(every, 95):8.1f} "
          f"{max(every):8.1f}")
    verdict = "met" if pct(every, 95) <= 30 else "NOT met"
    print(f"throughput {len(every) / seconds:,.0f} calls/s; p95 <= 30 ms: {verdict}")


RUNS = {  # name: (server result cache seconds, client kind, calls per second per client; 0 = back to back)
    "warm-sdk": (300.0, "sdk", 0.0),
    "warm-raw": (300.0, "raw", 0.0),
    "warm-sdk-paced": (300.0, "sdk", 1.0),
    "cold-sdk-paced": (0.0, "sdk", 1.0),
    "cold-raw-paced": (0.0, "raw", 1.0),
    "cold-sdk": (0.0, "sdk", 0.0),
}
DEFAULT_RUNS = "warm-sdk,warm-raw,warm-sdk-paced,cold-sdk-paced,cold-raw-paced,cold-sdk"


def start_server(db: Path, as_of: date, cache_seconds: float) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "steward.cli", "--db", str(db), "--as-of", as_of.isoformat(), "mcp", "serve-http",
         "--port", "0", "--cache-seconds", str(cache_seconds)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline() if server.stderr else ""
    found = re.search(r"(http://\S+/mcp)", line)
    if not found:
        server.terminate()
        raise SystemExit(f"the server did not start: {line}")
    return server, found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing store (default: build the demo store)")
    parser.add_argument("--as-of", default=None, help="the day 'now' is (default: today)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10, help="rounds per client (each round calls every tool)")
    parser.add_argument("--runs", default=DEFAULT_RUNS,
                        help="comma-separated: warm-* with the server's read-result cache on (repeat calls "
                             "reuse results), cold-* with it off (every call runs the tool); *-sdk: mcp "
                             "Client sessions back to back; *-raw: plain JSON-RPC POSTs back to back (the "
                             "server's share alone); *-sdk-paced / *-raw-paced: the same at 1 call/s per "
                             "client")
    opts = parser.parse_args()
    as_of = date.fromisoformat(opts.as_of) if opts.as_of else date.today()

    import anyio

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = opts.db or build_demo(Path(tmp), as_of)
        alone = in_process(db, as_of)
        tokens = tokens_for(db, PEOPLE)
        names = opts.runs.split(",")
        for cache_seconds in dict.fromkeys(RUNS[n][0] for n in names):
            server, url = start_server(db, as_of, cache_seconds)
            try:
                for name in names:
                    cache, kind, rate = RUNS[name]
                    if cache != cache_seconds:
                        continue
                    samples, seconds = anyio.run(partial(load, url, tokens, opts.clients, opts.calls,
                                                         kind=kind, rate=rate))
                    results.append((name, cache, kind, rate, samples, seconds))
            finally:
                server.terminate()
                server.wait(timeout=10)

    print(f"machine: {machine()}")
    print(f"load average before the run: {LOAD_BEFORE}; after: {os.getloadavg()[0]:.2f} "
          "(other work on the box skews the figures)")
    print(f"store: {db if opts.db else 'demo store (steward demo, daily rows)'}; as of {as_of}")
    print(f"{opts.clients} concurrent clients over streamable HTTP on loopback, bearer tokens ({len(PEOPLE)} people), "
          f"{opts.calls} rounds each over {len(TOOLS)} read tools; `steward mcp serve-http` in its own process")
    for name, cache, kind, rate, samples, seconds in results:
        how = "mcp SDK Client sessions" if kind == "sdk" else "raw JSON-RPC POSTs (no client-side MCP work)"
        pace = f"{rate:g} call/s per client" if rate else "back to back (closed loop)"
        warm = f"result cache {cache:g}s" if cache else "no result cache"
        report(f"[{name}] {how}, {pace}, {warm}", samples, seconds, alone)
    print("\n'alone ms': the tool's median cost in-process for the FinOps Lead, one caller, no transport, on the live "
          "attribution views; 'snapshot': the same on the attribution snapshot MCP read calls run on")


LOAD_BEFORE = f"{os.getloadavg()[0]:.2f}"

if __name__ == "__main__":
    main()
