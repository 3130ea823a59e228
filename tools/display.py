"""How figures read to a person: money, shares, ratios, token counts, days and months.

The one set of rules for every door: the agent's answers, Slack blocks, CLI tables and MCP text all
format through here, so a figure reads the same wherever it is shown.

- money: cents below $10,000 ($420.60), whole dollars from $10,000 ($14,236) and for whole amounts ($300);
- unit_money (a cost per unit): $0.041, $0.0012;
- share: whole percent (19%), one decimal below 10% when it matters (0.9%);
- ratio: one decimal and an x (2.4x); tokens: 1.2M, 340K, 950;
- day: 9 Nov (or 9 Nov 2026); month: November 2026.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from ledger.hidden_chars import escape_hidden, has_hidden
from ledger.months import MonthError, parse_month

NONE = "-"  # a missing figure in a table or a field list

_MONEY_HINTS = ("usd", "cost", "saving", "spend")
_SHARE_HINTS = ("pct", "share", "rate", "change", "healthy", "threshold")
_RATIO_HINTS = ("_vs_", "multiple", "ratio")


def safe(text: str) -> str:
    """Text from outside (the CUR, the org file, a person) as it may be shown: hidden characters escaped."""
    return escape_hidden(text)


def look_alike(text: str) -> bool:
    """Whether a name carries hidden characters (so it may pass for another one)."""
    return has_hidden(text)


def money(v: float | None, *, none: str = NONE) -> str:
    """$420.60, $300, $14,236, -$12.50."""
    if v is None:
        return none
    a = abs(v)
    sign = "-" if v < 0 and round(a, 2) else ""
    if a >= 10_000 or float(round(a, 2)).is_integer():
        return f"{sign}${a:,.0f}"
    return f"{sign}${a:,.2f}"


def unit_money(v: float | None, *, none: str = NONE) -> str:
    """A cost per unit: $0.041 (three decimals below $1, two significant figures below a cent: $0.0012),
    else as money ($1.25)."""
    if v is None:
        return none
    a = abs(v)
    if a >= 1 or a == 0:
        return money(v, none=none)
    decimals = max(3, 1 - math.floor(math.log10(a)))
    return f"{'-' if v < 0 else ''}${a:.{decimals}f}"


def share(fraction: float | None, *, none: str = NONE) -> str:
    """A fraction as a percent: 0.1923 -> 19%; 0.0086 -> 0.9%; 1.4 -> 140%."""
    if fraction is None:
        return none
    p = fraction * 100
    one_decimal = 0 < abs(p) < 10 and not float(round(p, 1)).is_integer()
    return f"{p:.1f}%" if one_decimal else f"{p:.0f}%"


def signed_share(fraction: float | None, *, none: str = NONE) -> str:
    """A change as a signed percent: +12%, -3.5%."""
    if fraction is None:
        return none
    text = share(fraction)
    return text if text.startswith("-") else "+" + text


def ratio(v: float | None, *, none: str = NONE) -> str:
    """2.4x."""
    return none if v is None else f"{v:.1f}x"


def tokens(v: float | None, *, none: str = NONE) -> str:
    """1.2B, 1.2M, 340K, 950."""
    if v is None:
        return none
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= scale:
            return f"{v / scale:.1f}".removesuffix(".0") + suffix
    return f"{v:,.0f}"


def day(d: date | str | None, *, year: bool = True, none: str = NONE) -> str:
    """9 Nov 2026 (or 9 Nov); an ISO date string is read first."""
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d[:10])
        except ValueError:
            return d
    if not isinstance(d, date):
        return none
    return f"{d.day} {d:%b %Y}" if year else f"{d.day} {d:%b}"


def month(m: date | str) -> str:
    """'2026-11' (or its first day) -> 'November 2026'; text that is not a month is shown as it is."""
    if isinstance(m, str):
        try:
            m = parse_month(m)
        except MonthError:
            return m
    return m.strftime("%B %Y")


def fmt(key: str, value: Any) -> str:
    """A field of a tool result, formatted by what its name says it holds (usd, share, tokens...)."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        k = key.lower()
        if any(h in k for h in _RATIO_HINTS):
            return ratio(value)
        if any(h in k for h in _MONEY_HINTS):
            return money(value)
        if any(h in k for h in _SHARE_HINTS) and isinstance(value, float) and abs(value) <= 50:
            return share(value)
        if "tokens" in k:
            return tokens(value)
        if isinstance(value, int) or value.is_integer():
            return f"{value:,.0f}"
        return f"{value:,.4g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return day(value)
    if isinstance(value, list):
        return ", ".join(fmt(key, v) for v in value) if all(not isinstance(v, dict) for v in value) else f"{len(value)} item(s)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(k, v)}" for k, v in value.items())
    return safe(str(value))
