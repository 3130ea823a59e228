"""The eval runner: every case through `agent.service.ask` as its caller on its frozen "now", scored
against the gold answers of evals/datasets/*.yaml (evals/scoring.py), summarised by evals/report.py.

A case passes when every expected figure is in the answer text (within tolerance), every
must_include name is there, nothing of must_not_include is there (in the text, or the results of
the tools the answer rests on), the refusal expectation holds and the expected tool was called.
A must_not_include hit is a LEAK, counted apart from failures.

The demo store is built once (generate, ingest, apply the org) and cached; the cases run on one
copy of it, each write case (claims, estimates, access requests, model decisions, tasks) inside a
transaction rolled back afterwards, so no case sees another's writes.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import yaml

from evals import EVAL_AS_OF
from evals.eval_store import cached_store
from evals.report import CaseResult, summary
from evals.scoring import confident_wrong, score

DATASET = Path(__file__).parent / "datasets" / "demo.yaml"
HELDOUT = Path(__file__).parent / "datasets" / "heldout.yaml"
SETS = {"dev": DATASET, "heldout": HELDOUT}  # dev: generated with the planner; heldout: written apart from it
WRITE_FAMILIES = frozenset({"claim", "estimate_set", "access_request", "model_decision", "tasks"})


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


def _ask(ctx: Any, case: dict[str, Any], config: Any, ask: Callable[..., Any]) -> Any:
    """The case's question; a follow-up first asks its earlier turns in a thread of its own."""
    if not case.get("thread"):
        return ask(ctx, case["question"], config=config)
    thread_id = f"eval-{case['id']}"
    for earlier in case["thread"]:
        ask(ctx, earlier, config=config, thread_id=thread_id)
    return ask(ctx, case["question"], config=config, thread_id=thread_id)


def run_case(store: Any, case: dict[str, Any], config: Any, ask: Callable[..., Any],
             callers: dict[str, Any] | None = None) -> CaseResult:
    base = dict(id=case["id"], family=case["family"], persona=case.get("persona", ""), caller=case["caller"],
                question=case["question"])
    started = time.perf_counter()
    try:
        ctx = _context(store, case, {} if callers is None else callers)
        answer = _ask(ctx, case, config, ask)
    except Exception as exc:  # noqa: BLE001 - a crash is a failed case, not a failed run
        return CaseResult(**base, passed=False, reasons=[f"crash: {type(exc).__name__}: {exc}"],
                          latency_ms=(time.perf_counter() - started) * 1000)
    latency = (time.perf_counter() - started) * 1000
    passed, reasons, leaks = score(case, answer)
    usage = answer.usage
    return CaseResult(**base, passed=passed, reasons=reasons, leaks=leaks, latency_ms=latency, text=answer.text,
                      outcome=getattr(answer, "outcome", None), confident_wrong=confident_wrong(case, answer, reasons),
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


def _filtered(dataset: Path, family: str | None, persona: str | None) -> list[dict[str, Any]]:
    cases = load_cases(dataset)
    if family:
        cases = [c for c in cases if c["family"] == family]
    if persona:
        cases = [c for c in cases if c.get("persona") == persona]
    return cases


def evaluate(*, dataset: Path = DATASET, mode: str = "offline", family: str | None = None,
             persona: str | None = None, config: Any = None, base_db: Path | None = None) -> dict[str, Any]:
    """Load, filter, run and summarise one dataset."""
    cases = _filtered(dataset, family, persona)
    if not cases:
        raise ValueError("no cases match the filters")
    db = base_db or cached_store()
    return summary(run(cases, base_db=db, config=config, mode=mode), mode)


def evaluate_sets(names: list[str], *, mode: str = "offline", family: str | None = None,
                  persona: str | None = None, config: Any = None, base_db: Path | None = None) -> dict[str, Any]:
    """Each named set (dev, heldout) run and summarised on its own: what `steward eval` calls."""
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise ValueError(f"unknown eval set {', '.join(unknown)}: use {', '.join(SETS)} or all")
    picked = {n: _filtered(SETS[n], family, persona) for n in names}
    if not any(picked.values()):
        raise ValueError("no cases match the filters")
    db = base_db or cached_store()
    return {"mode": mode, "sets": {n: {"set": n, **summary(run(cases, base_db=db, config=config, mode=mode), mode)}
                                   for n, cases in picked.items() if cases}}
