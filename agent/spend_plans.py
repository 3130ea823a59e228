"""Plans for spend questions: a breakdown (one period, any filters and grouping) or a comparison of two
periods, each with the reading it answers and the qualifiers it cannot honour."""

from __future__ import annotations

from typing import Any

from agent.comparisons import compared_periods
from agent.grouping import grouping_of
from agent.plan import Plan, Step, model_filter, which_model
from agent.qualifiers import FILTER_LABELS, reading, spend_filters
from agent.question import Question
from agent.spoken_periods import Period
from tools.scope import nameable_nodes

MAX_PRODUCTS = 3  # one breakdown per product named, at most this many


def _default_grouping(q: Question, base: dict[str, Any], targets: list[str], grouping: str | None) -> str:
    """Products for a caller with several (a product's models when one is named, or when it is theirs alone)."""
    if grouping in (None, "product") and targets:
        return "model"
    if grouping is not None:
        return grouping
    caller = q.ctx.caller
    return "product" if "model" in base or caller.all_access or len(caller.products) != 1 else "model"


def _whole_scope(q: Question, kind: str, named: list[str]) -> bool:
    """Several portfolios (or departments) named, and they are every one in a (non-lead) caller's scope:
    their spend together is the caller's spend, no filter needed ('People and Insights' from their manager)."""
    if q.ctx.caller.all_access or len(named) < 2:
        return False
    mine = {name for name, k in nameable_nodes(q.ctx) if k == kind}
    return bool(mine) and mine <= set(named)


def plan_breakdown(q: Question, family: str = "breakdown") -> Plan:
    asked_grouping = grouping_of(q)
    model = q.model
    if model is not None and model.ambiguous and model.family is None:
        return Plan(family, reply=which_model(q, model))
    filters, not_honoured = spend_filters(q, asked_grouping)
    whole = {kind: " and ".join(named) for kind, named in (("portfolio", q.portfolios), ("department", q.departments))
             if _whole_scope(q, kind, named)}
    if "department" in whole:
        filters.pop("department", None)
        not_honoured = [x for x in not_honoured if not x.startswith("department ")]
    base: dict[str, Any] = dict(filters)
    if model is not None:
        base.update(model_filter(model))
    if "portfolio" in whole:
        pass
    elif q.portfolios:
        base["portfolio"] = q.portfolios[0]
        not_honoured += [f"the {p} portfolio as well (one portfolio at a time)" for p in q.portfolios[1:]]
    elif q.unknown_names and q.has({"portfolio", "portfolios"}) and not q.products:
        base["portfolio"] = q.unknown_names[0]
    if q.people:  # "Lena's products": the products that person owns, within the caller's scope
        base["owner"] = q.people[0]
        asked_grouping = asked_grouping or "product"
    targets = [] if "portfolio" in base else q.name_targets
    not_honoured += [f"{name} (at most {MAX_PRODUCTS} products at a time)" for name in targets[MAX_PRODUCTS:]]
    comparison = compared_periods(q, q.ctx.today)
    if comparison:
        return _plan_compare(q, family, comparison, base, targets, asked_grouping, not_honoured)
    grouping = _default_grouping(q, base, targets, asked_grouping)
    period = q.period()
    top = q.top()
    base.update(period.args(), **({"top": top} if top else {}))
    sides = None if targets else _sides(q, grouping, not_honoured)
    shown = {sides[0]: " and ".join(sides[1])} if sides else {}
    read_as = reading(q, period.describe(q.ctx.today), {**base, "product": ", ".join(targets[:MAX_PRODUCTS]),
                                                        **whole, **shown},
                      grouping)
    steps = [Step("spend_breakdown", {**base, "by": grouping, "product": p}) for p in targets[:MAX_PRODUCTS]] \
        or [Step("spend_breakdown", {**base, "by": grouping, sides[0]: v}) for v in (sides[1] if sides else [])] \
        or [Step("spend_breakdown", {**base, "by": grouping})]
    return Plan(family, steps, reading=read_as, not_honoured=not_honoured)


def _sides(q: Question, grouping: str, not_honoured: list[str]) -> tuple[str, list[str]] | None:
    """Two or three accounts (or regions) named ('payments-prod and data-science', 'us-east-1 vs us-west-2'):
    each gets a breakdown of its own, side by side, so their 'one at a time' qualifiers are dropped."""
    for key, values in (("account", q.accounts), ("region", q.regions)):
        if 2 <= len(values) <= MAX_PRODUCTS and grouping != key:
            not_honoured[:] = [x for x in not_honoured if not x.endswith(f"(one {FILTER_LABELS[key]} at a time)")]
            return key, values
    return None


def _plan_compare(q: Question, family: str, periods: list[Period], base: dict[str, Any],
                  targets: list[str], grouping: str | None, not_honoured: list[str]) -> Plan:
    """Two periods side by side (three: each next to the one before): the totals, and per group when the
    question asks for a grouping."""
    today = q.ctx.today
    extra: dict[str, Any] = {"by": grouping} if grouping else {}
    if q.top():
        extra["top"] = q.top()
    pairs = []
    for before, after in zip(periods, periods[1:]):
        (first_start, first_end), (second_start, second_end) = before.bounds(today), after.bounds(today)
        pairs.append({**base, **extra, "first_start": first_start, "first_end": first_end,
                      "second_start": second_start, "second_end": second_end})
    said = [p.describe(today) for p in periods]
    read_as = reading(q, " against ".join(said) if len(said) == 2 else f"{', '.join(said[:-1])} and {said[-1]}",
                      {**base, "product": ", ".join(targets[:MAX_PRODUCTS])}, grouping)
    steps = [Step("compare_spend", {**args, "product": p}) for p in targets[:MAX_PRODUCTS] for args in pairs] \
        or [Step("compare_spend", args) for args in pairs]
    return Plan(family, steps, reading=read_as, not_honoured=not_honoured)


def plan_charges(q: Question) -> Plan:
    """Credits, refunds and taxes: their own breakdown, by charge class (or account, or month)."""
    period = q.period()
    asked = grouping_of(q)
    by = asked if asked in ("account", "month") else "charge_class"
    return Plan("charges", [Step("charges_breakdown", {**period.args(), "by": by})],
                reading=reading(q, period.describe(q.ctx.today), {}, by))
