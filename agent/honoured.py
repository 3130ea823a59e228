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
from agent.coverage import coverage, uncovered
from agent.date_mentions import call_windows, unread_in_calls
from agent.qualifiers import FILTER_LABELS, spend_filters
from agent.question import Question, read
from tools import toolset
from tools.context import ToolContext
from tools.periods import data_from

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
    missing += _periods(q, done, fields) + unread_in_calls(q, done) + uncovered(done, data_from(ctx.store))
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
    covered = [w for f in done for w in call_windows(f, today)]
    return [f"the period {p.describe(today)}" for p in asked
            if not any(_same_window(p.bounds(today), w, today) for w in covered)]


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
