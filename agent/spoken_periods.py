"""Periods as people say them: 'last month', 'October', 'since 1 Nov', 'the week of 2 November',
'last 7 days', 'this year', read into a month or a [start, end) window relative to today."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from agent.period_windows import MONTH_WORD as _MONTH_WORD
from agent.period_windows import from_day_to_now, month_windows, named_year, spoken_days
from agent.period_windows import month_of as _month_of
from agent.named_weeks import WEEKDAYS, named_windows
from agent.vocabulary import ISO_MONTH_PATTERN, number_word
from tools.periods import next_month, prev_month

if TYPE_CHECKING:
    from agent.question import Question


@dataclass
class Period:
    month: str | None = None  # YYYY-MM
    start: date | None = None
    end: date | None = None   # exclusive
    week: date | None = None  # a day in the wanted Mon-Sun week
    label: str | None = None  # how the question named it, when that says more than the dates ('Q3 2026')

    def args(self) -> dict[str, Any]:
        if self.start is not None:
            return {"start": self.start, "end": self.end}
        return {"month": self.month} if self.month else {}

    def bounds(self, today: date) -> tuple[date, date]:
        """[start, end) of the period; no period is the current month."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        first = date.fromisoformat(f"{self.month}-01") if self.month else today.replace(day=1)
        return first, next_month(first)

    def describe(self, today: date) -> str:
        """The period in words for the reading line: 'November 2026 to date', 'Q3 2026', '2 Nov to 15 Nov 2026'."""
        start, end = self.bounds(today)
        if self.label:
            return self.label
        if start.day == 1 and end == next_month(start):
            return f"{start:%B %Y}" + (" to date" if start <= today < end else "")
        last = end - timedelta(days=1)
        return f"{start.day} {start:%b} to {last.day} {last:%b %Y}"

    def a_year_earlier(self, today: date) -> Period:
        """The same dates a year before (what has happened of this period so far, for a current one)."""
        start, end = self.bounds(today)
        end = min(end, today + timedelta(days=1))
        if start.day == 1 and end == next_month(start):
            return Period(month=f"{start.year - 1:04d}-{start.month:02d}")
        return Period(start=_year_back(start), end=_year_back(end))


def _year_back(d: date) -> date:
    return d.replace(year=d.year - 1, day=min(d.day, 28) if d.month == 2 and d.day == 29 else d.day)


QUARTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
QUARTER_PATTERN = re.compile(r" (?:q([1-4])|(first|1st|second|2nd|third|3rd|fourth|4th) quarter)(?: of)?(?: (\d{4}))? ")
YEAR_AGO_PHRASES = ("same period last year", "same time last year", "same period a year ago", "same days last year",
                    "same days a year ago", "same dates last year", "a year ago",
                    "year on year", "year over year", "same month last year")


def quarter_period(number: int, year: int | None, today: date) -> Period:
    """Quarter `number` of `year`; without a year, the latest such quarter that has started."""
    if year is None:
        year = today.year if date(today.year, 3 * number - 2, 1) <= today else today.year - 1
    start = date(year, 3 * number - 2, 1)
    end = date(year + (number == 4), (3 * number) % 12 + 1, 1)
    return Period(start=start, end=end, label=f"Q{number} {year}")


def _quarter(q: Question, today: date) -> Period | None:
    hit = QUARTER_PATTERN.search(q.text)
    if hit:
        number = int(hit.group(1)) if hit.group(1) else QUARTER_WORDS[hit.group(2)]
        return quarter_period(number, int(hit.group(3)) if hit.group(3) else None, today)
    relative = re.search(r" (this|current|last|previous|prior|next|coming) quarter ", q.text) or re.search(
        r" (the) quarter (?:so far|to date) | (qtd) ", q.text)
    if not relative:
        return None
    number = (today.month - 1) // 3 + 1
    if relative.group(1) in ("this", "current", "the", None):
        return quarter_period(number, today.year, today)
    if relative.group(1) in ("next", "coming"):
        return quarter_period(number % 4 + 1, today.year + (number == 4), today)
    return quarter_period(number - 1 or 4, today.year - (number == 1), today)


def _weeks_back(q: Question, today: date) -> Period | None:
    """'the past fortnight', 'last two weeks', 'past 3 weeks': that many whole days before today."""
    if q.phrase("fortnight", "last fortnight", "past fortnight"):
        return Period(start=today - timedelta(days=14), end=today, label=f"the 14 days to {_day_before(today)}")
    hit = re.search(r" (?:last|past|previous) (\w+) weeks ", q.text)
    count = number_word(hit.group(1)) if hit else None
    if count:
        return Period(start=today - timedelta(days=7 * count), end=today,
                      label=f"the {7 * count} days to {_day_before(today)}")
    return None


def _day_before(today: date) -> str:
    d = today - timedelta(days=1)
    return f"{d.day} {d:%b %Y}"


def read_period(q: Question, today: date, *, future: bool) -> Period:
    """The period a question names: a relative one ('last month'), days ('since 1 Nov'), a month
    ('October', '2026-10'), else none (the tools' default, this month)."""
    if q.phrase(*YEAR_AGO_PHRASES) and not future:
        return read_period(without_phrases(q, YEAR_AGO_PHRASES), today, future=False).a_year_earlier(today)
    return (_named_window(q, today) or _quarter(q, today) or _in_words(q, today) or _weeks_back(q, today)
            or _relative_period(q, today)
            or _weekend_or_weekday(q, today)
            or next((p for _, _, p in day_ranges(q.text, today, future=future)), None)
            or _period_of_days(q, today, future=future) or _since_month(q, today) or _month_range(q, today)
            or _named_month(q, today, future=future) or Period())


def _named_window(q: Question, today: date) -> Period | None:
    """A week of a day, a fortnight ending one, a weekday of a named week, the week before last, H1/H2."""
    found = next(iter(named_windows(q.text, today)), None)
    if found is None:
        return None
    return Period(start=found.start, end=found.end, label=found.label,
                  week=found.start if (found.end - found.start).days <= 7 else None)


def _in_words(q: Question, today: date) -> Period | None:
    """A window inside a month ('the first three weeks of October'), from a day up to now ('from the 15th
    up to yesterday'), or a calendar year by its number ('calendar year 2026 so far')."""
    found = next(iter(month_windows(q.text, today)), None) or from_day_to_now(q.text, today) or named_year(
        q.text, today)
    if found is None:
        return None
    return Period(start=found.start, end=found.end, label=found.label,
                  week=found.start if (found.end - found.start).days <= 7 else None)


def without_phrases(q: Question, phrases: tuple[str, ...]) -> Question:
    """The question with these phrases' words taken out (to read what the rest of it says)."""
    text = q.text
    for phrase in phrases:
        text = text.replace(f" {phrase} ", " ")
    return replace(q, words=text.split())


def _month_range(q: Question, today: date) -> Period | None:
    """'from October to November', 'between September and November', 'Sep through Nov 2026': whole months."""
    hit = re.search(rf" (?:from |between )?{_MONTH_WORD}(?: (\d{{4}}))? (?:to|through|thru|until|till|and) "
                    rf"{_MONTH_WORD}(?: (\d{{4}}))? ", q.text)
    if not hit or (" and " in hit.group(0) and " between " not in hit.group(0)
                   and not q.phrase("combined", "together", "in total", "altogether")):
        return None  # 'September and October' alone may be two figures; 'combined' asks for one
    first, last = _month_of(hit.group(1)), _month_of(hit.group(3))
    if first is None or last is None:
        return None
    last_year = int(hit.group(4)) if hit.group(4) else (today.year if last <= today.month else today.year - 1)
    first_year = int(hit.group(2)) if hit.group(2) else (last_year if first <= last else last_year - 1)
    start, last_start = date(first_year, first, 1), date(last_year, last, 1)
    return Period(start=start, end=next_month(last_start),
                  label=f"{start:%B %Y} to {last_start:%B %Y}") if start <= last_start else None


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
        elif which == "next":
            start = monday + timedelta(days=7)
        else:
            start = monday
        return Period(start=start, end=start + timedelta(days=7), week=start)
    if unit == "year" or q.phrase("year to date", "ytd"):
        which = which if unit == "year" else None  # 'YTD vs last month': the 'last' is the month's
        if which in ("last", "previous", "prior"):
            return Period(start=date(today.year - 1, 1, 1), end=date(today.year, 1, 1))
        if which == "next":
            return Period(start=date(today.year + 1, 1, 1), end=date(today.year + 2, 1, 1))
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
    days = q.days or spoken_days(q.text, today, future=future)
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


_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_RANGE_WORD = r"(?:to |through |thru |till |until |and )?(?:the )?"
# '1-15 October' (the dash is gone from the words: '1 15 october'), 'the 1st to the 15th of November',
# 'Nov 1st through the 15th', 'October 1 to 15'
_DAY_RANGES = (re.compile(rf" (?:the )?{_ORD} {_RANGE_WORD}{_ORD} (?:of )?{_MONTH_WORD}(?: (\d{{4}}))?(?= )"),
               re.compile(rf" {_MONTH_WORD} {_ORD} {_RANGE_WORD}{_ORD}(?: (\d{{4}}))?(?= )"))


def day_ranges(text: str, today: date, *, future: bool = False) -> list[tuple[int, int, Period]]:
    """Ranges of days within one month ('1-15 October', 'Nov 1st through the 15th'): (start, end, period)
    per range in the text, end inclusive in words and exclusive in the period."""
    out = []
    for number, pattern in enumerate(_DAY_RANGES):
        for m in pattern.finditer(text):
            first, last, month_text, year_text = ((m.group(1), m.group(2), m.group(3), m.group(4)) if number == 0
                                                  else (m.group(2), m.group(3), m.group(1), m.group(4)))
            month = _month_of(month_text)
            if month is None or int(first) >= int(last):
                continue
            year = int(year_text) if year_text else today.year
            try:
                start, end = date(year, month, int(first)), date(year, month, int(last)) + timedelta(days=1)
            except ValueError:
                continue
            if not year_text and not future and start > today:  # the latest such days up to today
                start, end = _year_back(start), _year_back(end)
            out.append((m.start(), m.end(), Period(start=start, end=end, week=start)))
    return sorted(out, key=lambda hit: hit[0])


def _since_month(q: Question, today: date) -> Period | None:
    """'since the start of October', 'since October started', 'since October': that month's first day to today."""
    hit = re.search(rf" (?:since|from) (?:the )?(?:(?:start|beginning) of )?{_MONTH_WORD}(?: (\d{{4}}))?"
                    r"(?: started| began| start| begun)?(?= )", q.text)
    if not hit or re.search(r" (?:to|until|till|through|thru) ", q.text[hit.end():]):
        return None
    month = _month_of(hit.group(1))
    if month is None:
        return None
    year = int(hit.group(2)) if hit.group(2) else (today.year if month <= today.month else today.year - 1)
    start = date(year, month, 1)
    return Period(start=start, end=today + timedelta(days=1), label=f"{start:%-d %b %Y} to date") \
        if start <= today else None


def _weekend_or_weekday(q: Question, today: date) -> Period | None:
    """'over the weekend' / 'last weekend': the latest Saturday and Sunday before today; 'last Friday',
    'on Tuesday': the latest such day before today."""
    if q.phrase("weekend", "the weekend", "last weekend", "this weekend", "past weekend"):
        sunday = today - timedelta(days=today.weekday() + 1)
        return Period(start=sunday - timedelta(days=1), end=sunday + timedelta(days=1), week=sunday)
    hit = re.search(r" (?:last|on|past|this past) (" + "|".join(WEEKDAYS) + ") ", q.text)
    if not hit:
        return None
    back = (today.weekday() - WEEKDAYS.index(hit.group(1))) % 7 or 7
    day = today - timedelta(days=back)
    return Period(start=day, end=day + timedelta(days=1), week=day)
