"""Claims: a Product Owner (or a FinOps Lead) says which product an IAM principal's spend belongs to."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from ledger.principals import UNKNOWN, normalise_principal
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.scope import owned_product
from tools.write_checks import FINOPS_LEAD, PRODUCT_OWNER, next_position


class ClaimArgs(BaseModel):
    principal: str = Field(description="The IAM principal ARN as CUR shows it: a role ARN (an assumed-role "
                                       "session ARN is accepted and normalised to its role), or an IAM user "
                                       "/ Bedrock API-key user ARN.")
    product: str = Field(description="The product whose spend this principal is.")
    claimed_on: date | None = Field(None, description="Spend counts toward the product from this day "
                                                      "(YYYY-MM-DD); default today.")
    note: str | None = Field(None, description="What the principal is, e.g. 'checkout service prod role'.")


class ClaimResult(BaseModel):
    subject: str
    principal: str
    product: str
    claimed_by: str
    claimed_on: date
    already_claimed: bool = Field(description="True if it was already claimed by this product (nothing changed).")
    cur_first_seen: date | None
    cur_last_seen: date | None
    message: str


@tool(name="claim_principal", personas=PRODUCT_OWNER | FINOPS_LEAD, action="write", family="claims")
def claim_principal(ctx: ToolContext, args: ClaimArgs) -> ClaimResult:
    """Claim an IAM principal for one of your products, so its Bedrock spend (from claimed_on, default
    today) is attributed to that product. The principal must appear in at least one CUR row (make a
    test invocation with the role and wait for the next CUR delivery if it does not yet). A principal
    belongs to one product at a time; claiming it again for the same product changes nothing.
    Product Owners claim for their own products; a FinOps Lead for any product."""
    product = owned_product(ctx, args.product, lead_ok=True)
    principal = normalise_principal(args.principal)
    if principal == UNKNOWN or not principal.startswith("arn:"):
        raise ToolError(f"'{args.principal}' is not an IAM principal ARN "
                        "(e.g. arn:aws:iam::111122223333:role/checkout-bedrock)")
    claimed_on = args.claimed_on or ctx.today
    if claimed_on > ctx.today:
        raise ToolError(f"claimed_on {claimed_on} is in the future (today is {ctx.today})")
    first, last = ctx.store.rows(
        "SELECT min(usage_date), max(usage_date) FROM usage_daily WHERE principal = ?", [principal])[0]
    if first is None:
        raise ToolError(
            f"no CUR row has principal {principal}: Steward can only claim principals it has seen "
            "in the Cost and Usage Report. Check the ARN, or make a test Bedrock invocation with it "
            "and claim it after the next CUR delivery is ingested.")
    existing = ctx.store.rows("SELECT product, claimed_by, claimed_on FROM claims WHERE principal = ?",
                              [principal])
    if existing:
        other, by, on = existing[0]
        if other == product:
            return ClaimResult(subject=principal, principal=principal, product=product, claimed_by=by,
                               claimed_on=on, already_claimed=True, cur_first_seen=first,
                               cur_last_seen=last,
                               message=f"Already claimed for {product} by {by} on {on}; nothing changed.")
        if ctx.caller.sees_product(other):
            raise ToolError(f"{principal} is already claimed by {other} (claimed by {by} on {on}); a "
                            "principal belongs to one product at a time")
        raise ToolError(f"{principal} is already claimed by another product; a principal belongs to "
                        "one product at a time. Ask your FinOps Lead if it should move to "
                        f"{product}.")
    ctx.store.con.execute(
        "INSERT INTO claims (principal, product, claimed_by, claimed_on, note, position) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [principal, product, ctx.caller.email, claimed_on, (args.note or "").strip() or None,
         next_position(ctx.store, "claims")])
    before = " (earlier spend stays unattributed)" if first < claimed_on else ""
    return ClaimResult(subject=principal, principal=principal, product=product,
                       claimed_by=ctx.caller.email, claimed_on=claimed_on, already_claimed=False,
                       cur_first_seen=first, cur_last_seen=last,
                       message=f"{principal} now belongs to {product}; its Bedrock spend from "
                               f"{claimed_on} counts toward {product}{before}.")
