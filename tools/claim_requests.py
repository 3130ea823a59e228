"""Claim requests: the claims a Product Owner may not make directly, listed and decided by a FinOps Lead."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ledger import claim_requests as requests
from tools.claims import current_claim, insert_claim, seen_in_cur
from tools.claims_selector import insert_selector_claim, selector_claim, selector_standing
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.write_checks import FINOPS_LEAD, PRODUCT_OWNER, not_blank


class ClaimRequestsArgs(BaseModel):
    status: Literal["open", "closed", "all"] = Field("open", description="Open requests (default), decided ones, or all.")


class ClaimRequestView(BaseModel):
    request_id: str
    created_at: datetime
    requested_by: str
    kind: str = Field("principal", description="What the claim names: principal, inference_profile, tag or "
                                               "principal_tag.")
    principal: str = Field(description="The principal ARN; for other kinds the profile ARN or key=value.")
    product: str
    reason: str | None
    claimed_on: date = Field(description="The day the claim would count from.")
    status: Literal["open", "approved", "rejected"]
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    lead_note: str | None = Field(None, description="For a FinOps Lead: where the principal stands now "
                                                    "(seen in the CUR or not, claimed by whom).")


class ClaimRequestList(BaseModel):
    status: str
    count: int
    requests: list[ClaimRequestView]


def _standing(ctx: ToolContext, principal: str, kind: str = "principal") -> str:
    if kind != "principal":
        claim = selector_claim(kind, principal, "?", ctx.caller.email, ctx.today, None)
        return selector_standing(ctx, claim) or "unclaimed; seen in the CUR"
    existing = current_claim(ctx, principal)
    if existing:
        return f"already claimed by {existing[0]}"
    first, _ = seen_in_cur(ctx, principal)
    return "unclaimed; seen in the CUR" if first else "no CUR row has this principal"


@tool(name="claim_requests", personas=PRODUCT_OWNER | FINOPS_LEAD, action="read", family="claims")
def claim_requests(ctx: ToolContext, args: ClaimRequestsArgs) -> ClaimRequestList:
    """Claim requests awaiting (or decided by) a FinOps Lead, with where each principal stands now.

    Claim requests: the principals Product Owners asked to claim that need a FinOps Lead (another part
    of the org, or a claim that starts before the day it was asked). A Product Owner sees the requests for
    their products and their own; a FinOps Lead sees all, with where each principal stands now."""
    where, params = [], []
    if args.status == "open":
        where.append("status = 'open'")
    elif args.status == "closed":
        where.append("status <> 'open'")
    lead = ctx.caller.all_access
    if not lead:
        where.append("(list_contains(?::VARCHAR[], product) OR requested_by = ?)")
        params += [sorted(ctx.caller.owned_products), ctx.caller.email]
    rows = ctx.store.dicts("SELECT * REPLACE (coalesce(kind, 'principal') AS kind) FROM claim_requests"
                           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY request_id", params)
    out = [ClaimRequestView(**r, lead_note=_standing(ctx, r["principal"], r["kind"]) if lead else None)
           for r in rows]
    return ClaimRequestList(status=args.status, count=len(out), requests=out)


class DecideClaimArgs(BaseModel):
    request_id: str = Field(description="The request, e.g. CR-0001.")
    decision: Literal["approve", "reject"]
    rationale: str = Field(description="Why: kept with the request and in the audit log.")

    _why = field_validator("rationale")(lambda cls, v: not_blank(v))


class ClaimDecision(BaseModel):
    subject: str
    request_id: str
    principal: str
    product: str
    status: Literal["approved", "rejected"]
    claimed_on: date
    message: str


@tool(name="decide_claim_request", personas=FINOPS_LEAD, action="write", family="claims")
def decide_claim_request(ctx: ToolContext, args: DecideClaimArgs) -> ClaimDecision:
    """Approve or reject an open claim request, with a rationale.

    Approve or reject an open claim request, with a rationale. Approving claims the principal for the
    requested product from the requested day (it must be in the CUR and unclaimed)."""
    rows = ctx.store.dicts("SELECT * REPLACE (coalesce(kind, 'principal') AS kind) FROM claim_requests "
                           "WHERE request_id = ?", [args.request_id.strip().upper()])
    if not rows:
        raise ToolError(f"there is no claim request {args.request_id}; `claim_requests` lists them")
    r = rows[0]
    if r["status"] != "open":
        raise ToolError(f"{r['request_id']} is already {r['status']} (by {r['decided_by']})")
    what_claimed = requests.rule(r["kind"], r["principal"])
    if args.decision == "approve":
        standing = _standing(ctx, r["principal"], r["kind"])
        if standing != "unclaimed; seen in the CUR":
            raise ToolError(f"{what_claimed}: {standing}; reject {r['request_id']} or fix the claim first")
        note = f"claim request {r['request_id']} by {r['requested_by']}"
        if r["kind"] == "principal":
            insert_claim(ctx, r["principal"], r["product"], r["claimed_on"], note)
        else:  # the requester claims; the lead's approval is in the request and the audit log
            insert_selector_claim(ctx, selector_claim(r["kind"], r["principal"], r["product"], r["requested_by"],
                                                      r["claimed_on"], note))
    status = "approved" if args.decision == "approve" else "rejected"
    requests.decide(ctx.store, r["request_id"], status=status, by=ctx.caller.email, at=ctx.now(), note=args.rationale)
    what = (f"{what_claimed} now belongs to {r['product']} from {r['claimed_on']}" if status == "approved"
            else "nothing is claimed")
    return ClaimDecision(subject=r["request_id"], request_id=r["request_id"], principal=r["principal"],
                         product=r["product"], status=status, claimed_on=r["claimed_on"],
                         message=f"{r['request_id']} {status}: {what}.")
