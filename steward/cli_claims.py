"""`steward claims`: claims by principal, profile or tag, and the claim requests a FinOps Lead decides
(the claim_principal, claim_profile_or_tag, claim_requests and decide_claim_request tools).

    steward claims add --tag bedrock:project=fraud --product "Fraud Scoring" --as lead@example.com
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

claims_app = typer.Typer(help="Claims by principal, profile or tag, and the claim requests a FinOps Lead decides",
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


@claims_app.command("add")
def claims_add(
    ctx: typer.Context, who: Who,
    product: Annotated[str, typer.Option(help="The product whose spend it is")],
    principal: Annotated[str, typer.Option(help="An IAM principal ARN")] = "",
    profile: Annotated[str, typer.Option(help="An application inference profile ARN")] = "",
    tag: Annotated[str, typer.Option(help="A cost-allocation resource tag, key=value")] = "",
    principal_tag: Annotated[str, typer.Option(help="An IAM principal tag, key=value")] = "",
    since: Annotated[str, typer.Option("--from", help="YYYY-MM-DD the spend counts from [default today]")] = "",
    note: Annotated[str, typer.Option(help="What it is")] = "",
    reason: Annotated[str, typer.Option(help="Why it is the product's (a request, a backdated claim)")] = "",
) -> None:
    """Claim one principal, profile or tag for a product (or open a claim request when it is not plainly yours)."""
    named = {k: v for k, v in {"principal": principal, "inference_profile": profile, "tag": tag,
                               "principal_tag": principal_tag}.items() if v}
    if len(named) != 1:
        raise typer.BadParameter("name exactly one of --principal, --profile, --tag or --principal-tag")
    (kind, value), = named.items()
    extra = {k: v for k, v in {"claimed_on": since, "note": note, "reason": reason}.items() if v}
    if kind == "principal":
        _call(ctx, who, "claim_principal", {"principal": value, "product": product, **extra})
    else:
        _call(ctx, who, "claim_profile_or_tag", {"kind": kind, "selector": value, "product": product, **extra})


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
