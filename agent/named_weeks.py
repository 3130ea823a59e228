"""Weeks, days and halves people name by a day or by their neighbours, found in a question's canonical
text: 'the week of 2 November' (the Mon-Sun week containing it) or 'the week starting 2 Nov' (seven days
from it), 'the fortnight ending Sunday 8 November', 'Monday last week', 'the week before last', 'H2 (so
far)', 'the last 7 days' (inside a comparison). Each is a Window: where it was named and its [start, end)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.period_windows import SPOKEN_DAY, Window, day_of
from agent.vocabulary import number_word

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAYNAME = "(?:(?:" + "|".join(WEEKDAYS) + ") )?"
_WEEK_OF = re.compile(rf" (?:the )?week (of|starting|beginning|commencing|from) (?:on )?{DAYNAME}(?:the )?")
_ENDING = re.compile(r" (?:the )?(?:(week|fortnight) (?:ending|ended|up to|to)|(\w+) (days|weeks) "
                     rf"(?:ending|ended|up to)) (?:on )?{DAYNAME}(?:the )?")
_WEEKDAY_OF_WEEK = re.compile(rf" ({'|'.join(WEEKDAYS)}) (?:of )?(last|this|previous|prior) week ")
_BEFORE_LAST = re.compile(r" (?:the )?(week|month) before last ")
_HALF_YEAR = re.compile(r" (h[12])(?: of)?(?: (\d{4}))?(?: (so far|to date))? ")
_ORDINAL_BEFORE = re.compile(r" (?:first|second|third|fourth|fifth|last|final|1st|2nd|3rd|4th|5th|\d+) $")
_LAST_DAYS = re.compile(r" (?:the )?(?:last|past|previous) (\w+) days? ")


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def weeks_of_days(text: str, today: date) -> list[Window]:
    """'the week of 2 November': the Mon-Sun week containing that day; 'the week starting 2 Nov': seven
    days from it. 'the fortnight ending Sunday 8 November', 'the week ending 8 Nov': the days up to it."""
    found = []
    for hit in _WEEK_OF.finditer(text):
        if _ORDINAL_BEFORE.search(text, 0, hit.start() + 1):
            continue  # 'the first week of November (1st-7th)': a week inside a month, read elsewhere
        m = SPOKEN_DAY.match(text, hit.end())
        day = day_of(m, today, future=False) if m else None
        if m is None or day is None:
            continue
        if hit.group(1) == "of":
            start = day - timedelta(days=day.weekday())
            label = f"the week of {day.day} {day:%b} (Mon-Sun, {_day(start)} to {_day(start + timedelta(days=6))})"
        else:
            start = day
            label = f"the 7 days from {_day(start)} to {_day(start + timedelta(days=6))}"
        found.append(Window(hit.start(), m.end(), start, start + timedelta(days=7), label=label))
    for hit in _ENDING.finditer(text):
        m = SPOKEN_DAY.match(text, hit.end())
        last = day_of(m, today, future=False) if m else None
        count = {"week": 7, "fortnight": 14}.get(hit.group(1) or "") or (
            (number_word(hit.group(2)) or 0) * (7 if hit.group(3) == "weeks" else 1))
        if m is None or last is None or not count:
            continue
        start = last - timedelta(days=count - 1)
        found.append(Window(hit.start(), m.end(), start, last + timedelta(days=1),
                            label=f"the {count} days {_day(start)} to {_day(last)}"))
    return found


def weeks_around(text: str, today: date) -> list[Window]:
    """'Monday last week' (that day of the Mon-Sun week named), 'the week / month before last'."""
    monday = today - timedelta(days=today.weekday())
    found = []
    for hit in _WEEKDAY_OF_WEEK.finditer(text):
        week = monday if hit.group(2) == "this" else monday - timedelta(days=7)
        day = week + timedelta(days=WEEKDAYS.index(hit.group(1)))
        found.append(Window(hit.start(), hit.end(), day, day + timedelta(days=1), label=_day(day)))
    for hit in _BEFORE_LAST.finditer(text):
        if hit.group(1) == "week":
            start = monday - timedelta(days=14)
            found.append(Window(hit.start(), hit.end(), start, start + timedelta(days=7),
                                label=f"the week before last ({_day(start)} to {_day(start + timedelta(days=6))})"))
        else:
            end = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
            start = (end - timedelta(days=1)).replace(day=1)
            found.append(Window(hit.start(), hit.end(), start, end, label=f"{start:%B %Y} (the month before last)"))
    return found


def half_years(text: str, today: date) -> list[Window]:
    """'H1', 'H2 2026', 'H2 so far': January-June or July-December; without a year, the latest that has
    started (to date when it is the current one)."""
    found = []
    for hit in _HALF_YEAR.finditer(text):
        first = 1 if hit.group(1) == "h1" else 7
        year = int(hit.group(2)) if hit.group(2) else today.year if date(today.year, first, 1) <= today \
            else today.year - 1
        start = date(year, first, 1)
        end = date(year, 7, 1) if first == 1 else date(year + 1, 1, 1)
        current = start <= today < end
        found.append(Window(hit.start(), hit.end(), start, today + timedelta(days=1) if current else end,
                            label=f"{hit.group(1).upper()} {year}" + (" to date" if current else "")))
    return found


def last_days(text: str, today: date) -> list[Window]:
    """'the last 7 days', 'past 30 days': that many whole days before today."""
    found = []
    for hit in _LAST_DAYS.finditer(text):
        count = number_word(hit.group(1))
        if count:
            found.append(Window(hit.start(), hit.end(), today - timedelta(days=count), today))
    return found


def named_windows(text: str, today: date) -> list[Window]:
    """Every such window the text names, in the order named."""
    return sorted([*weeks_of_days(text, today), *weeks_around(text, today), *half_years(text, today)],
                  key=lambda w: w.at)
