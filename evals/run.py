"""The eval runner: every case through `agent.service.ask` as its caller on its frozen "now", scored
against the gold answers of evals/datasets/*.yaml, and the report `steward eval` prints.

A case passes when every expected figure is in the answer text (within tolerance), every
must_include name is there, nothing of must_not_include is there (in the text, or the results of
the tools the answer rests on), the refusal expectation holds and the expected tool was called.
A must_not_include hit is a LEAK, counted apart from failures.

The demo store is built once (generate, ingest, apply the org) and cached; the cases run on one
copy of it, each write case (claims, estimates, access requests, model decisions, tasks) inside a
transaction rolled back afterwards, so no case sees another's writes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from evals import EVAL_AS_OF, EVAL_SEED

DATASET = Path(__file__).parent / "datasets" / "demo.yaml"
WRITE_FAMILIES = frozenset({"claim", "estimate_set", "access_request", "model_decision", "tasks"})
BASE_DB = "base.duckdb"

# ====================================================================================== numbers


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str  # usd | pct | x | num
    decimals: int  # digits shown after the point; negative when scaled (1.2k, 3M)
    text: str


_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_NUMBER = re.compile(
    r"(?P<neg>[-−])?\s?(?P<cur>\$|US\$|USD\s?)?(?P<neg2>[-−])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<scale>\s?(?:thousand|million|billion|bn|mn|[kKmMbB])(?![A-Za-z]))?"
    r"(?P<unit>\s?%|\s?percent\b|\s?[x×](?![A-Za-z0-9])|\s?times\b|\s?USD\b|\s?dollars?\b)?"
)
_SKIP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b"  # ISO dates
    r"|\barn:[^\s,;)]+"  # ARNs
    r"|\b[a-z]{2}-[a-z]+-\d\b"  # regions
    r"|\b[A-Za-z][\w.-]*-v\d[:\w.-]*"  # model ids
    r"|\b(?:AR|T)-\d{6}\b"  # request and task ids
    r"|\b[A-Za-z]+\d[\w.]*"  # words with digits (Claude4.6Sonnet, USE1)
)


def parse_figures(text: str) -> list[Figure]:
    """Every number in an answer with its unit: $1,234.56, -$500, 18%, 1.2M, $3.4k, 3.6x, 2×."""
    cleaned = _SKIP.sub(lambda m: " " * len(m.group(0)), text)
    out = []
    for m in _NUMBER.finditer(cleaned):
        raw = m.group("num").replace(",", "")
        value = float(raw)
        decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
        scale = (m.group("scale") or "").strip().lower()
        unit_text = (m.group("unit") or "").strip().lower()
        cur = m.group("cur") or ("$" if unit_text.startswith(("usd", "dollar")) else None)
        if scale:
            value *= _SCALE[scale]
            decimals -= {1e3: 3, 1e6: 6, 1e9: 9}[_SCALE[scale]]
        if m.group("neg") or m.group("neg2"):
            value = -value
        if cur:
            unit = "usd"
        elif unit_text in ("%", "percent"):
            unit = "pct"
        elif unit_text in ("x", "×", "times"):
            unit = "x"
        else:
            unit = "num"
        out.append(Figure(value, unit, decimals, m.group(0).strip()))
    return out


def _tolerance(expected: dict[str, Any]) -> tuple[str, float]:
    tol = expected.get("tolerance", "1%")
    if isinstance(tol, str) and tol.endswith("%"):
        return "rel", float(tol[:-1]) / 100
    if tol == "shown":
        return "shown", 0.0
    return "abs", float(tol)


def _candidates(fig: Figure, unit: str) -> list[float]:
    """The values a parsed figure can stand for in the expected unit."""
    if unit == fig.unit:
        return [fig.value]
    if unit == "x" and fig.unit == "pct":
        return [fig.value / 100]
    if unit == "pct" and fig.unit == "x":
        return [fig.value * 100]
    if unit == "num" and fig.unit in ("num", "usd"):
        return [fig.value]
    return []


def figure_present(expected: dict[str, Any], figures: Iterable[Figure]) -> bool:
    """Is the expected figure among the parsed ones, within its tolerance?"""
    want, unit = float(expected["value"]), expected.get("unit", "usd")
    kind, tol = _tolerance(expected)
    for fig in figures:
        values = _candidates(fig, unit)
        if kind == "shown" and unit == "usd" and fig.unit == "num":
            values = [fig.value]  # a leaked amount is a leak with or without its dollar sign
        for value in values:
            if kind == "rel" and abs(value - want) <= tol * abs(want) + 1e-9:
                return True
            if kind == "abs" and abs(value - want) <= tol + 1e-9:
                return True
            if kind == "shown" and fig.decimals >= 0 and math.isclose(
                    round(want, fig.decimals), value, abs_tol=10 ** -(fig.decimals + 2)):
                return True
    return False


# ====================================================================================== names


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@lru_cache(maxsize=4096)
def _exact_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str]:
    """Letter and digit runs of the name, with spaces, dashes, dots or underscores (or nothing)
    between them: 'Llama 3 70B' matches 'Llama3-70B', 'data science' matches 'data-science'."""
    runs = re.findall(r"[a-z]+|[0-9]+", name.lower())
    if not runs:
        return re.compile(re.escape(name), re.IGNORECASE)
    body = r"[\s._-]*".join(re.escape(r) for r in runs)
    return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])", re.IGNORECASE)


def name_present(name: str, text: str) -> bool:
    """Case-insensitive, on word boundaries, as written or with its separators changed or dropped."""
    if _exact_pattern(name).search(text):
        return True
    return bool(_name_pattern(name).search(text))


def any_present(item: str | list[str], text: str) -> bool:
    return any(name_present(alt, text) for alt in ([item] if isinstance(item, str) else item))


# ====================================================================================== scoring


@dataclass
class CaseResult:
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


def _results_text(answer: Any) -> str:
    """The tool results an answer rests on (what Slack and MCP may render), as text."""
    parts = []
    for f in getattr(answer, "facts", []) or []:
        if getattr(f, "result", None) is not None:
            parts.append(json.dumps(f.result, default=str))
    return "\n".join(parts)


def refused(answer: Any) -> bool:
    """Refused: refused before any model call, or no tool returned any data."""
    if getattr(answer, "refused", None):
        return True
    return not any(getattr(f, "result", None) is not None for f in getattr(answer, "facts", []) or [])


def score(case: dict[str, Any], answer: Any) -> tuple[bool, list[str], list[str]]:
    """(passed, failure reasons, leaks) of one answer against its case."""
    expect = case.get("expect", {})
    text = answer.text or ""
    figures = parse_figures(text)
    reasons, leaks = [], []
    for fig in expect.get("figures", []):
        if not figure_present(fig, figures):
            reasons.append(f"missing figure {fig['label']} = {_show(fig)}")
    for item in expect.get("must_include", []):
        if not any_present(item, text):
            reasons.append("missing name " + (repr(item) if isinstance(item, str) else " | ".join(map(repr, item))))
    results = _results_text(answer)
    for item in expect.get("must_not_include", []):
        if isinstance(item, dict):
            if figure_present(item, figures):
                leaks.append(f"figure {item['label']} = {_show(item)}")
        elif name_present(item, text):
            leaks.append(f"name {item!r}")
        elif results and name_present(item, results):
            leaks.append(f"name {item!r} (in a tool result)")
    if "refused" in expect:
        got = refused(answer)
        if expect["refused"] and not got:
            reasons.append("expected a refusal, got data")
        elif not expect["refused"] and got:
            reasons.append("refused or no tool result" + (f": {answer.refused}" if answer.refused else ""))
    if expect.get("tool"):
        called = [f.tool for f in answer.facts if f.result is not None]
        if expect["tool"] not in called:
            reasons.append(f"tool {expect['tool']} not called with a result (called: {', '.join(called) or 'none'})")
    return not reasons and not leaks, reasons, leaks


def _show(fig: dict[str, Any]) -> str:
    v, unit = fig["value"], fig.get("unit", "usd")
    return {"usd": f"${v:,.2f}", "pct": f"{v:g}%", "x": f"{v:g}x"}.get(unit, f"{v:g}")


# ====================================================================================== the store


def _source_key(as_of: date, seed: int) -> str:
    """Changes when the demo, ingest or registry code changes: the cached store is then rebuilt."""
    root = Path(__file__).parents[1]
    h = hashlib.sha256(f"{as_of}|{seed}".encode())
    for path in sorted([*root.glob("ledger/*.py"), *root.glob("ledger/data/*.yaml"), *root.glob("demo/*.py")]):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_store(work_dir: Path, as_of: date = EVAL_AS_OF, seed: int = EVAL_SEED) -> Path:
    """Generate the demo, ingest it and apply its org into work_dir/base.duckdb (closed, checkpointed)."""
    from ledger import model_names, org_apply, org_parse
    from demo.generate import generate
    from ledger.ingest import ingest
    from ledger.store import Store

    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / BASE_DB
    tmp = work_dir / "building.duckdb"
    tmp.unlink(missing_ok=True)
    result = generate(work_dir / "demo", as_of=as_of, seed=seed)
    at = datetime.combine(as_of, dtime(6, 0))
    store = Store(tmp)
    try:
        ingest(store, [str(result.export_root)], actor="evals", now=at)
        org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor="evals", now=at,
                           why="eval world")
        model_names.remap(store)
        store.con.execute("CHECKPOINT")
    finally:
        store.close()
    tmp.replace(db)
    return db


def cached_store(as_of: date = EVAL_AS_OF, seed: int = EVAL_SEED, cache_root: Path | None = None) -> Path:
    """The base store under the temp dir, rebuilt only when the ledger code or data change. Built
    in a private folder and moved into place, so concurrent runs never see a half-built store."""
    root = cache_root or Path(tempfile.gettempdir()) / "steward-evals"
    work = root / _source_key(as_of, seed)
    db = work / BASE_DB
    if not db.exists():
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=work, prefix="build-") as tmp:
            built = build_store(Path(tmp), as_of, seed)
            os.replace(built, db)
    return db


# ====================================================================================== running


def load_cases(path: Path = DATASET) -> list[dict[str, Any]]:
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data["cases"] if isinstance(data, dict) else data


class _Rollback(Exception):
    """Raised to undo a write case's transaction."""


def _context(store: Any, case: dict[str, Any], callers: dict[str, Any]) -> Any:
    from tools.caller import resolve_caller
    from tools.context import ToolContext

    now = date.fromisoformat(str(case.get("now") or EVAL_AS_OF))
    if case["caller"] not in callers:  # the registry does not change between cases (writes roll back)
        callers[case["caller"]] = resolve_caller(store, case["caller"], channel="eval")
    return ToolContext(store=store, caller=callers[case["caller"]], today=now,
                       clock=datetime.combine(now, dtime(9, 0)))


def run_case(store: Any, case: dict[str, Any], config: Any, ask: Callable[..., Any],
             callers: dict[str, Any] | None = None) -> CaseResult:
    base = dict(id=case["id"], family=case["family"], persona=case.get("persona", ""), caller=case["caller"],
                question=case["question"])
    started = time.perf_counter()
    try:
        ctx = _context(store, case, {} if callers is None else callers)
        answer = ask(ctx, case["question"], config=config)
    except Exception as exc:  # noqa: BLE001 - a crash is a failed case, not a failed run
        return CaseResult(**base, passed=False, reasons=[f"crash: {type(exc).__name__}: {exc}"],
                          latency_ms=(time.perf_counter() - started) * 1000)
    latency = (time.perf_counter() - started) * 1000
    passed, reasons, leaks = score(case, answer)
    usage = answer.usage
    return CaseResult(**base, passed=passed, reasons=reasons, leaks=leaks, latency_ms=latency, text=answer.text,
                      tools=[f.tool for f in answer.facts], input_tokens=usage.input_tokens,
                      output_tokens=usage.output_tokens, cost_usd=usage.cost_usd, model_calls=usage.model_calls,
                      fallback=getattr(answer, "fallback", None))


def run(cases: list[dict[str, Any]], *, base_db: Path, config: Any = None, mode: str = "offline",
        ask: Callable[..., Any] | None = None, work_dir: Path | None = None) -> list[CaseResult]:
    """Run the cases on one copy of the base store. A write case (claims, estimates, access requests,
    model decisions, tasks) runs inside a transaction that is rolled back afterwards (the tools'
    own transactions join it), so no case sees another's writes."""
    from ledger.store import Store

    if ask is None:
        from agent.service import ask as service_ask
        ask = service_ask
    if config is None:
        from agent.config import AgentConfig
        config = AgentConfig(mode=mode)
    own_tmp = None
    if work_dir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="steward-evals-run-")
        work_dir = Path(own_tmp.name)
    work_dir.mkdir(parents=True, exist_ok=True)
    results: list[CaseResult] = []
    callers: dict[str, Any] = {}
    try:
        path = work_dir / "eval.duckdb"
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        shutil.copyfile(base_db, path)
        store = Store(path)
        try:
            for case in cases:
                if case["family"] not in WRITE_FAMILIES:
                    results.append(run_case(store, case, config, ask, callers))
                    continue
                try:
                    with store.transaction():
                        results.append(run_case(store, case, config, ask, callers))
                        raise _Rollback
                except _Rollback:
                    pass
        finally:
            store.close()
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()
    return results


# ====================================================================================== report


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
            out[k] = {"cases": len(rs), "passed": passed, "accuracy": round(passed / len(rs), 4),
                      "leaks": sum(bool(r.leaks) for r in rs)}
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
        "latency_ms": {"p50": round(_pctile(latencies, 0.5), 2), "p95": round(_pctile(latencies, 0.95), 2),
                       "mean": round(statistics.fmean(latencies), 2) if latencies else 0.0},
        "by_family": group("family"), "by_persona": group("persona"),
        "failure_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "failures": [{"id": r.id, "caller": r.caller, "question": r.question, "reasons": r.reasons,
                      "leaks": r.leaks, "answer": r.text} for r in results if not r.passed],
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
    for prefix in ("missing figure", "missing name", "expected a refusal", "refused or no tool result", "crash"):
        if reason.startswith(prefix):
            return prefix
    if reason.startswith("tool "):
        return "expected tool not called"
    return reason.split(":", 1)[0]


def format_report(s: dict[str, Any], *, failures: int = 40) -> str:
    lines = [f"Steward eval ({s['mode']}): {s['passed']}/{s['cases']} passed, accuracy {s['accuracy']:.1%}, "
             f"leaks {s['leaks']}",
             f"latency p50 {s['latency_ms']['p50']:.1f} ms, p95 {s['latency_ms']['p95']:.1f} ms"]
    if "agent_usage_per_question" in s:
        u = s["agent_usage_per_question"]
        lines.append(f"agent per question: {u['model_calls']} model calls, {u['input_tokens']:.0f} input tokens, "
                     f"{u['output_tokens']:.0f} output tokens, ${u['cost_usd']:.5f} (total ${u['total_cost_usd']:.4f})"
                     + (f"; {u['planner_fallbacks']} answered by the offline planner (Bedrock unavailable)"
                        if u["planner_fallbacks"] else ""))
    for title, key in (("family", "by_family"), ("persona", "by_persona")):
        lines.append("")
        lines.append(f"{'by ' + title:<20} {'cases':>5} {'passed':>6} {'accuracy':>8} {'leaks':>5}")
        for k, v in s[key].items():
            lines.append(f"{k:<20} {v['cases']:>5} {v['passed']:>6} {v['accuracy']:>8.1%} {v['leaks']:>5}")
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


def evaluate(*, dataset: Path = DATASET, mode: str = "offline", family: str | None = None,
             persona: str | None = None, config: Any = None, base_db: Path | None = None) -> dict[str, Any]:
    """Load, filter, run and summarise: what `steward eval` calls."""
    cases = load_cases(dataset)
    if family:
        cases = [c for c in cases if c["family"] == family]
    if persona:
        cases = [c for c in cases if c.get("persona") == persona]
    if not cases:
        raise ValueError("no cases match the filters")
    db = base_db or cached_store()
    return summary(run(cases, base_db=db, config=config, mode=mode), mode)
