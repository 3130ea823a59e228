"""Cost per unit of value: a product's attributed Bedrock spend over the business volumes recorded for it
(tools.volumes), per month, against the month before and the estimate per unit."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from ledger.metrics import metric_name, unit_label
from tools.context import ToolContext
from tools.declare import tool
from tools.display import month as month_words
from tools.display import money, unit_money
from tools.errors import ToolError
from tools.periods import Window, data_through, month_key, month_window, prev_month
from tools.scope import product_clause, require_product
from tools.volumes import VOLUME_PERSONAS

NO_VOLUME = "no volume recorded"


class CostPerUnitArgs(BaseModel):
    product: str | None = Field(None, description="Default: every product in your scope.")
    month: str | None = Field(None, description="YYYY-MM; default: this month.")
    metric: str | None = Field(None, description="One unit (document, chat); default: every unit recorded.")


class UnitCost(BaseModel):
    product: str
    metric: str
    spend_usd: float
    volume: float
    usd_per_unit: float | None = Field(description="spend_usd / volume; None: no volume recorded.")
    previous_spend_usd: float
    previous_volume: float
    previous_usd_per_unit: float | None
    change_pct: float | None = Field(description="Against the previous month: -0.18 = down 18%.")
    estimate_usd_per_unit: float | None
    vs_estimate_pct: float | None = Field(description="Against the estimate: 0.1 = 10% over.")
    summary: str


class ProductSpend(BaseModel):
    product: str
    spend_usd: float


class CostPerUnit(BaseModel):
    month: str
    start: date
    end: date = Field(description="Exclusive: after the last day with CUR data.")
    previous_month: str
    data_through: date | None
    lines: list[UnitCost]
    without_volume: list[ProductSpend] = Field(description="Spend and no volume recorded (of `metric`).")
    metric: str | None = None
    summary: str


def _ratio(spend: float, volume: float) -> float | None:
    return float(f"{spend / volume:.6g}") if volume > 0 else None  # six significant figures


def _change(now: float | None, before: float | None) -> float | None:
    return round((now - before) / before, 4) if now is not None and before else None


def _summary(line: UnitCost, month: str, previous: str) -> str:
    unit = unit_label(line.metric)
    if line.usd_per_unit is None:
        return f"{line.product}: {money(line.spend_usd)} spent in {month_words(month)}, {NO_VOLUME} ({unit})."
    text = f"{line.product}: {unit_money(line.usd_per_unit)} per {unit} in {month_words(month).split()[0]}"
    if line.change_pct is not None:
        way = "up" if line.change_pct > 0 else "down"
        text += (f", {way} {abs(line.change_pct) * 100:.0f}% on {month_words(previous).split()[0]}"
                 if round(line.change_pct, 2) else f", level with {month_words(previous).split()[0]}")
    text += f" ({money(line.spend_usd)} over {line.volume:,.0f} {unit}s)"
    if line.vs_estimate_pct is not None:
        way = "over" if line.vs_estimate_pct > 0 else "under"
        text += (f"; estimate {unit_money(line.estimate_usd_per_unit)} per {unit}, "
                 f"{abs(line.vs_estimate_pct) * 100:.0f}% {way}")
    return text + "."


def unit_lines(ctx: ToolContext, products: list[str] | None, metric: str | None, now: Window,
               before: Window) -> tuple[list[UnitCost], list[ProductSpend]]:
    """Cost per unit of each product (all in the caller's scope when `products` is None) and unit over the
    `now` window against the `before` one; spend counted as every answer counts it (attributed_daily:
    claims from their date, usage only). The caller's scope is in each query."""
    ensure_views(ctx.store)
    scope_sql, scope_params = product_clause(ctx.caller)
    only_sql, only_params = ("list_contains(?::VARCHAR[], product)", [products]) if products is not None else ("TRUE", [])
    windows = [now.start, now.end, before.start, before.end]
    spend = {p: (c or 0.0, b or 0.0) for p, c, b in ctx.store.rows(
        f"""SELECT product, sum(unblended_cost) FILTER (WHERE usage_date >= ? AND usage_date < ?),
                   sum(unblended_cost) FILTER (WHERE usage_date >= ? AND usage_date < ?)
            FROM attributed_daily
            WHERE product IS NOT NULL AND charge_class = 'usage' AND {scope_sql} AND {only_sql}
              AND usage_date >= ? AND usage_date < ?
            GROUP BY product""", [*windows, *scope_params, *only_params, before.start, now.end])}
    metric_sql, metric_params = ("metric = ?", [metric]) if metric else ("TRUE", [])
    volumes = ctx.store.rows(
        f"""SELECT product, metric, coalesce(sum(value) FILTER (WHERE date >= ? AND date < ?), 0),
                   coalesce(sum(value) FILTER (WHERE date >= ? AND date < ?), 0)
            FROM business_volumes
            WHERE {scope_sql} AND {only_sql} AND {metric_sql} AND date >= ? AND date < ?
            GROUP BY ALL ORDER BY product, metric""",
        [*windows, *scope_params, *only_params, *metric_params, before.start, now.end])
    estimates = {(p, u): v for p, u, v in ctx.store.rows(
        f"""SELECT product, unit, usd_per_unit FROM estimates
            WHERE month = ? AND unit IS NOT NULL AND {scope_sql} AND {only_sql}""",
        [month_key(now.start), *scope_params, *only_params])}
    lines = []
    for product, unit, volume, prev_volume in volumes:
        cur, prev = spend.get(product, (0.0, 0.0))
        per_unit, prev_per_unit = _ratio(cur, volume), _ratio(prev, prev_volume)
        target = estimates.get((product, unit))
        line = UnitCost(product=product, metric=unit, spend_usd=round(cur, 2), volume=volume,
                        usd_per_unit=per_unit, previous_spend_usd=round(prev, 2), previous_volume=prev_volume,
                        previous_usd_per_unit=prev_per_unit, change_pct=_change(per_unit, prev_per_unit),
                        estimate_usd_per_unit=target, vs_estimate_pct=_change(per_unit, target), summary="")
        lines.append(line.model_copy(update={"summary": _summary(line, month_key(now.start), month_key(before.start))}))
    with_volume = {line.product for line in lines}
    idle = [ProductSpend(product=p, spend_usd=round(c, 2)) for p, (c, _) in sorted(spend.items())
            if p not in with_volume and round(c, 2) > 0]
    return lines, idle


def product_unit_costs(ctx: ToolContext, product: str, *, month: str | None = None,
                       end: date | None = None) -> list[UnitCost]:
    """One product's cost per unit for a month, up to `end` (exclusive) when given, else to the month's last
    day with CUR data: the line the spend card and estimate_status carry. [] when no volume was ever
    recorded for the product (one indexed look-up, so answers without volumes pay nothing)."""
    if not ctx.store.rows("SELECT 1 FROM business_volumes WHERE product = ? LIMIT 1", [product]):
        return []
    if end is None:
        now, before, _ = month_windows(ctx, month)
    else:
        start = (end - timedelta(days=1)).replace(day=1)
        now, before = Window(start, end), Window(prev_month(start), start)
    return unit_lines(ctx, [product], None, now, before)[0] if now.days else []


def unit_sentence(lines: list[UnitCost]) -> str:
    """'Cost per unit: $0.041 per document in October, down 18% on September (...).' ('' without lines)."""
    if not lines:
        return ""
    return "Cost per unit: " + "; ".join(x.summary.split(": ", 1)[1].rstrip(".") for x in lines) + "."


def recorded_units(ctx: ToolContext) -> list[str]:
    """The units recorded for products the caller sees, longest name first (so 'pr_review' wins over 'review')."""
    scope_sql, scope_params = product_clause(ctx.caller)
    return [r[0] for r in ctx.store.rows(
        f"SELECT DISTINCT metric FROM business_volumes WHERE {scope_sql} ORDER BY length(metric) DESC, metric",
        scope_params)]


def month_windows(ctx: ToolContext, month: str | None) -> tuple[Window, Window, date | None]:
    """The month up to its last day with CUR data, the whole month before, and that last day."""
    w = month_window(month, ctx.today)
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    end = w.end if through is None or through >= w.end - timedelta(days=1) else max(w.start, through + timedelta(days=1))
    if through is None or through < w.start:
        end, through = w.start, None
    first_before = prev_month(w.start)
    return Window(w.start, end), Window(first_before, w.start), through


@tool(name="cost_per_unit", personas=VOLUME_PERSONAS, action="read", family="unit_cost")
def cost_per_unit(ctx: ToolContext, args: CostPerUnitArgs) -> CostPerUnit:
    """What a unit of business value costs (spend per document, chat, review) per product for a month, against
    the month before and the estimate per unit.

    Cost per unit = the product's attributed Bedrock spend (unblended usage cost, claims from their
    date) / the volume its owners recorded (record_metric, `steward metrics import`), per unit recorded.
    Each unit carries the whole spend of the product (two units, two views of the same spend). For the
    current month both spend and volume count up to the last day with CUR data. A product with spend
    and no volume says 'no volume recorded' (never a division by zero). Defaults: this month, every
    product in your scope, every unit."""
    now, before, through = month_windows(ctx, args.month)
    products = [require_product(ctx, args.product)] if args.product else None
    try:
        metric = metric_name(args.metric) if args.metric else None
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    lines, idle = unit_lines(ctx, products, metric, now, before) if now.days else ([], [])
    month = month_key(now.start)
    if not now.days:
        summary = f"No Bedrock usage data for {month_words(month)} yet."
    elif not lines and not idle:
        summary = f"No spend and {NO_VOLUME} for {month_words(month)}" + (f" ({args.product})." if args.product else ".")
    else:
        unit = f" ({unit_label(metric)})" if metric else ""
        summary = " ".join([line.summary for line in lines]
                           + [f"{p.product}: {money(p.spend_usd)} spent, {NO_VOLUME}{unit}." for p in idle])
    return CostPerUnit(month=month, start=now.start, end=now.end, previous_month=month_key(before.start),
                       data_through=through, lines=lines, without_volume=idle, metric=metric, summary=summary)
