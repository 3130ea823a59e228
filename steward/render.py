"""Render any tool result (a pydantic model) for a terminal: scalars as fields, lists as tables."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agent.render import RENDERERS, render_result
from tools.display import fmt


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


def render(result: BaseModel, tool: str | None = None) -> RenderableType:
    """The fields and tables of a result, under what it says in words (the agent's answer text)."""
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
    if tool is not None and tool in RENDERERS:
        return Group(Text(render_result(tool, result)), fields, *tables)
    return Group(fields, *tables)
