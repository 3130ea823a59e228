"""Months and date windows. Every window is [start, end): the end date is exclusive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, Field

from ledger.attribution import per_snapshot
from ledger.months import MonthError, days_in_month, month_key, next_month, parse_month, prev_month
from ledger.store import Store
from tools.errors import ToolError

__all__ = ["Window", "WindowArgs", "data_through", "days_in_month", "month_key", "month_window", "next_month", "prev_month",
           "tool_month", "upto", "window"]


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


class WindowArgs(BaseModel):
    """The period arguments of a tool: a month, or a [start, end) window (see `window`)."""

    month: str | None = Field(None, description="YYYY-MM; default: this month.")
    start: date | None = None  # with end, instead of month (the end's description says so)
    end: date | None = Field(None, description="Exclusive; with start, instead of month.")


def tool_month(month: str, today: date) -> date:
    """A tool argument 'YYYY-MM' as the month's first day; a ToolError (with this month as the example)
    when it is not one."""
    try:
        return parse_month(month)
    except MonthError:
        raise ToolError(f"'{month}' is not a month; use YYYY-MM, e.g. {month_key(today)}") from None


def month_window(month: str | None, today: date) -> Window:
    """'YYYY-MM' or None (the month `today` is in)."""
    if month is None:
        start = today.replace(day=1)
    else:
        start = tool_month(month, today)
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
        return per_snapshot(store, ("data_through",), lambda: store.scalar(
            "SELECT max(usage_date) FROM usage_daily WHERE charge_class = 'usage'"))
    return per_snapshot(store, ("data_through", before), lambda: store.scalar(
        "SELECT max(usage_date) FROM usage_daily WHERE charge_class = 'usage' AND usage_date <= ?", [before]))


def data_from(store: Store) -> date | None:
    """The first day with Bedrock usage in the store: a period starting before it is not all there."""
    return per_snapshot(store, ("data_from",), lambda: store.scalar(
        "SELECT min(usage_date) FROM usage_daily WHERE charge_class = 'usage'"))


def upto(w: Window, today: date) -> date:
    """The exclusive end of what has happened in the window as of `today` (today included)."""
    return min(w.end, today + timedelta(days=1))
