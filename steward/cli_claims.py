"""`steward claims`: claim requests a FinOps Lead decides (the claim_requests / decide_claim_request tools).

    steward claims requests --as lead@example.com
    steward claims approve CR-0001 --rationale "lab runs Checkout's batch evals" --as lead@example.com
    steward claims reject CR-0002 --rationale "not a Checkout role" --as lead@example.com
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.errors import StewardError
from steward.store_access import store_for
from steward.cli_common import console, fail, settings_of

claims_app = typer.Typer(help="Claim requests: principals Product Owners asked to claim that need a FinOps Lead",
                         no_args_is_help=True)
Who = Annotated[str, typer.Option("--as", help="Who is asking (email in the registry)")]
Rationale = Annotated[str, typer.Option("--rationale", help="Why: kept with the request and in the audit log")]


def _call(ctx: typer.Context, who: str, tool: str, args: dict) -> None:
    from steward.render import render
    from steward.wiring import tool_context
    from tools import toolset

    s = settings_of(ctx)
    try:
        with store_for(s.db, create=False) as store:
            result = toolset.call(tool_context(s, store, who), tool, args)
    except StewardError as exc:
        raise fail(exc) from None
    console.print(render(result, tool))


@claims_app.command("requests")
def claims_requests(ctx: typer.Context, who: Who,
                    status: Annotated[str, typer.Option(help="open, closed or all")] = "open") -> None:
    """List claim requests (a Product Owner: their products' and their own; a FinOps Lead: all)."""
    _call(ctx, who, "claim_requests", {"status": status})


@claims_app.command("approve")
def claims_approve(ctx: typer.Context, request_id: Annotated[str, typer.Argument(help="e.g. CR-0001")],
                   rationale: Rationale, who: Who) -> None:
    """Approve a claim request: the principal is claimed for the product from the asked-for day."""
    _call(ctx, who, "decide_claim_request", {"request_id": request_id, "decision": "approve", "rationale": rationale})


@claims_app.command("reject")
def claims_reject(ctx: typer.Context, request_id: Annotated[str, typer.Argument(help="e.g. CR-0001")],
                  rationale: Rationale, who: Who) -> None:
    """Reject a claim request: nothing is claimed."""
    _call(ctx, who, "decide_claim_request", {"request_id": request_id, "decision": "reject", "rationale": rationale})


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `steward` app."""
    app.add_typer(claims_app, name="claims")
