"""The dates a question names (a day, a numeric date, a month, a weekday, a half year, 'the week before
last') held against the windows its answer covers: a date the reading did not consume is named, so an
answer for another period is never given as the answer asked for (issue 14)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from agent.named_weeks import DAYNAME, WEEKDAYS
from agent.period_windows import MONTH_WORD, SPOKEN_DAY, month_of, numeric_dates, spoken_days
from agent.vocabulary import number_word
from tools import toolset
from tools.periods import next_month, prev_month

if TYPE_CHECKING:
    from agent.question import Question

Window = tuple[date, date]
_MONTH_NAMED = re.compile(rf"(?<= ){MONTH_WORD}(?: (\d{{4}}))?(?= )")
_HALF_YEAR = re.compile(r" (h[12])(?: (\d{4}))? ")
# 'the week after 2 November', 'the 10 days before 15 Nov', 'a fortnight ending Sunday 8 Nov': a length at a day
_LENGTH_AT_DAY = re.compile(r" (?:the |a )?(?:(\w+) )?(day|days|week|weeks|fortnight|fortnights) (?:after|before|"
                            r"ending|ended|starting|beginning|commencing|from|of|to|up to|until|since) (?:on )?"
                            rf"{DAYNAME}(?:the )?")
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}
# 'the 3rd', 'from the 3rd to the 9th', 'the 2nd week': a day of a month by its ordinal, or an ordinal unit
_ORDINAL = re.compile(r"(?<= )(\d{1,2})(?:st|nd|rd|th)(?: (week|weeks|half|quarter|fortnight|month|day|days))?(?= )")
_OF_MONTH = re.compile(rf" (?:of|in) (?:the )?{MONTH_WORD}(?= )")
_WEEK_NUMBER = re.compile(r" (?:week|wk|cw) (\d{1,2}) ")


class Call(Protocol):
    """A tool call (a plan's step or an answer's fact): its tool and arguments."""

    tool: str
    args: dict[str, Any]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def call_windows(call: Call, today: date) -> list[Window]:
    """The windows a call covers: its two compared windows, its start and end, its month, else this month."""
    a = call.args
    try:
        if a.get("first_start"):
            return [(_day(a["first_start"]), _day(a["first_end"])), (_day(a["second_start"]), _day(a["second_end"]))]
        if a.get("start") and a.get("end"):
            return [(_day(a["start"]), _day(a["end"]))]
        first = _day(f"{a['month']}-01") if a.get("month") else today.replace(day=1)
    except (KeyError, TypeError, ValueError):
        return []
    tool = toolset.get(call.tool)
    takes_period = tool is not None and {"month", "start"} & set(tool.args_model.model_fields)
    return [(first, next_month(first))] if takes_period else []


def unread_dates(q: Question, windows: list[Window]) -> list[str]:
    """The date words of the question that no window covers, each as the words said."""
    if not windows:
        return []
    today, text = q.ctx.today, q.text
    inside = lambda d: any(s <= d < e for s, e in windows)  # noqa: E731
    out = [f"the date {d:%-d %b %Y}" for d in [*q.days, *spoken_days(text, today, future=False)] if not inside(d)]
    out += [f"the date {hit.group(0)} (day/month or month/day? say 'UK dates' or 'US dates')"
            if len(dates) > 1 else f"the date {hit.group(0)}"  # an order not known is never read
            for hit, dates in numeric_dates(q.raw) if dates and (len(dates) > 1 or not inside(dates[0]))]
    for hit in _MONTH_NAMED.finditer(text):
        month = month_of(hit.group(1))
        if month is None or (hit.group(1) == "may" and not hit.group(2)):
            continue
        years = [int(hit.group(2))] if hit.group(2) else [today.year, today.year - 1, today.year + 1]
        if not any(s < next_month(date(y, month, 1)) and date(y, month, 1) < e for y in years for s, e in windows):
            out.append(f"the month {hit.group(0).strip().title()}")
    for name in dict.fromkeys(w for w in q.words if w in WEEKDAYS):
        number = WEEKDAYS.index(name)  # it starts or ends a window of days or whole weeks ('fortnight ending Sunday')
        if not any((s.weekday() == number or (e - timedelta(days=1)).weekday() == number)
                   and ((e - s).days <= 14 or (e - s).days % 7 == 0) for s, e in windows):
            out.append(f"the day {name.title()}")
    for hit in _HALF_YEAR.finditer(text):
        first = 1 if hit.group(1) == "h1" else 7
        if not any(s.month == first and s.day == 1 for s, _ in windows):
            out.append(f"the half year {hit.group(1).upper()}")
    out += _before_last(q, windows, today) + _lengths(q, windows) + _ordinals(q.text, windows)
    return list(dict.fromkeys(out))


def _before_last(q: Question, windows: list[Window], today: date) -> list[str]:
    """'the week/month before last': some window must end where last week / last month starts."""
    out = []
    for unit in re.findall(r" (week|month) before last ", q.text):
        if unit == "week":
            last_start = today - timedelta(days=today.weekday() + 7)
        else:
            last_start = prev_month(today.replace(day=1))
        if not any(e == last_start for _, e in windows):
            out.append(f"the {unit} before last")
    return out


def _lengths(q: Question, windows: list[Window]) -> list[str]:
    """'the week after 2 November', 'the 10 days before 15 Nov': some window must be that long."""
    out = []
    for hit in _LENGTH_AT_DAY.finditer(q.text):
        unit = hit.group(2).rstrip("s")
        count = number_word(hit.group(1)) if hit.group(1) else None
        day = SPOKEN_DAY.match(q.text, hit.end())
        if day is None or (count is None and hit.group(2).endswith("s")):
            continue  # no day named after it, or a length not said ('the days since 1 Nov')
        if not any((e - s).days == (count or 1) * _UNIT_DAYS[unit] for s, e in windows):
            out.append(f"'{(hit.group(0) + day.group(0)).strip()}'")
    return out


def _ordinals(text: str, windows: list[Window]) -> list[str]:
    """A day by its ordinal ('the 3rd') must start or end a window; an ordinal week or half with no month
    after it ('the 2nd week') and a week number ('week 45') are not read at all."""
    out = [f"week {hit.group(1)} (week numbers are not read)" for hit in _WEEK_NUMBER.finditer(text)]
    for hit in _ORDINAL.finditer(text):
        if hit.group(2):
            if not _OF_MONTH.match(text, hit.end()):  # 'the 2nd week of November' is read as a window
                out.append(f"'the {hit.group(0)}'")
        elif not hit.group(2) and not any(int(hit.group(1)) in (s.day, (e - timedelta(days=1)).day)
                                          for s, e in windows):
            out.append(f"the {hit.group(0)}")
    return out


def unread_in_calls(q: Question, calls: list[Call]) -> list[str]:
    """The question's date words that none of these calls' windows covers (nothing when no call takes one)."""
    windows = [w for c in calls for w in call_windows(c, q.ctx.today)]
    return [f"{said} (the figures cover another period)" for said in unread_dates(q, windows)]
