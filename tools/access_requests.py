"""Model access requests: a Product Owner asks for a model; a FinOps Lead reads the open requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ledger.principals import account_of
from ledger.store import Store
from tools import iam_policy as iam
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.scope import owned_product
from tools.write_checks import (
    FINOPS_LEAD,
    PRODUCT_OWNER,
    catalog_state,
    check_accounts,
    check_regions,
    not_blank,
)


class AccessRequestArgs(BaseModel):
    product: str | None = Field(None, description="Your product; default: your only product.")
    model_id: str = Field(min_length=1, description="Bedrock model id, e.g. anthropic.claude-sonnet-4-6.")
    accounts: list[str] = Field(default_factory=list, description="AWS account ids where you need it; "
                                "default: the accounts of your product's claimed principals.")
    regions: list[str] = Field(default_factory=list, description="Regions, e.g. us-east-1; empty = any region.")
    reason: str = Field(description="Why the product needs this model (the FinOps Lead decides on it).")

    _v_reason = field_validator("reason")(not_blank)


class AccessRequested(BaseModel):
    subject: str
    request_id: str
    status: str
    product: str
    model_id: str
    accounts: list[str]
    regions: list[str]
    current_state: str = Field(description="The model's catalog state now: approved, restricted, blocked or unreviewed.")
    message: str


def _covers(store: Store, model_id: str, product: str, accounts: list[str], regions: list[str]) -> bool:
    entry = next((e for e in iam.catalog(store) if e.id == model_id), None)
    if entry is None or not accounts:
        return False
    regions_ok = not entry.regions or (bool(regions) and set(regions) <= set(entry.regions))
    return regions_ok and all(iam.allowed_for(entry, a, product) for a in accounts)


@tool(name="request_model_access", personas=PRODUCT_OWNER, action="write", family="catalog")
def request_model_access(ctx: ToolContext, args: AccessRequestArgs) -> AccessRequested:
    """Ask the FinOps Lead to approve a Bedrock model for your product, with the reason.

    Ask the FinOps Lead to approve a Bedrock model for your product (in given accounts and regions),
    with the reason. Creates an open access request; the FinOps Lead sees it in access_requests and
    decides with decide_model. One open request per product and model."""
    product = owned_product(ctx, args.product)
    model_id = args.model_id.strip()
    accounts = check_accounts(ctx.store, args.accounts)
    if not accounts:
        accounts = sorted({a for (p,) in ctx.store.rows("SELECT principal FROM claims WHERE product = ?",
                                                        [product]) if (a := account_of(p))})
    regions = check_regions(args.regions)
    dup = ctx.store.scalar("SELECT request_id FROM access_requests WHERE product = ? AND model_id = ? "
                           "AND status = 'open'", [product, model_id])
    if dup:
        raise ToolError(f"{dup} already asks for {model_id} for {product} and is still open")
    if _covers(ctx.store, model_id, product, accounts, regions):
        raise ToolError(f"{model_id} is already approved for {product} in those accounts and regions; "
                        "no request is needed")
    n = ctx.store.scalar("SELECT max(TRY_CAST(substr(request_id, 4) AS INTEGER)) FROM access_requests "
                         "WHERE request_id LIKE 'AR-%'") or 0
    request_id = f"AR-{n + 1:06d}"
    ctx.store.con.execute(
        "INSERT INTO access_requests (request_id, created_at, requested_by, product, model_id, accounts, "
        "regions, reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
        [request_id, ctx.now(), ctx.caller.email, product, model_id, accounts, regions, args.reason])
    state = catalog_state(ctx.store, model_id)
    return AccessRequested(
        subject=request_id, request_id=request_id, status="open", product=product, model_id=model_id,
        accounts=accounts, regions=regions, current_state=state,
        message=f"Request {request_id} is open: the FinOps Lead will see it in their access requests "
                f"and decide on {model_id} (currently {state}) for {product}.")


class AccessRequestsArgs(BaseModel):
    status: Literal["open", "closed", "all"] = Field("open", description="open (default), closed or all.")


class AccessRequestView(BaseModel):
    request_id: str
    created_at: datetime | None
    requested_by: str | None
    product: str | None
    model_id: str | None
    accounts: list[str]
    regions: list[str]
    reason: str | None
    status: str | None = Field(description="open, or the decision that closed it (approved/restricted/blocked).")
    decided_by: str | None
    decided_at: datetime | None
    current_state: str = Field(description="The model's catalog state now.")


class AccessRequestList(BaseModel):
    status: str
    count: int
    requests: list[AccessRequestView]


@tool(name="access_requests", personas=PRODUCT_OWNER | FINOPS_LEAD, action="read", family="catalog")
def access_requests(ctx: ToolContext, args: AccessRequestsArgs) -> AccessRequestList:
    """Model access requests, oldest first; a FinOps Lead decides one with decide_model(request_id=...).

    Model access requests, oldest first: a FinOps Lead sees every request; a Product Owner sees the
    requests for their own products. Default: open requests (the FinOps Lead's queue). Decide one with
    decide_model(request_id=...)."""
    where, params = [], []
    if args.status == "open":
        where.append("status = 'open'")
    elif args.status == "closed":
        where.append("status <> 'open'")
    if not ctx.caller.all_access:
        where.append("(list_contains(?::VARCHAR[], product) OR requested_by = ?)")
        params += [sorted(ctx.caller.owned_products), ctx.caller.email]
    sql = "SELECT * FROM access_requests" + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = ctx.store.dicts(sql + " ORDER BY request_id", params)
    out = [AccessRequestView(**{**r, "accounts": r["accounts"] or [], "regions": r["regions"] or []},
                             current_state=catalog_state(ctx.store, r["model_id"])) for r in rows]
    return AccessRequestList(status=args.status, count=len(out), requests=out)
