"""Spend anomalies: days on which a product's or principal's spend leaves its own trailing baseline."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.periods import WindowArgs, data_through, window
from tools.scope import product_clause, require_product
from tools.declare import tool

ANOMALY_PERSONAS = frozenset({"product_owner", "portfolio_manager", "finops_lead"})
MIN_BASELINE_DAYS = 7
MAD_SCALE = 1.4826       # MAD x 1.4826 estimates the standard deviation of normal data
MEAN_AD_SCALE = 1.2533   # fallback when MAD is 0: mean absolute deviation x 1.2533
UNATTRIBUTED = "(unattributed)"


class AnomaliesArgs(WindowArgs):
    level: Literal["product", "principal"] = "product"
    product: str | None = None
    threshold: float | None = Field(
        None, gt=0, description="Robust z-score that flags a day; default 3.5.")
    min_excess_usd: float = Field(5.0, ge=0, description="USD a flagged day also exceeds the median by.")
    top: int = Field(50, ge=1, le=500, description="Most to list, largest first.")


class Anomaly(BaseModel):
    product: str | None = Field(description="The product ('(unattributed)' for unclaimed spend, FinOps Lead only).")
    principal: str | None = Field(description="The principal, when level='principal'.")
    day: date
    spend_usd: float
    baseline_median_usd: float = Field(description="Median daily spend of the baseline days.")
    baseline_mad_usd: float = Field(description="Median absolute deviation of the baseline days.")
    baseline_days: int
    excess_usd: float = Field(description="spend - baseline median")
    robust_z: float | None = Field(description="excess / (1.4826 x MAD); None when the baseline is perfectly flat.")
    multiple_of_baseline: float | None = Field(description="spend / baseline median; None if the median is 0.")
    top_model: str = Field(description="The model with the most spend that day.")
    top_model_usd: float


class Anomalies(BaseModel):
    level: str
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    data_through: date | None
    method: str
    threshold: float
    min_excess_usd: float
    baseline_window_days: int
    series_checked: int = Field(description="Products or principals examined.")
    anomalies: list[Anomaly]
    more: int = Field(description="Anomalies beyond `top`, not listed.")


def _robust(baseline: list[float], spend: float) -> tuple[float, float, float | None]:
    """(median, MAD, robust z) of `spend` against the baseline values."""
    med = median(baseline)
    mad = median(abs(v - med) for v in baseline)
    scale = MAD_SCALE * mad
    if scale == 0:
        scale = MEAN_AD_SCALE * sum(abs(v - med) for v in baseline) / len(baseline)
    z = (spend - med) / scale if scale else None
    return med, mad, z


def _daily_series(ctx: ToolContext, args: AnomaliesArgs, load_start: date,
                  last: date) -> tuple[dict[str, dict[date, tuple]], dict[str, date]]:
    """Per series (product or principal, in the caller's scope): each day's (spend, top model, its
    spend, product), and the first day the series ever had spend (days before it are no baseline)."""
    scope_sql, params = product_clause(ctx.caller)
    where = f"{scope_sql} AND charge_class = 'usage'"
    if args.product:
        where += " AND product = ?"
        params = [*params, require_product(ctx, args.product)]
    key = "principal" if args.level == "principal" else f"coalesce(product, '{UNATTRIBUTED}')"
    first_seen = dict(ctx.store.rows(
        f"SELECT {key} AS k, min(usage_date) FROM attributed_daily WHERE {where} AND usage_date <= ? GROUP BY k",
        [*params, last]))
    daily = ctx.store.rows(
        f"""WITH by_model AS (SELECT {key} AS k, coalesce(product, '{UNATTRIBUTED}') AS product, usage_date,
                              coalesce(model_id, billing_model, '(no model)') AS model, sum(unblended_cost) AS usd
                       FROM attributed_daily WHERE {where} AND usage_date >= ? AND usage_date <= ?
                       GROUP BY ALL)
            SELECT k, usage_date, sum(usd), arg_max(model, usd), max(usd), arg_max(product, usd)
            FROM by_model GROUP BY k, usage_date""",
        [*params, load_start, last])
    series: dict[str, dict[date, tuple]] = {}
    for series_key, d, usd, model, model_usd, product in daily:
        series.setdefault(series_key, {})[d] = (usd, model, model_usd, product)
    return series, first_seen


def _flagged_days(args: AnomaliesArgs, series_key: str, by_day: dict[date, tuple], history: list[date],
                  start: date, lookback: int, threshold: float) -> list[Anomaly]:
    """The days from `start` on whose spend departs from the series' own baseline (see anomalies)."""
    found = []
    for i, d in enumerate(history):
        if d < start or d not in by_day:
            continue
        base_days = history[max(0, i - lookback):i]
        if len(base_days) < MIN_BASELINE_DAYS:
            continue
        spend, model, model_usd, product = by_day[d]
        baseline = [by_day[b][0] if b in by_day else 0.0 for b in base_days]
        med, mad, z = _robust(baseline, spend)
        excess = spend - med
        if excess < args.min_excess_usd or (z is not None and z <= threshold):
            continue
        found.append(Anomaly(
            product=product, principal=series_key if args.level == "principal" else None, day=d,
            spend_usd=round(spend, 2), baseline_median_usd=round(med, 2), baseline_mad_usd=round(mad, 2),
            baseline_days=len(base_days), excess_usd=round(excess, 2),
            robust_z=round(z, 2) if z is not None else None,
            multiple_of_baseline=round(spend / med, 2) if med > 0 else None,
            top_model=model, top_model_usd=round(model_usd, 2)))
    return found


@tool(name="anomalies", personas=ANOMALY_PERSONAS, action="read", family="anomalies")
def anomalies(ctx: ToolContext, args: AnomaliesArgs) -> Anomalies:
    """Days on which a product's (or a principal's) daily Bedrock spend departs sharply from its own 14-day
    baseline.

    Days on which a product's (default) or a principal's (level='principal') daily Bedrock spend
    departs sharply from its own recent baseline, within your scope.

    Method: for each day d in the window, the baseline is that series' daily spend over the previous
    14 days that have CUR data (days without spend count as 0; days before the series' first spend do
    not count). Flag d when robust z = (spend - baseline median) / (1.4826 x MAD) exceeds 3.5 AND the
    spend exceeds the median by at least $5, with at least 7 baseline days. MAD is the median absolute
    deviation; when it is 0, 1.2533 x the mean absolute deviation is used instead, and a perfectly flat
    baseline flags any day over the $5 floor (robust_z is then None). Each anomaly gives the spend, the
    baseline median and MAD, the robust z, the multiple of the baseline and the day's top model.

    Defaults: the current month; unblended usage cost in USD (credits, refunds, taxes excluded);
    spend counts from each claim's date; end date exclusive. A FinOps Lead also sees unclaimed spend
    (as '(unattributed)' at product level).
    """
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    lookback = ctx.thresholds.anomaly_window_days
    threshold = args.threshold if args.threshold is not None else ctx.thresholds.anomaly_mad_threshold
    last = min(w.end - timedelta(days=1), ctx.today)
    through = data_through(ctx.store, last)
    load_start = w.start - timedelta(days=lookback)
    data_days = [r[0] for r in ctx.store.rows(
        """SELECT DISTINCT usage_date FROM usage_daily
           WHERE charge_class = 'usage' AND usage_date >= ? AND usage_date <= ? ORDER BY 1""",
        [load_start, last])]

    series, first_seen = _daily_series(ctx, args, load_start, last)
    found: list[Anomaly] = []
    for series_key, by_day in series.items():
        first = first_seen.get(series_key, load_start)
        history = [d for d in data_days if d >= first]
        found += _flagged_days(args, series_key, by_day, history, w.start, lookback, threshold)
    found.sort(key=lambda a: (-a.excess_usd, a.day, a.principal or a.product or ""))
    return Anomalies(
        level=args.level, period=w.label, start=w.start, end=w.end, data_through=through,
        method=(f"robust z = (spend - median) / (1.4826 x MAD) over the previous {lookback} days with data; "
                f"flag when z > {threshold:g} and spend - median >= ${args.min_excess_usd:g}, "
                f"with at least {MIN_BASELINE_DAYS} baseline days"),
        threshold=threshold, min_excess_usd=args.min_excess_usd, baseline_window_days=lookback,
        series_checked=len(series), anomalies=found[: args.top], more=max(len(found) - args.top, 0))
