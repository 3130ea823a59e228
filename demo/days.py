"""The demo's billing periods, its day calendar, and each workload's target spend per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from demo.workloads import Workload
from demo.world import SPIKE_FACTOR


@dataclass(frozen=True)
class Period:
    """One billing period of the demo and the days of it that have data."""

    label: str  # YYYY-MM
    start: date  # first of the month
    end: date  # first of the next month
    first: date  # first day with data
    last: date  # last day with data (inclusive)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

# ---------------------------------------------------------------------------------------- window


def month_start(d: date, back: int = 0) -> date:
    """The first of the month `back` months before d's (negative: after)."""
    m = d.year * 12 + d.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def billing_window(as_of: date) -> list[Period]:
    """The three billing periods ending the day before as_of."""
    last = as_of - timedelta(days=1)
    out = []
    for back in (2, 1, 0):
        start = month_start(last, back)
        end = month_start(start, -1)
        out.append(Period(start.strftime("%Y-%m"), start, end, start, min(end - timedelta(days=1), last)))
    return out


# --------------------------------------------------------------------------------- daily levels


@dataclass
class DayCalendar:
    """Every day of the window with the attributes the daily levels depend on."""

    days: list[date]
    dow: np.ndarray
    current: np.ndarray  # bool: in the latest period
    dom: np.ndarray  # day of month
    spike: int  # index of the spike day
    last_dom: int  # day of month of the last day


def build_calendar(periods: list[Period]) -> DayCalendar:
    """The calendar of the whole window; the spike is on the 10th of the current month (or its last day)."""
    first, last = periods[0].first, periods[-1].last
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    cur = periods[-1]
    spike_day = date(cur.start.year, cur.start.month, min(10, cur.last.day))
    return DayCalendar(
        days=days,
        dow=np.array([d.weekday() for d in days]),
        current=np.array([d >= cur.start for d in days]),
        dom=np.array([d.day for d in days]),
        spike=(spike_day - first).days,
        last_dom=cur.last.day,
    )


def token_kinds(w: Workload) -> list[tuple[str, float]]:
    """(kind, tokens per prompt token) for the workload's usage types."""
    if w.channel in ("guardrail", "feature"):
        return [("units", 1.0)]
    if w.model.startswith("TitanEmbedding"):
        return [("embedding", 1.0)]
    out = [("input", 1.0 - w.cache_read - w.cache_write), ("output", w.out)]
    if w.cache_read:
        out.append(("cache_read", w.cache_read))
    if w.cache_write and w.channel != "mkt":
        out.append(("cache_write", w.cache_write))
    return out


def daily_levels(w: Workload, cal: DayCalendar, rng: np.random.Generator) -> np.ndarray:
    """Target unblended USD per day over the whole window (0 on inactive days)."""
    n = len(cal.days)
    weekly = np.where(cal.dow >= 5, w.weekend, 1.0)
    weekly = weekly / ((5 + 2 * w.weekend) / 7)
    noise = rng.lognormal(0.0, 0.10, n)
    trend = (1 + w.growth) ** (np.arange(n) / 30.44)
    if w.days == "tue_thu":
        mask, norm = np.isin(cal.dow, (1, 3)), 2 / 7
        weekly = np.ones(n)
    elif w.days == "sparse":
        mask, norm = rng.random(n) < 0.45, 0.45
    elif w.days == "opus":
        mask, norm = cal.current & (cal.dom >= min(4, cal.last_dom)), 1.0
    elif w.days == "llama70b":
        picks = {min(d, cal.last_dom) for d in (3, 8, 12, 17)}
        mask, norm = cal.current & np.isin(cal.dom, sorted(picks)), 1.0
    else:
        mask, norm = np.ones(n, dtype=bool), 1.0
    if w.total_usd is not None:
        shape = noise * mask
        return w.total_usd * shape / shape.sum()
    level = w.usd / 30.0 / norm * weekly * trend * noise * mask
    if w.spike:
        weekday = 7 / (5 + 2 * w.weekend)  # the spike is 5x a usual weekday, even on a weekend
        level[cal.spike] = w.usd / 30.0 * weekday * trend[cal.spike] * SPIKE_FACTOR
    return level
