"""The qualifiers of a question that an answer's tool calls did not honour, for answers whose calls the
offline planner did not choose (the Bedrock agent): the question is read as the planner reads it (period,
comparison, account, region, org unit, product, model, tier, token kind, cost basis, a grouping the tools
cannot make) and each qualifier is held against the calls made. A qualifier is checked only when a tool
that was called takes it, so a question the tools answer without it (a catalog question naming a month)
is not marked down; a grouping no tool can make is always named."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from agent.answer import Fact
from agent.comparisons import read_comparison
from agent.coverage import coverage
from agent.qualifiers import FILTER_LABELS, spend_filters
from agent.question import Question, read
from tools import toolset
from tools.context import ToolContext
from ledger.months import next_month

Window = tuple[date, date]
NODE_FIELDS = (("product", "products"), ("portfolio", "portfolios"), ("department", "departments"),
               ("business_unit", "business_units"))


def unhonoured(ctx: ToolContext, question: str, facts: list[Fact]) -> list[str]:
    """What the question asked that no successful tool call applied (empty when every qualifier was)."""
    done = [f for f in facts if f.error is None]
    if not done:
        return []
    q = read(ctx, question)
    fields = {name for f in done if (t := toolset.get(f.tool)) is not None for name in t.args_model.model_fields}
    missing = [f"grouping {g} (spend is grouped by the tools' groupings only)" for g in coverage(q).groupings]
    missing += _periods(q, done, fields)
    filters, _ = spend_filters(q)
    for key, value in filters.items():
        arg = "cost" if key == "cost" else key
        if arg in fields and not any(_same(f.args.get(arg), value) for f in done):
            missing.append("net cost" if key == "cost" else f"{FILTER_LABELS.get(key, key)} {value}")
    for arg, attr in NODE_FIELDS:
        for name in getattr(q, attr) if arg in fields else []:
            if not any(_names(f.args.get(arg), name) or (arg == "product" and arg not in f.args) for f in done):
                missing.append(f"{arg.replace('_', ' ')} {name}")
    model = q.model
    if model is not None and not model.ambiguous and "model" in fields and not any(
            f.args.get("model") or f.args.get("model_family") for f in done):
        missing.append(f"model {model.text}")
    return list(dict.fromkeys(missing))


def _periods(q: Question, done: list[Fact], fields: set[str]) -> list[str]:
    """The period (or the two periods compared) the question names, unless some call covered each."""
    if not fields & {"month", "start", "first_start"}:
        return []
    today = q.ctx.today
    compared = read_comparison(q, today)
    asked = list(compared) if compared else [q.period()] if q.period().args() else []
    covered = [w for f in done for w in _windows(f, today)]
    return [f"the period {p.describe(today)}" for p in asked
            if not any(_same_window(p.bounds(today), w, today) for w in covered)]


def _windows(f: Fact, today: date) -> list[Window]:
    """The windows a call covered: its two compared windows, its start and end, its month, else this month."""
    a = f.args
    try:
        if a.get("first_start"):
            return [(_day(a["first_start"]), _day(a["first_end"])), (_day(a["second_start"]), _day(a["second_end"]))]
        if a.get("start") and a.get("end"):
            return [(_day(a["start"]), _day(a["end"]))]
        first = _day(f"{a['month']}-01") if a.get("month") else today.replace(day=1)
    except (KeyError, TypeError, ValueError):
        return []
    tool = toolset.get(f.tool)
    takes_period = tool is not None and {"month", "start"} & set(tool.args_model.model_fields)
    return [(first, next_month(first))] if takes_period else []


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _same_window(asked: Window, called: Window, today: date) -> bool:
    """The same days, up to what has happened: a month to date and its first days through today agree."""
    last = today + timedelta(days=1)
    return asked[0] == called[0] and abs((min(asked[1], last) - min(called[1], last)).days) <= 1


def _same(arg: Any, value: Any) -> bool:
    return arg is not None and str(arg).strip().casefold() == str(value).strip().casefold()


def _names(arg: Any, name: str) -> bool:
    """A node named in the call as in the question, or by a prefix of it ('Checkout' for Checkout Service)."""
    if not arg:
        return False
    a, n = str(arg).casefold().strip(), name.casefold()
    return a == n or n.startswith(a) or a.startswith(n)


def not_applied_line(qualifiers: list[str]) -> str:
    """The partial answer's last line on the agent's path: what the question asked that its calls left out."""
    return ("Not answered as asked: " + "; ".join(qualifiers)
            + ". The figures above were not narrowed or read that way; ask again naming it.")
