"""Render any tool result (a pydantic model) for a terminal: scalars as fields, lists as tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

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


def _table(title: str, rows: list[dict[str, Any]]) -> Table:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    table = Table(title=title.replace("_", " "), title_justify="left")
    for c in cols:
        numeric = all(isinstance(r.get(c), int | float) and not isinstance(r.get(c), bool)
                      for r in rows if r.get(c) is not None)
        table.add_column(c.replace("_", " "), justify="right" if numeric else "left", overflow="fold")
    for r in rows:
        table.add_row(*(fmt(c, r.get(c)) for c in cols))
    return table


def _cards(title: str, rows: list[dict[str, Any]]) -> RenderableType:
    """Wide items (long commands, many fields) as one key/value block each."""
    from rich.panel import Panel

    blocks: list[RenderableType] = [Text(title.replace("_", " "), style="bold")]
    for r in rows:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for k, v in r.items():
            if v not in (None, "", [], {}):
                grid.add_row(k.replace("_", " "), fmt(k, v))
        blocks.append(Panel(grid, expand=True))
    return Group(*blocks)


def _is_wide(rows: list[dict[str, Any]]) -> bool:
    cols = {k for r in rows for k in r}
    longest = max((len(str(v)) for r in rows for v in r.values()), default=0)
    return len(cols) > 8 or longest > 80


def render(result: BaseModel) -> RenderableType:
    data = result.model_dump(mode="python")
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    tables: list[RenderableType] = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append(_cards(key, value) if _is_wide(value) else _table(key, value))
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            tables.append(_table(key, [{"key": k, **v} for k, v in value.items()]))
        elif isinstance(value, list) and not value:
            fields.add_row(key.replace("_", " "), Text("none", style="dim"))
        else:
            fields.add_row(key.replace("_", " "), fmt(key, value))
    return Group(fields, *tables)
