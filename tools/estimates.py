"""Estimates: a Product Owner sets the month's expected Bedrock spend and tokens of their product."""

from __future__ import annotations


from pydantic import BaseModel, Field

from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.periods import month_key, tool_month
from tools.scope import owned_product
from tools.write_checks import PRODUCT_OWNER, next_position


class SetEstimateArgs(BaseModel):
    product: str | None = Field(None, description="Your product; default: your only product.")
    month: str | None = Field(None, description="YYYY-MM, the current or a future month; default the current month.")
    usd: float = Field(ge=0, description="Expected Bedrock spend for the month in USD (unblended usage cost).")
    input_tokens: int | None = Field(None, ge=0, description="Expected input tokens; omitted keeps the previous value.")
    output_tokens: int | None = Field(None, ge=0, description="Expected output tokens; omitted keeps the previous value.")
    reason: str | None = Field(None, description="Why this figure (kept in the audit log).")


class EstimateSet(BaseModel):
    subject: str
    product: str
    month: str
    usd: float
    input_tokens: int | None
    output_tokens: int | None
    created: bool = Field(description="True if the month had no estimate before.")
    previous_usd: float | None
    previous_input_tokens: int | None
    previous_output_tokens: int | None


@tool(name="set_estimate", personas=PRODUCT_OWNER, action="write", family="estimate")
def set_estimate(ctx: ToolContext, args: SetEstimateArgs) -> EstimateSet:
    """Set your product's Bedrock estimate for the current or a future month, in USD and optionally in tokens.

    Set (or change) your product's Bedrock consumption estimate for a month, in USD and optionally
    in input / output tokens. Steward tracks spend against it (estimate_status). Only the current or
    a future month; token figures you leave out keep their previous value. The result shows the
    previous estimate."""
    product = owned_product(ctx, args.product)
    month = month_key(tool_month(args.month, ctx.today)) if args.month else month_key(ctx.today)
    if month < f"{ctx.today:%Y-%m}":
        raise ToolError(f"{month} is over; estimates are set for the current or a future month "
                        "(a FinOps Lead can correct past months in the org file)")
    prev = ctx.store.rows("SELECT usd, input_tokens, output_tokens FROM estimates "
                          "WHERE product = ? AND month = ?", [product, month])
    p_usd, p_in, p_out = prev[0] if prev else (None, None, None)
    new_in = args.input_tokens if args.input_tokens is not None else p_in
    new_out = args.output_tokens if args.output_tokens is not None else p_out
    at = ctx.now()
    if prev:
        ctx.store.con.execute(
            "UPDATE estimates SET usd = ?, input_tokens = ?, output_tokens = ?, set_by = ?, set_at = ? "
            "WHERE product = ? AND month = ?",
            [float(args.usd), new_in, new_out, ctx.caller.email, at, product, month])
    else:
        ctx.store.con.execute(
            "INSERT INTO estimates (product, month, usd, input_tokens, output_tokens, set_by, set_at, "
            "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [product, month, float(args.usd), new_in, new_out, ctx.caller.email, at,
             next_position(ctx.store, "estimates")])
    return EstimateSet(subject=f"{product} {month}", product=product, month=month, usd=float(args.usd),
                       input_tokens=new_in, output_tokens=new_out, created=not prev,
                       previous_usd=p_usd, previous_input_tokens=p_in, previous_output_tokens=p_out)
