"""The story's figures computed from the streams, and the estimates derived from them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from demo.days import Period
from demo.org_file import Quoted
from demo.streams import Stream
from demo.world import (
    BUSINESS_UNITS,
    ESTIMATE_RATIOS,
    PROFILES,
    ROLES,
    RUN_RATE_DAYS,
    STORY,
    TAG_CLAIMS,
    TOKEN_ESTIMATES,
    profile_arn,
    role_arn,
)
from ledger.principals import normalise_principal

def demo_claims(periods: list[Period]) -> dict[str, tuple[str, date]]:
    """Normalised role ARN, application inference profile ARN or 'tag:key=value' -> (product, claimed_on)."""
    first, cur = periods[0].first, periods[-1]
    mid = date(cur.start.year, cur.start.month, min(STORY["mid_month_claim_day"], cur.last.day))
    roles = {role_arn(r): (product, first if when == "start" else mid)
             for r, (_, product, when) in ROLES.items() if product}
    return {**roles, **{profile_arn(p): (product, first) for p, (_, _, product) in PROFILES.items()},
            **{f"tag:{tag}": (product, first) for tag, product in TAG_CLAIMS.items()}}


def _claim_of(s: Stream, claims: dict[str, tuple[str, date]]) -> tuple[str | None, date | None]:
    """The claim on the stream's profile, else on a resource tag it carries, else on its role (all of the
    demo's run from the first day, so precedence is all that decides)."""
    tagged = (claims.get(f"tag:{k.removeprefix('user_')}={v}") for k, v in s.resource_tags.items())
    return (claims.get(s.resource) or next((c for c in tagged if c), None)
            or claims.get(normalise_principal(s.principals[0]), (None, None)))


def _forecast(daily: np.ndarray, days_in_month: int) -> float:
    """Month-end forecast as Steward's estimate_status makes it: month to date + the average of the
    last 7 days of data x the days left."""
    recent = daily[-RUN_RATE_DAYS:]
    return float(daily.sum() + recent.mean() * (days_in_month - len(daily)))


TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "embedding")


@dataclass
class _Tally:
    """Per product: cost and tokens by kind per day of each period, counted from the claim's date;
    plus what no claim covers and the two drift workloads."""

    spend: dict[str, list[np.ndarray]]
    tokens: dict[str, dict[str, list[np.ndarray]]]
    unattributed: list[float]
    opus_usd: float = 0.0
    llama_usd: float = 0.0
    llama_rows: int = 0


def _tally(periods: list[Period], all_streams: list[list[Stream]], claims: dict[str, tuple[str, date]]) -> _Tally:
    """Add every workload stream's daily cost and tokens to its claiming product (from the claim date)."""
    products = [p for bu in BUSINESS_UNITS.values() for portfolio in bu.values()
                for dept in portfolio.values() for p in dept]
    tally = _Tally(spend={p: [np.zeros(per.days) for per in periods] for p in products},
                   tokens={p: {k: [np.zeros(per.days) for per in periods] for k in TOKEN_KINDS} for p in products},
                   unattributed=[0.0] * len(periods))
    for pi, (period, streams) in enumerate(zip(periods, all_streams)):
        days = np.array([period.first + timedelta(days=d) for d in range(period.days)])
        for s in streams:
            if s.workload is None:
                continue
            product, since = _claim_of(s, claims)
            counted = np.where(days >= since, s.cost, 0.0) if product else np.zeros(period.days)
            tally.unattributed[pi] += float(s.cost.sum() - counted.sum())
            if product:
                tally.spend[product][pi] += counted
                if s.tokens is not None:
                    tally.tokens[product][s.kind][pi] += np.where(days >= since, s.tokens, 0.0)
            if s.workload == "checkout-opus":
                tally.opus_usd += float(s.cost.sum())
            if s.workload == "nb-llama70b":
                tally.llama_usd += float(s.cost.sum())
                tally.llama_rows += int((s.cost > 0).sum())
    return tally


def story_facts(periods: list[Period], all_streams: list[list[Stream]]) -> dict[str, Any]:
    """The story's figures (DemoResult.facts) for these periods."""
    claims = demo_claims(periods)
    tally = _tally(periods, all_streams, claims)
    cur = periods[-1]
    days_in_month = calendar.monthrange(cur.start.year, cur.start.month)[1]

    def month_figure(daily: list[np.ndarray], pi: int) -> float:
        return _forecast(daily[pi], days_in_month) if pi == len(periods) - 1 else float(daily[pi].sum())

    insights = tally.spend["Customer Insights"][-1]
    spike_idx = min(STORY["spike_day_of_month"], cur.last.day) - 1
    others = np.delete(insights, spike_idx)
    checkout = tally.tokens["Checkout Service"]
    reads = sum(float(v.sum()) for v in checkout["cache_read"])
    prompt = sum(float(v.sum()) for k in ("input", "cache_read", "cache_write") for v in checkout[k])
    return {
        # Unblended usage cost per product and month; the current month is month to date.
        "spend_usd": {p: [round(float(v.sum()), 2) for v in d] for p, d in tally.spend.items()},
        # Full months: the spend; current month: the month-end forecast (see _forecast).
        "month_usd": {p: [round(month_figure(d, i), 2) for i in range(len(periods))]
                      for p, d in tally.spend.items()},
        "month_tokens": {p: {k: [month_figure(d[k], i) for i in range(len(periods))] for k in TOKEN_KINDS}
                         for p, d in tally.tokens.items()},
        "days_of_data": cur.days,
        "unattributed_usd": [round(x, 2) for x in tally.unattributed],
        "opus_usd": round(tally.opus_usd, 2),
        "llama70b_usd": round(tally.llama_usd, 2),
        "llama70b_line_items": tally.llama_rows,
        "spike_day": date(cur.start.year, cur.start.month, spike_idx + 1).isoformat(),
        "spike_ratio": round(float(insights[spike_idx] / np.median(others)), 2) if len(others) else None,
        "checkout_cache_hit_rate": round(reads / prompt, 4) if prompt else None,
        "mid_month_claim_on": claims[STORY["mid_month_role"]][1].isoformat(),
    }


def demo_estimates(periods: list[Period], facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Estimates set so that spend (the forecast, this month) / estimate = ESTIMATE_RATIOS."""
    out = []
    for product, ratios in ESTIMATE_RATIOS.items():
        for pi, period in enumerate(periods):
            step = 10 if product == STORY["over_estimate_product"] else 50
            usd = facts["month_usd"][product][pi] / ratios[pi]
            e: dict[str, Any] = {"product": product, "month": Quoted(period.label),
                                 "usd": max(step, int(round(usd / step)) * step)}
            if product in TOKEN_ESTIMATES:
                t = facts["month_tokens"][product]
                out_ratio = STORY["output_over_token_estimate"] if product == "Checkout Service" else ratios[pi]
                e["input_tokens"] = int(round(t["input"][pi] / ratios[pi] / 1e6)) * 1_000_000
                e["output_tokens"] = int(round(t["output"][pi] / out_ratio / 1e6)) * 1_000_000
            out.append(e)
    return out


