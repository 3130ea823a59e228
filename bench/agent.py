"""Agent benchmark: python bench/agent.py [--db STORE] [--as EMAIL] [--as-of DATE] [--reps N].

1. The Bedrock path against a loopback fake Converse server (tests/fake_bedrock.py; nothing leaves
   the machine, dummy credentials): model calls per question, input tokens per question and the
   cache-read share, for a short conversation on one thread. The fake plays a realistic prompt
   cache: token counts are estimated from the request bytes (chars / 4), the prefix up to the
   cache points (tool specs + system prompt) is written to the cache on its first sight and read
   from it afterwards, and prefixes below the model's minimum cacheable size are not cached.
2. The offline answer latency p50 / p95 in-process: agent.service.ask in offline mode over a list
   of questions, N repetitions (target p95 <= 100 ms on the 10 million row demo store:
   `steward --db bench.duckdb demo --rows 10000000`, then `--db bench.duckdb --as maria@example.com`).

Without --db the small test org of tests/orgfixture.py is built in a temporary folder (the token
figures are about prompt size, not data size; the latency figures then say little).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a source checkout: agent/, tests/ are importable
    sys.path.insert(0, str(ROOT))

OFFLINE_QUESTIONS = [
    "Am I within my AI estimate this month?",
    "Which of my products is spending the most on Bedrock?",
    "top 5 models by spend last month",
    "Are we using any Bedrock models we haven't approved?",
    "how much unattributed spend do we have this month?",
    "any anomalies this week?",
    "which models are approved?",
    "what should I do to cut my bedrock bill?",
    "show my spend card",
    "what's in my task queue?",
]


# ---------------------------------------------------------------- the simulated prompt cache

def tokens(obj: Any) -> int:
    """A rough token count: about 4 characters per token of the JSON sent."""
    s = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return math.ceil(len(s) / 4)


def _until_cache_point(blocks: list[dict]) -> tuple[list[dict], list[dict]]:
    for i, b in enumerate(blocks):
        if "cachePoint" in b:
            return blocks[:i], blocks[i + 1:]
    return [], blocks


class CachingModel:
    """A fake model that asks for one tool per question, then answers; usage as Bedrock reports it
    with a prompt cache (prefix order tools -> system, as for Claude on Bedrock)."""

    def __init__(self, plan: list[list[tuple[str, dict]]], min_cacheable: int) -> None:
        self.plan = plan              # per question: the tool calls of each round
        self.min_cacheable = min_cacheable
        self.cache: set[str] = set()
        self.question = -1
        self.round = 0

    def next_question(self) -> None:
        self.question += 1
        self.round = 0

    def usage(self, body: dict, output_tokens: int) -> dict[str, int]:
        tools_prefix, tools_rest = _until_cache_point(body.get("toolConfig", {}).get("tools", []))
        system_prefix, system_rest = _until_cache_point(body.get("system", []))
        prefix = [tools_prefix, system_prefix]
        prefix_tokens = tokens(prefix)
        rest_tokens = tokens([tools_rest, system_rest, body.get("messages", []), body.get("inferenceConfig")])
        u = {"inputTokens": rest_tokens, "outputTokens": output_tokens}
        if prefix_tokens >= self.min_cacheable:
            key = hashlib.sha256(json.dumps(prefix, sort_keys=True).encode()).hexdigest()
            u["cacheReadInputTokens" if key in self.cache else "cacheWriteInputTokens"] = prefix_tokens
            self.cache.add(key)
        else:
            u["inputTokens"] += prefix_tokens
        return u

    def __call__(self, body: dict, index: int) -> dict:
        from tests.fake_bedrock import text, tool_use

        rounds = self.plan[self.question]
        if self.round < len(rounds):
            name, args = rounds[self.round]
            self.round += 1
            return tool_use(name, args, use=self.usage(body, 60))
        return text("Here is what the figures say.", use=self.usage(body, 110))


def bedrock_plan(ctx) -> list[tuple[str, list[tuple[str, dict]]]]:
    """Questions and the tool calls a model would make for them, limited to the caller's tools."""
    from tools import toolset

    offered = {t.name for t in toolset.tools_for(ctx)}
    products = sorted(ctx.caller.owned_products or ctx.caller.products)
    product = {"product": products[0]} if products else {}
    candidates = [
        ("Am I within my AI estimate this month?", [("estimate_status", product)]),
        ("Which of my products is spending the most?", [("spend_breakdown", {"by": "product", "top": 5})]),
        ("And by model, compared with last month?", [("spend_breakdown", {"by": "model", "top": 5})]),
        ("Are we using any models we haven't approved?", [("model_drift", {}), ("model_catalog", {})]),
        ("What should I do about it?", [("recommendations", {})]),
        ("What's in my task queue?", [("task_queue", {})]),
        ("Which models are approved?", [("model_catalog", {})]),
    ]
    plan = [(q, [c for c in calls if c[0] in offered]) for q, calls in candidates]
    return [(q, calls) for q, calls in plan if calls][:5]


def bench_bedrock(ctx, *, min_cacheable: int) -> dict[str, Any]:
    from agent import bedrock
    from agent.config import AgentConfig
    from tests.fake_bedrock import FakeBedrock

    # Loopback only: dummy credentials so nothing real is ever signed.
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK"):
        os.environ.pop(var, None)
    plan = bedrock_plan(ctx)
    model = CachingModel([calls for _, calls in plan], min_cacheable)
    rows = []
    with FakeBedrock(model) as fake:
        config = AgentConfig(mode="bedrock", endpoint_url=fake.url)
        for q, _ in plan:
            model.next_question()
            start = len(fake.requests)
            a = bedrock.answer(ctx, q, config=config, thread_id="bench")
            u = a.usage
            all_in = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
            rows.append({"question": q, "model_calls": u.model_calls, "requests": len(fake.requests) - start,
                         "input_tokens": u.input_tokens, "cache_read": u.cache_read_tokens,
                         "cache_write": u.cache_write_tokens, "all_input": all_in,
                         "cache_read_share": u.cache_read_tokens / all_in if all_in else 0.0,
                         "output_tokens": u.output_tokens, "cost_usd": u.cost_usd,
                         "tools": [f.tool for f in a.facts]})
    return {"caller": ctx.caller.email, "model": config.model_id, "min_cacheable": min_cacheable,
            "questions": rows}


def bench_offline(ctx, *, reps: int) -> dict[str, Any]:
    from agent.service import ask  # the front door every channel uses

    from agent.config import AgentConfig

    config = AgentConfig(mode="offline")
    ask(ctx, OFFLINE_QUESTIONS[0], config=config)  # warm up (imports, views)
    times = []
    for _ in range(reps):
        for q in OFFLINE_QUESTIONS:
            t = time.perf_counter()
            ask(ctx, q, config=config)
            times.append((time.perf_counter() - t) * 1000.0)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"answers": len(times), "p50_ms": statistics.median(times), "p95_ms": cuts[94], "max_ms": max(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="Steward store (default: the small test org in a temp folder)")
    ap.add_argument("--as", dest="email", default="maria@example.com", help="Caller email")
    ap.add_argument("--as-of", type=date.fromisoformat, help="'today' (default: the day after the last data)")
    ap.add_argument("--reps", type=int, default=20, help="Offline repetitions of the question list")
    ap.add_argument("--min-cacheable", type=int, default=2048,
                    help="Smallest cacheable prefix in tokens (Claude 3.5 Haiku: 2048)")
    ap.add_argument("--skip-offline", action="store_true")
    ap.add_argument("--skip-bedrock", action="store_true")
    ap.add_argument("--json", action="store_true", help="Print the figures as JSON")
    args = ap.parse_args()

    from ledger.store import Store
    from tools.caller import resolve_caller
    from tools.context import ToolContext

    tmp = None
    if args.db is None:
        from tests.orgfixture import build_store

        tmp = tempfile.TemporaryDirectory()
        store = build_store(Path(tmp.name))
        source = "test org (tests/orgfixture.py)"
    else:
        store = Store(args.db)
        source = str(args.db)
    last = store.scalar("SELECT max(usage_date) FROM bedrock_usage")
    today = args.as_of or ((last + timedelta(days=1)) if last else date.today())
    ctx = ToolContext(store=store, caller=resolve_caller(store, args.email), today=today)

    out: dict[str, Any] = {"store": source, "today": today.isoformat()}
    if not args.skip_bedrock:
        out["bedrock"] = bench_bedrock(ctx, min_cacheable=args.min_cacheable)
    if not args.skip_offline:
        try:
            out["offline"] = bench_offline(ctx, reps=args.reps)
        except ImportError as exc:
            out["offline"] = {"skipped": f"agent.service is not available ({exc})"}
    store.close()
    if tmp is not None:
        tmp.cleanup()

    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return
    print(f"store: {out['store']}   today: {out['today']}   caller: {args.email}")
    if "bedrock" in out:
        b = out["bedrock"]
        print(f"\nBedrock path (fake Converse on loopback, {b['model']}; tokens ~ chars/4; "
              f"min cacheable prefix {b['min_cacheable']}):")
        print(f"  {'question':46} {'calls':>5} {'input':>7} {'c.read':>7} {'c.write':>7} {'read%':>6} "
              f"{'out':>5} {'cost $':>9}")
        for r in b["questions"]:
            print(f"  {r['question'][:46]:46} {r['model_calls']:>5} {r['input_tokens']:>7} {r['cache_read']:>7} "
                  f"{r['cache_write']:>7} {r['cache_read_share']:>6.0%} {r['output_tokens']:>5} "
                  f"{r['cost_usd']:>9.5f}")
        qs = b["questions"]
        if qs:
            n = len(qs)
            reads = sum(r["cache_read"] for r in qs)
            alls = sum(r["all_input"] for r in qs)
            print(f"  per question: {sum(r['model_calls'] for r in qs) / n:.1f} model calls, "
                  f"{sum(r['input_tokens'] for r in qs) / n:.0f} uncached input tokens, "
                  f"{alls / n:.0f} input tokens in all, cache-read share {reads / alls if alls else 0:.0%}, "
                  f"${sum(r['cost_usd'] for r in qs) / n:.5f}")
    if "offline" in out:
        o = out["offline"]
        if "skipped" in o:
            print(f"\nOffline: skipped: {o['skipped']}")
        else:
            print(f"\nOffline answers in-process ({o['answers']} answers): p50 {o['p50_ms']:.1f} ms, "
                  f"p95 {o['p95_ms']:.1f} ms, max {o['max_ms']:.1f} ms (target p95 <= 100 ms)")


if __name__ == "__main__":
    main()
