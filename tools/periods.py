"""Months and date windows. Every window is [start, end): the end date is exclusive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ledger.store import Store
from tools.errors import ToolError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        if self.start.day == 1 and self.end == next_month(self.start):
            return self.start.strftime("%B %Y")
        return f"{self.start:%d %b %Y} to {last:%d %b %Y}"


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def prev_month(d: date) -> date:
    first = d.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_window(month: str | None, today: date) -> Window:
    """'YYYY-MM' or None (the month `today` is in)."""
    if month is None:
        start = today.replace(day=1)
    else:
        m = _MONTH.match(month.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ToolError(f"'{month}' is not a month; use YYYY-MM, e.g. {today:%Y-%m}")
        start = date(int(m.group(1)), int(m.group(2)), 1)
    if start > today:
        raise ToolError(f"{start:%B %Y} has not started yet (today is {today:%d %b %Y})")
    return Window(start, next_month(start))


def window(start: date | None, end: date | None, month: str | None, today: date) -> Window:
    """An explicit [start, end) window, else a month window."""
    if start is None and end is None:
        return month_window(month, today)
    if start is None or end is None:
        raise ToolError("give both start and end (end is exclusive), or a month")
    if end <= start:
        raise ToolError(f"end {end} must be after start {start} (end is exclusive)")
    return Window(start, end)


def data_through(store: Store, before: date | None = None) -> date | None:
    """The last day with Bedrock usage in the store (on or before `before`)."""
    if before is None:
        return store.scalar("SELECT max(usage_date) FROM usage_daily WHERE charge_class = 'usage'")
    return store.scalar(
        "SELECT max(usage_date) FROM usage_daily WHERE charge_class = 'usage' AND usage_date <= ?", [before])


def upto(w: Window, today: date) -> date:
    """The exclusive end of what has happened in the window as of `today` (today included)."""
    return min(w.end, today + timedelta(days=1))


def days_in_month(d: date) -> int:
    return (next_month(d) - d.replace(day=1)).days
