"""Follow-ups in a thread ('and last month?', 'by model?', 'what about Fraud Scoring?'): the previous
turn's plan again, with only the slots the follow-up names changed (period, grouping, product, filters).
Kept in memory per caller and thread, for the offline planner (on Bedrock the graph keeps the history)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from agent.comparisons import COMPARE_WORDS, read_comparison
from agent.grouping import GROUPING_WORDS, TIER_WORDS, grouping_of
from agent.plan import Plan, Step, model_filter, which_model
from agent.qualifiers import reading, spend_filters
from agent.question import Question
from agent.spoken_periods import Period
from agent.vocabulary import (
    ANOMALY_WORDS,
    CARD_WORDS,
    DRIFT_WORDS,
    ESTIMATE_WORDS,
    FILLER_WORDS,
    MONTHS,
    QUOTA_WORDS,
    SAVINGS_WORDS,
    STOP_WORDS,
    TASK_WORDS,
    UNATTRIBUTED_WORDS,
)
from tools.context import ToolContext
from tools.periods import prev_month

OPENERS = ("and", "what about", "how about", "same for", "and for", "and what about", "ok and", "now for",
           "same thing for", "same thing", "same again for", "same question for", "how much of that", "of that")
NEW_QUESTION_WORDS = (ESTIMATE_WORDS | QUOTA_WORDS | UNATTRIBUTED_WORDS | DRIFT_WORDS | CARD_WORDS | ANOMALY_WORDS
                      | SAVINGS_WORDS | TASK_WORDS)
PERIOD_ARGS = ("month", "start", "end")
FOLLOWABLE_TOOLS = ("spend_breakdown", "compare_spend", "estimate_status", "quota_status", "cache_hit_rates",
                    "unattributed_spend", "model_drift", "anomalies", "recommendations", "spend_card", "product_status", "cost_per_unit")
SLOT_WORDS = ({w for _, words in GROUPING_WORDS for w in words} | set(MONTHS) | {"q1", "q2", "q3", "q4"}
              | {"last", "this", "previous", "prior", "past", "current", "month", "week", "quarter", "year",
                 "fortnight", "days", "weeks", "months", "ytd", "mtd", "today", "yesterday", "business", "unit",
                 "units", "bu", "tier", "kind", "now", "instead", "then", "before"} | COMPARE_WORDS
              | set(TIER_WORDS) | {"input", "output", "cache", "reads", "writes", "tokens", "embeddings"}
              | {"drill", "drilling", "zoom", "dig", "narrow", "down", "into", "in", "on", "just", "only"})  # 'drill into X'

SPEND_TOOLS = ("spend_breakdown", "compare_spend")
MAX_THREADS = 2000


@dataclass(frozen=True)
class Turn:
    """What a thread's last answered question was read as, to change one slot of it."""

    plan: Plan
    period_text: str
    grouping: str | None
    products: tuple[str, ...]


_lock = threading.Lock()
_turns: OrderedDict[tuple[str, str], Turn] = OrderedDict()


def remember(ctx: ToolContext, thread_id: str | None, turn: Turn) -> None:
    if thread_id is None or not turn.plan.steps:
        return
    with _lock:
        _turns[(ctx.caller.email, thread_id)] = turn
        _turns.move_to_end((ctx.caller.email, thread_id))
        while len(_turns) > MAX_THREADS:
            _turns.popitem(last=False)


def previous(ctx: ToolContext, thread_id: str | None) -> Turn | None:
    if thread_id is None:
        return None
    with _lock:
        return _turns.get((ctx.caller.email, thread_id))


def is_follow_up(q: Question, last: Turn) -> bool:
    """Opens like one ('and ...', 'what about ...'), or says nothing but slots ('by model?', 'October?'),
    after a question whose tool takes those slots."""
    if last.plan.steps[0].tool not in FOLLOWABLE_TOOLS or q.has(NEW_QUESTION_WORDS):
        return False
    opens = any(q.text.startswith(f" {opener} ") for opener in OPENERS)
    return opens or all(w in STOP_WORDS or w in SLOT_WORDS or w in FILLER_WORDS or w.isdigit() for w in q.words)


BEFORE_PHRASES = ("month before", "week before", "day before", "period before")


def period_before(q: Question, last: Turn) -> Period | None:
    """'and the month before?' / 'the week before': the last turn's period moved back by its own length."""
    if not q.phrase(*BEFORE_PHRASES):
        return None
    args = last.plan.steps[0].args
    if args.get("start") and args.get("end"):
        start, end = date.fromisoformat(str(args["start"])), date.fromisoformat(str(args["end"]))
        return Period(start=start - (end - start), end=start)
    first = date.fromisoformat(f"{args['month']}-01") if args.get("month") else q.ctx.today.replace(day=1)
    return Period(month=f"{prev_month(first):%Y-%m}")


def follow_up_plan(q: Question, last: Turn) -> Plan | None:
    """The previous plan with the slots this follow-up names changed; None when it names none."""
    period = period_before(q, last) or q.period()
    grouping = grouping_of(q)
    products = tuple(q.name_targets)
    filters, not_honoured = spend_filters(q, grouping)
    model = q.model
    if model is not None and model.ambiguous and model.family is None and last.plan.steps[0].tool in SPEND_TOOLS:
        return Plan(last.plan.family, reply=which_model(q, model), outcome="clarify")  # 'and Opus?': which one
    if model is not None and (model.family or not model.ambiguous):  # 'and Sonnet?': the model slot
        filters.update(model_filter(model))
    if q.portfolios and last.plan.steps[0].tool in SPEND_TOOLS:  # 'just the Insights portfolio'
        filters["portfolio"] = q.portfolios[0]
    if not (period.args() or grouping or products or filters):
        return None
    base = dict(last.plan.steps[0].args)
    tool = last.plan.steps[0].tool
    if tool == "spend_breakdown" and (periods := _compared(q, last)) is not None:
        return _compare_plan(q, last, periods, {**base, **filters}, grouping, products or last.products)
    if period.args() and tool != "compare_spend":
        base = {k: v for k, v in base.items() if k not in PERIOD_ARGS} | period.args()
    elif period.args():
        not_honoured.append(f"the period {period.describe(q.ctx.today)} (a comparison keeps its two periods)")
    if grouping and "by" in base:
        base["by"] = grouping
    elif grouping:
        not_honoured.append(f"grouping by {grouping.replace('_', ' ')}")
    if tool in SPEND_TOOLS:
        for one, other in (("model", "model_family"), ("model_family", "model")):
            if one in filters:
                base.pop(other, None)  # 'and Claude?' after Sonnet: the model slot changes, not narrows
        base.update(filters)
    elif filters:
        not_honoured += [f"{k} {v}" for k, v in filters.items()]
    targets = products or last.products
    steps = [Step(tool, {**base, "product": p}) for p in targets[:3]] if targets and "product" in base or products \
        else [Step(tool, base)]
    period_text = period.describe(q.ctx.today) if period.args() else last.period_text
    read_as = reading(q, period_text, {**filters, "product": ", ".join(targets[:3])}, base.get("by")) + \
        " (a follow-up to the last question)"
    return replace(last.plan, steps=steps, reply=None, reading=read_as, not_honoured=not_honoured,
                   period_text=period_text)


def _last_period(last: Turn, today: date) -> Period:
    args = last.plan.steps[0].args
    if args.get("start") and args.get("end"):
        return Period(start=date.fromisoformat(str(args["start"])), end=date.fromisoformat(str(args["end"])))
    return Period(month=str(args["month"]) if args.get("month") else f"{today:%Y-%m}")


def _compared(q: Question, last: Turn) -> tuple[Period, Period] | None:
    """'how does that compare with last month?': the period named against the last turn's (or two named)."""
    if not (q.has(COMPARE_WORDS) or q.phrase("against", "than")):
        return None
    today = q.ctx.today
    both = read_comparison(q, today)
    if both is not None:
        return both
    if not q.period().args():
        return None
    first, second = sorted((_last_period(last, today), q.period()), key=lambda p: p.bounds(today)[0])
    return first, second


def _compare_plan(q: Question, last: Turn, periods: tuple[Period, Period], base: dict[str, Any],
                  grouping: str | None, targets: tuple[str, ...]) -> Plan:
    """The last turn's spend, with its filters, in two periods side by side."""
    today = q.ctx.today
    (s1, e1), (s2, e2) = (p.bounds(today) for p in periods)
    args = {k: v for k, v in base.items() if k not in (*PERIOD_ARGS, "by", "product")}
    args |= {"first_start": s1, "first_end": e1, "second_start": s2, "second_end": e2}
    if grouping:
        args["by"] = grouping
    steps = [Step("compare_spend", {**args, "product": p}) for p in targets[:3]] or [Step("compare_spend", args)]
    text = f"{periods[0].describe(today)} against {periods[1].describe(today)}"
    read_as = reading(q, text, {**args, "product": ", ".join(targets[:3])}, grouping) + \
        " (a follow-up to the last question)"
    return replace(last.plan, steps=steps, reply=None, reading=read_as, not_honoured=[], period_text=text)


def turn_of(plan: Plan, q: Question) -> Turn:
    first: dict[str, Any] = plan.steps[0].args if plan.steps else {}
    return Turn(plan=plan, period_text=plan.period_text or q.period().describe(q.ctx.today), grouping=first.get("by"),
                products=tuple(s.args["product"] for s in plan.steps if s.args.get("product")))
