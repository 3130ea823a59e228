"""Model lifecycle answers: which models in use are Legacy or past end of life, where, at what spend,
and how many days remain (ledger/lifecycle.py decides the status per model, Region and day)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger import lifecycle as lc
from ledger.attribution import ensure_views
from tools.catalog import model_labels
from tools.context import ToolContext
from tools.periods import WindowArgs, data_through, upto, window
from tools.scope import account_clause, product_clause, require_product
from tools.display import money
from tools.spend import SPEND_PERSONAS
from tools.declare import tool


class LifecycleArgs(WindowArgs):
    product: str | None = None


class LifecycleLine(BaseModel):
    product: str | None = Field(description="None: spend no product claims (unclaimed, or before a claim).")
    account_id: str
    account_name: str | None
    region: str
    model_id: str
    model_name: str
    status: Literal["legacy", "eol"]
    eol: date | None = Field(description="The announced end-of-life date (EOL: when it stopped).")
    days_to_eol: int | None = Field(description="Days from today to the EOL date; negative once past.")
    usd: float = Field(description="Unblended usage cost in the period.")
    last_day: date = Field(description="Last day with usage in the period.")
    successor: str | None = Field(description="The current-generation model to move to.")
    successor_name: str | None
    source: str = Field(description="Where the lifecycle status comes from.")


class LifecycleView(BaseModel):
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    today: date
    data_through: date | None
    lines: list[LifecycleLine] = Field(description="Past EOL first, then Legacy by days to EOL; largest spend first.")
    past_eol_usd: float
    legacy_usd: float
    summary: str


_SQL = """
SELECT d.product, d.account_id, d.account_name, d.region, d.model_id,
       sum(d.unblended_cost) AS usd, max(d.usage_date) AS last_day
FROM attributed_daily d
WHERE d.charge_class = 'usage' AND d.model_id IS NOT NULL AND d.kind <> 'guardrail'
  AND d.usage_date >= ? AND d.usage_date < ?
  AND ((d.product IS NOT NULL AND {scope}) OR (d.product IS NULL AND {accounts}))
  {only}
GROUP BY ALL
"""


def lifecycle_lines(ctx: ToolContext, start: date, end: date, product: str | None = None) -> list[LifecycleLine]:
    """Legacy or EOL model use in [start, end) within the caller's scope (scope applied in SQL)."""
    ensure_views(ctx.store)
    scope_sql, scope_params = product_clause(ctx.caller, "d.product")
    acct_sql, acct_params = account_clause(ctx.caller, "d.account_id")
    sql = _SQL.format(scope=scope_sql, accounts=acct_sql, only="AND d.product = ?" if product else "")
    rows = ctx.store.dicts(sql, [start, end, *scope_params, *acct_params, *([product] if product else [])])
    table, labels, today = lc.load(ctx.store), model_labels(ctx.store), ctx.today
    out = []
    for r in rows:
        st = table.standing(r["model_id"], r["region"], today)
        if st.status not in ("legacy", "eol"):
            continue
        out.append(LifecycleLine(
            product=r["product"], account_id=r["account_id"], account_name=r["account_name"], region=r["region"],
            model_id=r["model_id"], model_name=labels.get(r["model_id"], r["model_id"]), status=st.status,
            eol=st.eol, days_to_eol=st.days_to_eol(today), usd=round(r["usd"], 2), last_day=r["last_day"],
            successor=st.successor, successor_name=labels.get(st.successor or "", st.successor), source=st.source))
    out.sort(key=lambda x: (x.status != "eol", x.days_to_eol if x.days_to_eol is not None else 10**6, -x.usd))
    return out


@tool(name="model_lifecycle", personas=SPEND_PERSONAS, action="read", family="lifecycle")
def model_lifecycle(ctx: ToolContext, args: LifecycleArgs) -> LifecycleView:
    """Models in use that are Legacy or past end of life, by product, account and Region, with spend, the EOL
    date and the model to move to.

    Which models in use are Legacy (an end-of-life date is announced) or past end of life (calls
    fail), by product, account and Region, with this period's spend, the EOL date, days to EOL
    (negative once past) and the current-generation model to move to. Statuses come from Steward's
    lifecycle data (Bedrock model cards and lifecycle pages, dated) refreshed by `steward models sync`.
    Defaults: the current month; unblended usage cost in USD. A FinOps Lead sees everything; Product
    Owners and Portfolio Managers their products, and unclaimed spend in the accounts they own."""
    w = window(args.start, args.end, args.month, ctx.today)
    product = require_product(ctx, args.product) if args.product else None
    lines = lifecycle_lines(ctx, w.start, upto(w, ctx.today), product)
    view = LifecycleView(
        period=w.label, start=w.start, end=w.end, today=ctx.today,
        data_through=data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1))), lines=lines,
        past_eol_usd=round(sum(x.usd for x in lines if x.status == "eol"), 2),
        legacy_usd=round(sum(x.usd for x in lines if x.status == "legacy"), 2), summary="")
    view.summary = summary(view)
    return view


def line_text(x: LifecycleLine) -> str:
    who = x.product or f"unclaimed use in account {x.account_name or x.account_id}"
    when = (f"EOL was {x.eol:%Y-%m-%d}" if x.status == "eol" and x.eol else "past end of life" if x.status == "eol"
            else f"Legacy, EOL {x.eol:%Y-%m-%d} (in {x.days_to_eol} days)" if x.eol else "Legacy")
    move = f"; move to {x.successor_name}" if x.successor_name else ""
    return f"{who} runs {x.model_name} in {x.region} ({x.account_id}), {money(x.usd)}; {when}{move}"


def summary(v: LifecycleView) -> str:
    if not v.lines:
        return f"No model in use in {v.period} is Legacy or past end of life."
    eol = [x for x in v.lines if x.status == "eol"]
    legacy = [x for x in v.lines if x.status == "legacy"]
    head = []
    if eol:
        head.append(f"{len(eol)} use(s) of models past end of life ({money(v.past_eol_usd)} in {v.period}): "
                    "these calls fail now")
    if legacy:
        head.append(f"{len(legacy)} use(s) of Legacy models ({money(v.legacy_usd)})")
    return "; ".join(head) + ". " + ". ".join(line_text(x) for x in v.lines) + "."
