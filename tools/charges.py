"""Credits, refunds, taxes and other non-usage Bedrock charges, as a breakdown of their own (spend answers
count usage only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.periods import WindowArgs, data_through, upto, window
from tools.scope import product_clause
from tools.spend import SPEND_PERSONAS
from tools.declare import tool


class ChargesArgs(WindowArgs):
    by: Literal["charge_class", "account", "month"] = "charge_class"


class ChargeRow(BaseModel):
    key: str
    usd: float


class Charges(BaseModel):
    by: str
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    usage_usd: float = Field(description="Usage cost in the same window and scope, for reference.")
    other_usd: float = Field(description="Every non-usage charge: credits and refunds are negative.")
    rows: list[ChargeRow]
    data_through: date | None


_GROUP = {"charge_class": "charge_class", "account": "account_id", "month": "strftime(usage_date, '%Y-%m')"}


@tool(name="charges_breakdown", personas=SPEND_PERSONAS, action="read", family="breakdown")
def charges_breakdown(ctx: ToolContext, args: ChargesArgs) -> Charges:
    """Bedrock credits, refunds, taxes and fees in your scope (credits negative), beside the usage cost of the
    same window.

    Bedrock credits, refunds, taxes, discounts and fees within your scope (by charge class, account or
    month), beside the usage cost of the same window. Credits and refunds are negative. Account-level
    lines (most credits and taxes) belong to no product: a FinOps Lead sees them."""
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    scope_sql, params = product_clause(ctx.caller)
    rows = ctx.store.rows(
        f"""SELECT {_GROUP[args.by]} AS k, charge_class = 'usage' AS is_usage, sum(unblended_cost)
            FROM usage_compliance WHERE {scope_sql} AND usage_date >= ? AND usage_date < ?
            GROUP BY k, is_usage""", [*params, w.start, upto(w, ctx.today)])
    usage = sum(r[2] for r in rows if r[1])
    others: dict[str, float] = {}
    for key, is_usage, usd in rows:
        if not is_usage:
            others[key] = others.get(key, 0.0) + usd
    return Charges(by=args.by, period=w.label, start=w.start, end=w.end, usage_usd=round(usage, 2),
                   other_usd=round(sum(others.values()), 2),
                   rows=[ChargeRow(key=k, usd=round(v, 2)) for k, v in sorted(others.items(), key=lambda kv: kv[1])],
                   data_through=data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1))))
