"""The weekly spend card of a product, and quota standing of every product in scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.errors import ToolError
from tools.display import day, money
from tools.periods import data_through, days_in_month, month_key, month_window
from tools.scope import default_product, owned_product, product_clause, require_product
from tools.spend import estimate_statuses
from tools.declare import tool
from tools.lifecycle import LifecycleLine, lifecycle_lines, line_text
from tools.unit_costs import UnitCost, product_unit_costs, unit_sentence
from tools.write_checks import PRODUCT_OWNER

CARD_PERSONAS = frozenset({"product_owner", "portfolio_manager", "finops_lead"})


# ------------------------------------------------------------------------------ spend_card

class SpendCardArgs(BaseModel):
    product: str | None = Field(None, description="Default: your only product.")
    week_start: date | None = Field(None, description="Any day of the Mon-Sun week.")


class CardLine(BaseModel):
    model: str = Field(description="Bedrock model id, else the billed model name.")
    kind: str = Field(description="input | output | cache_read | cache_write | ...")
    tokens: float
    usd: float
    share: float = Field(description="Share of the week's actual spend.")


class EstimatePart(BaseModel):
    month: str = Field(description="YYYY-MM")
    month_estimate_usd: float | None = Field(description="The whole month's estimate; None if none is set.")
    days: int = Field(description="Days of this card's week (with data) that fall in the month.")
    days_in_month: int
    prorated_usd: float | None = Field(description="month_estimate_usd x days / days_in_month")


class SpendCard(BaseModel):
    product: str
    week_start: date = Field(description="Monday.")
    week_end: date = Field(description="The next Monday (exclusive).")
    complete: bool = Field(description="False when the CUR data does not yet cover the whole week.")
    data_through: date | None
    days_covered: int = Field(description="Days of the week with CUR data; actual and estimate cover these.")
    actual_usd: float = Field(description="Unblended usage cost in USD (credits, refunds, taxes excluded).")
    lines: list[CardLine] = Field(description="By model and token kind, largest first.")
    estimate_usd: float | None = Field(description="Pro-rated estimate for the days covered; None if a month "
                                                   "the week touches has no estimate.")
    estimate_parts: list[EstimatePart]
    variance_usd: float | None = Field(description="actual - estimate (positive = over)")
    variance_pct: float | None = Field(description="variance / estimate")
    approval: Literal["approved", "awaiting approval"]
    approved_by: str | None
    approved_at: datetime | None
    approval_note: str | None
    lifecycle: list[LifecycleLine] = Field(
        default_factory=list, description="This week's use of Legacy or past-EOL models, with days to EOL and the move.")
    unit_costs: list[UnitCost] = Field(default_factory=list, description="Cost per unit, month to the week's end.")
    summary: str


def _week_bounds(ctx: ToolContext, wanted: date | None, through: date | None) -> date:
    """The Monday of the card's week."""
    if wanted is not None:
        monday = wanted - timedelta(days=wanted.weekday())
        if monday > ctx.today:
            raise ToolError(f"the week of {monday:%d %b %Y} has not started yet (today is {ctx.today:%d %b %Y})")
        if through is None or monday > through:
            raise ToolError(f"no CUR data for the week of {monday:%d %b %Y} yet"
                            + (f"; data runs through {through:%d %b %Y}" if through else ""))
        return monday
    if through is None:
        raise ToolError("there is no Bedrock usage in the store yet")
    # The last Monday whose whole week (Mon..Sun) is before today and covered by the data.
    last_day = min(ctx.today - timedelta(days=1), through)
    sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return sunday - timedelta(days=6)


@tool(name="spend_card", personas=CARD_PERSONAS, action="read", family="spend_card")
def spend_card(ctx: ToolContext, args: SpendCardArgs) -> SpendCard:
    """A product's weekly spend card: a Monday-to-Sunday week's spend by model against the pro-rated estimate,
    and whether it is approved.

    The weekly spend card of one product: a Monday-to-Sunday week's actual Bedrock spend by model
    and token kind (USD and tokens) against the pro-rated monthly estimate, the variance, and whether
    the card has been approved ('awaiting approval' until someone approves it).

    Defaults: your only product; the last complete Mon-Sun week before today that the CUR data covers
    (a week_start date picks the week containing it). Cost is unblended usage cost in USD; credits,
    refunds and taxes are excluded. Spend counts from each claim's date. Pro-rated estimate = month
    estimate x (days of the week in that month / days in the month), each month separately when the
    week spans two; for a week the data does not fully cover yet, actual and estimate both cover only
    the days with data. End dates are exclusive.
    """
    ensure_views(ctx.store)
    product = default_product(ctx, args.product)
    through = data_through(ctx.store, ctx.today)
    monday = _week_bounds(ctx, args.week_start, through)
    week_end = monday + timedelta(days=7)
    covered_end = min(week_end, through + timedelta(days=1))  # type: ignore[operator]
    days_covered = (covered_end - monday).days
    scope_sql, scope_params = product_clause(ctx.caller)
    rows = ctx.store.rows(
        f"""SELECT coalesce(model_id, billing_model, '(no model)') AS model, kind,
                   coalesce(sum(tokens), 0) AS tokens, sum(unblended_cost) AS usd
            FROM attributed_daily
            WHERE product = ? AND {scope_sql} AND charge_class = 'usage'
              AND usage_date >= ? AND usage_date < ?
            GROUP BY ALL""",
        [product, *scope_params, monday, covered_end],
    )
    actual = sum(r[3] for r in rows)
    rows = sorted(rows, key=lambda r: (-r[3], r[0], r[1]))
    lines = [CardLine(model=m, kind=k, tokens=round(t), usd=round(u, 2), share=round(u / actual, 4) if actual else 0.0)
             for m, k, t, u in rows]

    parts, prorated = _prorated_estimate(ctx, product, monday, days_covered)
    variance = actual - prorated if prorated is not None else None

    approvals = ctx.store.rows(
        """SELECT approved_by, approved_at, note FROM spend_card_approvals
           WHERE product = ? AND week_start = ? ORDER BY approved_at DESC NULLS LAST LIMIT 1""",
        [product, monday],
    )
    approved_by, approved_at, note = approvals[0] if approvals else (None, None, None)
    summary = _card_summary(product, monday, actual, parts, prorated, days_covered, approved_by)
    retiring = lifecycle_lines(ctx, monday, week_end, product)
    if retiring:  # the Product Owner hears of it where they look every week
        summary += " Model lifecycle: " + "; ".join(line_text(x) for x in retiring) + "."
    summary = f"{summary} {unit_sentence(units := product_unit_costs(ctx, product, end=covered_end))}".rstrip()
    return SpendCard(
        product=product, week_start=monday, week_end=week_end, complete=days_covered == 7, data_through=through,
        days_covered=days_covered, actual_usd=round(actual, 2), lines=lines,
        estimate_usd=round(prorated, 2) if prorated is not None else None, estimate_parts=parts,
        variance_usd=round(variance, 2) if variance is not None else None,
        variance_pct=round(variance / prorated, 4) if variance is not None and prorated else None,
        approval="approved" if approvals else "awaiting approval", approved_by=approved_by,
        approved_at=approved_at, approval_note=note, lifecycle=retiring, unit_costs=units, summary=summary,
    )


def _prorated_estimate(ctx: ToolContext, product: str, monday: date,
                       days_covered: int) -> tuple[list[EstimatePart], float | None]:
    """Each month's estimate pro-rated over the covered days that fall in it, and their sum (None when
    a month has no estimate)."""
    per_month: dict[date, int] = {}
    for i in range(days_covered):
        first = (monday + timedelta(days=i)).replace(day=1)
        per_month[first] = per_month.get(first, 0) + 1
    estimates = dict(ctx.store.rows(
        "SELECT month, usd FROM estimates WHERE product = ? AND list_contains(?::VARCHAR[], month)",
        [product, [month_key(m) for m in per_month]],
    ))
    parts = []
    for first, days in sorted(per_month.items()):
        est = estimates.get(month_key(first))
        month_days = days_in_month(first)
        parts.append(EstimatePart(month=month_key(first), month_estimate_usd=est, days=days,
                                  days_in_month=month_days,
                                  prorated_usd=round(est * days / month_days, 2) if est is not None else None))
    if not parts or any(p.month_estimate_usd is None for p in parts):
        return parts, None
    return parts, sum(p.month_estimate_usd * p.days / p.days_in_month for p in parts)  # type: ignore[operator]


def _card_summary(product: str, monday: date, actual: float, parts: list[EstimatePart], prorated: float | None,
                  days_covered: int, approved_by: str | None) -> str:
    label = f"week of {day(monday)}"
    if prorated is None:
        missing = ", ".join(p.month for p in parts if p.month_estimate_usd is None)
        summary = f"{product}, {label}: {money(actual)} spent; no estimate set for {missing}."
    else:
        variance = actual - prorated
        direction = "over" if variance >= 0 else "under"
        summary = (f"{product}, {label}: {money(actual)} spent against a pro-rated estimate of {money(prorated)} "
                   f"({money(abs(variance))} {direction}).")
    if days_covered < 7:
        summary += f" Partial week: data covers {days_covered} of 7 days."
    return summary + (f" Approved by {approved_by}." if approved_by else " Awaiting approval.")


# ------------------------------------------------------------------------------ quota_status

QuotaState = Literal["ok", "warning", "exceeded", "no_estimate"]


class QuotaStatusArgs(BaseModel):
    month: str | None = Field(None, description="YYYY-MM; default: this month.")
    product: str | None = None


class ProductQuota(BaseModel):
    product: str
    portfolio: str | None
    actual_usd: float = Field(description="Month to date, unblended usage cost in USD.")
    estimate_usd: float | None
    share_used: float | None = Field(description="actual_usd / estimate_usd")
    forecast_usd: float = Field(description="Month-end forecast (as estimate_status).")
    forecast_share: float | None = Field(description="forecast_usd / estimate_usd")
    state: QuotaState = Field(description="From actual: warning at >= soft quota, exceeded at >= hard quota.")
    projected_state: QuotaState = Field(description="The same thresholds applied to the forecast.")


class QuotaStatus(BaseModel):
    month: str
    data_through: date | None
    soft_quota: float = Field(description="Share of the estimate that warns.")
    hard_quota: float = Field(description="Share of the estimate that is exceeded.")
    forecast_method: str
    products: list[ProductQuota] = Field(description="Exceeded first, then warning, ok, no_estimate.")
    counts: dict[str, int] = Field(description="Products per state.")


def _state(usd: float, estimate: float | None, ctx: ToolContext) -> QuotaState:
    if estimate is None:
        return "no_estimate"
    if usd >= estimate * ctx.thresholds.hard_quota:
        return "exceeded"
    if usd >= estimate * ctx.thresholds.soft_quota:
        return "warning"
    return "ok"


_ORDER = {"exceeded": 0, "warning": 1, "ok": 2, "no_estimate": 3}


@tool(name="quota_status", personas=CARD_PERSONAS, action="read", family="quota")
def quota_status(ctx: ToolContext, args: QuotaStatusArgs) -> QuotaStatus:
    """Each product's spend against its estimate for a month, with a forecast and a quota state (ok, warning at
    80%, exceeded at 100%, no_estimate).

    Quota standing of every product in your scope for a month: actual spend, estimate, share used,
    month-end forecast, and a state: 'warning' once actual reaches the soft quota (80% of the estimate
    by default), 'exceeded' at the hard quota (100%), else 'ok'; 'no_estimate' when the month has no
    estimate. projected_state applies the same thresholds to the forecast.

    Defaults: the current month; all products you can see. Cost is unblended usage cost in USD
    (credits, refunds and taxes excluded); spend counts from each claim's date. The forecast is
    estimate_status's: month to date + average daily spend of the last 7 days of data x days left.
    """
    ensure_views(ctx.store)
    w = month_window(args.month, ctx.today)
    month = f"{w.start:%Y-%m}"
    scope_sql, scope_params = product_clause(ctx.caller)
    only, only_params = ("product = ?", [require_product(ctx, args.product)]) if args.product else ("TRUE", [])
    portfolios = dict(ctx.store.rows(
        f"SELECT product, portfolio FROM org_products WHERE {scope_sql} AND {only} ORDER BY product",
        [*scope_params, *only_params]))
    out: list[ProductQuota] = []
    method = ""
    statuses = estimate_statuses(ctx, list(portfolios), month)
    for product in portfolios:
        s = statuses[product]
        method = s.forecast_method
        est = s.estimate_usd
        out.append(ProductQuota(
            product=product, portfolio=portfolios.get(product), actual_usd=s.actual_usd, estimate_usd=est,
            share_used=round(s.actual_usd / est, 4) if est else None, forecast_usd=s.forecast_usd,
            forecast_share=round(s.forecast_usd / est, 4) if est else None,
            state=_state(s.actual_usd, est, ctx), projected_state=_state(s.forecast_usd, est, ctx),
        ))
    out.sort(key=lambda q: (_ORDER[q.state], -(q.share_used or 0), -q.actual_usd, q.product))
    counts = {k: sum(q.state == k for q in out) for k in _ORDER}
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    if through is not None and through < w.start:
        through = None
    return QuotaStatus(month=month, data_through=through, soft_quota=ctx.thresholds.soft_quota,
                       hard_quota=ctx.thresholds.hard_quota, forecast_method=method, products=out, counts=counts)


class ApproveCardArgs(BaseModel):
    product: str | None = Field(None, description="Default: your only product.")
    week_start: date | None = Field(None, description="The week's Monday.")
    note: str | None = Field(None, description="Comment kept with the approval.")


class CardApproval(BaseModel):
    subject: str
    product: str
    week_start: date
    week_end: date = Field(description="The Sunday the week ends (inclusive).")
    actual_usd: float = Field(description="Attributed unblended usage cost of the week.")
    approved_by: str
    approved_at: datetime
    already_approved: bool
    note: str | None


def last_complete_week(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)


@tool(name="approve_spend_card", personas=PRODUCT_OWNER, action="write", family="cards")
def approve_spend_card(ctx: ToolContext, args: ApproveCardArgs) -> CardApproval:
    """Approve your product's weekly spend card for a complete Monday-to-Sunday week (default: the last complete
    one).

    Approve your product's weekly spend card (actual vs estimate) for a complete week, Monday to
    Sunday; default the last complete week. Approving the same week again changes nothing."""
    product = owned_product(ctx, args.product)
    week = args.week_start or last_complete_week(ctx.today)
    if week.weekday() != 0:
        raise ToolError(f"{week} is a {week:%A}; a spend card week starts on a Monday "
                        f"(e.g. {week - timedelta(days=week.weekday())})")
    end = week + timedelta(days=6)
    if end >= ctx.today:
        raise ToolError(f"the week of {week} is not complete until {end} is over (today is {ctx.today})")
    ensure_views(ctx.store)
    actual = ctx.store.scalar(
        "SELECT coalesce(sum(unblended_cost), 0) FROM attributed_daily WHERE product = ? "
        "AND charge_class = 'usage' AND usage_date BETWEEN ? AND ?", [product, week, end])
    done = ctx.store.rows("SELECT approved_by, approved_at, note FROM spend_card_approvals "
                          "WHERE product = ? AND week_start = ?", [product, week])
    if done:
        by, at, note = done[0]
        return CardApproval(subject=f"{product} week of {week}", product=product, week_start=week,
                            week_end=end, actual_usd=round(actual, 2), approved_by=by, approved_at=at,
                            already_approved=True, note=note)
    at = ctx.now()
    note = (args.note or "").strip() or None
    ctx.store.con.execute("INSERT INTO spend_card_approvals VALUES (?, ?, ?, ?, ?)",
                          [product, week, ctx.caller.email, at, note])
    return CardApproval(subject=f"{product} week of {week}", product=product, week_start=week, week_end=end,
                        actual_usd=round(actual, 2), approved_by=ctx.caller.email, approved_at=at,
                        already_approved=False, note=note)
