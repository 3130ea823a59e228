"""Helpers shared by the CLI modules: consoles, settings from the context, error exit."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

from ledger.errors import StewardError
from steward.settings import Settings, load_settings

console = Console()
err = Console(stderr=True)


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2026-11-23") from None


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj if isinstance(ctx.obj, Settings) else load_settings()


def fail(exc: StewardError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def warn(message: str) -> None:
    """A plain message on stderr (stdout may carry a protocol, e.g. MCP over stdio)."""
    err.print(message, markup=False, highlight=False, soft_wrap=True)
