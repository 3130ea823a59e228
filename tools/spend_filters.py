"""The filters and groupings a spend question may carry, as SQL over usage_compliance: the caller's
scope clause first (tools/scope.py), then each filter as a parameter."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.context import ToolContext
from tools.scope import person_products, product_clause, require_node, require_product

Grouping = Literal["product", "portfolio", "department", "business_unit", "model", "model_family", "principal",
                   "account", "region", "kind", "tier", "day", "week", "month", "attribution"]
GROUP_SQL: dict[str, str] = {
    "product": "coalesce(product, '(unattributed)')",
    "portfolio": "coalesce(portfolio, '(unattributed)')",
    "department": "coalesce(department, '(unattributed)')",
    "business_unit": "coalesce(business_unit, '(unattributed)')",
    "model": "coalesce(model_id, billing_model, '(no model: ' || kind || ')')",
    "model_family": "coalesce(model_family, '(no model family)')",
    "principal": "principal",
    "account": "account_id",
    "region": "region",
    "kind": "kind",
    "tier": "tier",
    "day": "strftime(usage_date, '%Y-%m-%d')",
    "week": "strftime(date_trunc('week', usage_date), '%Y-%m-%d')",
    "month": "strftime(usage_date, '%Y-%m')",
    # Product and the claim that attributes the spend: 'Fraud by tag bedrock:project=fraud'.
    "attribution": "coalesce(product || ' by ' || replace(attributed_by, '_', ' ') || ' ' || attributed_selector, "
                   "'(unattributed)')",
}
TIME_GROUPINGS = ("day", "week", "month")  # listed in time order, not largest first


class SpendFilters(BaseModel):
    """Filters every spend query takes; each narrows the rows the caller may see, never widens them."""

    # The names say what each filters; descriptions only where the values need saying (schemas are
    # sent with every conversation).
    product: str | None = None
    owner: str | None = None  # a person (name or email): the products they own
    portfolio: str | None = None
    department: str | None = None
    business_unit: str | None = None
    model: str | None = Field(None, description="Model id or billing name.")
    model_family: str | None = Field(None, description="e.g. claude-sonnet, or one word of it: claude, nova, llama.")
    account: str | None = Field(None, description="12-digit account id.")
    region: str | None = None
    tier: str | None = Field(None, description="standard, batch, flex, priority, latency-optimized or reserved.")
    kind: str | None = Field(None, description="input, output, cache_read, cache_write, embedding, guardrail, "
                                               "image or other.")
    cost: Literal["unblended", "net_unblended"] = "unblended"


def filter_sql(ctx: ToolContext, f: SpendFilters) -> tuple[str, list]:
    """The WHERE clause (scope, usage rows, filters) and its parameters for usage_compliance."""
    scope_sql, params = product_clause(ctx.caller)
    clauses = [scope_sql, "charge_class = 'usage'"]
    if f.product:
        clauses.append("product = ?")
        params.append(require_product(ctx, f.product))
    if f.owner:
        clauses.append("list_contains(?::VARCHAR[], product)")
        params.append(person_products(ctx, f.owner))
    for kind in ("portfolio", "department", "business_unit"):
        name = getattr(f, kind)
        if name:
            clauses.append(f"{kind} = ?")
            params.append(require_node(ctx, kind, name))
    if f.model:
        clauses.append("(model_id = ? OR billing_model = ?)")
        params += [f.model, f.model]
    if f.model_family:  # the family ('claude-opus') or one word of it ('claude', 'opus', 'nova')
        clauses.append("(lower(model_family) = lower(?) OR list_contains(string_split(lower(model_family), '-'), "
                       "lower(?)))")
        params += [f.model_family.strip(), f.model_family.strip()]
    for column, value in (("account_id", f.account), ("region", f.region),
                          ("tier", f.tier), ("kind", f.kind)):
        if value:
            clauses.append(f"lower({column}) = lower(?)")
            params.append(value.strip())
    return " AND ".join(clauses), params


def cost_column(f: SpendFilters) -> str:
    return "unblended_cost" if f.cost == "unblended" else "net_unblended_cost"
