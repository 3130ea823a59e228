"""Spend in two windows side by side (two months, two quarters, this period and the same one a year
earlier), in total or by any grouping, within the caller's scope."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.errors import ToolError
from tools.periods import Window, data_through, upto, window
from tools.spend import SPEND_PERSONAS
from tools.spend_filters import GROUP_SQL, TIME_GROUPINGS, Grouping, SpendFilters, cost_column, filter_sql
from tools.declare import tool


class CompareArgs(SpendFilters):
    first_start: date
    first_end: date = Field(description="Exclusive.")
    second_start: date
    second_end: date = Field(description="Exclusive.")
    by: Grouping | None = Field(None, description="Group both windows; omitted: totals only.")
    top: int = Field(10, ge=1, le=100, description="Groups to list.")


class CompareRow(BaseModel):
    key: str
    first_usd: float
    second_usd: float
    change_usd: float
    change_pct: float | None = Field(description="Second against first; None if the first was 0.")


class Comparison(BaseModel):
    first_label: str
    second_label: str
    first_start: date
    first_end: date = Field(description="Exclusive.")
    second_start: date
    second_end: date = Field(description="Exclusive.")
    first_through: date | None = Field(description="Last day with data in the first window.")
    second_through: date | None = Field(description="Last day with data in the second window.")
    cost_metric: str
    by: str | None
    first_total_usd: float
    second_total_usd: float
    change_usd: float
    change_pct: float | None
    rows: list[CompareRow]
    other_groups: int
    data_through: date | None
    includes_unattributed: bool


def _through(ctx: ToolContext, w: Window) -> date | None:
    return data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1))) if w.start <= ctx.today else None


def _change(first: float, second: float) -> float | None:
    return round((second - first) / first, 4) if first else None


@tool(name="compare_spend", personas=SPEND_PERSONAS, action="read", family="breakdown")
def compare_spend(ctx: ToolContext, args: CompareArgs) -> Comparison:
    """Bedrock spend in two windows side by side, in total or per group; the other arguments filter.

    Bedrock spend in two windows side by side (e.g. October against November, Q2 against Q3, this
    month against the same days last year), totals and, with `by`, per group, within your scope.

    Unblended usage cost by default (credits, refunds and taxes excluded); end dates exclusive. A window
    that runs past today counts what has happened so far (`*_through` says up to which day).
    """
    ensure_views(ctx.store)
    first = window(args.first_start, args.first_end, None, ctx.today)
    second = window(args.second_start, args.second_end, None, ctx.today)
    if first.start > ctx.today or second.start > ctx.today:
        raise ToolError(f"a window has not started yet (today is {ctx.today:%d %b %Y})")
    where, params = filter_sql(ctx, args)
    key = GROUP_SQL[args.by] if args.by else "'total'"
    rows = ctx.store.rows(
        f"""SELECT {key} AS k,
                   coalesce(sum({cost_column(args)}) FILTER (WHERE usage_date >= ? AND usage_date < ?), 0),
                   coalesce(sum({cost_column(args)}) FILTER (WHERE usage_date >= ? AND usage_date < ?), 0)
            FROM usage_compliance
            WHERE {where} AND ((usage_date >= ? AND usage_date < ?) OR (usage_date >= ? AND usage_date < ?))
            GROUP BY k""",
        [first.start, upto(first, ctx.today), second.start, upto(second, ctx.today), *params,
         first.start, upto(first, ctx.today), second.start, upto(second, ctx.today)])
    groups = [r for r in rows if r[1] or r[2]]
    if args.by in TIME_GROUPINGS:
        groups.sort(key=lambda r: r[0])
    else:
        groups.sort(key=lambda r: (-max(r[1], r[2]), r[0]))
    first_total, second_total = sum(r[1] for r in groups), sum(r[2] for r in groups)
    shown = groups[: args.top] if args.by else []
    return Comparison(
        first_label=first.label, second_label=second.label, first_start=first.start, first_end=first.end,
        second_start=second.start, second_end=second.end, first_through=_through(ctx, first),
        second_through=_through(ctx, second), cost_metric=args.cost, by=args.by,
        first_total_usd=round(first_total, 2), second_total_usd=round(second_total, 2),
        change_usd=round(second_total - first_total, 2), change_pct=_change(first_total, second_total),
        rows=[CompareRow(key=k, first_usd=round(a, 2), second_usd=round(b, 2), change_usd=round(b - a, 2),
                         change_pct=_change(a, b)) for k, a, b in shown],
        other_groups=max(len(groups) - len(shown), 0) if args.by else 0,
        data_through=data_through(ctx.store, ctx.today), includes_unattributed=ctx.caller.all_access)
