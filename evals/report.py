"""The eval report: accuracy per family and persona, leaks, latency and agent cost, as data and text."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CaseResult:
    """One case run: passed or not, why, leaks, latency and what the agent spent."""

    id: str
    family: str
    persona: str
    caller: str
    question: str
    passed: bool
    leaks: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    text: str = ""
    tools: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model_calls: int = 0
    fallback: str | None = None  # bedrock mode: why the offline planner answered instead
    outcome: str | None = None
    confident_wrong: bool = False

    @property
    def batch(self) -> str:
        """The batch a case was written in: the family's prefix before '-' ('fresh-period' -> 'fresh'),
        'base' for a family without one, so a later batch of questions is scored apart from the first."""
        return self.family.split("-", 1)[0] if "-" in self.family else "base"


def _pctile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(results: list[CaseResult], mode: str = "offline") -> dict[str, Any]:
    def group(key: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        buckets: dict[str, list[CaseResult]] = defaultdict(list)
        for r in results:
            buckets[getattr(r, key)].append(r)
        for k in sorted(buckets):
            rs = buckets[k]
            passed = sum(r.passed for r in rs)
            wrong = sum(r.confident_wrong for r in rs)
            out[k] = {"cases": len(rs), "passed": passed, "accuracy": round(passed / len(rs), 4),
                      "leaks": sum(bool(r.leaks) for r in rs), "confident_wrong": wrong,
                      "confident_wrong_rate": round(wrong / len(rs), 4)}
        return out

    n = len(results)
    passed = sum(r.passed for r in results)
    latencies = [r.latency_ms for r in results]
    reasons: dict[str, int] = defaultdict(int)
    for r in results:
        for why in r.reasons:
            reasons[_reason_kind(why)] += 1
        if r.leaks:
            reasons["leak"] += 1
    out: dict[str, Any] = {
        "mode": mode, "cases": n, "passed": passed, "accuracy": round(passed / n, 4) if n else 0.0,
        "leaks": sum(bool(r.leaks) for r in results),
        "confident_wrong": sum(r.confident_wrong for r in results),
        "confident_wrong_rate": round(sum(r.confident_wrong for r in results) / n, 4) if n else 0.0,
        "outcomes": dict(sorted(Counter(r.outcome or "none" for r in results).items())),
        "latency_ms": {"p50": round(_pctile(latencies, 0.5), 2), "p95": round(_pctile(latencies, 0.95), 2),
                       "mean": round(statistics.fmean(latencies), 2) if latencies else 0.0},
        "by_batch": group("batch"), "by_family": group("family"), "by_persona": group("persona"),
        "failure_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "failures": [{"id": r.id, "caller": r.caller, "question": r.question, "reasons": r.reasons,
                      "leaks": r.leaks, "answer": r.text, "outcome": r.outcome,
                      "confident_wrong": r.confident_wrong} for r in results if not r.passed],
    }
    if mode == "bedrock" or any(r.model_calls for r in results):
        out["agent_usage_per_question"] = {
            "model_calls": round(sum(r.model_calls for r in results) / max(n, 1), 2),
            "input_tokens": round(sum(r.input_tokens for r in results) / max(n, 1), 1),
            "output_tokens": round(sum(r.output_tokens for r in results) / max(n, 1), 1),
            "cost_usd": round(sum(r.cost_usd for r in results) / max(n, 1), 6),
            "total_cost_usd": round(sum(r.cost_usd for r in results), 4),
            "planner_fallbacks": sum(r.fallback is not None for r in results),
        }
    return out


def _reason_kind(reason: str) -> str:
    for prefix in ("missing figure", "missing name", "expected a refusal", "refused or no tool result", "crash",
                   "outcome"):
        if reason.startswith(prefix):
            return prefix
    if reason.startswith("tool "):
        return "expected tool not called"
    return reason.split(":", 1)[0]


def format_report(s: dict[str, Any], *, failures: int = 40) -> str:
    title = s['mode'] + (f", {s['set']} set" if s.get("set") else "")
    lines = [f"Steward eval ({title}): {s['passed']}/{s['cases']} passed, accuracy {s['accuracy']:.1%}, "
             f"leaks {s['leaks']}, confident-wrong {s['confident_wrong']} ({s['confident_wrong_rate']:.1%})",
             "outcomes: " + ", ".join(f"{k} {v}" for k, v in s["outcomes"].items()),
             f"latency p50 {s['latency_ms']['p50']:.1f} ms, p95 {s['latency_ms']['p95']:.1f} ms"]
    if "agent_usage_per_question" in s:
        u = s["agent_usage_per_question"]
        lines.append(f"agent per question: {u['model_calls']} model calls, {u['input_tokens']:.0f} input tokens, "
                     f"{u['output_tokens']:.0f} output tokens, ${u['cost_usd']:.5f} (total ${u['total_cost_usd']:.4f})"
                     + (f"; {u['planner_fallbacks']} answered by the offline planner (Bedrock unavailable)"
                        if u["planner_fallbacks"] else ""))
    tables = (("batch", "by_batch"), ("family", "by_family"), ("persona", "by_persona"))
    for title, key in tables:
        if key == "by_batch" and len(s.get(key, {})) < 2:
            continue  # one batch: the overall line says it
        lines.append("")
        lines.append(f"{'by ' + title:<20} {'cases':>5} {'passed':>6} {'accuracy':>8} {'leaks':>5} {'conf-wrong':>10}")
        for k, v in s[key].items():
            lines.append(f"{k:<20} {v['cases']:>5} {v['passed']:>6} {v['accuracy']:>8.1%} {v['leaks']:>5} "
                         f"{v['confident_wrong_rate']:>10.1%}")
    if s["failure_reasons"]:
        lines.append("")
        lines.append("failure reasons: " + ", ".join(f"{k} {v}" for k, v in s["failure_reasons"].items()))
    if s["failures"] and failures:
        lines.append("")
        lines.append("failing cases:")
        for f in s["failures"][:failures]:
            lines.append(f"  {f['id']} ({f['caller']}): {f['question']}")
            for why in f["leaks"]:
                lines.append(f"    LEAK {why}")
            for why in f["reasons"]:
                lines.append(f"    {why}")
        if len(s["failures"]) > failures:
            lines.append(f"  ... and {len(s['failures']) - failures} more (use --json for all)")
    return "\n".join(lines)
