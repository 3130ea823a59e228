"""How a field of a tool result reads to a person: money, shares, ratios, token counts, dates.

Shared by the terminal and Slack renderings, so a figure reads the same in both.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

_MONEY_HINTS = ("usd", "cost", "saving", "spend")
_SHARE_HINTS = ("pct", "share", "rate", "change", "healthy", "threshold")
_RATIO_HINTS = ("_vs_", "multiple", "ratio")


def fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        k = key.lower()
        if any(h in k for h in _RATIO_HINTS):
            return f"{value:.2f}x"
        if any(h in k for h in _MONEY_HINTS):
            return f"${value:,.2f}"
        if any(h in k for h in _SHARE_HINTS) and isinstance(value, float) and abs(value) <= 50:
            return f"{value:.1%}"
        if isinstance(value, int) or value.is_integer() or ("tokens" in k and abs(value) >= 100):
            return f"{value:,.0f}"
        return f"{value:,.4g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(fmt(key, v) for v in value) if all(not isinstance(v, dict) for v in value) else f"{len(value)} item(s)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(k, v)}" for k, v in value.items())
    return str(value)
