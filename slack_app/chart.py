"""Burn-up chart for estimate answers: actual cumulative spend, the estimate, and the forecast.

Drawn with matplotlib's object API on the Agg canvas (no display, no pyplot global state, so it is
safe from listener threads) and uploaded to the answer's thread with files_upload_v2.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from ledger.months import last_day, parse_month
from tools import toolset
from tools.context import ToolContext


def daily_spend(ctx: ToolContext, product: str, month: str) -> list[tuple[date, float]]:
    """The product's spend per day of the month, through the scoped spend_breakdown tool."""
    result = toolset.call(ctx, "spend_breakdown", {"by": "day", "product": product, "month": month, "top": 31})
    return sorted((date.fromisoformat(r.key), r.usd) for r in result.rows)


def burnup_png(*, product: str, month: str, daily: list[tuple[date, float]], estimate: float | None,
               forecast: float, data_through: date | None) -> bytes:
    """PNG bytes: cumulative actual (solid), estimate (flat line), forecast (dashed to month end)."""
    # matplotlib is imported where the chart is drawn (serve's chart process), not by answer threads:
    # importing it holds the GIL for a second, which would delay acknowledgements meanwhile.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    first = parse_month(month)
    last = last_day(first)
    fig = Figure(figsize=(7, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    days, cumulative, total = [], [], 0.0
    spend = dict(daily)
    end = min(data_through or last, last)
    d = first
    while d <= end:
        total += spend.get(d, 0.0)
        days.append(d.day)
        cumulative.append(total)
        d += timedelta(days=1)
    if days:
        ax.plot(days, cumulative, color="#1f77b4", linewidth=2, label=f"actual ${total:,.0f}")
        if end < last:
            ax.plot([days[-1], last.day], [total, forecast], color="#ff7f0e", linestyle="--", linewidth=2,
                    label=f"forecast ${forecast:,.0f}")
    if estimate is not None:
        ax.axhline(estimate, color="#d62728", linewidth=1.5, label=f"estimate ${estimate:,.0f}")
        ax.plot([0, last.day], [0, estimate], color="#d62728", linestyle=":", linewidth=1, label="even pace")
    ax.set_xlim(0, last.day)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"day of {first:%B %Y}")
    ax.set_ylabel("USD, cumulative")
    ax.set_title(f"{product}: Bedrock spend burn-up, {first:%b %Y}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def chart_inputs(ctx: ToolContext, status: dict) -> dict:
    """burnup_png's keyword arguments for an estimate_status result (the data comes through the tools)."""
    product, month = status["product"], status["month"]
    through = status.get("data_through")
    through = date.fromisoformat(through) if isinstance(through, str) else through
    return {"product": product, "month": month, "daily": daily_spend(ctx, product, month),
            "estimate": status.get("estimate_usd"), "forecast": status["forecast_usd"], "data_through": through}


def filename(inputs: dict) -> str:
    return f"burnup-{inputs['product'].lower().replace(' ', '-')}-{inputs['month']}.png"


def estimate_chart(ctx: ToolContext, status: dict) -> tuple[str, bytes]:
    """(filename, png) for an estimate_status result, rendered in this process."""
    inputs = chart_inputs(ctx, status)
    return filename(inputs), burnup_png(**inputs)
