"""Calendar months: the one parser of 'YYYY-MM', stepping between months, and their key text."""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """Text that is not a month 'YYYY-MM'."""


def parse_month(text: str) -> date:
    """'2026-11' -> date(2026, 11, 1). Surrounding blanks are ignored; anything else is a MonthError
    saying what a month looks like."""
    m = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise MonthError(f"{text!r} is not a month; use YYYY-MM, e.g. 2026-11")
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_key(d: date) -> str:
    """The month a day is in, as stored: 'YYYY-MM'."""
    return f"{d:%Y-%m}"


def next_month(d: date) -> date:
    """The first day of the month after d's."""
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def prev_month(d: date) -> date:
    """The first day of the month before d's."""
    return (d.replace(day=1) - timedelta(days=1)).replace(day=1)


def days_in_month(d: date) -> int:
    return (next_month(d) - d.replace(day=1)).days


def last_day(d: date) -> date:
    """The last day of d's month."""
    return next_month(d) - timedelta(days=1)
