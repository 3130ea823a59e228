"""Answers to one fact asked directly: cache hit rates, whether a product is paused, who claimed a principal."""

from __future__ import annotations

from typing import Any

from agent import render_words as words
from agent.render_spend import filters_text


def cache_rates(c: Any, view: words.View, args: dict) -> str:
    where = filters_text(args, view)
    if c.overall_hit_rate is None:
        return f"No input tokens{where} in {c.period}, so there is no cache hit rate yet."
    rows = [r for r in c.rows if r.hit_rate is not None]
    rows.sort(key=lambda r: -(r.input_tokens + r.cache_read_tokens + r.cache_write_tokens))
    lines = [f"Prompt-cache hit rate{where}, {c.period}: {words.pct(c.overall_hit_rate)} overall "
             f"(healthy is {words.pct(c.healthy)} or more)."]
    for r in rows[:10]:
        low = " (below healthy)" if r.hit_rate < c.healthy else ""
        lines.append(f"- {words.group_key(c.by, r.key, view)}: {words.pct(r.hit_rate)}{low}")
    if len(rows) > 10:
        lines.append(f"- and {len(rows) - 10} more.")
    if c.overall_hit_rate < c.healthy:
        lines.append("Caching repeated prompt prefixes raises it; ask 'how can I save' for an estimate.")
    return "\n".join(lines)


def product_status(s: Any, view: words.View, args: dict) -> str:
    if s.paused:
        pending = (f"; {s.pause_tasks_open} pause task(s) still to be run by a Cloud Engineer"
                   if s.pause_tasks_open else "")
        return f"{s.product} is paused since {words.day(s.since.date(), year=True)}{pending}."
    if s.resumed_at is not None:
        return f"{s.product} is not paused: it was resumed on {words.day(s.resumed_at.date(), year=True)}."
    return f"{s.product} is not paused and never has been."


def principal_claim(p: Any, view: words.View, args: dict) -> str:
    who = words.principal_name(p.principal)
    if p.product is None:
        return (f"Nobody has claimed {who} ({p.principal}): its spend is unattributed. The Product Owner whose "
                f"workload it is claims it: 'claim {p.principal} for <product>'.")
    note = f" ({p.note})" if p.note else ""
    return (f"{who} belongs to {p.product}: claimed by {p.claimed_by} on "
            f"{words.day(p.claimed_on, year=True)}{note}.")
