"""Spend against estimates, and spend breakdowns within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.declare import ALL_PERSONAS, tool
from tools.periods import Window, WindowArgs, data_through, days_in_month, month_key, prev_month, upto, window
from tools.scope import default_product, product_clause
from tools.spend_filters import GROUP_SQL, TIME_GROUPINGS, Grouping, SpendFilters, cost_column, filter_sql
from tools.unit_costs import UnitCost, product_unit_costs

SPEND_PERSONAS = frozenset({"product_owner", "portfolio_manager", "finops_lead"})
RUN_RATE_DAYS = 7


class TokenFigures(BaseModel):
    input: float = 0
    output: float = 0
    cache_read: float = 0
    cache_write: float = 0


def cache_hit_rate(cache_read: float, input_tokens: float, cache_write: float) -> float | None:
    """Cache-read tokens over every input-side token (input, cache read, cache write); None without any."""
    input_side = input_tokens + cache_read + cache_write
    return round(cache_read / input_side, 4) if input_side else None


class EstimateStatusArgs(BaseModel):
    product: str | None = Field(None, description="Default: your only product.")
    month: str | None = Field(None, description="YYYY-MM; default: this month.")


class EstimateStatus(BaseModel):
    product: str
    month: str
    data_through: date | None
    days_of_data: int
    days_in_month: int
    actual_usd: float = Field(description="Month to date, unblended usage cost in USD.")
    actual_net_usd: float
    credits_and_other_usd: float = Field(description="Credits, refunds, taxes: not in actual_usd.")
    tokens: TokenFigures
    estimate_usd: float | None
    estimate_input_tokens: int | None
    estimate_output_tokens: int | None
    pct_used: float | None = Field(description="actual_usd / estimate_usd")
    forecast_usd: float
    forecast_method: str
    projected_overrun_usd: float = Field(description="forecast above estimate, 0 if within")
    projected_headroom_usd: float = Field(description="estimate above forecast, 0 if over")
    forecast_output_tokens: float
    output_tokens_vs_estimate: float | None = Field(description="forecast output tokens / estimate")
    forecast_input_tokens: float
    input_tokens_vs_estimate: float | None
    cache_hit_rate: float | None = Field(description="cache reads / (input + cache read + cache write)")
    cache_hit_healthy: float
    status: Literal["on_track", "projected_over", "exceeded", "no_estimate", "no_usage"]
    unit_costs: list[UnitCost] = Field(default_factory=list, description="Cost per unit, with its estimate if set.")


@dataclass(frozen=True)
class _RunRate:
    """The month's window, its days of data, and the last days whose average daily spend is projected."""

    window: Window
    through: date | None
    days_of_data: int
    month_days: int
    rate_days: int
    rate_start: date

    @property
    def remaining(self) -> int:
        return self.month_days - self.days_of_data

    def forecast(self, so_far: float, recent: float) -> float:
        return so_far + (recent / self.rate_days if self.rate_days else 0.0) * self.remaining

    @property
    def method(self) -> str:
        if not self.remaining:
            return "the month is complete: forecast = actual"
        return (f"month to date + average daily spend of the last {self.rate_days} day(s) of data "
                f"x {self.remaining} remaining day(s)")


def _run_rate(ctx: ToolContext, month: str | None) -> _RunRate:
    w = window(None, None, month, ctx.today)
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    if through is not None and through < w.start:
        through = None
    days_of_data = (through - w.start).days + 1 if through else 0
    rate_days = min(RUN_RATE_DAYS, days_of_data)
    return _RunRate(window=w, through=through, days_of_data=days_of_data, month_days=days_in_month(w.start),
                    rate_days=rate_days, rate_start=(through - timedelta(days=rate_days - 1)) if through else w.start)


_ZERO = dict.fromkeys(("usd", "net", "other", "recent", "input", "output", "cache_read", "cache_write",
                       "recent_input", "recent_output"), 0.0)


def _month_sums(ctx: ToolContext, products: list[str], rate: _RunRate) -> dict[str, dict]:
    """Per product: spend, credits, tokens by kind, and the same over the run-rate days (one scoped query)."""
    scope_sql, scope_params = product_clause(ctx.caller)
    usage = "charge_class = 'usage'"
    return {r["product"]: r for r in ctx.store.dicts(
        f"""SELECT product,
              coalesce(sum(unblended_cost) FILTER (WHERE {usage}), 0) AS usd,
              coalesce(sum(net_unblended_cost) FILTER (WHERE {usage}), 0) AS net,
              coalesce(sum(unblended_cost) FILTER (WHERE charge_class <> 'usage'), 0) AS other,
              coalesce(sum(unblended_cost) FILTER (WHERE {usage} AND usage_date >= ?), 0) AS recent,
              coalesce(sum(tokens) FILTER (WHERE {usage} AND kind = 'input'), 0) AS input,
              coalesce(sum(tokens) FILTER (WHERE {usage} AND kind = 'output'), 0) AS output,
              coalesce(sum(tokens) FILTER (WHERE {usage} AND kind = 'cache_read'), 0) AS cache_read,
              coalesce(sum(tokens) FILTER (WHERE {usage} AND kind = 'cache_write'), 0) AS cache_write,
              coalesce(sum(tokens) FILTER (WHERE {usage} AND kind = 'input' AND usage_date >= ?), 0)
                AS recent_input,
              coalesce(sum(tokens) FILTER (WHERE {usage} AND kind = 'output' AND usage_date >= ?), 0)
                AS recent_output
            FROM attributed_daily
            WHERE list_contains(?::VARCHAR[], product) AND {scope_sql} AND usage_date >= ? AND usage_date < ?
            GROUP BY product""",
        [rate.rate_start, rate.rate_start, rate.rate_start, products, *scope_params, rate.window.start,
         upto(rate.window, ctx.today)],
    )}


def _status(ctx: ToolContext, usd: float, estimate: float | None, forecast: float) -> str:
    if estimate is None:
        return "no_estimate" if usd else "no_usage"
    if not usd:
        return "no_usage"
    if usd >= estimate * ctx.thresholds.hard_quota:
        return "exceeded"
    return "projected_over" if forecast > estimate else "on_track"


def estimate_statuses(ctx: ToolContext, products: list[str], month: str | None) -> dict[str, EstimateStatus]:
    """EstimateStatus of several products in one scoped query (estimate_status and quota_status)."""
    ensure_views(ctx.store)
    rate = _run_rate(ctx, month)
    sums = _month_sums(ctx, products, rate)
    month_text = month_key(rate.window.start)
    estimates = {r[0]: r[1:] for r in ctx.store.rows(
        """SELECT product, usd, input_tokens, output_tokens FROM estimates
           WHERE month = ? AND list_contains(?::VARCHAR[], product)""", [month_text, products])}
    out: dict[str, EstimateStatus] = {}
    for product in products:
        row = sums.get(product, _ZERO)
        est_usd, est_in, est_out = estimates.get(product, (None, None, None))
        forecast = rate.forecast(row["usd"], row["recent"])
        f_out = rate.forecast(row["output"], row["recent_output"])
        f_in = rate.forecast(row["input"], row["recent_input"])
        out[product] = EstimateStatus(
            product=product, month=month_text, data_through=rate.through, days_of_data=rate.days_of_data,
            days_in_month=rate.month_days, actual_usd=round(row["usd"], 2), actual_net_usd=round(row["net"], 2),
            credits_and_other_usd=round(row["other"], 2),
            tokens=TokenFigures(input=row["input"], output=row["output"], cache_read=row["cache_read"],
                                cache_write=row["cache_write"]),
            estimate_usd=est_usd, estimate_input_tokens=est_in, estimate_output_tokens=est_out,
            pct_used=round(row["usd"] / est_usd, 4) if est_usd else None,
            forecast_usd=round(forecast, 2), forecast_method=rate.method,
            projected_overrun_usd=round(max(forecast - est_usd, 0), 2) if est_usd is not None else 0.0,
            projected_headroom_usd=round(max(est_usd - forecast, 0), 2) if est_usd is not None else 0.0,
            forecast_output_tokens=round(f_out),
            output_tokens_vs_estimate=round(f_out / est_out, 2) if est_out else None,
            forecast_input_tokens=round(f_in), input_tokens_vs_estimate=round(f_in / est_in, 2) if est_in else None,
            cache_hit_rate=cache_hit_rate(row["cache_read"], row["input"], row["cache_write"]),
            cache_hit_healthy=ctx.thresholds.cache_hit_healthy,
            status=_status(ctx, row["usd"], est_usd, forecast))
    return out


@tool(name="estimate_status", personas=SPEND_PERSONAS, action="read", family="estimate")
def estimate_status(ctx: ToolContext, args: EstimateStatusArgs) -> EstimateStatus:
    """Month-to-date Bedrock spend and tokens of one product against its monthly estimate, with a month-end
    forecast.

    Month-to-date Bedrock spend of one product against its estimate, with a month-end forecast.

    Defaults: the current month; cost is unblended usage cost in USD (Usage, SavingsPlanCoveredUsage,
    DiscountedUsage); credits, refunds and taxes are reported separately. Spend counts from each
    claim's date. Forecast = month to date + (average daily spend over the last 7 days of data)
    x (days left in the month after the last day of data). Token estimates are compared the same way.
    Cache hit rate = cache-read tokens / (input + cache-read + cache-write tokens).
    """
    product = default_product(ctx, args.product)
    status = estimate_statuses(ctx, [product], args.month)[product]
    return status.model_copy(update={"unit_costs": product_unit_costs(ctx, product, month=status.month)})


# ------------------------------------------------------------------------------ breakdowns

class BreakdownArgs(SpendFilters, WindowArgs):
    by: Grouping = "product"
    top: int = Field(10, ge=1, le=100, description="Groups to list, largest first.")


class BreakdownRow(BaseModel):
    key: str
    usd: float
    tokens: float
    share: float = Field(description="Share of the total in scope.")
    previous_usd: float
    change_pct: float | None = Field(description="Change against the previous period; None if it was 0.")


class Breakdown(BaseModel):
    by: str
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    previous_start: date
    previous_end: date
    cost_metric: str
    total_usd: float
    previous_total_usd: float
    rows: list[BreakdownRow]
    other_groups: int = Field(description="Groups beyond `top`, not listed.")
    data_through: date | None
    includes_unattributed: bool


def _previous(w: Window, through: date | None) -> Window:
    """The same span one period earlier: the previous month for a month (to the same day if the
    current month is partial), else the window of equal length just before."""
    if w.start.day == 1 and w.end.day == 1 and (w.end - w.start).days in (28, 29, 30, 31):
        p = prev_month(w.start)
        if through is not None and w.start <= through < w.end - timedelta(days=1):
            span = (through - w.start).days + 1
            return Window(p, min(p + timedelta(days=span), w.start))
        return Window(p, w.start)
    return Window(w.start - timedelta(days=w.days), w.start)


@tool(name="spend_breakdown", personas=SPEND_PERSONAS, action="read", family="breakdown")
def spend_breakdown(ctx: ToolContext, args: BreakdownArgs) -> Breakdown:
    """Bedrock spend in your scope grouped by `by`, largest groups first, with the change against the previous
    period; the other arguments filter.

    Bedrock spend within your scope grouped by product, portfolio, department, business_unit, model,
    principal, account, region, kind (input/output/cache_read/cache_write/...), day or attribution (each
    product with the claim that attributes its spend: by inference profile, tag, principal tag or
    principal); top N largest,
    with the change against the previous period (for a partial month: the same days of the previous month).

    Defaults: the current month; unblended usage cost in USD (credits, refunds and taxes excluded);
    end date exclusive. Product Owners and Portfolio Managers see spend attributed to their products
    (from each claim's date); a FinOps Lead sees everything, with unclaimed spend as '(unattributed)'.
    """
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    prev = _previous(w, through)
    cost_col = cost_column(args)
    where, params = filter_sql(ctx, args)
    key = GROUP_SQL[args.by]
    rows = ctx.store.rows(
        f"""WITH scoped AS (SELECT {key} AS k, usage_date, {cost_col} AS usd, tokens
                            FROM usage_compliance WHERE {where}
                              AND usage_date >= ? AND usage_date < ?)
            SELECT k,
                   coalesce(sum(usd) FILTER (WHERE usage_date >= ?), 0) AS cur,
                   coalesce(sum(tokens) FILTER (WHERE usage_date >= ?), 0) AS tok,
                   coalesce(sum(usd) FILTER (WHERE usage_date < ?), 0) AS prev
            FROM scoped GROUP BY k""",
        [*params, min(prev.start, w.start), upto(w, ctx.today), w.start, w.start, prev.end],
    )
    # The previous window sits entirely before w.start, so "usage_date < prev.end" selects it.
    current = [r for r in rows if r[1] or r[2]]
    total = sum(r[1] for r in current)
    prev_total = sum(r[3] for r in rows)
    current.sort(key=lambda r: (-r[1], r[0]))
    if args.by in TIME_GROUPINGS:
        current.sort(key=lambda r: r[0])
    shown = current[: args.top]
    return Breakdown(
        by=args.by, period=w.label, start=w.start, end=w.end, previous_start=prev.start,
        previous_end=prev.end, cost_metric=args.cost, total_usd=round(total, 2),
        previous_total_usd=round(prev_total, 2),
        rows=[BreakdownRow(key=k, usd=round(c, 2), tokens=t, share=round(c / total, 4) if total else 0.0,
                           previous_usd=round(p, 2),
                           change_pct=round((c - p) / p, 4) if p else None) for k, c, t, p in shown],
        other_groups=max(len(current) - args.top, 0), data_through=through,
        includes_unattributed=ctx.caller.all_access,
    )


class ScopeArgs(BaseModel):
    pass


class ScopeView(BaseModel):
    email: str
    name: str | None
    personas: list[str]
    all_access: bool
    products: list[str]
    owned_products: list[str]
    accounts: list[str]
    data_through: date | None


@tool(name="my_scope", personas=ALL_PERSONAS, action="read", family="scope")
def my_scope(ctx: ToolContext, args: ScopeArgs) -> ScopeView:
    """Who you are to Steward: your personas, the products and accounts you can see, and how fresh the CUR data
    is."""
    c = ctx.caller
    return ScopeView(email=c.email, name=c.name, personas=sorted(c.personas), all_access=c.all_access,
                     products=sorted(c.products), owned_products=sorted(c.owned_products),
                     accounts=sorted(c.accounts), data_through=data_through(ctx.store, ctx.today))


