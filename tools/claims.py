"""Claims: which product an IAM principal's spend belongs to. A Product Owner claims directly only what
is plainly theirs; anything else becomes a claim request a FinOps Lead decides (tools.claim_requests)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ledger import claim_requests as requests
from ledger.principals import UNKNOWN, account_of, normalise_principal
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.scope import claim_accounts, owned_product
from tools.write_checks import FINOPS_LEAD, PRODUCT_OWNER, next_claim_position

# What a caller is told about a principal they may not know about: the same whatever the reason.
NOT_IN_SCOPE = ("{principal} is not in your scope, or not a principal Steward has seen. Check the ARN; a "
                "principal appears once a CUR with its Bedrock use is ingested. If it is your product's, "
                "ask a FinOps Lead.")


class ClaimArgs(BaseModel):
    principal: str = Field(description="The IAM principal ARN as CUR shows it: a role ARN (an assumed-role "
                                       "session ARN is accepted and normalised to its role), or an IAM user "
                                       "/ Bedrock API-key user ARN.")
    product: str = Field(description="The product whose spend this principal is.")
    claimed_on: date | None = Field(None, description="Spend counts toward the product from this day "
                                                      "(YYYY-MM-DD); default today. An earlier day needs a "
                                                      "FinOps Lead (a Product Owner's becomes a request).")
    note: str | None = Field(None, description="What the principal is, e.g. 'checkout service prod role'.")
    reason: str | None = Field(None, description="Why it is the product's: kept with a claim request and in "
                                                 "the audit log; required for a FinOps Lead's backdated claim.")


class ClaimResult(BaseModel):
    subject: str
    principal: str
    product: str
    status: Literal["claimed", "already_claimed", "requested"]
    request_id: str | None = Field(None, description="For a claim request: its id (a FinOps Lead decides it).")
    claimed_by: str
    claimed_on: date
    already_claimed: bool = Field(description="True if it was already claimed by this product (nothing changed).")
    cur_first_seen: date | None = Field(description="None for a request: nothing about its spend before approval.")
    cur_last_seen: date | None
    message: str


def seen_in_cur(ctx: ToolContext, principal: str) -> tuple[date | None, date | None]:
    return ctx.store.rows("SELECT min(usage_date), max(usage_date) FROM usage_daily WHERE principal = ?",
                          [principal])[0]


def current_claim(ctx: ToolContext, principal: str) -> tuple[str, str, date] | None:
    rows = ctx.store.rows("SELECT product, claimed_by, claimed_on FROM claims WHERE principal = ?", [principal])
    return rows[0] if rows else None


def insert_claim(ctx: ToolContext, principal: str, product: str, claimed_on: date, note: str | None) -> None:
    ctx.store.con.execute(
        "INSERT INTO claims (principal, product, claimed_by, claimed_on, note, position) VALUES (?, ?, ?, ?, ?, ?)",
        [principal, product, ctx.caller.email, claimed_on, (note or "").strip() or None,
         next_claim_position(ctx.store)])


def _principal(text: str) -> str:
    principal = normalise_principal(text)
    if principal == UNKNOWN or not principal.startswith("arn:") or not account_of(principal):
        raise ToolError(f"'{text}' is not an IAM principal ARN (e.g. arn:aws:iam::111122223333:role/checkout-bedrock)")
    return principal


def _request(ctx: ToolContext, principal: str, product: str, claimed_on: date, reason: str | None,
             why: str) -> ClaimResult:
    request_id = requests.open_request(ctx.store, at=ctx.now(), requested_by=ctx.caller.email, principal=principal,
                                       product=product, reason=(reason or "").strip() or None, claimed_on=claimed_on)
    return ClaimResult(subject=principal, principal=principal, product=product, status="requested",
                       request_id=request_id, claimed_by=ctx.caller.email, claimed_on=claimed_on,
                       already_claimed=False, cur_first_seen=None, cur_last_seen=None,
                       message=f"Claim request {request_id} is open: {principal} for {product} from {claimed_on} "
                               f"{why}, so a FinOps Lead decides. Nothing is attributed until then.")


@tool(name="claim_principal", personas=PRODUCT_OWNER | FINOPS_LEAD, action="write", family="claims")
def claim_principal(ctx: ToolContext, args: ClaimArgs) -> ClaimResult:
    """Claim an IAM principal (an ARN from the CUR) for one of your products so its spend counts for it; outside
    your part of the org, or backdated, it becomes a claim request.

    Claim an IAM principal for one of your products, so its Bedrock spend (from claimed_on, default
    today) is attributed to that product. The principal must appear in at least one CUR row. A principal
    belongs to one product at a time; claiming it again for the same product changes nothing.
    A Product Owner claims directly an unclaimed principal whose account is owned by their products'
    department, portfolio or business unit (or below), or already runs one of their products' principals,
    from today; any other claim (another part of the org, or an earlier start day) becomes a claim
    request that a FinOps Lead approves or rejects. A FinOps Lead claims for any product, and may
    backdate a claim with a reason."""
    product = owned_product(ctx, args.product, lead_ok=True)
    principal = _principal(args.principal)
    claimed_on = args.claimed_on or ctx.today
    if claimed_on > ctx.today:
        raise ToolError(f"claimed_on {claimed_on} is in the future (today is {ctx.today})")
    lead = ctx.caller.all_access
    if not lead and account_of(principal) not in claim_accounts(ctx):
        # Someone else's part of the org: always a request, whether or not the principal exists or is
        # claimed, so the answer says nothing about it.
        return _request(ctx, principal, product, claimed_on, args.reason, "is outside your part of the org")
    existing = current_claim(ctx, principal)
    first, last = seen_in_cur(ctx, principal)
    if existing and existing[0] == product:
        _, by, on = existing
        return ClaimResult(subject=principal, principal=principal, product=product, status="already_claimed",
                           claimed_by=by, claimed_on=on, already_claimed=True, cur_first_seen=first,
                           cur_last_seen=last, message=f"Already claimed for {product} by {by} on {on}; nothing changed.")
    if existing and not (lead or ctx.caller.sees_product(existing[0])):
        raise ToolError(NOT_IN_SCOPE.format(principal=principal))
    if existing:
        other, by, on = existing
        raise ToolError(f"{principal} is already claimed by {other} (claimed by {by} on {on}); a principal "
                        "belongs to one product at a time")
    if first is None:
        if not lead:
            raise ToolError(NOT_IN_SCOPE.format(principal=principal))
        raise ToolError(f"no CUR row has principal {principal}: Steward can only claim principals it has seen in "
                        "the Cost and Usage Report. Check the ARN, or make a test Bedrock invocation with it and "
                        "claim it after the next CUR delivery is ingested.")
    if claimed_on < ctx.today:
        if not lead:
            return _request(ctx, principal, product, claimed_on, args.reason, "starts before today")
        if not (args.reason or "").strip():
            raise ToolError("a backdated claim needs a reason: say why its earlier spend is the product's")
    insert_claim(ctx, principal, product, claimed_on, args.note)
    before = " (earlier spend stays unattributed)" if first < claimed_on else ""
    return ClaimResult(subject=principal, principal=principal, product=product, status="claimed",
                       claimed_by=ctx.caller.email, claimed_on=claimed_on, already_claimed=False,
                       cur_first_seen=first, cur_last_seen=last,
                       message=f"{principal} now belongs to {product}; its Bedrock spend from "
                               f"{claimed_on} counts toward {product}{before}.")
