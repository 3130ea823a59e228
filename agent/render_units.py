"""Answers about the cost per unit of value: each product's cost per unit with its trend and estimate,
the products whose spend has no volume recorded, and a volume recorded."""

from __future__ import annotations

from typing import Any

from agent import render_estimates
from agent.render_words import View, day, month_label, usd
from tools.unit_costs import unit_sentence

HOW_TO_RECORD = ("Record volumes with `steward metrics import FILE.csv` (columns product,date,metric,value) or "
                 "the record_metric tool, e.g. record_metric product=<product> date=<day> metric=document value=1200.")
MAX_LINES = 12


def cost_per_unit(r: Any, v: View, args: dict) -> str:
    if not r.lines and not r.without_volume:
        return r.summary + ("" if r.data_through is None and r.start == r.end else " " + HOW_TO_RECORD)
    head = f"Cost per unit, {month_label(r.month)}"
    if r.data_through is not None and r.end.day != 1:
        head += f" to {day(r.data_through)}"
    out = [head + f" (against {month_label(r.previous_month)}):"]
    out += [f"- {line.summary}" for line in r.lines[:MAX_LINES]]
    if len(r.lines) > MAX_LINES:
        out.append(f"- and {len(r.lines) - MAX_LINES} more.")
    if r.without_volume:
        idle = ", ".join(f"{p.product} ({usd(p.spend_usd)} spent)" for p in r.without_volume[:MAX_LINES])
        more = f" and {len(r.without_volume) - MAX_LINES} more" if len(r.without_volume) > MAX_LINES else ""
        unit = f"{r.metric.replace('_', ' ')} " if r.metric else ""
        out.append(f"No {unit}volume recorded for {idle}{more}.")
    if not r.lines:
        out.append(HOW_TO_RECORD)
    return "\n".join(out)


def record_metric(m: Any, v: View, args: dict) -> str:
    return m.message + " Ask 'what does each " + m.metric.replace("_", " ") + " cost?' for its cost per unit."


def estimate_status(s: Any, v: View, args: dict) -> str:
    """The estimate answer, then the month's cost per unit when volumes are recorded."""
    text = render_estimates.estimate_status(s, v, args)
    return f"{text} {unit_sentence(s.unit_costs)}" if s.unit_costs else text
