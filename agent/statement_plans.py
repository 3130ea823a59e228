"""Plans for finance's questions: the month's chargeback (showback) statement and tag coverage."""

from __future__ import annotations

from typing import Any

from agent.grouping import grouping_of
from agent.plan import Plan, Step
from agent.qualifiers import reading, unsupported
from agent.question import Question
from agent.spoken_periods import Period

STATEMENT_NODES = ("product", "department", "portfolio", "business_unit", "account")


def plan_chargeback(q: Question) -> Plan:
    """One statement for a whole month, by the node asked for (product when none, or one it cannot make)."""
    period = q.period()
    start, _ = period.bounds(q.ctx.today)
    month = period.month or f"{start:%Y-%m}"
    # Only a grouping after a cue ('by department', 'per account'): 'my portfolio's chargeback' is scope.
    asked = grouping_of(q) if q.has({"by", "per", "each"}) else None
    by = asked if asked in STATEMENT_NODES else "product"
    not_honoured = unsupported(q, month_only=True)
    if asked is not None and asked not in STATEMENT_NODES:
        not_honoured.append(f"by {asked.replace('_', ' ')} (a statement is by product, department, portfolio, "
                            "business unit or account)")
    args: dict[str, Any] = {"month": month, "by": by}
    return Plan("chargeback", [Step("chargeback_statement", args)],
                reading=reading(q, Period(month=month).describe(q.ctx.today), {}, by, subject="chargeback statement"),
                not_honoured=not_honoured)


def plan_tag_coverage(q: Question) -> Plan:
    """What share of spend is tagged and attributed, per account and rule, for the period asked."""
    period = q.period()
    filters = [x for x in unsupported(q, month_only=False) if not x.startswith("account")]
    return Plan("tag_coverage", [Step("tag_coverage", period.args())],
                reading=reading(q, period.describe(q.ctx.today), {}, "account", subject="tag coverage"),
                not_honoured=filters)
