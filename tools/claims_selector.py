"""Claims by application inference profile, resource tag or principal tag, governed as claims by principal
(tools.claims): a Product Owner claims directly only what is plainly theirs; the rest is a request."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ledger import claim_requests as requests
from ledger.attribution import selector_claim_row, selector_seen
from ledger.org_schema import Claim
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.scope import claim_accounts, owned_product
from tools.write_checks import FINOPS_LEAD, PRODUCT_OWNER, next_claim_position

SelectorKind = Literal["inference_profile", "tag", "principal_tag"]
SELECTOR_KINDS = ("inference_profile", "tag", "principal_tag")


class SelectorClaimArgs(BaseModel):
    kind: SelectorKind
    selector: str
    product: str
    claimed_on: date | None = None  # default today
    note: str | None = None
    reason: str | None = None  # kept with a request and in the audit log; a lead's backdated claim needs one


class SelectorClaimResult(BaseModel):
    subject: str = Field(description="The claim as it reads, e.g. 'tag bedrock:project=fraud'.")
    kind: str
    selector: str
    product: str
    status: Literal["claimed", "already_claimed", "requested"]
    request_id: str | None = None  # for a claim request: its id (a FinOps Lead decides it)
    claimed_by: str
    claimed_on: date
    cur_first_seen: date | None = None  # None for a request: nothing about its spend before approval
    cur_last_seen: date | None = None
    message: str


def selector_claim(kind: str, selector: str, product: str, by: str, claimed_on: date, note: str | None) -> Claim:
    """The claim as the org file would hold it, validated the same way (ARN form, key=value)."""
    try:
        return Claim(**{kind: selector}, product=product, claimed_by=by, claimed_on=claimed_on,
                     note=(note or "").strip() or None)
    except ValidationError as exc:
        raise ToolError(f"{kind} {selector!r}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def current_selector_claim(ctx: ToolContext, claim: Claim) -> tuple[str, str, date] | None:
    rows = ctx.store.rows("SELECT product, claimed_by, claimed_on FROM selector_claims WHERE kind = ? AND selector = ?",
                          [claim.kind, claim.selector])
    return rows[0] if rows else None


def insert_selector_claim(ctx: ToolContext, claim: Claim) -> None:
    ctx.store.con.execute("INSERT INTO selector_claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          selector_claim_row(claim, next_claim_position(ctx.store)))


def selector_standing(ctx: ToolContext, claim: Claim) -> str | None:
    """Why the claim cannot be made now (claimed, or matches no CUR row); None when it can."""
    existing = current_selector_claim(ctx, claim)
    if existing:
        return f"{claim.rule} is already claimed by {existing[0]}"
    if not selector_seen(ctx.store, claim):
        return f"no CUR row has {claim.rule}"
    return None


def _request(ctx: ToolContext, claim: Claim, reason: str | None, why: str) -> SelectorClaimResult:
    request_id = requests.open_request(ctx.store, at=ctx.now(), requested_by=ctx.caller.email, principal=claim.selector,
                                       product=claim.product, reason=(reason or "").strip() or None,
                                       claimed_on=claim.claimed_on, kind=claim.kind)
    return SelectorClaimResult(
        subject=claim.rule, kind=claim.kind, selector=claim.selector, product=claim.product, status="requested",
        request_id=request_id, claimed_by=ctx.caller.email, claimed_on=claim.claimed_on, cur_first_seen=None,
        cur_last_seen=None, message=f"Claim request {request_id} is open: {claim.rule} for {claim.product} from "
                                    f"{claim.claimed_on} {why}, so a FinOps Lead decides. Nothing is attributed until then.")


@tool(name="claim_profile_or_tag", personas=PRODUCT_OWNER | FINOPS_LEAD, action="write", family="claims")
def claim_profile_or_tag(ctx: ToolContext, args: SelectorClaimArgs) -> SelectorClaimResult:
    """Claim a profile ARN, or a resource or principal tag (k=v), for a product; or request it.

    Claim an application inference profile, a cost-allocation resource tag or an IAM principal tag for one
    of your products, so the Bedrock spend on rows carrying it (from claimed_on, default today) is attributed
    to that product, before any claim on the row's principal (precedence: profile, tag, principal tag,
    principal). It must match at least one CUR row, and belongs to one product at a time. A Product Owner
    claims directly, from today, what matches spend only in accounts of their part of the org; anything
    else (other accounts, no spend there yet, an earlier start day) becomes a claim request a FinOps Lead
    decides. A FinOps Lead claims for any product, and may backdate with a reason."""
    product = owned_product(ctx, args.product, lead_ok=True)
    claimed_on = args.claimed_on or ctx.today
    if claimed_on > ctx.today:
        raise ToolError(f"claimed_on {claimed_on} is in the future (today is {ctx.today})")
    claim = selector_claim(args.kind, args.selector, product, ctx.caller.email, claimed_on, args.note)
    lead = ctx.caller.all_access
    seen = selector_seen(ctx.store, claim)
    if not lead and (not seen or set(seen) - set(claim_accounts(ctx))):
        # One answer whether it matches nothing or others' spend: the request says nothing about either.
        return _request(ctx, claim, args.reason, "does not match spend only in your part of the org")
    existing = current_selector_claim(ctx, claim)
    first = min((f for f, _ in seen.values()), default=None)
    last = max((t for _, t in seen.values()), default=None)
    if existing and existing[0] == product:
        return SelectorClaimResult(subject=claim.rule, kind=claim.kind, selector=claim.selector, product=product,
                                   status="already_claimed", claimed_by=existing[1], claimed_on=existing[2],
                                   cur_first_seen=first, cur_last_seen=last,
                                   message=f"Already claimed for {product} by {existing[1]} on {existing[2]}; "
                                           "nothing changed.")
    if existing and not (lead or ctx.caller.sees_product(existing[0])):
        raise ToolError(f"{claim.rule} is claimed for a product outside your scope; if it is your product's, "
                        "ask a FinOps Lead")
    problem = selector_standing(ctx, claim)
    if problem:
        raise ToolError(problem + ("; one product at a time" if existing else
                                   ": ingest a CUR with it first (a tag must be activated as a cost-allocation tag)"))
    if claimed_on < ctx.today:
        if not lead:
            return _request(ctx, claim, args.reason, "starts before today")
        if not (args.reason or "").strip():
            raise ToolError("a backdated claim needs a reason: say why its earlier spend is the product's")
    insert_selector_claim(ctx, claim)
    return SelectorClaimResult(
        subject=claim.rule, kind=claim.kind, selector=claim.selector, product=product, status="claimed",
        claimed_by=ctx.caller.email, claimed_on=claimed_on, cur_first_seen=first, cur_last_seen=last,
        message=f"{claim.rule} now belongs to {product}: spend on rows carrying it from {claimed_on} counts toward "
                f"{product}, before any claim on their principal.")
