"""Windows people name inside a month or a year, found in a question's canonical text: the first or last
N days or weeks of a month, its halves, its Nth week, a calendar year (so far), and from a day up to now
('from the 15th of November up to yesterday', 'since the 15th'). Each is a [start, end) pair of dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from agent.vocabulary import MONTHS, number_word
from tools.periods import next_month, prev_month

MONTH_WORD = "(" + "|".join([*MONTHS, "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep", "oct", "nov",
                              "dec"]) + ")"
_MONTH_ABBR = {m[:3]: i for i, m in enumerate(MONTHS, start=1)} | {"sept": 9}
ORDINAL_WEEKS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_YEAR = r"(?: (\d{4}))?"
# 'the first three weeks of October', 'first 10 days of Nov', 'the last week of October'
_FIRST_N = re.compile(rf" (?:the )?(first|last) (?:(\w+) )?(days?|weeks?|fortnights?) (?:of |in )?{MONTH_WORD}{_YEAR}"
                      r"(?= )")
# 'the second week of November' (days 8-14), 'the first half of October' (1-15), 'second half' (16 to the end)
_NTH_WEEK = re.compile(rf" (second|2nd|third|3rd|fourth|4th) week (?:of |in ){MONTH_WORD}{_YEAR}(?= )")
_HALF = re.compile(rf" (?:the )?(first|1st|second|2nd|last) half(?: (?:of |in ){MONTH_WORD}{_YEAR})?(?= )")
# 'calendar year 2026 so far', 'in 2026', '2026 to date', 'year 2026'
_YEAR_NAMED = re.compile(r" (?:(?:calendar |the )?year (\d{4})|(?:in|for|during) (\d{4})"
                         r"|(\d{4}) (?=so far |to date |ytd ))")
_UP_TO_NOW = r"(?:up )?(?:to|until|till|through|thru) (?:and including )?(?:yesterday|today|now|date|the present)"
# 'from the 15th of November up to yesterday', 'since the 15th', 'from Nov 15th to today'
_FROM_DAY = re.compile(rf" (?:since|from|starting|starting from) (?:the )?(?:(\d{{1,2}})(?:st|nd|rd|th)?(?: of)?"
                       rf"(?: {MONTH_WORD})?|{MONTH_WORD} (\d{{1,2}})(?:st|nd|rd|th)?)(?: ({_UP_TO_NOW}))?(?= )")


@dataclass(frozen=True)
class Window:
    """Where in the text a window was named, and its [start, end) dates."""

    at: int
    until: int
    start: date
    end: date
    label: str | None = None


def month_of(name: str) -> int | None:
    """The month number of a month's name or abbreviation ('sept' -> 9), else None."""
    if name in MONTHS:
        return MONTHS.index(name) + 1
    return _MONTH_ABBR.get(name)


def latest_year(month: int, year_text: str | None, today: date) -> int:
    """The year written, else the latest year in which that month has started by today."""
    if year_text:
        return int(year_text)
    return today.year if month <= today.month else today.year - 1


def _first_or_last(hit: re.Match[str], today: date) -> Window | None:
    month = month_of(hit.group(4))
    count = number_word(hit.group(2)) if hit.group(2) else 1
    if month is None or not count:
        return None
    first = date(latest_year(month, hit.group(5), today), month, 1)
    days = count * {"w": 7, "f": 14}.get(hit.group(3)[0], 1)
    if days > (next_month(first) - first).days:
        return None
    if hit.group(1) == "first":
        return Window(hit.start(), hit.end(), first, first + timedelta(days=days))
    return Window(hit.start(), hit.end(), next_month(first) - timedelta(days=days), next_month(first))


def month_windows(text: str, today: date) -> list[Window]:
    """Every window inside a month the text names, in the order named."""
    found = [w for w in (_first_or_last(h, today) for h in _FIRST_N.finditer(text)) if w is not None]
    for hit in _NTH_WEEK.finditer(text):
        month = month_of(hit.group(2))
        if month is not None:
            start = date(latest_year(month, hit.group(3), today), month, 1) + timedelta(
                days=7 * (ORDINAL_WEEKS[hit.group(1)] - 1))
            found.append(Window(hit.start(), hit.end(), start, start + timedelta(days=7)))
    halves = list(_HALF.finditer(text))
    named = next((h for h in halves if h.group(2)), None)  # 'the second half of October vs the first half'
    for hit in halves:
        said = hit if hit.group(2) else named
        month = month_of(said.group(2)) if said is not None else None
        if said is not None and month is not None:
            first = date(latest_year(month, said.group(3), today), month, 1)
            middle = first + timedelta(days=15)
            found.append(Window(hit.start(), hit.end(), *((first, middle) if hit.group(1) in ("first", "1st")
                                                         else (middle, next_month(first)))))
    return sorted(found, key=lambda w: w.at)


def named_year(text: str, today: date) -> Window | None:
    """A calendar year named by its number: the whole year, or up to today for the current one."""
    hit = _YEAR_NAMED.search(text)
    if hit is None:
        return None
    year = int(next(g for g in hit.groups() if g))
    if not today.year - 10 <= year <= today.year:  # a year of usage, not an amount ("for 2000 chats")
        return None
    start = date(year, 1, 1)
    if year < today.year:
        return Window(hit.start(), hit.end(), start, date(year + 1, 1, 1), label=str(year))
    return Window(hit.start(), hit.end(), start, today + timedelta(days=1), label=f"{year} to date")


def from_day_to_now(text: str, today: date) -> Window | None:
    """'from the 15th of November up to yesterday', 'since the 15th' (of this month, else the last one that
    had it): that day to today, or to yesterday inclusive when the question says so."""
    for hit in _FROM_DAY.finditer(text):
        day_text, month_text = (hit.group(1), hit.group(2)) if hit.group(1) else (hit.group(4), hit.group(3))
        if not hit.group(5) and (month_text or not re.search(r"the \d|\d(?:st|nd|rd|th)", hit.group(0))
                                 or re.match(r" (?:to|until|till|through|thru|and) ", text[hit.end():])):
            continue  # a day with its month and no 'up to now' ('since 1 Nov'), or a range: read elsewhere
        month = month_of(month_text) if month_text else None
        try:
            if month is not None:
                start = date(latest_year(month, None, today), month, int(day_text))
            else:
                this = today.replace(day=1)
                start = this.replace(day=int(day_text))
                if start > today:
                    start = prev_month(this).replace(day=int(day_text))
        except ValueError:
            continue
        if start > today:
            continue
        end = today if hit.group(5) and "yesterday" in hit.group(5) else today + timedelta(days=1)
        return Window(hit.start(), hit.end(), start, end) if end > start else None
    return None


SPOKEN_DAY = re.compile(rf"(?<= )(?:(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{MONTH_WORD}|{MONTH_WORD} "
                        r"(\d{1,2})(?:st|nd|rd|th)?)(?: (\d{4}))?(?= )")
NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?![\d/.-])")


def day_of(m: re.Match[str], today: date, *, future: bool) -> date | None:
    """The date of one SPOKEN_DAY match: the year written, else the latest (or, for the future, the next)."""
    day_text, month_text = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    month = month_of(month_text)
    if month is None:
        return None
    year = int(m.group(5)) if m.group(5) else today.year
    try:
        d = date(year, month, int(day_text))
        if not m.group(5) and not future and d > today:
            d = d.replace(year=year - 1)
        elif not m.group(5) and future and d < today:
            d = d.replace(year=year + 1)
    except ValueError:
        return None
    return d


def spoken_days(text: str, today: date, *, future: bool) -> list[date]:
    """'2 November', 'Nov 2nd', 'the 2nd of November 2026' in the canonical text."""
    return [d for m in SPOKEN_DAY.finditer(text) if (d := day_of(m, today, future=future)) is not None]


def numeric_dates(raw: str) -> list[tuple[re.Match[str], list[date]]]:
    """'03/10/2026' and the dates it may be: day/month with a UK hint or a first number over 12,
    month/day with a US hint or a second number over 12, else both readings (ambiguous)."""
    lowered = raw.lower()
    us = bool(re.search(r"\b(?:us[- ](?:format|dates?|style|order)|american)\b|mm/dd|month/day", lowered))
    uk = bool(re.search(r"\b(?:uk|british|european)\b|dd/mm|day/month", lowered))
    out = []
    for hit in NUMERIC_DATE.finditer(raw):
        a, b, year = int(hit.group(1)), int(hit.group(2)), int(hit.group(3))
        orders = [(b, a)] if (uk and not us) or a > 12 else [(a, b)] if us or b > 12 else [(b, a), (a, b)]
        found = []
        for month, day in orders:
            try:
                found.append(date(year, month, day))
            except ValueError:
                continue
        out.append((hit, found))
    return out
