"""Periods as people say them: 'last month', 'October', 'since 1 Nov', 'the week of 2 November',
'last 7 days', 'this year', read into a month or a [start, end) window relative to today."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from agent.vocabulary import ISO_MONTH_PATTERN, MONTHS, number_word
from tools.periods import next_month, prev_month

if TYPE_CHECKING:
    from agent.question import Question


@dataclass
class Period:
    month: str | None = None  # YYYY-MM
    start: date | None = None
    end: date | None = None   # exclusive
    week: date | None = None  # a day in the wanted Mon-Sun week

    def args(self) -> dict[str, Any]:
        if self.start is not None:
            return {"start": self.start, "end": self.end}
        return {"month": self.month} if self.month else {}


_MONTH_ABBR = {m[:3]: i for i, m in enumerate(MONTHS, start=1)} | {"sept": 9}


def _month_of(name: str) -> int | None:
    if name in MONTHS:
        return MONTHS.index(name) + 1
    return _MONTH_ABBR.get(name)


_MONTH_WORD = "(" + "|".join([*MONTHS, "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep", "oct", "nov",
                               "dec"]) + ")"
_SPOKEN_DAY = re.compile(rf"(?<= )(?:(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH_WORD}|{_MONTH_WORD} "
                         r"(\d{1,2})(?:st|nd|rd|th)?)(?: (\d{4}))?(?= )")


def _spoken_days(text: str, today: date, *, future: bool) -> list[date]:
    """'2 November', 'Nov 2nd', 'the 2nd of November 2026' in the canonical text."""
    out = []
    for m in _SPOKEN_DAY.finditer(text):
        day_text, month_text = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month = _month_of(month_text)
        if month is None:
            continue
        year = int(m.group(5)) if m.group(5) else today.year
        try:
            d = date(year, month, int(day_text))
            if not m.group(5) and not future and d > today:
                d = d.replace(year=year - 1)
            elif not m.group(5) and future and d < today:
                d = d.replace(year=year + 1)
        except ValueError:
            continue
        out.append(d)
    return out


def read_period(q: Question, today: date, *, future: bool) -> Period:
    """The period a question names: a relative one ('last month'), days ('since 1 Nov'), a month
    ('October', '2026-10'), else none (the tools' default, this month)."""
    return (_relative_period(q, today) or _period_of_days(q, today, future=future)
            or _named_month(q, today, future=future) or Period())


def _relative_period(q: Question, today: date) -> Period | None:
    """'last 7 days', 'yesterday', 'this/last/past week', 'this/last year', 'this/last/next month', 'so far'."""
    text = q.text
    this_month = today.replace(day=1)
    monday = today - timedelta(days=today.weekday())
    relative = re.search(r" (this|current|last|previous|prior|past|next) (month|week|year) ", text)
    unit = relative.group(2) if relative else None
    which = relative.group(1) if relative else None
    n_days = re.search(r" (?:last|past|previous) (\w+) days? ", text)
    if n_days and number_word(n_days.group(1)):
        count = number_word(n_days.group(1)) or 7
        return Period(start=today - timedelta(days=count), end=today)
    if q.phrase("yesterday"):
        return Period(start=today - timedelta(days=1), end=today, week=today - timedelta(days=1))
    if unit == "week" or q.phrase("week to date"):
        if which in ("last", "previous", "prior") and not q.phrase("past week"):
            start = monday - timedelta(days=7)
        elif which == "past":
            return Period(start=today - timedelta(days=7), end=today, week=today - timedelta(days=7))
        else:
            start = monday
        return Period(start=start, end=start + timedelta(days=7), week=start)
    if unit == "year" or q.phrase("year to date", "ytd"):
        if which in ("last", "previous", "prior"):
            return Period(start=date(today.year - 1, 1, 1), end=date(today.year, 1, 1))
        return Period(start=date(today.year, 1, 1), end=today + timedelta(days=1))
    if unit == "month":
        if which in ("last", "previous", "prior", "past"):
            return Period(month=f"{prev_month(this_month):%Y-%m}")
        if which == "next":
            return Period(month=f"{next_month(this_month):%Y-%m}")
        return Period(month=f"{this_month:%Y-%m}")
    if q.phrase("month to date", "mtd", "so far"):
        return Period(month=f"{this_month:%Y-%m}")
    return None


def _period_of_days(q: Question, today: date, *, future: bool) -> Period | None:
    """Two days (between them), or one: the week of it, since it, or that day."""
    days = q.days or _spoken_days(q.text, today, future=future)
    if len(days) >= 2:
        first, last = sorted(days[:2])
        return Period(start=first, end=last + timedelta(days=1), week=first)
    if not days:
        return None
    day = days[0]
    if q.phrase("week of", "week starting", "week beginning", "week from"):
        monday_of = day - timedelta(days=day.weekday())
        return Period(start=monday_of, end=monday_of + timedelta(days=7), week=day, month=f"{day:%Y-%m}")
    if q.phrase("since", "from", "starting", "after") and day <= today:
        return Period(start=day, end=today + timedelta(days=1), week=day, month=f"{day:%Y-%m}")
    return Period(start=day, end=day + timedelta(days=1), week=day, month=f"{day:%Y-%m}")


def _named_month(q: Question, today: date, *, future: bool) -> Period | None:
    """'2026-10', or a month name ('October', 'in May 2026'): the latest such month up to today (the next
    one from today when an estimate is being set)."""
    iso = ISO_MONTH_PATTERN.search(q.amount_text) or ISO_MONTH_PATTERN.search(q.raw)
    if iso and 1 <= int(iso.group(2)) <= 12:
        return Period(month=f"{int(iso.group(1)):04d}-{int(iso.group(2)):02d}")
    for hit in re.finditer(r"(?<= )(?:(in|for|of|during|since|until|from) )?([a-z]+)(?: (\d{4}))?(?= )", q.text):
        month = _month_of(hit.group(2))
        if month is None or (hit.group(2) == "may" and not (hit.group(1) or hit.group(3))):
            continue
        if hit.group(3):
            year = int(hit.group(3))
        elif future:
            year = today.year if month >= today.month else today.year + 1
        else:
            year = today.year if month <= today.month else today.year - 1
        return Period(month=f"{year:04d}-{month:02d}")
    return None
