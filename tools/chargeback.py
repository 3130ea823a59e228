"""Chargeback statements: a month's Bedrock charges per node (product, department, portfolio, business
unit or account), usage (unblended and net), credits, refunds, taxes and other charges apart, with
unattributed spend as its own line; the FinOps Lead's statement adds up to the month's CUR total."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.periods import window
from tools.scope import account_clause, product_clause
from tools.declare import tool

CHARGEBACK_PERSONAS = frozenset({"product_owner", "portfolio_manager", "finops_lead"})
UNATTRIBUTED = "(unattributed)"
ChargebackBy = Literal["product", "department", "portfolio", "business_unit", "account"]
COLUMNS = ("usage_usd", "usage_net_usd", "credits_usd", "refunds_usd", "taxes_usd", "other_usd", "total_usd")
_CLASS_SUMS = """sum(unblended_cost) FILTER (WHERE charge_class = 'usage') AS usage_usd,
                 sum(net_unblended_cost) FILTER (WHERE charge_class = 'usage') AS usage_net_usd,
                 sum(unblended_cost) FILTER (WHERE charge_class = 'credit') AS credits_usd,
                 sum(unblended_cost) FILTER (WHERE charge_class = 'refund') AS refunds_usd,
                 sum(unblended_cost) FILTER (WHERE charge_class = 'tax') AS taxes_usd,
                 sum(unblended_cost) FILTER (WHERE charge_class NOT IN ('usage', 'credit', 'refund', 'tax'))
                     AS other_usd,
                 sum(unblended_cost) AS total_usd"""


class ChargebackArgs(BaseModel):
    month: str | None = Field(None, description="YYYY-MM; default this month.")
    by: ChargebackBy = "product"


class ChargebackLine(BaseModel):
    node: str = Field(description=f"The product, department, portfolio, business unit or account id; "
                                  f"'{UNATTRIBUTED}' for charges no claim attributes.")
    account_name: str | None = Field(None, description="by account: the account's name.")
    usage_usd: float = Field(description="Usage, unblended.")
    usage_net_usd: float = Field(description="Usage, net unblended (after discounts).")
    credits_usd: float
    refunds_usd: float
    taxes_usd: float
    other_usd: float = Field(description="Discounts, fees and other charges.")
    total_usd: float = Field(description="Unblended: usage + credits + refunds + taxes + other.")


class ChargebackStatement(BaseModel):
    period: str
    by: str
    restated: bool = Field(description="The month's CUR was delivered again with different charges.")
    ingested_at: str | None = None
    lines: list[ChargebackLine] = Field(description="Largest total first; the unattributed line last.")
    total: ChargebackLine = Field(description="The sum of the lines (every column).")
    complete: bool = Field(description="True when the statement covers every charge of the month (a FinOps "
                                       "Lead's): its total is then the month's CUR total for Bedrock.")


def _cents(values: list[float]) -> list[float]:
    """Round to cents so that the rounded values add up to the rounded sum (largest remainder)."""
    total = round(sum(values) * 100)
    floors = [int(v * 100 // 1) for v in values]
    order = sorted(range(len(values)), key=lambda i: -(values[i] * 100 - floors[i]))
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return [f / 100 for f in floors]


def _rows(ctx: ToolContext, args: ChargebackArgs, period: str) -> list[dict]:
    """Per node (and the unattributed line) the sums by charge class; scoped in SQL."""
    node = "account_id" if args.by == "account" else f"coalesce({args.by}, '{UNATTRIBUTED}')"
    products_sql, product_params = product_clause(ctx.caller)
    accounts_sql, account_params = account_clause(ctx.caller)
    # A caller sees their products' lines, and what no claim attributes in the accounts they own.
    visible = f"(({products_sql} AND product IS NOT NULL) OR (product IS NULL AND {accounts_sql}))"
    return ctx.store.dicts(
        f"""SELECT {node} AS node, any_value(account_name) AS account_name, {_CLASS_SUMS}
            FROM usage_compliance WHERE billing_period = ? AND {visible}
            GROUP BY node""", [period, *product_params, *account_params])


@tool(name="chargeback_statement", personas=CHARGEBACK_PERSONAS, action="read", family="chargeback")
def chargeback_statement(ctx: ToolContext, args: ChargebackArgs) -> ChargebackStatement:
    """A month's chargeback statement, one line per node (`by`), unattributed apart.

    The month's chargeback (showback) statement: one line per product, department, portfolio, business
    unit or account with usage (unblended and net), credits, refunds, taxes and other charges as separate
    columns and their total, and the spend no claim attributes as its own '(unattributed)' line (credits,
    refunds and taxes name no principal, so they sit there unless the statement is by account).

    A whole billing period (the CUR's month), attributed by each claim from its date (inference profile,
    tag, principal tag, then principal). A FinOps Lead sees every node and the statement adds up to the
    month's CUR total for Bedrock; a Portfolio Manager sees their portfolio's products, a Product Owner
    their products, each with the unattributed spend of the accounts they own.
    """
    ensure_views(ctx.store)
    period = f"{window(None, None, args.month, ctx.today).start:%Y-%m}"
    rows = _rows(ctx, args, period)
    rows.sort(key=lambda r: (r["node"] == UNATTRIBUTED, -(r["total_usd"] or 0.0), r["node"]))
    columns = {c: _cents([r[c] or 0.0 for r in rows]) for c in COLUMNS}
    lines = [ChargebackLine(node=r["node"], account_name=r["account_name"] if args.by == "account" else None,
                            **{c: columns[c][i] for c in COLUMNS}) for i, r in enumerate(rows)]
    total = ChargebackLine(node="total", **{c: round(sum(columns[c]), 2) for c in COLUMNS})
    meta = ctx.store.rows("SELECT ingested_at FROM ingested_periods WHERE billing_period = ?", [period])
    # Restated: the period was delivered again with a different usage cost than before.
    path = f'$.periods."{period}".usage_cost'
    costs = ctx.store.scalar(
        "SELECT count(DISTINCT json_extract(details, ?)) FROM audit_log WHERE action = 'cur.ingest' "
        "AND json_extract(details, ?) IS NOT NULL", [path, path]) or 0
    return ChargebackStatement(period=period, by=args.by, restated=costs > 1,
                               ingested_at=str(meta[0][0]) if meta else None, lines=lines, total=total,
                               complete=ctx.caller.all_access)
