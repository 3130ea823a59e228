"""Two periods a question compares: 'compare October and November', 'Q2 vs Q3', 'this month against
last month', 'this month vs the same period last year'. Earlier period first."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from agent.named_weeks import last_days, named_windows
from agent.period_windows import month_windows
from agent.spoken_periods import (
    _MONTH_WORD,
    day_ranges,
    QUARTER_PATTERN,
    QUARTER_WORDS,
    YEAR_AGO_PHRASES,
    Period,
    _month_of,
    quarter_period,
    read_period,
    without_phrases,
)
from agent.vocabulary import ISO_MONTH_PATTERN
from tools.periods import prev_month

if TYPE_CHECKING:
    from agent.question import Question

MAX_PERIODS = 3  # 'September vs October vs November': each next to the one before
COMPARE_WORDS = {"compare", "compared", "comparing", "comparison", "vs", "versus"}
# 'September against October', 'cheaper in October than in September': a comparison when two periods are named
TWO_PERIOD_CUES = {"against", "than"}
# 'has spend gone up from September to October': a change between two periods named is a comparison
CHANGE_WORDS = {"increase", "increased", "increasing", "decrease", "decreased", "decreasing", "grow", "grew", "grown",
                "growing", "growth", "rise", "rose", "risen", "rising", "fell", "fallen", "falling", "dropped",
                "change", "changed", "changes"}
CHANGE_PHRASES = ("gone up", "went up", "go up", "gone down", "went down", "go down", "stack up", "stacks up")
_RELATIVE = re.compile(r" (this|current|last|previous|prior) (month|quarter) ")
_MONTH_MENTION = re.compile(rf"(?<= ){_MONTH_WORD}(?: (\d{{4}}))?(?= )")


def read_comparison(q: Question, today: date) -> tuple[Period, Period] | None:
    """The two periods compared, or None when the question compares no two periods."""
    periods = compared_periods(q, today)
    return (periods[0], periods[1]) if periods else None


def compared_periods(q: Question, today: date) -> list[Period]:
    """The periods compared, earliest first: two, or three ('September vs October vs November so far');
    none when the question compares no two periods."""
    if q.phrase(*YEAR_AGO_PHRASES) and (q.has(COMPARE_WORDS) or q.phrase("against", "than", "to")):
        base = read_period(without_phrases(q, YEAR_AGO_PHRASES), today, future=False)
        return [base.a_year_earlier(today), base]
    if not (q.has(COMPARE_WORDS, TWO_PERIOD_CUES, CHANGE_WORDS) or q.phrase(*CHANGE_PHRASES)
            or q.phrase("against last month", "than last month", "to last month")):
        return []
    mentions = sorted(_mentions(q, today), key=lambda m: m[0])
    periods: list[Period] = []
    for _, period in mentions:  # a window said twice ('first week of November (1st-7th)') is one period
        if all(period.bounds(today) != p.bounds(today) for p in periods):
            periods.append(period)
    if len(periods) < 2:
        return []
    if len(periods) > 2 and not (q.has(COMPARE_WORDS) and len(periods) <= MAX_PERIODS):
        periods = periods[:2]  # a third period only in a comparison said as one ('A vs B vs C')
    return sorted(periods, key=lambda p: p.bounds(today)[0])


def _mentions(q: Question, today: date) -> list[tuple[int, Period]]:
    """Every month, quarter and relative month/quarter the text names, with its position."""
    text = q.text
    spans = day_ranges(text, today)
    spans += _weeks(text, today, [(s, e) for s, e, _ in spans])
    found: list[tuple[int, Period]] = [(start, period) for start, _, period in spans]
    taken = [(s, e) for s, e, _ in spans]  # a month inside a range of days or a week is not a period of its own
    for hit in _MONTH_MENTION.finditer(text):
        month = _month_of(hit.group(1))
        if month is None or hit.group(1) == "may" or any(s <= hit.start() < e for s, e in taken):
            continue
        year = int(hit.group(2)) if hit.group(2) else (today.year if month <= today.month else today.year - 1)
        found.append((hit.start(), Period(month=f"{year:04d}-{month:02d}")))
    for hit in ISO_MONTH_PATTERN.finditer(q.raw):
        if 1 <= int(hit.group(2)) <= 12:  # raw positions: after any word mention, order kept among ISO months
            found.append((len(text) + hit.start(), Period(month=f"{hit.group(1)}-{hit.group(2)}")))
    for hit in QUARTER_PATTERN.finditer(text):
        number = int(hit.group(1)) if hit.group(1) else QUARTER_WORDS[hit.group(2)]
        found.append((hit.start(), quarter_period(number, int(hit.group(3)) if hit.group(3) else None, today)))
    for hit in _RELATIVE.finditer(text):
        found.append((hit.start(), _relative(hit.group(1), hit.group(2), today)))
    before = re.search(r" (?:the )?month (?:before|prior)(?: it| that| last| this)? ", text)
    if before and len(found) == 1 and found[0][1].month:  # 'last month versus the month before it'
        month = prev_month(date.fromisoformat(f"{found[0][1].month}-01"))
        found.append((before.start(), Period(month=f"{month:%Y-%m}")))
    return found


def _relative(which: str, unit: str, today: date) -> Period:
    this_month = today.replace(day=1)
    if unit == "month":
        month = this_month if which in ("this", "current") else prev_month(this_month)
        return Period(month=f"{month:%Y-%m}")
    number = (today.month - 1) // 3 + 1
    if which in ("this", "current"):
        return quarter_period(number, today.year, today)
    return quarter_period(number - 1 or 4, today.year - (number == 1), today)


def _weeks(text: str, today: date, taken: list[tuple[int, int]]) -> list[tuple[int, int, Period]]:
    """Windows inside a month ('the first week of November', 'the first 10 days of October', 'the first
    half of Nov'), weeks ('last week' / 'this week', Mon-Sun), and 'the week before' (the week before the
    other week named, else before this one)."""
    found: list[tuple[int, int, Period]] = [
        (w.at, w.until, Period(start=w.start, end=w.end, label=w.label,
                               week=w.start if (w.end - w.start).days <= 7 else None))
        for w in [*month_windows(text, today), *named_windows(text, today), *last_days(text, today)]]
    monday = today - timedelta(days=today.weekday())
    named = [(s, e) for s, e, _ in found]
    for hit in re.finditer(r" (this|last|previous|prior) week ", text):
        if any(s <= hit.start() < e for s, e in named):
            continue  # 'Monday last week', 'the week before last': read as a whole above
        start = monday if hit.group(1) == "this" else monday - timedelta(days=7)
        found.append((hit.start(), hit.end(), Period(start=start, end=start + timedelta(days=7), week=start)))
    before = re.search(r" (?:the )?week before(?: that)? ", text)
    if before and len(found) <= 1:
        ref = found[0][2].start if found and found[0][2].start else monday
        found.append((before.start(), before.end(),
                      Period(start=ref - timedelta(days=7), end=ref, week=ref - timedelta(days=7))))
    return [hit for hit in found if not any(s <= hit[0] < e for s, e in taken)]
