"""`steward tools`: list the governance tools and call one as a person, with the scope it has everywhere.

    steward tools list --as priya@example.com
    steward tools call estimate_status product="Checkout Service" --as maria@example.com
"""

from __future__ import annotations

import types
from typing import Annotated, Optional

import typer
from rich.table import Table

from ledger.errors import StewardError
from steward.cli_common import console, fail, settings_of
from steward.store_access import store_for

tools_app = typer.Typer(no_args_is_help=True, help="The governance tools, scoped to who is asking.")


def _takes_text(annotation: object) -> bool:
    """A field typed str (or str | None): its value is text as typed, never read as JSON."""
    import typing

    return annotation is str or (typing.get_origin(annotation) in (typing.Union, types.UnionType)
                                 and str in typing.get_args(annotation))


def _parse_kv(pairs: list[str], tool_name: str | None = None) -> dict:
    """key=value pairs; a value is read as JSON (numbers, lists, true) unless the tool's argument is
    text: a 12-digit account id stays the string it is."""
    import json

    from tools import toolset

    tool = toolset.get(tool_name) if tool_name else None
    fields = tool.args_model.model_fields if tool else {}
    out: dict = {}
    for pair in pairs:
        if "=" not in pair:
            raise typer.BadParameter(f"'{pair}' is not key=value")
        key, value = pair.split("=", 1)
        if key in fields and _takes_text(fields[key].annotation):
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


AsOption = Annotated[str, typer.Option("--as", help="Who is asking (email in the registry)")]


@tools_app.command("list")
def tools_list(ctx: typer.Context, who: Annotated[Optional[str], typer.Option("--as", help="Only the tools this person may call")] = None) -> None:
    """List the tools (all, or those a person may call) with their action scope."""
    from steward.wiring import tool_context
    from tools import toolset

    s = settings_of(ctx)
    if who:
        try:
            with store_for(s.db, create=False) as store:
                available = toolset.tools_for(tool_context(s, store, who))
        except StewardError as exc:
            raise fail(exc) from None
    else:
        available = toolset.all_tools()
    table = Table(title="Tools", title_justify="left")
    for col in ("name", "action", "personas", "description"):
        table.add_column(col, overflow="fold")
    for t in sorted(available, key=lambda t: (t.action, t.name)):
        table.add_row(t.name, t.action, ", ".join(sorted(t.personas)), t.description.splitlines()[0])
    console.print(table)


@tools_app.command("call")
def tools_call(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Tool name (see `steward tools list`)")],
    args: Annotated[Optional[list[str]], typer.Argument(help="Arguments as key=value (values may be JSON)")] = None,
    who: AsOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Call a tool as a person; their scope applies exactly as in Slack, MCP and the agent."""
    from steward.render import render
    from steward.wiring import tool_context
    from tools import toolset

    s = settings_of(ctx)
    if not who:
        raise typer.BadParameter("say who is asking: --as EMAIL")
    try:
        with store_for(s.db, create=False) as store:
            result = toolset.call(tool_context(s, store, who), name, _parse_kv(args or [], name))
    except StewardError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        console.print(render(result, name))


def register(app: typer.Typer) -> None:
    app.add_typer(tools_app, name="tools")
