"""`steward mcp`, `steward tokens` (the MCP issue).

    steward mcp --as maria@example.com                      # stdio server (IDE config runs this)
    steward mcp grant maria@example.com --scope write --rationale "..." --as lead@example.com
    steward mcp revoke maria@example.com --scope write --as lead@example.com
    steward mcp grants
    steward mcp serve-http --host 127.0.0.1 --port 8765     # streamable HTTP alone (no Slack)
    steward tokens create --for maria@example.com --label laptop
    steward tokens list | steward tokens revoke 1a2b3c4d
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ledger.errors import StewardError
from ledger.store import Store
from steward.cli_common import console, err, fail, settings_of, warn
from steward.store_access import own_or_join, own_store, store_for
from steward.wiring import email_contexts, started_agent_config

mcp_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                      help="The MCP server for IDE agents, and its default-deny action scopes.")
tokens_app = typer.Typer(no_args_is_help=True, help="Bearer tokens for MCP over HTTP (one person each).")

Scope = Annotated[str, typer.Option("--scope", help="write (write tools) or agentic (agentic tools)")]
Lead = Annotated[str, typer.Option("--as", help="The FinOps Lead deciding (email in the registry)")]


def _release(store: Store, owner) -> None:  # noqa: ANN001 - a StoreOwner or None
    """Stop serving other processes (their open transactions roll back), then close the store."""
    if owner is not None:
        owner.stop()
    store.close()


@mcp_app.callback()
def mcp_main(
    ctx: typer.Context,
    who: Annotated[Optional[str], typer.Option(
        "--as", envvar="STEWARD_MCP_AS",
        help="Who the stdio server acts for (email in the registry) [env STEWARD_MCP_AS]")] = None,
) -> None:
    """Run the MCP server over stdio for one person (an IDE starts this); or see the commands."""
    if ctx.invoked_subcommand is not None:
        return
    if not who:
        err.print("say who the MCP server acts for: steward mcp --as EMAIL (or env STEWARD_MCP_AS)")
        raise typer.Exit(code=2)
    from mcp_server.changes import run_stdio
    from mcp_server.server import build_server
    from tools.caller import resolve_caller

    s = settings_of(ctx)
    # The first MCP server on a store owns it; a second IDE's server bridges to the owner.
    try:
        store, owner = own_or_join(s.db)
    except StewardError as exc:
        raise fail(exc) from None
    try:
        resolve_caller(store, who)  # refuse at start, not on the first request
        server = build_server(store, email_contexts(s, "mcp"), email=who, agent_config=started_agent_config(s, warn))
    except StewardError as exc:
        _release(store, owner)
        raise fail(exc) from None
    try:  # stdout carries the protocol: nothing else may be printed there
        run_stdio(server)
    finally:
        _release(store, owner)


@mcp_app.command("grant")
def mcp_grant(ctx: typer.Context, email: Annotated[str, typer.Argument(help="Who gets the scope")],
              scope: Scope, rationale: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
              lead: Lead) -> None:
    """Grant a person an MCP action scope (FinOps Lead only; audited; revocable)."""
    from mcp_server import grants

    s = settings_of(ctx)
    try:
        with store_for(s.db, create=False) as store:
            result = grants.grant(store, email=email, scope=scope, rationale=rationale, by=lead)
    except StewardError as exc:
        raise fail(exc) from None
    console.print(result.message)


@mcp_app.command("revoke")
def mcp_revoke(ctx: typer.Context, email: Annotated[str, typer.Argument(help="Whose scope to withdraw")],
               scope: Scope, lead: Lead,
               why: Annotated[Optional[str], typer.Option(help="Why (kept in the audit log)")] = None) -> None:
    """Withdraw a person's MCP action scope (FinOps Lead only; audited)."""
    from mcp_server import grants

    s = settings_of(ctx)
    try:
        with store_for(s.db, create=False) as store:
            result = grants.revoke(store, email=email, scope=scope, by=lead, why=why)
    except StewardError as exc:
        raise fail(exc) from None
    console.print(result.message)


@mcp_app.command("grants")
def mcp_grants(ctx: typer.Context,
               include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked grants")] = False) -> None:
    """List MCP action-scope grants."""
    from ledger import access

    s = settings_of(ctx)
    with store_for(s.db, create=False) as store:
        rows = access.grants(store, include_revoked=include_revoked)
    table = Table(title="MCP action-scope grants", title_justify="left")
    for col in ("email", "scope", "granted by", "granted at", "rationale", "revoked"):
        table.add_column(col, no_wrap=col in ("email", "scope"), overflow="fold")
    for g in rows:
        table.add_row(g.email, g.scope, g.granted_by, f"{g.granted_at:%Y-%m-%d %H:%M}", g.rationale,
                      f"{g.revoked_at:%Y-%m-%d %H:%M} by {g.revoked_by}" if g.revoked_at else "")
    console.print(table)


@mcp_app.command("serve-http")
def mcp_serve_http(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port, printed)")] = 8765,
    public_url: Annotated[Optional[str], typer.Option(help="The endpoint's external URL behind a reverse "
                                                           "proxy, e.g. https://steward.example.com/mcp "
                                                           "[env STEWARD_PUBLIC_URL]")] = None,
    cache_seconds: Annotated[float, typer.Option(help="Reuse a read result this long while the store is "
                                                      "unchanged (0: off)")] = 300.0,
) -> None:
    """Serve MCP over streamable HTTP at /mcp (bearer tokens: `steward tokens create`).
    `steward serve` hosts the same endpoint next to Slack; run one or the other."""
    from mcp_server.http import build_http_app, serve

    s = settings_of(ctx)
    try:
        store, owner = own_store(s.db)
    except StewardError as exc:
        raise fail(exc) from None
    try:
        app = build_http_app(store, email_contexts(s, "mcp"), agent_config=started_agent_config(s, warn), host=host,
                             public_url=public_url or s.mcp.public_url, result_cache_ttl=cache_seconds)
        serve(app, host=host, port=port)
    finally:
        _release(store, owner)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--for", help="The person the token speaks for")],
    label: Annotated[Optional[str], typer.Option(help="What the token is for, e.g. 'maria laptop'")] = None,
    who: Annotated[Optional[str], typer.Option("--as", help="Who creates it (audit log) [default: operator]")] = None,
) -> None:
    """Create a bearer token for MCP over HTTP. It is printed once; only its hash is stored."""
    from mcp_server.auth import create_token
    from tools.caller import authorise

    s = settings_of(ctx)
    try:
        with store_for(s.db, create=False) as store:
            actor = who or s.operator()
            authorise(store, actor, action="create a token for someone else", for_email=email)
            issued = create_token(store, email=email, label=label, created_by=actor)
    except StewardError as exc:
        raise fail(exc) from None
    typer.echo(issued.token)
    err.print(f"token {issued.token_id} for {issued.email}: shown once, keep it secret; "
              f"revoke with `steward tokens revoke {issued.token_id}`")


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(help="The token's id (from `steward tokens list`), a prefix, or the token")],
    who: Annotated[Optional[str], typer.Option("--as", help="Who revokes it: its owner, or a FinOps Lead "
                                                              "[default: operator]")] = None,
) -> None:
    """Revoke a bearer token (your own, or anyone's as a FinOps Lead); requests with it get 401 from then on."""
    from mcp_server.auth import revoke_token

    s = settings_of(ctx)
    try:
        with store_for(s.db, create=False) as store:
            row = revoke_token(store, token, by=who or s.operator())
    except StewardError as exc:
        raise fail(exc) from None
    console.print(f"revoked token {row.token_id} ({row.email}{', ' + row.label if row.label else ''})")


@tokens_app.command("list")
def tokens_list(ctx: typer.Context,
                include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens")] = False) -> None:
    """List bearer tokens (ids and owners; the tokens themselves are not stored)."""
    from ledger import access

    s = settings_of(ctx)
    with store_for(s.db, create=False) as store:
        store.ensure_schema()
        rows = access.tokens(store, include_revoked=include_revoked)
    table = Table(title="MCP bearer tokens", title_justify="left")
    for col in ("id", "person", "label", "created", "by", "revoked"):
        table.add_column(col, no_wrap=col in ("id", "person"), overflow="fold")
    for t in rows:
        table.add_row(t.token_id, t.email, t.label or "", f"{t.created_at:%Y-%m-%d %H:%M}", t.created_by,
                      f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `steward` app."""
    app.add_typer(mcp_app, name="mcp")
    app.add_typer(tokens_app, name="tokens")
