"""Estimates: a Product Owner sets the month's expected Bedrock spend and tokens of their product."""

from __future__ import annotations


from pydantic import BaseModel, Field

from ledger.metrics import metric_name
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.periods import month_key, tool_month
from tools.scope import owned_product
from tools.write_checks import PRODUCT_OWNER, next_position


class SetEstimateArgs(BaseModel):
    product: str | None = Field(None, description="Your product; default: your only product.")
    month: str | None = Field(None, description="YYYY-MM, the current or a future month; default the current month.")
    usd: float | None = Field(None, ge=0, description="Expected Bedrock spend for the month in USD (unblended "
                                                     "usage cost); omitted: unchanged.")
    input_tokens: int | None = Field(None, ge=0, description="Expected input tokens; omitted keeps the previous value.")
    output_tokens: int | None = Field(None, ge=0, description="Expected output tokens; omitted keeps the previous value.")
    reason: str | None = Field(None, description="Why this figure (kept in the audit log).")
    usd_per_unit: float | None = Field(None, ge=0, description="Expected cost per unit, with unit.")
    unit: str | None = Field(None, description="e.g. document")


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
    unit: str | None = None
    usd_per_unit: float | None = None
    previous_usd_per_unit: float | None = None


@tool(name="set_estimate", personas=PRODUCT_OWNER, action="write", family="estimate")
def set_estimate(ctx: ToolContext, args: SetEstimateArgs) -> EstimateSet:
    """Set your product's Bedrock estimate for the current or a future month, in USD and optionally in tokens
    or per unit of value.

    Set (or change) your product's Bedrock consumption estimate for a month, in USD and optionally
    in input / output tokens. Steward tracks spend against it (estimate_status). Only the current or
    a future month; token figures you leave out keep their previous value. An estimate per unit of
    value (usd_per_unit with unit, e.g. 0.05 per document) is compared with the actual cost per unit
    (cost_per_unit, estimate_status, the spend card). The result shows the previous estimate."""
    product = owned_product(ctx, args.product)
    month = month_key(tool_month(args.month, ctx.today)) if args.month else month_key(ctx.today)
    if month < f"{ctx.today:%Y-%m}":
        raise ToolError(f"{month} is over; estimates are set for the current or a future month "
                        "(a FinOps Lead can correct past months in the org file)")
    unit = _unit(args)
    prev = ctx.store.rows("SELECT usd, input_tokens, output_tokens, unit, usd_per_unit FROM estimates "
                          "WHERE product = ? AND month = ?", [product, month])
    p_usd, p_in, p_out, p_unit, p_per_unit = prev[0] if prev else (None, None, None, None, None)
    usd = float(args.usd) if args.usd is not None else p_usd
    if usd is None:
        raise ToolError(f"{product} has no estimate for {month} yet: give the month's spend in USD (usd) "
                        "with it")
    new_in = args.input_tokens if args.input_tokens is not None else p_in
    new_out = args.output_tokens if args.output_tokens is not None else p_out
    new_unit, new_per_unit = (unit, float(args.usd_per_unit)) if unit else (p_unit, p_per_unit)  # type: ignore[arg-type]
    at = ctx.now()
    if prev:
        ctx.store.con.execute(
            "UPDATE estimates SET usd = ?, input_tokens = ?, output_tokens = ?, set_by = ?, set_at = ?, unit = ?, "
            "usd_per_unit = ? WHERE product = ? AND month = ?",
            [usd, new_in, new_out, ctx.caller.email, at, new_unit, new_per_unit, product, month])
    else:
        ctx.store.con.execute(
            "INSERT INTO estimates (product, month, usd, input_tokens, output_tokens, set_by, set_at, "
            "position, unit, usd_per_unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [product, month, usd, new_in, new_out, ctx.caller.email, at,
             next_position(ctx.store, "estimates"), new_unit, new_per_unit])
    return EstimateSet(subject=f"{product} {month}", product=product, month=month, usd=usd,
                       input_tokens=new_in, output_tokens=new_out, created=not prev,
                       previous_usd=p_usd, previous_input_tokens=p_in, previous_output_tokens=p_out,
                       unit=new_unit, usd_per_unit=new_per_unit,
                       previous_usd_per_unit=p_per_unit if unit == p_unit else None)


def _unit(args: SetEstimateArgs) -> str | None:
    """The unit of a per-unit estimate as stored ('Documents' -> 'document'); both or neither are given."""
    if (args.unit is None) != (args.usd_per_unit is None):
        raise ToolError("an estimate per unit needs both usd_per_unit (e.g. 0.05) and unit (e.g. document)")
    if args.unit is None:
        return None
    try:
        return metric_name(args.unit)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
